// 20 workflow runs bump 20 different images of the same branch at once (the bundled action, one
// process each, against a bare remote): total time and the attempts each needed, against one bump
// alone measured in the same run.
import { createGitopsRemote, commitsOf, type GitopsRemote } from '@shiprail/rehearsal';
import { runBundledAction, type ActionRun } from '@shiprail/rehearsal/workflow';
import { median } from './lib/timing.ts';

const CONCURRENT = 20;
const SERVICES = Array.from({ length: CONCURRENT }, (_, index) => `svc${String(index + 1).padStart(2, '0')}`);
const OVERLAYS = 'overlays/dev\noverlays/staging';

function bump(remote: GitopsRemote, service: string, tag: string): Promise<ActionRun> {
  return runBundledAction('kustomize-bump', {
    inputs: {
      repository: remote.remoteUrl,
      token: '',
      overlays: OVERLAYS,
      images: `ghcr.io/acme/${service}:${tag}`,
      'max-attempts': '30',
      verify: 'false',
    },
    timeoutMs: 300_000,
  });
}

function attemptsOf(run: ActionRun): number {
  const match = /on attempt (\d+) of/.exec(run.stdout);
  if (run.exitCode !== 0 || match?.[1] === undefined) throw new Error(`a bump failed: ${run.errors.join('; ')}`);
  return Number(match[1]);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const remote = await createGitopsRemote({ images: SERVICES, overlays: ['dev', 'staging'] });
try {
  // Baseline: one bump alone, three times (each a real change), median.
  const singles: number[] = [];
  for (const tag of ['1.0.0', '1.0.1', '1.0.2']) {
    const [run, ms] = await timed(() => bump(remote, 'svc01', tag));
    attemptsOf(run);
    singles.push(ms);
  }
  const single = median(singles);

  const [runs, total] = await timed(() =>
    Promise.all(SERVICES.map((service, index) => bump(remote, service, `2.0.${index}`))),
  );
  const attempts = runs.map(attemptsOf).sort((a, b) => a - b);
  const commits = await commitsOf(remote.path, 'main');

  console.log(`single bump (median of 3):        ${seconds(single)}`);
  console.log(`${CONCURRENT} concurrent bumps, total:     ${seconds(total)}`);
  console.log(`ratio total / single:             ${(total / single).toFixed(1)}x`);
  console.log(`ratio total / (${CONCURRENT} x single):      ${(total / (CONCURRENT * single)).toFixed(2)}`);
  console.log(`attempts per bump (sorted):       ${attempts.join(' ')}`);
  console.log(
    `attempts: mean ${(attempts.reduce((sum, value) => sum + value, 0) / attempts.length).toFixed(1)}, ` +
      `median ${median(attempts)}, max ${Math.max(...attempts)}; first-try pushes ${attempts.filter((value) => value === 1).length}/${CONCURRENT}`,
  );
  console.log(`commits on main: ${commits.length} (1 initial + 3 baseline + ${commits.length - 4} concurrent)`);
  if (commits.length !== 4 + CONCURRENT) throw new Error('some concurrent bump did not land');
} finally {
  await remote.stop();
}
