// Timing helpers the benchmarks share.
import { spawnSync } from 'node:child_process';
import { node24 } from '@shiprail/rehearsal/workflow';

/** The middle value (the upper one of an even count); NaN for none. */
export const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export interface Timing {
  /** Wall time from spawn to exit. */
  wallMs: number;
  /** User + system CPU time of the Node process: far less disturbed by other load on the machine. */
  cpuMs: number;
}

/** The shell's `times` prints its children's user and system time on its second line. */
function childCpuMs(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
}

/** Node 24 run with `args`, spawn to exit, its output discarded. */
export function timeNode(args: readonly string[], options: { cwd?: string; env: Record<string, string> }): Timing {
  return timeCommand(node24, args, options);
}

/**
 * Any program run with `args`, spawn to exit (CPU time: its own and its children's), its output discarded.
 * A run that fails throws: its time would be a figure of something else.
 */
export function timeCommand(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env: Record<string, string> },
): Timing {
  const started = performance.now();
  const shell = spawnSync(
    '/bin/sh',
    ['-c', '"$@" >/dev/null 2>&1; status=$?; times; exit $status', 'sh', file, ...args],
    {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env,
      encoding: 'utf8',
    },
  );
  if (shell.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit status ${shell.status ?? shell.signal}`);
  return { wallMs: performance.now() - started, cpuMs: childCpuMs(shell.stdout) };
}
