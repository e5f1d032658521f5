// Benchmark: 50 Deployments rolling out in parallel on the test API server. How long after the final
// status event does the step exit: rollout-wait (one step watching all 50) against `kubectl rollout status`
// run for each Deployment in turn, as a deploy script does, on the same server in the same run. Then the
// same for one Deployment watched by both at once. Run: `npm run bench -- rollout-wait`
// (bundle first: `npm run bundle -- rollout-wait`).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { node24 } from '@shiprail/rehearsal/workflow';
import {
  startKubeApiServer,
  type KubeApiServer,
  deploymentRollout,
  playScenario,
  seedDeployment,
} from '@shiprail/rehearsal/kube';
import { kubectl, waitForWatches } from '@shiprail/testkit';
import { spawn } from 'node:child_process';
import { median } from './lib/timing.ts';

const COUNT = 50;
const STEP_MS = 100;
const names = Array.from({ length: COUNT }, (_, index) => `svc-${String(index).padStart(2, '0')}`);

/** Runs the committed bundle as the runner does (INPUT_* variables), resolving at the process's exit. */
function runStep(
  inputs: Record<string, string>,
): Promise<{ exitCode: number; exitedAt: number; decidedAt: number; stdout: string }> {
  const all = {
    kubeconfig: '',
    context: '',
    namespace: '',
    images: '',
    'fail-fast': 'true',
    rollback: 'false',
    'accept-paused': 'false',
    ...inputs,
  };
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' };
  for (const [name, value] of Object.entries(all)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(node24, [join(repoRoot, 'dist', 'rollout-wait', 'index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  let decidedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (decidedAt === 0 && stdout.includes('rollouts finished')) decidedAt = Date.now();
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ exitCode: code ?? 1, exitedAt: Date.now(), decidedAt, stdout })),
  );
}

const ms = (value: number): string => `${Math.round(value)} ms`;

/** Puts every Deployment at `from`, then starts the change to `to` (spec not yet observed). */
function prepare(server: KubeApiServer, from: string, to: string): void {
  for (const name of names) {
    seedDeployment(server, name, `${name}:${from}`);
    const [first] = deploymentRollout({ name, from: `${name}:${from}`, to: `${name}:${to}` });
    first?.run(server);
  }
}

/** Plays the rest of every rollout, staggered; resolves with the time of the last status event. */
async function rollAll(server: KubeApiServer, from: string, to: string): Promise<number> {
  const finals = await Promise.all(
    names.map((name, index) =>
      playScenario(server, [
        { afterMs: index * 20, run: () => undefined },
        ...deploymentRollout({ name, from: `${name}:${from}`, to: `${name}:${to}`, stepMs: STEP_MS }).slice(1),
      ]),
    ),
  );
  return Math.max(...finals);
}

async function fiftyWithRolloutWait(server: KubeApiServer): Promise<{ reaction: number; total: number }> {
  prepare(server, '1', '2');
  const started = Date.now();
  const step = runStep({
    kubeconfig: server.kubeconfig,
    resources: names.map((name) => `deployment/${name}`).join('\n'),
    timeout: '5m',
  });
  await waitForWatches(server, COUNT * 2, 60_000);
  const finalAt = await rollAll(server, '1', '2');
  const { exitCode, exitedAt, stdout } = await step;
  if (exitCode !== 0) throw new Error(`rollout-wait did not succeed:\n${stdout}`);
  return { reaction: exitedAt - finalAt, total: exitedAt - started };
}

async function fiftyWithKubectl(server: KubeApiServer): Promise<{ reaction: number; total: number }> {
  prepare(server, '2', '3');
  const started = Date.now();
  const loop = (async () => {
    for (const name of names) {
      const result = await kubectl(server.kubeconfigPath, [
        'rollout',
        'status',
        `deployment/${name}`,
        '--timeout',
        '5m',
      ]);
      if (result.exitCode !== 0) throw new Error(`kubectl failed for ${name}: ${result.stderr}`);
    }
    return Date.now();
  })();
  await waitForWatches(server, 1, 60_000);
  const finalAt = await rollAll(server, '2', '3');
  const exitedAt = await loop;
  return { reaction: exitedAt - finalAt, total: exitedAt - started };
}

/** One Deployment watched by both at once: the same final event, two exits. */
async function oneDeployment(
  server: KubeApiServer,
  round: number,
): Promise<{ action: number; decided: number; kubectl: number }> {
  const name = 'solo';
  const [from, to] = [`solo:${round}`, `solo:${round + 1}`];
  seedDeployment(server, name, from);
  const steps = deploymentRollout({ name, from, to, stepMs: STEP_MS });
  steps[0]?.run(server);
  const watchesBefore = server.openWatches();
  const action = runStep({ kubeconfig: server.kubeconfig, resources: `deployment/${name}`, timeout: '2m' });
  const viaKubectl = kubectl(server.kubeconfigPath, [
    'rollout',
    'status',
    `deployment/${name}`,
    '--timeout',
    '2m',
  ]).then((result) => result.exitedAt);
  await waitForWatches(server, watchesBefore + 3, 60_000);
  const finalAt = await playScenario(server, steps.slice(1));
  const [actionRun, kubectlExit] = await Promise.all([action, viaKubectl]);
  return {
    action: actionRun.exitedAt - finalAt,
    decided: actionRun.decidedAt - finalAt,
    kubectl: kubectlExit - finalAt,
  };
}

const server = await startKubeApiServer({ bookmarkIntervalMs: 1000 });
try {
  const bundle = join(repoRoot, 'dist', 'rollout-wait', 'index.js');
  console.log(`bundle dist/rollout-wait/index.js: ${(statSync(bundle).size / 1024 / 1024).toFixed(1)} MB`);

  const action = await fiftyWithRolloutWait(server);
  const loop = await fiftyWithKubectl(server);
  console.log(`\n${COUNT} Deployments rolling out in parallel (staggered by 20 ms, ${STEP_MS} ms per state):`);
  console.log(`  rollout-wait (one step, all ${COUNT} watched in parallel)`);
  console.log(`    final status event -> step exit: ${ms(action.reaction)}   step start -> exit: ${ms(action.total)}`);
  console.log(`  kubectl rollout status, one Deployment after another`);
  console.log(`    final status event -> last exit: ${ms(loop.reaction)}   start -> exit: ${ms(loop.total)}`);
  console.log(`  ratio (kubectl loop / rollout-wait), reaction: ${(loop.reaction / action.reaction).toFixed(2)}x`);

  const rounds: Array<{ action: number; decided: number; kubectl: number }> = [];
  for (let round = 1; round <= 5; round += 1) rounds.push(await oneDeployment(server, round * 10));
  const actionReaction = median(rounds.map((round) => round.action));
  const kubectlReaction = median(rounds.map((round) => round.kubectl));
  console.log(`\nOne Deployment, both watching the same rollout (median of ${rounds.length}):`);
  console.log(
    `  final status event -> exit: rollout-wait ${ms(actionReaction)}, kubectl rollout status ${ms(kubectlReaction)}`,
  );
  console.log(
    `  of which rollout-wait's verdict (last log line): ${ms(median(rounds.map((round) => round.decided)))}; the rest is Node ending the process`,
  );
  console.log(`  ratio (rollout-wait / kubectl): ${(actionReaction / kubectlReaction).toFixed(2)}x`);
} finally {
  await server.stop();
}
