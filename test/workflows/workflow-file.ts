// The suite's workflow files, read as the tests need them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/action-metadata.ts';

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
}

export interface Job {
  'runs-on'?: string;
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
