// The suite's workflow files, read as the tests need them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

/** A `with:` or `env:` value as YAML gives it. */
export type Scalar = string | number | boolean;

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, Scalar>;
  env?: Record<string, Scalar>;
  if?: string;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
}

export interface Job {
  name?: string;
  'runs-on'?: string;
  strategy?: unknown;
  needs?: string | string[];
  permissions?: unknown;
  'timeout-minutes'?: number;
  environment?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean };
  outputs?: Record<string, string>;
  steps?: Step[];
  if?: string;
}

export interface Workflow {
  on: Record<string, unknown>;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

export const workflowDir = join(repoRoot, '.github', 'workflows');
export const workflowFiles = readdirSync(workflowDir).filter((name) => /\.ya?ml$/.test(name));
export const readWorkflow = (file: string): string => readFileSync(join(workflowDir, file), 'utf8');
export const loadWorkflow = (file: string): Workflow => parse(readWorkflow(file)) as Workflow;

export interface ActionPin {
  sha: string;
  release: string;
  runtime: string;
}

/** .github/action-pins.yml: each third-party action's pinned commit, its release and runtime. */
export const actionPins = parse(readFileSync(join(repoRoot, '.github', 'action-pins.yml'), 'utf8')) as Record<
  string,
  ActionPin | undefined
>;

export interface PinnedUse {
  /** `owner/repo`, without a path inside the repository. */
  action: string;
  sha: string;
  /** The version in the line's comment. */
  release: string;
}

/** The third-party `uses:` lines of a workflow's text, as `owner/repo[/path]@sha # version`. */
export function pinnedUses(text: string): PinnedUse[] {
  return [
    ...text.matchAll(/^\s*(?:-\s+)?uses:\s+([\w.-]+\/[\w.-]+)(?:\/[\w./-]+)?@([0-9a-f]{40}) # (v[\d.]+)\s*$/gm),
  ].map(([, action = '', sha = '', release = '']) => ({ action, sha, release }));
}
