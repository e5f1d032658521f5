// The pull request mode: one pull request per base, overlays and images, opened or updated through the GitHub API.
import type { getOctokit } from '@actions/github';
import {
  errorMessage,
  escapeUntrusted,
  HttpStatusError,
  isTransient,
  retry,
  withDeadline,
  type Runtime,
} from '@shiprail/core';

/** Makes the API client: @actions/github's `getOctokit` on a runner, the same pointed elsewhere in tests. */
export type OctokitFactory = (...args: Parameters<typeof getOctokit>) => Promise<ReturnType<typeof getOctokit>>;

export interface PullRequestRequest {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface PullRequestResult {
  url: string;
  number: number;
  created: boolean;
}

/** Each API request has this long to answer. */
const REQUEST_DEADLINE_MS = 30_000;
/** Network errors, 429 and 5xx are tried again, this often in all; 401, 403, 404, 422 fail at once. */
const API_RETRY = { attempts: 3, baseMs: 1000, factor: 2, maxMs: 4000, jitter: 0.5 };

/**
 * Octokit reports every failure as a RequestError (a network error as status 500, without a response);
 * this turns it into what core classifies: the network error itself, or the HTTP status the API answered.
 */
function classified(error: unknown): never {
  if (!(error instanceof Error) || !('status' in error) || typeof error.status !== 'number') throw error;
  const answered = 'response' in error && error.response !== undefined;
  if (!answered) throw error.cause instanceof Error ? error.cause : error;
  const url = 'request' in error && isRecord(error.request) ? error.request['url'] : undefined;
  throw new HttpStatusError(error.status, typeof url === 'string' ? url : '');
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Opens a pull request from `head` into `base`, or updates the open one for that head branch. */
export async function openOrUpdatePullRequest(
  runtime: Runtime,
  makeOctokit: OctokitFactory,
  request: PullRequestRequest,
): Promise<PullRequestResult> {
  const octokit = await makeOctokit(request.token, { baseUrl: request.apiUrl.replace(/\/+$/, '') });
  const call = async <T>(what: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await retry(
        () => withDeadline(send, REQUEST_DEADLINE_MS, `the pull request API (${what})`).catch(classified),
        {
          ...API_RETRY,
          retryIf: isTransient,
          onRetry: (error, attempt, delay) =>
            runtime.log.info(`${what}: ${errorMessage(error)} (attempt ${attempt}); trying again in ${delay} ms`),
          sleep: (ms) => runtime.clock.sleep(ms),
        },
      );
    } catch (error) {
      throw new Error(`${what} failed: ${escapeUntrusted(runtime.redact(errorMessage(error)))}`, { cause: error });
    }
  };
  const { owner, repo, head, base, title, body } = request;
  const { data: open } = await call('listing the open pull requests', (signal) =>
    octokit.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, base, state: 'open', request: { signal } }),
  );
  const existing = open[0];
  if (existing !== undefined) {
    await call(`updating pull request #${existing.number}`, (signal) =>
      octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title, body, request: { signal } }),
    );
    return { url: existing.html_url, number: existing.number, created: false };
  }
  const { data: created } = await call('opening the pull request', (signal) =>
    octokit.rest.pulls.create({ owner, repo, head, base, title, body, request: { signal } }),
  );
  return { url: created.html_url, number: created.number, created: true };
}
