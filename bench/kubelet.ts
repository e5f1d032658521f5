// kubelet: time from a pod template to a pod that answers (pull by digest, image unpacked, the container's
// copy of its root, its own network namespace, process started, readiness), against the floor of the same
// image run by hand with buildah in the same run: `buildah pull` + `buildah from` + `buildah run --isolation
// chroot` on the host's network, until its HTTP server answers. Each round starts from an empty store, so
// both pull; rounds interleave the two so that load on the machine touches both alike. Three kubelet
// figures: a pod without a probe (ready once started; then polled until it answers, as the floor is), a
// second pod of the same image (what every later start of a rollout costs: the image is present), and one
// with an httpGet readiness probe every second, the shortest period Kubernetes allows.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kubelet } from '@shiprail/rehearsal/kubelet';
import { freePort, waitForHttp } from '@shiprail/rehearsal/servers';
import { buildTestImages, REGISTRY_PASSWORD, REGISTRY_USER } from '../test/rehearsal/kubelet-images.ts';
import { median } from './lib/timing.ts';

const ROUNDS = 5;
const run = promisify(execFile);

if (process.getuid?.() !== 0) {
  console.log('kubelet: needs root (a network namespace per pod); skipped');
  process.exit(0);
}

const images = await buildTestImages();
const image = images.byDigest.web;

/** The floor: pull, from, run by hand; until the server answers. */
async function byHand(round: number): Promise<number> {
  const env = { ...process.env, ...images.storageEnv(`hand-${round}`) };
  const port = await freePort();
  const started = performance.now();
  const global = ['--storage-driver', 'vfs'];
  await run(
    'buildah',
    [...global, 'pull', '--quiet', '--tls-verify=false', '--creds', `${REGISTRY_USER}:${REGISTRY_PASSWORD}`, image],
    { env },
  );
  const { stdout } = await run('buildah', [...global, 'from', '--quiet', '--pull=never', image], { env });
  const container = stdout.trim();
  const child = spawn(
    'buildah',
    [
      ...global,
      'run',
      '--isolation',
      'chroot',
      container,
      '--',
      '/bin/busybox',
      'httpd',
      '-f',
      '-p',
      `127.0.0.1:${port}`,
      '-h',
      '/www',
    ],
    { env, stdio: 'ignore', detached: true },
  );
  const answered = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 60_000 });
  const elapsed = performance.now() - started;
  const exited = new Promise((resolve) => child.once('close', resolve));
  process.kill(-(child.pid ?? 0), 'SIGTERM');
  await exited;
  await run('buildah', [...global, 'rm', container], { env });
  if (answered !== 'ready') throw new Error(`by hand: ${answered}`);
  return elapsed;
}

/** The first pod's time until it answers, then a second pod's of the same template. */
async function withKubelet(round: number, probe: boolean): Promise<[first: number, second: number]> {
  const directory = mkdtempSync(join(tmpdir(), 'kubelet-bench-'));
  const kubelet = new Kubelet({
    directory,
    env: images.storageEnv(`kubelet-${probe ? 'probe' : 'plain'}-${round}`),
    registries: [{ host: images.registry.host, username: REGISTRY_USER, password: REGISTRY_PASSWORD }],
  });
  const answered = async (): Promise<number> => {
    const started = performance.now();
    const pod = await kubelet.start({
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'app',
            image,
            command: ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'],
            ports: [{ containerPort: 8080 }],
            ...(probe ? { readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } } : {}),
          },
        ],
      },
    });
    const readiness = await pod.waitFor(60_000);
    if (!readiness.ready) throw new Error(`kubelet: ${readiness.reason}: ${readiness.message}`);
    if ((await waitForHttp(`http://${pod.address()}/`, { timeoutMs: 60_000 })) !== 'ready')
      throw new Error('no answer');
    return performance.now() - started;
  };
  try {
    const first = await answered();
    return [first, await answered()];
  } finally {
    await kubelet.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

try {
  const samples = { hand: [] as number[], plain: [] as number[], again: [] as number[], probe: [] as number[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    samples.hand.push(await byHand(round));
    const [plain, again] = await withKubelet(round, false);
    samples.plain.push(plain);
    samples.again.push(again);
    samples.probe.push((await withKubelet(round, true))[0]);
  }
  const floor = median(samples.hand);
  console.log(
    `median of ${ROUNDS} rounds, each from an empty vfs store; image ${image.replace(/@.*/, '')} (busybox-static, ~2 MB)`,
  );
  const line = (label: string, values: number[]): void => {
    const value = median(values);
    console.log(
      `  ${label.padEnd(58)} ${value.toFixed(0).padStart(5)} ms  (${(value / floor).toFixed(2)}x, +${(value - floor).toFixed(0)} ms)`,
    );
  };
  line('buildah pull + from + run until it answers (the floor)', samples.hand);
  line('kubelet: pod without probe, until it answers', samples.plain);
  line('kubelet: a second pod of the same image, until it answers', samples.again);
  line('kubelet: pod with an httpGet probe every 1 s, until ready', samples.probe);
} finally {
  await images.cleanUp();
}
