// What the runner's test files share: a folder per file for workflow files and runs, and a function that
// runs a workflow's text with the real runner, no world (no action but what a test passes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runWorkflow,
  loadWorkflow,
  type WorkflowRunOptions,
  type WorkflowRunResult,
} from '@shiprail/rehearsal/workflow';

export interface WorkflowBench {
  /** The file's folder (valid from beforeAll on). */
  readonly directory: string;
  /** Writes a file in the folder and returns its path. */
  write(name: string, text: string): string;
  /** Runs the workflow `yaml` on a push to main of acme/shop; `options` override any default. */
  rehearse(yaml: string, options?: Partial<WorkflowRunOptions>): Promise<WorkflowRunResult>;
}

/** A bench whose folder is made before the file's tests and removed after them. */
export function useWorkflowBench(): WorkflowBench {
  let counter = 0;
  const bench = {
    directory: '',
    write(name: string, text: string): string {
      const path = join(bench.directory, name);
      writeFileSync(path, text);
      return path;
    },
    async rehearse(yaml: string, options: Partial<WorkflowRunOptions> = {}): Promise<WorkflowRunResult> {
      counter += 1;
      const file = bench.write(`workflow-${counter}.yml`, yaml);
      return runWorkflow({
        workflow: await loadWorkflow(file),
        runId: counter,
        event: {
          name: 'push',
          payload: {},
          sha: 'a'.repeat(40),
          ref: 'refs/heads/main',
          repository: 'acme/shop',
          actor: 'octocat',
        },
        workflowRepository: 'acme/shop',
        workflowSha: 'a'.repeat(40),
        inputs: {},
        secrets: { GITHUB_TOKEN: 'ghs_unitTestToken' },
        actions: (uses) => {
          throw new Error(`no action ${uses}`);
        },
        serverUrl: 'http://127.0.0.1:9',
        workRoot: join(bench.directory, `runs-${counter}`),
        baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: bench.directory },
        ...options,
      });
    },
  };
  beforeAll(() => {
    bench.directory = mkdtempSync(join(tmpdir(), 'rehearsal-runner-'));
  });
  afterAll(() => rmSync(bench.directory, { recursive: true, force: true }));
  return bench;
}

/** Each job's result by key. */
export const results = (run: WorkflowRunResult): Record<string, string> =>
  Object.fromEntries(run.jobs.map((job) => [job.key, job.result]));
