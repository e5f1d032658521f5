// What an action knows of the workflow run: GITHUB_* variables and the event payload, read once.
import { readFileSync } from 'node:fs';

/** What an action knows of the workflow run, read from the runner's environment once. */
export interface GitHubContext {
  eventName: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  /** `owner/name` */
  repository: string;
  workspace: string;
  serverUrl: string;
  apiUrl: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  actor: string;
  workflow: string;
  /** The repository's default branch, from the event payload when it carries one. */
  defaultBranch: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the context the runner provides: `GITHUB_*` variables and the event payload file. */
export function readGitHubContext(env: Env): GitHubContext {
  const payload = readPayload(env['GITHUB_EVENT_PATH']);
  const repositoryField = payload['repository'];
  const repository =
    typeof repositoryField === 'object' && repositoryField !== null ? (repositoryField as Record<string, unknown>) : {};
  const defaultBranch = repository['default_branch'];
  return {
    eventName: env['GITHUB_EVENT_NAME'] ?? '',
    payload,
    sha: env['GITHUB_SHA'] ?? '',
    ref: env['GITHUB_REF'] ?? '',
    repository: env['GITHUB_REPOSITORY'] ?? '',
    workspace: env['GITHUB_WORKSPACE'] ?? process.cwd(),
    serverUrl: env['GITHUB_SERVER_URL'] ?? 'https://github.com',
    apiUrl: env['GITHUB_API_URL'] ?? 'https://api.github.com',
    runId: env['GITHUB_RUN_ID'] ?? '',
    runNumber: env['GITHUB_RUN_NUMBER'] ?? '',
    runAttempt: env['GITHUB_RUN_ATTEMPT'] ?? '',
    actor: env['GITHUB_ACTOR'] ?? '',
    workflow: env['GITHUB_WORKFLOW'] ?? '',
    defaultBranch: typeof defaultBranch === 'string' ? defaultBranch : undefined,
  };
}

function readPayload(path: string | undefined): Record<string, unknown> {
  if (path === undefined || path === '') return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    // A missing or unreadable payload is the same as none: the runner always writes one.
    return {};
  }
}
