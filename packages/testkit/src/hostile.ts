// The promises every action keeps when its input is hostile or its server is faulty, asserted on a run of
// the bundle: one `::error`, exit code 1, an end in bounded time, no secret anywhere, nothing left behind.
import { expect } from '@jest/globals';
import type { ActionRun } from './harness.ts';

export interface ContainedFailureExpectations {
  /** Values that must appear nowhere: log, summary, outputs. */
  secrets?: readonly string[];
  /** The run must have ended within this many milliseconds. */
  withinMs: number;
  /** Files the action may leave in RUNNER_TEMP by design (e.g. a report it names in an output). */
  allowedLeftovers?: readonly RegExp[];
  /** A command planted in hostile input (e.g. `::warning::INJECTED`): no line of the log may start with it. */
  plantedCommand?: string;
}

const COMMAND_LINE = /^\s*(::|##\[)/;
const OWN_COMMANDS = /^::(error|warning|notice|debug|add-mask|group|endgroup)\b/;

export function expectContainedFailure(run: ActionRun, expectations: ContainedFailureExpectations): void {
  const where = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect({ exitCode: run.exitCode, errors: run.errors.length, where }).toEqual({ exitCode: 1, errors: 1, where });
  expect(run.durationMs).toBeLessThan(expectations.withinMs);
  // `::add-mask::` lines hand a secret to the runner so that it never shows it: they are not a leak.
  const log = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const shown = [log, run.stderr, run.summary, ...Object.values(run.outputs)].join('\n');
  for (const secret of expectations.secrets ?? []) expect(shown).not.toContain(secret);
  const allowed = expectations.allowedLeftovers ?? [];
  expect(run.leftoverTempFiles.filter((path) => !allowed.some((pattern) => pattern.test(path)))).toEqual([]);
  // Lines the runner would read as commands: only the kinds the actions issue, none planted by the input.
  const commands = run.stdout.split('\n').filter((line) => COMMAND_LINE.test(line));
  expect(commands.filter((line) => !OWN_COMMANDS.test(line))).toEqual([]);
  const planted = expectations.plantedCommand;
  if (planted !== undefined) expect(commands.filter((line) => line.trimStart().startsWith(planted))).toEqual([]);
}
