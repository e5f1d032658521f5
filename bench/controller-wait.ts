// Benchmark: from Argo CD's decision on an Application (the status write that says our commit is synced
// and Healthy, or that its sync Failed) to the step's exit: rollout-wait (controller argocd, no
// workloads) against `kubectl wait --for=jsonpath=...` on the same object, both watching when the
// decision is written. The floor is Node's own start and exit (`node -e ''`) in the same run.
// Run: `npm run bench -- controller-wait` (bundle first: `npm run bundle -- rollout-wait`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { node24 } from '@shiprail/rehearsal/workflow';
import { startKubeApiServer, type KubeApiServer } from '@shiprail/rehearsal/kube';
import { application, applicationStatus, type ApplicationState } from '@shiprail/rehearsal/kube';
import { median, timeNode } from './lib/timing.ts';

const REPO = 'https://git.example.com/acme/gitops.git';
const ROUNDS = 7;
const ms = (value: number): string => `${Math.round(value)} ms`;

interface StepRun {
  exitCode: number;
  exitedAt: number;
  /** When the step printed its verdict (the line after the wait ends). */
  verdictAt: number;
  stdout: string;
}

function runStep(inputs: Record<string, string>): Promise<StepRun> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(node24, [join(repoRoot, 'dist', 'rollout-wait', 'index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  let verdictAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (verdictAt === 0 && /The controller applied|::error::/.test(stdout)) verdictAt = Date.now();
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ exitCode: code ?? 1, exitedAt: Date.now(), verdictAt, stdout })),
  );
}

/** Real kubectl with the server's kubeconfig: its exit code and when it exited. (The test kit needs jest.) */
function kubectl(kubeconfig: string, args: readonly string[]): Promise<{ exitCode: number; exitedAt: number }> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: 'ignore' });
  return new Promise((resolve) => child.on('close', (code) => resolve({ exitCode: code ?? 1, exitedAt: Date.now() })));
}

const sha = (round: number, which: number): string => `${round}${which}`.padEnd(40, '0');

function write(server: KubeApiServer, name: string, state: ApplicationState): number {
  server.update('applications', 'argocd', name, (object) => {
    object['status'] = applicationStatus(state);
  });
  return Date.now();
}

async function untilAnnotated(server: KubeApiServer, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const annotations = server.get('applications', 'argocd', name)?.metadata['annotations'] as
      Record<string, string> | undefined;
    if (annotations?.['argocd.argoproj.io/refresh'] !== undefined) return;
    if (Date.now() > deadline) throw new Error('rollout-wait never asked for a refresh');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Round {
  action: number;
  verdict: number;
  /** kubectl wait's exit after the decision; undefined when it timed out. */
  kubectl: number | undefined;
}

/** One round: both watch the Application; Argo CD then decides; each one's exit after the decision. */
async function round(server: KubeApiServer, index: number, outcome: 'Succeeded' | 'Failed'): Promise<Round> {
  const name = `shop-${index}`;
  const [older, ours] = [sha(index, 1), sha(index, 2)];
  server.apply({
    ...application({ name, sources: [{ repoURL: REPO, path: `overlays/${name}` }] }),
    status: applicationStatus({
      revisions: [older],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [older], phase: 'Succeeded' },
    }),
  });
  const watchesBefore = server.openWatches();
  const step = runStep({
    kubeconfig: server.kubeconfig,
    controller: 'argocd',
    'gitops-commit': ours,
    'gitops-paths': `overlays/${name}`,
    'gitops-repository': REPO,
    timeout: '2m',
    'fail-fast': 'true',
  });
  const viaKubectl = kubectl(server.kubeconfigPath, [
    'wait',
    '-n',
    'argocd',
    `application/${name}`,
    `--for=jsonpath={.status.operationState.syncResult.revision}=${ours}`,
    `--timeout=${outcome === 'Failed' ? 3 : 60}s`,
  ]);
  await untilAnnotated(server, name);
  while (server.openWatches() < watchesBefore + 2) await new Promise((resolve) => setTimeout(resolve, 10));
  write(server, name, {
    revisions: [ours],
    syncStatus: 'OutOfSync',
    health: 'Healthy',
    operation: { revisions: [older], phase: 'Succeeded' },
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const decidedAt = write(
    server,
    name,
    outcome === 'Succeeded'
      ? {
          revisions: [ours],
          syncStatus: 'Synced',
          health: 'Healthy',
          operation: { revisions: [ours], phase: 'Succeeded' },
        }
      : {
          revisions: [ours],
          syncStatus: 'OutOfSync',
          health: 'Healthy',
          operation: {
            revisions: [ours],
            phase: 'Failed',
            message: 'one or more objects failed to apply, reason: admission webhook denied the request',
          },
        },
  );
  const [actionRun, kubectlRun] = await Promise.all([step, viaKubectl]);
  const expected = outcome === 'Succeeded' ? 0 : 1;
  if (actionRun.exitCode !== expected)
    throw new Error(`rollout-wait exited ${actionRun.exitCode}:\n${actionRun.stdout}`);
  return {
    action: actionRun.exitedAt - decidedAt,
    verdict: actionRun.verdictAt - decidedAt,
    kubectl: kubectlRun.exitCode === 0 ? kubectlRun.exitedAt - decidedAt : undefined,
  };
}

const floor = median(
  Array.from({ length: ROUNDS }, () => timeNode(['-e', ''], { env: { PATH: process.env['PATH'] ?? '' } }).wallMs),
);
const server = await startKubeApiServer({ bookmarkIntervalMs: 1000 });
try {
  const synced: Round[] = [];
  for (let index = 1; index <= ROUNDS; index += 1) synced.push(await round(server, index, 'Succeeded'));
  const failed: Round[] = [];
  for (let index = 1; index <= 3; index += 1) failed.push(await round(server, 100 + index, 'Failed'));
  const action = median(synced.map((entry) => entry.action));
  const viaKubectl = median(synced.map((entry) => entry.kubectl ?? Number.NaN));
  console.log(`floor: node -e '' start to exit ${ms(floor)} (median of ${ROUNDS})`);
  console.log(`\nArgo CD writes "synced to our commit, Healthy" (median of ${ROUNDS}); decision -> exit:`);
  console.log(
    `  rollout-wait (controller: argocd)             ${ms(action)}   ${(action / floor).toFixed(2)}x the floor`,
  );
  console.log(
    `  kubectl wait --for=jsonpath=...revision=<sha> ${ms(viaKubectl)}   ${(viaKubectl / floor).toFixed(2)}x the floor`,
  );
  console.log(
    `  of which rollout-wait's verdict (its log line): ${ms(median(synced.map((entry) => entry.verdict)))}; the rest is Node ending the process`,
  );
  console.log(`  ratio (rollout-wait / kubectl wait): ${(action / viaKubectl).toFixed(2)}x`);
  const failedAction = median(failed.map((entry) => entry.action));
  console.log(`\nArgo CD writes "sync of our commit Failed" (median of ${failed.length}); decision -> exit:`);
  console.log(
    `  rollout-wait, failing with Argo CD's message  ${ms(failedAction)}   ${(failedAction / floor).toFixed(2)}x the floor`,
  );
  console.log(`    of which the verdict (its ::error:: line): ${ms(median(failed.map((entry) => entry.verdict)))}`);
  const falsePasses = failed.filter((entry) => entry.kubectl !== undefined);
  console.log(
    falsePasses.length > 0
      ? `  kubectl wait: exited 0 in ${falsePasses.length} of ${failed.length} (a false pass: the failed sync carries the revision too)`
      : '  kubectl wait: no exit until its own timeout (it has no failure to read)',
  );
} finally {
  await server.stop();
}
