// What a person reads: one line per job and step as they finish (with durations), a final table, and
// the report file (SPEC, "Rehearsal").
import type { JobRecord, ProgressListener, StepRecord } from './runner.ts';

export interface Report {
  scenario: string;
  jobs: Record<string, string>;
  environments: Record<string, Record<string, string>>;
  pushed: string[];
  gitops: string[];
  comment: string | null;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

const MARKS: Readonly<Record<string, string>> = { success: '✔', failure: '✘', skipped: '–', cancelled: '⊘' };

/** Prints progress lines; every line goes through `redact` (secrets never reach the terminal). */
export function progressPrinter(
  write: (line: string) => void,
  redact: (text: string) => string,
  multipleRuns: () => boolean,
): ProgressListener {
  const prefix = (run: number, job: JobRecord): string => `${multipleRuns() ? `run ${run} · ` : ''}${job.key}`;
  const print = (line: string): void => write(redact(line));
  return {
    jobStarted: (run, job) => print(`▶ ${prefix(run, job)}: ${job.name}`),
    jobWaiting: (run, job, reason) => print(`… ${prefix(run, job)}: ${reason}`),
    stepFinished: (run, job, step: StepRecord) => {
      if (step.outcome === 'skipped') {
        print(`  – ${prefix(run, job)} › ${step.name} (skipped)`);
        return;
      }
      print(`  ${MARKS[step.conclusion] ?? '?'} ${prefix(run, job)} › ${step.name} ${seconds(step.durationMs)}`);
      for (const warning of step.warnings) print(`      warning: ${warning}`);
      if (step.outcome === 'failure')
        for (const error of step.errors) print(`      ${error.split('\n').join('\n      ')}`);
    },
    jobFinished: (run, job) =>
      print(
        `${MARKS[job.result] ?? '?'} ${prefix(run, job)}: ${job.result} in ${seconds(job.durationMs)}${job.note ? ` (${job.note})` : ''}`,
      ),
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
