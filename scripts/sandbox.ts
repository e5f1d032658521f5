// A sample environment for running the actions by hand or in the CI self-test: a sample monorepo, a
// GitOps remote with a clone, a Kubernetes API server whose `dev` cluster follows the remote (every
// commit is rendered with `kubectl kustomize`, applied, and a changed Deployment is rolled out step by
// step, as its controller would, once a client watches), and a sample service, all on 127.0.0.1, kept running in the background
// until `stop`. The Deployments' states are recorded, with whether a client was watching each.
//   node scripts/sandbox.ts start          # prints SANDBOX_* variables (GITHUB_ENV format) once everything is up
//   node scripts/sandbox.ts rollout NAME   # prints the rollout of Deployment NAME (GITHUB_OUTPUT format)
//   node scripts/sandbox.ts stop
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '@shiprail/core';
import { createGitopsRemote, createSampleMonorepo } from '@shiprail/rehearsal';
import { Reconciler, startKubeApiServer, text, type KubeApiServer } from '@shiprail/rehearsal/kube';
import { startSampleService } from '@shiprail/rehearsal/servers';

const stateDir = join(process.env['RUNNER_TEMP'] ?? tmpdir(), 'shiprail-sandbox');
const envFile = join(stateDir, 'env');
const pidFile = join(stateDir, 'pid');
const statesFile = join(stateDir, 'deployment-states.jsonl');

/** The dev overlay's namespace, where its Deployments run. */
const NAMESPACE = 'shop-dev';
/**
 * Between the states of a rollout: long enough for the 50 ms recorder to see each one. The rollout waits
 * after its spec change until a client watches, so however long the steps before rollout-wait take on a
 * busy machine, the watch sees the rollout progress.
 */
const ROLLOUT_STEP_MS = 1_000;

/** One state of a Deployment as the API server held it, and whether a client was watching. */
export interface DeploymentRecord {
  name: string;
  image: string;
  revision: string;
  complete: boolean;
  watched: boolean;
}

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

function recordOf(server: KubeApiServer, object: Record<string, unknown>): DeploymentRecord {
  const metadata = object['metadata'] as { name: string; generation?: number; annotations?: Record<string, string> };
  const spec = object['spec'] as { replicas?: number; template: { spec: { containers: Array<{ image: string }> } } };
  const status = (object['status'] ?? {}) as Record<string, unknown>;
  const wanted = spec.replicas ?? 1;
  return {
    name: metadata.name,
    image: spec.template.spec.containers[0]?.image ?? '',
    revision: metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '',
    complete:
      count(status['observedGeneration']) >= (metadata.generation ?? 1) &&
      count(status['updatedReplicas']) === wanted &&
      count(status['replicas']) === wanted &&
      count(status['availableReplicas']) === wanted,
    watched: server.openWatches() > 0,
  };
}

/** Appends every new state of the namespace's Deployments to the states file. */
function recordDeploymentStates(server: KubeApiServer): NodeJS.Timeout {
  const last = new Map<string, string>();
  return setInterval(() => {
    for (const object of server.list('deployments', NAMESPACE)) {
      const key = text(object.metadata['name']);
      const state = JSON.stringify([object['spec'], object['status'], object.metadata['generation']]);
      if (last.get(key) === state) continue;
      last.set(key, state);
      appendFileSync(statesFile, `${JSON.stringify(recordOf(server, object))}\n`);
    }
  }, 50);
}

async function serve(): Promise<void> {
  const monorepo = await createSampleMonorepo(join(stateDir, 'monorepo'));
  const gitops = await createGitopsRemote({ directory: join(stateDir, 'gitops') });
  const clone = join(stateDir, 'gitops-clone');
  execFileSync('git', ['clone', '--quiet', gitops.remoteUrl, clone]);
  const kube = await startKubeApiServer();
  const recording = recordDeploymentStates(kube);
  const cluster = new Reconciler({
    repository: gitops.path,
    branch: gitops.branch,
    environments: [{ name: 'dev', server: kube, namespace: NAMESPACE, overlay: 'overlays/dev' }],
    stepMs: ROLLOUT_STEP_MS,
    progressWhen: (server) => server.openWatches() > 0,
  });
  // The cluster has long run the remote's first commit.
  await cluster.restore(
    execFileSync('git', ['--git-dir', gitops.path, 'rev-parse', gitops.branch], { encoding: 'utf8' }).trim(),
  );
  cluster.start();
  const service = await startSampleService();
  const variables = {
    SANDBOX_MONOREPO: monorepo.path,
    SANDBOX_MONOREPO_BASE: monorepo.base,
    SANDBOX_GITOPS_CLONE: clone,
    SANDBOX_KUBECONFIG: Buffer.from(kube.kubeconfig).toString('base64'),
    SANDBOX_SERVICE_URL: service.url,
  };
  writeFileSync(
    envFile,
    Object.entries(variables)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
  const stop = async (): Promise<void> => {
    clearInterval(recording);
    await cluster.stop();
    await Promise.allSettled([kube.stop(), service.stop()]);
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // Stays alive until stopped.
  setInterval(() => undefined, 60_000);
}

async function start(): Promise<void> {
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const log = openSync(join(tmpdir(), 'shiprail-sandbox.log'), 'w');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
  for (let waited = 0; !existsSync(envFile); waited += 100) {
    if (waited > 60_000 || child.exitCode !== null) {
      throw new Error(`the sandbox did not start; see ${join(tmpdir(), 'shiprail-sandbox.log')}`);
    }
    await sleep(100);
  }
  process.stdout.write(readFileSync(envFile, 'utf8'));
}

/**
 * The rollout of a Deployment as `image`, `revision` (now), `watched` (how many states on the way to the
 * new revision that the API server held while a client was watching) and `complete`.
 */
function rollout(name: string): void {
  const records = readFileSync(statesFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DeploymentRecord)
    .filter((record) => record.name === name);
  const now = records.at(-1);
  if (now === undefined) throw new Error(`the sandbox has no Deployment ${name}`);
  const steps = records.filter((record) => record.revision === now.revision && !record.complete && record.watched);
  const lines = [
    `image=${now.image}`,
    `revision=${now.revision}`,
    `complete=${String(now.complete)}`,
    `watched=${steps.length}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function stop(): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  for (let waited = 0; existsSync(stateDir) && waited < 10_000; waited += 100) await sleep(100);
}

const command = process.argv[2];
if (command === 'serve') await serve();
else if (command === 'start') await start();
else if (command === 'rollout') rollout(process.argv[3] ?? '');
else if (command === 'stop') await stop();
else {
  console.error('usage: sandbox.ts start | rollout NAME | stop');
  process.exitCode = 2;
}
