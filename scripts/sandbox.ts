// A sample environment for running the actions by hand or in the CI self-test: a sample monorepo, a
// GitOps remote with a clone, a Kubernetes API server with a healthy Deployment, and a sample service,
// all on 127.0.0.1, kept running in the background until `stop`.
//   node scripts/sandbox.ts start   # prints SANDBOX_* variables (GITHUB_ENV format) once everything is up
//   node scripts/sandbox.ts stop
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '@shiprail/core';
import { createGitopsRemote, createSampleMonorepo } from '@shiprail/rehearsal';
import { startKubeApiServer, seedDeployment } from '@shiprail/rehearsal/kube';
import { startSampleService } from '@shiprail/rehearsal/servers';

const stateDir = join(process.env['RUNNER_TEMP'] ?? tmpdir(), 'shiprail-sandbox');
const envFile = join(stateDir, 'env');
const pidFile = join(stateDir, 'pid');

async function serve(): Promise<void> {
  const monorepo = await createSampleMonorepo(join(stateDir, 'monorepo'));
  const gitops = await createGitopsRemote({ directory: join(stateDir, 'gitops') });
  const clone = join(stateDir, 'gitops-clone');
  execFileSync('git', ['clone', '--quiet', gitops.remoteUrl, clone]);
  const kube = await startKubeApiServer();
  seedDeployment(kube, 'api', `${gitops.images[0] ?? 'ghcr.io/acme/api'}:0.1.0`);
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
else if (command === 'stop') await stop();
else {
  console.error('usage: sandbox.ts start|stop');
  process.exitCode = 2;
}
