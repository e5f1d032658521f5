// The kubelet: pod templates read and refused as the API server would, command/args/env merged and expanded as
// Kubernetes does, probe thresholds; then real pods from images pushed to a real registry: two pods on 8080
// at their own addresses, readiness probes that pass and fail, an entrypoint that exits 1, an image that
// cannot be pulled, and how a container was started, read back from the container itself.
import { ConfigurationError } from '@shiprail/core';
import type { JsonObject, KubeApiServer } from '@shiprail/rehearsal/kube';
import {
  ClusterNode,
  containerProcess,
  effectiveEnvironment,
  expandReferences,
  Kubelet,
  KubeletReadiness,
  readPodTemplate,
  ReadinessTracker,
  templateReadinessOf,
  type PodHandle,
} from '@shiprail/rehearsal/kubelet';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goDuration } from '../../packages/rehearsal/src/kubelet/container-worker.ts';
import { overlappingRoutes, podNetworkAt, readPodNetworkRange } from '../../packages/rehearsal/src/kubelet/network.ts';
import {
  buildahError,
  makeDirectoryInside,
  readInspect,
  registryOf,
} from '../../packages/rehearsal/src/kubelet/runtime.ts';
import { buildTestImages, REGISTRY_PASSWORD, REGISTRY_USER, type TestImages } from './kubelet-images.ts';

const run = promisify(execFile);

const template = (containers: object[], extra: { name?: string; spec?: object } = {}) => ({
  metadata: { labels: { app: extra.name ?? 'web' } },
  spec: { containers, terminationGracePeriodSeconds: 5, ...extra.spec },
});

describe('pod templates', () => {
  it.each([
    [{ spec: { containers: [] } }, 'spec.containers: at least one container is required'],
    [template([{ name: 'app' }]), 'spec.containers[0].image: is required'],
    [template([{ name: 'App', image: 'x' }]), "spec.containers[0].name: 'App' is not a DNS label"],
    [
      template([{ name: 'app', image: 'x', command: 'serve' }]),
      'spec.containers[0].command: must be a list of strings',
    ],
    [
      template([{ name: 'app', image: 'x', readinessProbe: { httpGet: { port: 80 }, exec: { command: ['true'] } } }]),
      'spec.containers[0].readinessProbe: must specify exactly one of httpGet, tcpSocket, exec',
    ],
    [
      template([{ name: 'app', image: 'x', readinessProbe: { grpc: { port: 9000 } } }]),
      'spec.containers[0].readinessProbe.grpc: gRPC probes are not run here; use httpGet, tcpSocket or exec',
    ],
    [
      template([{ name: 'app', image: 'x', readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 0 } }]),
      'spec.containers[0].readinessProbe.periodSeconds: must be an integer of at least 1',
    ],
    [
      template([
        { name: 'app', image: 'x', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      ]),
      'spec.containers[0].env[0].valueFrom: only fieldRef is resolved here (no ConfigMaps, Secrets or resource fields)',
    ],
    [
      template([
        { name: 'app', image: 'x' },
        { name: 'app', image: 'y' },
      ]),
      "spec.containers: two containers are named 'app'",
    ],
  ])('refuses %j', (input, message) => {
    expect(() => readPodTemplate(input)).toThrow(new ConfigurationError(message));
  });

  it("fills in Kubernetes' defaults", () => {
    const read = readPodTemplate(
      template([
        {
          name: 'app',
          image: 'r/acme/web:1.2',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { port: 'http' } },
        },
        { name: 'side', image: 'r/acme/side' },
        { name: 'pinned', image: 'r/acme/web@sha256:abc' },
      ]),
    );
    expect(read).toMatchObject({ name: 'web', namespace: 'default', restartPolicy: 'Always' });
    expect(read.containers.map((container) => container.imagePullPolicy)).toEqual([
      'IfNotPresent',
      'Always',
      'IfNotPresent',
    ]);
    expect(read.containers[0]?.readinessProbe).toEqual({
      action: { kind: 'httpGet', path: '/', port: 'http', host: undefined, scheme: 'HTTP', headers: [] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });
});

describe('command, args and env as Kubernetes merges them', () => {
  const image = {
    entrypoint: ['/entry'],
    cmd: ['--from-image'],
    env: ['PATH=/bin', 'GREETING=image'],
    workingDir: '/srv',
  };
  const fields = {
    'metadata.name': 'web-abcde',
    'metadata.namespace': 'shop',
    'status.podIP': '10.213.0.2',
    'spec.nodeName': 'rehearsal',
  } as const;
  const none = { command: undefined, args: undefined, env: [], workingDir: undefined };

  it.each([
    ['neither: ENTRYPOINT + CMD', none, ['/entry', '--from-image']],
    ['args only: ENTRYPOINT + args', { ...none, args: ['--port', '9090'] }, ['/entry', '--port', '9090']],
    ['command only: the image CMD is dropped', { ...none, command: ['/other'] }, ['/other']],
    ['both: command + args', { ...none, command: ['/other'], args: ['x'] }, ['/other', 'x']],
    ['empty args: ENTRYPOINT alone', { ...none, args: [] }, ['/entry']],
    [
      'references expanded from the container env, escapes and unknown names kept',
      {
        ...none,
        args: ['$(PORT)', '$$(PORT)', '$(NOPE)', '$PORT', 'a$(', '$(POD)'],
        env: [
          { name: 'PORT', value: '9090' },
          { name: 'POD', fieldPath: 'metadata.name' as const },
        ],
      },
      ['/entry', '9090', '$(PORT)', '$(NOPE)', '$PORT', 'a$(', 'web-abcde'],
    ],
    ['image variables are not references', { ...none, args: ['$(GREETING)'] }, ['/entry', '$(GREETING)']],
  ])('%s', (_name, container, argv) => {
    expect(containerProcess(image, container, fields).argv).toEqual(argv);
  });

  it('expands each variable with those defined before it, and puts the container env over the image env', () => {
    const process = containerProcess(
      image,
      {
        ...none,
        workingDir: '/data',
        env: [
          { name: 'LATER', value: '$(FIRST)-$(SECOND)' },
          { name: 'FIRST', value: 'one' },
          { name: 'SECOND', value: '$(FIRST)-two' },
          { name: 'GREETING', value: 'container' },
          { name: 'IP', fieldPath: 'status.podIP' },
        ],
      },
      fields,
    );
    expect(process.env).toEqual([
      { name: 'LATER', value: '$(FIRST)-$(SECOND)' },
      { name: 'FIRST', value: 'one' },
      { name: 'SECOND', value: 'one-two' },
      { name: 'GREETING', value: 'container' },
      { name: 'IP', value: '10.213.0.2' },
    ]);
    expect(process.workingDir).toBe('/data');
    expect(Object.fromEntries(effectiveEnvironment(image, process))).toMatchObject({
      PATH: '/bin',
      GREETING: 'container',
    });
  });

  it.each([
    ['$(A)', 'a'],
    ['$$', '$'],
    ['$$$(A)', '$a'],
    ['x$', 'x$'],
    ['$(A', '$(A'],
    ['$()', '$()'],
  ])('expands %s to %s', (input, output) => {
    expect(expandReferences(input, (name) => (name === 'A' ? 'a' : undefined))).toBe(output);
  });
});

describe('readiness thresholds', () => {
  const ok = { ok: true, message: '' };
  const bad = { ok: false, message: 'HTTP probe failed with statuscode: 503' };
  it.each([
    ['one success makes ready', { successThreshold: 1, failureThreshold: 3 }, [ok], [true]],
    [
      'needs successThreshold in a row',
      { successThreshold: 2, failureThreshold: 3 },
      [ok, bad, ok, ok],
      [false, false, false, true],
    ],
    [
      'stays ready until failureThreshold in a row',
      { successThreshold: 1, failureThreshold: 3 },
      [ok, bad, bad, ok, bad, bad, bad],
      [true, true, true, true, true, true, false],
    ],
    ['never ready while failing', { successThreshold: 1, failureThreshold: 1 }, [bad, bad], [false, false]],
  ])('%s', (_name, thresholds, results, expected) => {
    const tracker = new ReadinessTracker(thresholds);
    expect(results.map((result) => tracker.record(result))).toEqual(expected);
  });
});

describe("the clusters' answer", () => {
  it.each([
    [{ ready: true as const }, 'Deployment', false, { ready: true }],
    [
      { ready: false as const, reason: 'CrashLoopBackOff', message: 'app: exit 1' },
      'Deployment',
      false,
      { ready: false, health: 'CrashLoopBackOff', message: 'CrashLoopBackOff: app: exit 1' },
    ],
    [
      { ready: false as const, reason: 'ErrImageNeverPull', message: 'app: not present' },
      'StatefulSet',
      false,
      { ready: false, health: 'ErrImagePull', message: 'ErrImageNeverPull: app: not present' },
    ],
    [
      { ready: false as const, reason: 'StartError', message: 'app: no such file' },
      'Deployment',
      false,
      { ready: false, health: 'RunContainerError', message: 'StartError: app: no such file' },
    ],
    [
      { ready: false as const, reason: 'ReadinessProbeFailed', message: 'app: 503' },
      'Deployment',
      true,
      { ready: false, health: 'starting', message: 'ReadinessProbeFailed: app: 503', progressDeadlineExceeded: true },
    ],
    [
      { ready: false as const, reason: 'ReadinessProbeFailed', message: 'app: 503' },
      'DaemonSet',
      true,
      { ready: false, health: 'starting', message: 'ReadinessProbeFailed: app: 503' },
    ],
  ] as const)('%j of a %s (deadline passed: %s)', (readiness, kind, deadlinePassed, expected) => {
    expect(templateReadinessOf(readiness, kind, deadlinePassed)).toEqual(expected);
  });
});

describe('pod network', () => {
  it('refuses a range that overlaps a route of this machine, other than its own pods', () => {
    const range = readPodNetworkRange('10.213.0.0/16');
    const routes = [
      'default via 192.0.2.1 dev eth0',
      '10.213.0.0/30 dev shrpod0 proto kernel scope link src 10.213.0.1',
      '10.0.0.0/8 dev tun0 scope link',
      '10.214.0.0/16 dev br0',
    ].join('\n');
    expect(overlappingRoutes(routes, range)).toEqual(['10.0.0.0/8 dev tun0 scope link']);
    expect(() => readPodNetworkRange('10.213.0.1/16')).toThrow('has host bits set');
  });

  it('gives block n of the range its own /30: the host end first, the pod second', () => {
    expect(podNetworkAt(readPodNetworkRange('10.213.0.0/16'), 300)).toEqual({
      namespace: 'shiprail-pod-300',
      hostInterface: 'shrpod300',
      hostIp: '10.213.4.177',
      podIp: '10.213.4.178',
    });
  });
});

describe("the runtime's words", () => {
  it.each([
    ['127.0.0.1:5000/acme/web@sha256:abc', '127.0.0.1:5000'],
    ['ghcr.io/acme/web:1', 'ghcr.io'],
    ['localhost/web', 'localhost'],
    ['acme/web:1', undefined],
    ['nginx', undefined],
  ])('the registry of %s is %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });

  it('keeps the last error line of buildah, without its prefix', () => {
    const stderr = [
      'Trying to pull 127.0.0.1:5000/acme/web@sha256:00...',
      'time="…" level=warning msg="Failed, retrying in 1ms ... (1/3)."',
      'Error: initializing source docker://127.0.0.1:5000/acme/web@sha256:00: reading manifest sha256:00 in 127.0.0.1:5000/acme/web: manifest unknown',
    ].join('\n');
    expect(buildahError(stderr)).toBe(
      'initializing source docker://127.0.0.1:5000/acme/web@sha256:00: reading manifest sha256:00 in 127.0.0.1:5000/acme/web: manifest unknown',
    );
  });

  it('reads the process an image starts and its pulled digest', () => {
    const inspected = JSON.stringify({
      FromImage: '127.0.0.1:5000/acme/web:1.0',
      FromImageDigest: 'sha256:feed',
      OCIv1: { config: { Entrypoint: ['/bin/app'], Env: ['PATH=/bin'], WorkingDir: '/srv' } },
    });
    expect(readInspect(inspected, 'unused')).toEqual({
      image: { entrypoint: ['/bin/app'], cmd: [], env: ['PATH=/bin'], workingDir: '/srv' },
      imageId: '127.0.0.1:5000/acme/web@sha256:feed',
    });
  });

  it.each([
    [10_000, '10s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
  ])('writes a back-off of %i ms as %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe("what an image or a manifest names stays inside the container's root", () => {
  let directory: string;
  let rootfs: string;
  let outside: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'kubelet-root-'));
    rootfs = join(directory, 'rootfs');
    outside = join(directory, 'outside');
    mkdirSync(rootfs);
    mkdirSync(outside);
    // The image's own link, to a path that is the machine's until nsenter changes root.
    symlinkSync(outside, join(rootfs, 'app'));
    writeFileSync(join(rootfs, 'file'), '');
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it.each([
    ['/srv/data', true, ['srv/data']],
    ['srv', true, ['srv']],
    ['/../../outside/escape', true, ['outside/escape']],
    ['/app/data', false, []],
    ['/file/data', false, []],
  ])('makes the working directory %s inside: %s', (path, made, created) => {
    expect(makeDirectoryInside(rootfs, path)).toBe(made);
    for (const entry of created) expect(existsSync(join(rootfs, entry))).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
  });
});

const reasonOf = (pod: PodHandle): string => {
  const readiness = pod.readiness();
  return readiness.ready ? '' : readiness.reason;
};
const messageOf = (pod: PodHandle): string => {
  const readiness = pod.readiness();
  return readiness.ready ? '' : readiness.message;
};

const running = process.getuid?.() === 0 ? describe : describe.skip;

running('pods from images in the registry', () => {
  let images: TestImages;
  let kubelet: Kubelet;
  let directory: string;

  let nodeEnv: Record<string, string>;

  beforeAll(async () => {
    images = await buildTestImages();
    nodeEnv = images.storageEnv('node');
    directory = mkdtempSync(join(tmpdir(), 'kubelet-'));
    // Reached through a symbolic link, as a temporary folder may be: the kubelet still knows its processes.
    symlinkSync(directory, `${directory}-link`);
    kubelet = new Kubelet({
      directory: `${directory}-link`,
      env: nodeEnv,
      registries: [{ host: images.registry.host, username: REGISTRY_USER, password: REGISTRY_PASSWORD }],
      maxGracePeriodMs: 2_000,
    });
  }, 120_000);

  afterAll(async () => {
    await kubelet?.stop();
    await images?.cleanUp();
    if (directory) for (const path of [`${directory}-link`, directory]) rmSync(path, { recursive: true, force: true });
  });

  const READY_MS = 30_000;
  const get = async (address: string, path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  };

  it('runs two pods that both listen on 8080, each at its own address, until stopped', async () => {
    const whoAmI = {
      name: 'app',
      image: images.byDigest.web,
      command: [
        '/bin/busybox',
        'sh',
        '-c',
        'echo $(POD_NAME) > /www/who && /bin/busybox ls -l /dev > /www/devices && exec /bin/busybox httpd -f -p 8080 -h /www',
      ],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/who', port: 'http' }, periodSeconds: 1 },
    };
    const pods = await Promise.all([
      kubelet.start(template([whoAmI], { name: 'one' })),
      kubelet.start(template([whoAmI], { name: 'two' })),
    ]);
    const readiness = await Promise.all(pods.map((pod) => pod.waitFor(READY_MS)));
    expect(readiness).toEqual([{ ready: true }, { ready: true }]);
    const [one, two] = pods;
    expect(one.ip).not.toBe(two.ip);
    expect(one.address()).toBe(`${one.ip}:8080`);
    expect((await get(one.address('http'), '/who')).body.trim()).toBe(one.name);
    expect((await get(two.address(8080), '/who')).body.trim()).toBe(two.name);
    // runc's devices, readable and writable by everyone, with the machine's numbers.
    const devices = (await get(one.address(), '/devices')).body;
    for (const [name, major, minor] of [
      ['null', 1, 3],
      ['zero', 1, 5],
      ['full', 1, 7],
      ['random', 1, 8],
      ['urandom', 1, 9],
      ['tty', 5, 0],
    ] as const)
      expect(devices).toMatch(new RegExp(`^crw-rw-rw-\\s.*\\s${major},\\s+${minor}\\s.*\\s${name}$`, 'm'));
    expect(one.status()).toMatchObject({
      phase: 'Running',
      podIP: one.ip,
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
      ],
      containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, imageID: images.byDigest.web }],
    });
    await one.stop();
    expect(existsSync(`/run/netns/${one.networkNamespace}`)).toBe(false);
    expect(one.readiness()).toMatchObject({ ready: false });
    expect((await get(two.address(), '/who')).status).toBe(200);
    await two.stop();
  });

  it('is ready when tcpSocket and exec probes pass, and not ready with the reason when an httpGet probe fails', async () => {
    const [passing, failing] = await Promise.all([
      kubelet.start(
        template([
          {
            name: 'app',
            image: images.byDigest.web,
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
          {
            name: 'side',
            image: images.byDigest.web,
            env: [{ name: 'PORT', value: '9090' }],
            readinessProbe: { exec: { command: ['/bin/busybox', 'test', '-f', '/www/index.html'] }, periodSeconds: 1 },
          },
        ]),
      ),
      kubelet.start(
        template([
          {
            name: 'app',
            image: images.byDigest.web,
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ]),
      ),
    ]);
    expect(await passing.waitFor(READY_MS)).toEqual({ ready: true });
    // The first attempts may find nothing listening yet: wait for the server's own answer.
    const failed = await failing.waitFor(READY_MS, (pod) => /statuscode/.test(messageOf(pod)));
    expect(failed).toEqual({
      ready: false,
      reason: 'ReadinessProbeFailed',
      message: 'app: Readiness probe failed: HTTP probe failed with statuscode: 404',
    });
    expect(failing.status().conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect(failing.events()).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 404',
      }),
    );
    await Promise.all([passing.stop(), failing.stop()]);
  });

  it('reports CrashLoopBackOff with the last exit code when the entrypoint exits 1', async () => {
    const pod = await kubelet.start(template([{ name: 'app', image: images.byDigest.crash }], { name: 'crash' }));
    const readiness = await pod.waitFor(
      READY_MS,
      (each) => each.status().containerStatuses[0]?.state.waiting?.reason === 'CrashLoopBackOff',
    );
    const [status] = pod.status().containerStatuses;
    expect(status).toMatchObject({
      ready: false,
      restartCount: 1,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off 10s restarting failed container=app pod=${pod.name}`,
        },
      },
      lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'cannot read /etc/app.yaml' } },
    });
    expect(readiness).toEqual({
      ready: false,
      reason: 'CrashLoopBackOff',
      message: `app: CrashLoopBackOff: back-off 10s restarting failed container=app pod=${pod.name}: last exit code 1: cannot read /etc/app.yaml`,
    });
    await pod.stop();
  });

  it.each([
    ['a file without its execute bit', '/record.sh', 'exec: "/record.sh": permission denied'],
    ['a file the image does not have', '/bin/app', 'exec: "/bin/app": no such file or directory'],
    ['a name no directory on PATH holds', 'app', 'exec: "app": executable file not found in $PATH'],
  ])("reports StartError in the runtime's words when the command is %s", async (_name, command, message) => {
    const pod = await kubelet.start(
      template([{ name: 'app', image: images.byDigest.web, command: [command] }], { name: 'unstartable' }),
    );
    await pod.waitFor(READY_MS, (each) => each.status().containerStatuses[0]?.lastState.terminated !== undefined);
    const [status] = pod.status().containerStatuses;
    expect(status).toMatchObject({
      ready: false,
      started: false,
      lastState: { terminated: { exitCode: 128, reason: 'StartError', message } },
    });
    expect(pod.logs('app')).not.toContain('nsenter');
    await pod.stop();
  });

  it.each([
    [
      'a digest the registry does not have',
      (prefix: string) => `${prefix}/web@sha256:${'0'.repeat(64)}`,
      /manifest unknown/,
    ],
    ['a registry that does not answer', () => '127.0.0.1:1/acme/web:1.0', /connection refused/],
  ])('reports ErrImagePull, then ImagePullBackOff, for %s', async (_name, image, words) => {
    const pod = await kubelet.start(template([{ name: 'app', image: image(images.prefix) }], { name: 'unpullable' }));
    await pod.waitFor(READY_MS, (each) => /ErrImagePull|ImagePullBackOff/.test(reasonOf(each)));
    const readiness = pod.readiness();
    if (readiness.ready) throw new Error('an image that cannot be pulled made a ready pod');
    expect(readiness.reason).toMatch(/^(?:ErrImagePull|ImagePullBackOff)$/);
    expect(readiness.message).toMatch(words);
    expect(pod.events()).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'Failed' }));
    await pod.stop();
  });

  it('starts a container with the image entrypoint, CMD, env and working directory merged as Kubernetes does', async () => {
    const recorder = (name: string, fields: object) =>
      kubelet.start(
        template(
          [
            {
              name: 'app',
              image: images.byDigest.web,
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/args', port: 8080 }, periodSeconds: 1 },
              ...fields,
            },
          ],
          { name },
        ),
      );
    const cases = [
      ['image', {}, 'image-cmd'],
      [
        'args',
        { args: ['$(FIRST)', '$$(FIRST)', '$(NOPE)'], env: [{ name: 'FIRST', value: 'one' }] },
        'one $(FIRST) $(NOPE)',
      ],
      ['command', { command: ['/bin/busybox', 'sh', '/record.sh', 'from-command'] }, 'from-command'],
      [
        'both',
        { command: ['/bin/busybox', 'sh', '/record.sh', 'from-command'], args: ['from-args'], workingDir: '/' },
        'from-command from-args',
      ],
    ] as const;
    const pods = await Promise.all(
      cases.map(([name, fields]) =>
        recorder(name, {
          ...fields,
          env: [
            ...('env' in fields ? fields.env : []),
            { name: 'GREETING', value: 'from-pod' },
            { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
        }),
      ),
    );
    expect(await Promise.all(pods.map((pod) => pod.waitFor(READY_MS)))).toEqual(cases.map(() => ({ ready: true })));
    const seen = await Promise.all(
      pods.map(async (pod) => {
        const [args, env, pwd] = await Promise.all(
          ['/args', '/env', '/pwd'].map(async (path) => (await get(pod.address(), path)).body),
        );
        return { args: args?.trim(), env: env?.split('\n') ?? [], pwd: pwd?.trim(), ip: pod.ip };
      }),
    );
    expect(seen.map((each) => each.args)).toEqual(cases.map(([, , args]) => args));
    expect(seen.map((each) => each.pwd)).toEqual(['/www', '/www', '/www', '/']);
    for (const each of seen)
      expect(each.env).toEqual(expect.arrayContaining(['GREETING=from-pod', 'MODE=image', `IP=${each.ip}`]));
    await Promise.all(pods.map((pod) => pod.stop()));
  });

  it("answers the simulated clusters' question about each pod by running it, and keeps it for traffic", async () => {
    const node = new KubeletReadiness(kubelet, () => READY_MS);
    const subject = (name: string, image: string) => ({
      environment: 'staging',
      namespace: 'shop',
      kind: 'Deployment' as const,
      name,
      pod: `${name}-7d4b9c-x2x9z`,
      template: template([{ name: 'app', image, ports: [{ containerPort: 8080 }] }], { name }) as JsonObject,
    });
    const [web, crash, refused] = await Promise.all([
      node.readiness(subject('web', images.byDigest.web)),
      node.readiness(subject('crash', images.byDigest.crash)),
      node.readiness({ ...subject('refused', images.byDigest.web), template: { spec: { containers: [] } } }),
    ]);
    expect(web).toEqual({ ready: true });
    expect(crash).toMatchObject({ ready: false, health: 'CrashLoopBackOff' });
    expect(refused).toEqual({
      ready: false,
      health: 'CreateContainerConfigError',
      message: 'spec.containers: at least one container is required',
    });
    const [pod] = node.podsOf('staging', 'shop', 'web');
    expect(pod?.name).toBe('web-7d4b9c-x2x9z');
    expect((await get(pod?.address() ?? '', '/args')).body.trim()).toBe('image-cmd');
    await node.retire('staging', 'shop', 'web', 0);
    await node.retire('staging', 'shop', 'crash', 0);
    expect(node.podsOf('staging', 'shop', 'web')).toEqual([]);
    expect(existsSync(`/run/netns/${pod?.networkNamespace ?? ''}`)).toBe(false);
  });

  it("runs a cluster's workloads: what ran before is started once when traffic asks, a ready rollout stops the old pods", async () => {
    const node = new ClusterNode({
      directory: mkdtempSync(join(directory, 'node-')),
      env: nodeEnv,
      registries: [{ host: images.registry.host, username: REGISTRY_USER, password: REGISTRY_PASSWORD }],
      maxGracePeriodMs: 2_000,
      readyDeadlineMs: READY_MS,
    });
    const webTemplate = (greeting: string) =>
      template([
        {
          name: 'app',
          image: images.byDigest.web,
          ports: [{ containerPort: 8080 }],
          env: [{ name: 'GREETING', value: greeting }],
        },
      ]) as JsonObject;
    let stored = webTemplate('before');
    // The API server as the node reads it: the stored Deployment's template.
    const server = {
      get: (resource: string, _namespace: string, name: string) =>
        resource === 'deployments' && name === 'web' ? { metadata: {}, spec: { template: stored } } : undefined,
    } as unknown as KubeApiServer;
    const workload = { environment: 'dev', server, namespace: 'shop', name: 'web' };
    try {
      const [first, again] = await Promise.all([node.readyPods(workload), node.readyPods(workload)]);
      expect(first.map((pod) => pod.name)).toEqual([expect.stringMatching(/^web-[0-9a-f]{5}$/)]);
      expect(again).toEqual(first);
      expect(await node.readyPods({ ...workload, name: 'absent' })).toEqual([]);
      stored = webTemplate('after');
      const readiness = await node.readiness({
        environment: 'dev',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        pod: 'web-5f6d7-abcde',
        template: stored,
      });
      expect(readiness).toEqual({ ready: true });
      const pods = await node.readyPods(workload);
      expect(pods.map((pod) => pod.name)).toEqual(['web-5f6d7-abcde']);
      expect((await get(pods[0]?.address() ?? '', '/env')).body).toContain('GREETING=after');
      expect(existsSync(`/run/netns/${first[0]?.networkNamespace ?? ''}`)).toBe(false);
      // A reset keeps the pods whose workload still has their template, and stops the rest.
      await node.reset((environment) => (environment === 'dev' ? server : undefined));
      expect((await node.readyPods(workload)).map((pod) => pod.name)).toEqual(['web-5f6d7-abcde']);
      expect(existsSync(`/run/netns/${pods[0]?.networkNamespace ?? ''}`)).toBe(true);
      stored = webTemplate('restored');
      await node.reset((environment) => (environment === 'dev' ? server : undefined));
      expect(existsSync(`/run/netns/${pods[0]?.networkNamespace ?? ''}`)).toBe(false);
    } finally {
      await node.stop();
    }
  });

  // Last: it stops the kubelet the other tests share.
  it('leaves no process, container or namespace behind when stopped, whatever state its pods are in', async () => {
    const pods = await Promise.all([
      kubelet.start(template([{ name: 'app', image: images.byDigest.web, ports: [{ containerPort: 8080 }] }])),
      kubelet.start(template([{ name: 'app', image: images.byDigest.crash }], { name: 'crash' })),
      kubelet.start(template([{ name: 'app', image: `${images.prefix}/web:missing` }], { name: 'unpullable' })),
    ]);
    await pods[0]?.waitFor(READY_MS);
    await kubelet.stop();
    for (const pod of pods) expect(existsSync(`/run/netns/${pod.networkNamespace}`)).toBe(false);
    const { stdout } = await run('buildah', ['--storage-driver', 'vfs', 'containers', '--quiet'], {
      env: { ...process.env, ...nodeEnv },
    });
    expect(stdout.trim()).toBe('');
    const processes = (await run('ps', ['-eo', 'args'])).stdout.split('\n');
    for (const pod of pods) expect(processes.filter((args) => args.includes(pod.name))).toEqual([]);
    await expect(kubelet.start(template([{ name: 'app', image: images.byDigest.web }]))).rejects.toThrow(
      'the kubelet is stopped',
    );
  });
});
