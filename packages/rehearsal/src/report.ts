// What a person reads: one line per job and step as they finish (with durations), a final table, and
// the report file (docs/rehearsal.md).
import { escapeUntrusted } from '@shiprail/core';
import { describeScanner } from './scanner/install.ts';
import type { World } from './world.ts';
import type { JobRecord, ProgressListener, StepRecord, WorkflowRunResult } from './workflow/workflow-run.ts';

export interface Report {
  scenario: string;
  /** The commit the last run was started for. */
  commit: string;
  jobs: Record<string, string>;
  environments: Record<string, Record<string, string>>;
  pushed: string[];
  /** The registry's tags by image (`<registry>/<repository>`): tag → the digest it names. */
  tags: Record<string, Record<string, string>>;
  /** What scanned the images: `Trivy <version>` (the installed Trivy), or `recorded reports`. */
  scan: string;
  gitops: string[];
  comment: string | null;
  /** What each job of the last run wrote to its summary, by job key (jobs that wrote nothing left out). */
  summaries: Record<string, string>;
  /** Each job's GITHUB_TOKEN scopes above none, by job key, as GitHub computes them. */
  permissions: Record<string, Record<string, string>>;
  /**
   * The environments whose cluster did not apply the GitOps branch's last commit, with why: kustomize's
   * words when the overlay does not render, the API server's when it refuses an object.
   */
  clusters: Record<string, string>;
  /** Each job's steps of the last run, by job key, in order: name (as shown) and conclusion. */
  steps: Record<string, Array<{ name: string; conclusion: string }>>;
}

/**
 * The report of a rehearsal once every run ended and the cluster settled: the last run's job results,
 * what each environment runs, what was pushed, the GitOps history and the pull request's comment.
 */
export async function assembleReport(
  scenario: string,
  commit: string,
  lastRun: WorkflowRunResult | undefined,
  world: Pick<World, 'running' | 'pushedImages' | 'registryTags' | 'gitopsHistory' | 'github' | 'unapplied' | 'scan'>,
  pullRequest: number,
): Promise<Report> {
  return {
    scenario,
    commit,
    jobs: Object.fromEntries((lastRun?.jobs ?? []).map((job) => [job.key, job.result])),
    environments: world.running(),
    pushed: await world.pushedImages(),
    tags: await world.registryTags(),
    scan: describeScanner(world.scan.scanner),
    gitops: await world.gitopsHistory(),
    comment: world.github.comments.get(pullRequest)?.[0]?.body ?? null,
    summaries: Object.fromEntries(
      (lastRun?.jobs ?? []).filter((job) => job.summary !== '').map((job) => [job.key, job.summary]),
    ),
    permissions: Object.fromEntries((lastRun?.jobs ?? []).map((job) => [job.key, job.permissions])),
    clusters: world.unapplied(),
    steps: Object.fromEntries(
      (lastRun?.jobs ?? [])
        .filter((job) => job.steps.length > 0)
        .map((job) => [job.key, job.steps.map(({ name, conclusion }) => ({ name, conclusion }))]),
    ),
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

const MARKS: Readonly<Record<string, string>> = { success: '✔', failure: '✘', skipped: '–', cancelled: '⊘' };

/**
 * Prints progress lines. What steps said (their errors and warnings, already redacted by the runner) is
 * repository and server content: each line of it is escaped so that it cannot start a workflow command.
 */
export function progressPrinter(write: (line: string) => void, multipleRuns: () => boolean): ProgressListener {
  const prefix = (run: number, job: JobRecord): string => `${multipleRuns() ? `run ${run} · ` : ''}${job.key}`;
  const untrusted = (text: string): string => text.split('\n').map(escapeUntrusted).join('\n      ');
  return {
    jobStarted: (run, job) => write(`▶ ${prefix(run, job)}: ${untrusted(job.name)}`),
    jobWaiting: (run, job, reason) => write(`… ${prefix(run, job)}: ${untrusted(reason)}`),
    stepFinished: (run, job, step: StepRecord) => {
      const name = untrusted(step.name);
      if (step.outcome === 'skipped') {
        write(`  – ${prefix(run, job)} › ${name} (skipped)`);
        return;
      }
      write(`  ${MARKS[step.conclusion] ?? '?'} ${prefix(run, job)} › ${name} ${seconds(step.durationMs)}`);
      for (const warning of step.warnings) write(`      warning: ${untrusted(warning)}`);
      if (step.outcome === 'failure') for (const error of step.errors) write(`      ${untrusted(error)}`);
    },
    jobFinished: (run, job) => {
      const note = job.note === '' ? '' : ` (${untrusted(job.note)})`;
      write(`${MARKS[job.result] ?? '?'} ${prefix(run, job)}: ${job.result} in ${seconds(job.durationMs)}${note}`);
    },
  };
}

/** The final table: one row per job of each run, in job graph order. */
export function jobTable(runs: ReadonlyArray<{ runId: number; jobs: readonly JobRecord[] }>): string {
  const rows = runs.flatMap((run) =>
    run.jobs.map((job) => [
      runs.length > 1 ? `run ${run.runId}` : '',
      job.key,
      `${MARKS[job.result] ?? '?'} ${job.result}`,
      seconds(job.durationMs),
      job.note,
    ]),
  );
  const header = [runs.length > 1 ? 'run' : '', 'job', 'result', 'time', 'note'];
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trim(),
    )
    .filter((line) => line !== '')
    .join('\n');
}
