// Start-up of every action's bundle: process start to exit under Node 24, as the runner starts it, with
// no inputs, so that each action stops at its first input (a configuration error) before any work. What
// that costs over Node itself is what compiling and evaluating the bundle adds to every step. The floor is
// `node -e ''` on the same Node, measured in the same run, interleaved with the bundles so that a change
// of load on the machine touches all alike; the figures that matter are the ratios to it and the time
// added on top of it. The size is the JavaScript the runner loads at start (dist/<action>/index.js);
// chunks loaded later, on first use, are listed beside it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listActions, repoRoot } from '@shiprail/rehearsal/action-metadata';
import { node24 } from '@shiprail/rehearsal/workflow';
import { median, timeNode, type Timing } from './lib/timing.ts';

const ROUNDS = 9;

// An empty folder outside any git repository, and no runner variables: every action stops at its inputs.
const workspace = mkdtempSync(join(tmpdir(), 'start-up-bench-'));

const timeProcess = (args: readonly string[]): Timing =>
  timeNode(args, { cwd: workspace, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

interface Target {
  label: string;
  args: string[];
  /** The bundle's main file and the chunks beside it, for the size columns. */
  size?: { main: number; chunks: number };
}

function bundleTarget(id: string): Target {
  const dir = join(repoRoot, 'dist', id);
  const scripts = readdirSync(dir).filter((name) => name.endsWith('.js'));
  const sizeOf = (name: string): number => statSync(join(dir, name)).size;
  return {
    label: id,
    args: [join(dir, 'index.js')],
    size: {
      main: sizeOf('index.js'),
      chunks: scripts.filter((name) => name !== 'index.js').reduce((sum, name) => sum + sizeOf(name), 0),
    },
  };
}

const requested = process.argv.slice(2);
const actions = requested.length > 0 ? requested : listActions();
const targets: Target[] = [{ label: "node -e '' (the floor)", args: ['-e', ''] }, ...actions.map(bundleTarget)];

try {
  for (const target of targets) timeProcess(target.args); // warm the file cache
  const samples = targets.map(() => [] as Timing[]);
  for (let round = 0; round < ROUNDS; round += 1)
    targets.forEach((target, index) => samples[index]?.push(timeProcess(target.args)));
  const timings = samples.map((runs) => ({
    wallMs: median(runs.map((run) => run.wallMs)),
    cpuMs: median(runs.map((run) => run.cpuMs)),
  }));
  const floor = timings[0] ?? { wallMs: Number.NaN, cpuMs: Number.NaN };
  console.log(
    `median of ${ROUNDS} runs, spawn to exit of Node ${spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim()}, no inputs (each bundle stops at its first input); cpu = user + system time of that process`,
  );
  console.log('(ratios and additions against the floor; size = index.js, and the chunks loaded on first use)');
  const figures = (timing: Timing, key: keyof Timing, what: string): string =>
    `${what} ${timing[key].toFixed(0).padStart(4)} ms (${(timing[key] / floor[key]).toFixed(2)}x, +${(timing[key] - floor[key]).toFixed(0).padStart(3)})`;
  targets.forEach((target, index) => {
    const timing = timings[index] ?? floor;
    const size = target.size ? `${kib(target.size.main).padStart(9)} + ${kib(target.size.chunks).padStart(8)}` : '';
    console.log(
      `  ${target.label.padEnd(24)} ${figures(timing, 'wallMs', 'wall')}  ${figures(timing, 'cpuMs', 'cpu')}  ${size}`,
    );
  });
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
