// The bundled action as the runner runs it (dist/rollout-wait, `npm run bundle -- rollout-wait` first),
// against the test API server.
import { runRolloutWait, type ResourceOutput } from '@shiprail/rollout-wait';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestRuntime,
  runBundledAction,
  argoRollout,
  controllerRevision,
  daemonSet,
  statefulSet,
  waitForWatches,
} from '@shiprail/testkit';
import {
  startKubeApiServer,
  text,
  type JsonObject,
  type KubeApiServer,
  hashOf,
  pod,
  deploymentRollout,
  event,
  playScenario,
  seedDeployment,
  type DeploymentRolloutOptions,
  type ScenarioStep,
} from '@shiprail/rehearsal/kube';

let server: KubeApiServer;
beforeEach(async () => {
  server = await startKubeApiServer({ bookmarkIntervalMs: 500 });
});
afterEach(async () => {
  await server.stop();
});

const resourcesOf = (outputs: Record<string, string>): ResourceOutput[] =>
  JSON.parse(outputs['resources'] ?? '[]') as ResourceOutput[];

const API_1 = 'ghcr.io/acme/api:1.0';
const API_2 = 'ghcr.io/acme/api:2.0';
/** The controller's states while deployment/api (seeded at API_1) rolls to API_2. */
const apiRollout = (options: Partial<DeploymentRolloutOptions> = {}): ScenarioStep[] =>
  deploymentRollout({ name: 'api', from: API_1, to: API_2, ...options });

const wait = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runBundledAction('rollout-wait', { inputs: { kubeconfig: server.kubeconfig, ...inputs }, env, timeoutMs: 60_000 });

describe('rollout-wait', () => {
  test('waits for Deployments, a StatefulSet and a DaemonSet in parallel, with kubectl messages', async () => {
    seedDeployment(server, 'api', API_1);
    seedDeployment(server, 'web', 'ghcr.io/acme/web:1.0');
    server.apply(statefulSet({ name: 'db', image: 'postgres:16', partition: 0, ready: 2, generation: 2 }));
    server.apply(daemonSet({ name: 'agent', image: 'agent:2', updated: 2, generation: 2 }));
    const run = wait({ resources: 'deployment/api\ndeployment/web\nstatefulset/db\ndefault/daemonset/agent' });
    // Four workloads and the pods of each.
    await waitForWatches(server, 8);
    await Promise.all([
      playScenario(server, apiRollout({ stepMs: 150 })),
      playScenario(
        server,
        deploymentRollout({ name: 'web', from: 'ghcr.io/acme/web:1.0', to: 'ghcr.io/acme/web:2.0', stepMs: 200 }),
      ),
      playScenario(server, [
        {
          afterMs: 600,
          run: (api) => api.apply(statefulSet({ name: 'db', image: 'postgres:16', partition: 0, generation: 2 })),
        },
        { afterMs: 0, run: (api) => api.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2 })) },
      ]),
    ]);
    const result = await run;
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs['result']).toBe('success');
    expect(resourcesOf(result.outputs)).toEqual([
      {
        resource: 'deployment/api',
        namespace: 'default',
        done: true,
        message: 'deployment "api" successfully rolled out',
        reason: 'Complete',
      },
      {
        resource: 'deployment/web',
        namespace: 'default',
        done: true,
        message: 'deployment "web" successfully rolled out',
        reason: 'Complete',
      },
      {
        resource: 'statefulset/db',
        namespace: 'default',
        done: true,
        message: 'partitioned roll out complete: 3 new pods have been updated...',
        reason: 'Complete',
      },
      {
        resource: 'daemonset/agent',
        namespace: 'default',
        done: true,
        message: 'daemon set "agent" successfully rolled out',
        reason: 'Complete',
      },
    ]);
    expect(result.stdout).toContain(
      'default/deployment/api: Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(result.stdout).toContain('default/statefulset/db: Waiting for 1 pods to be ready...');
    expect(result.summary).toContain('## Rollout: ✅ success');
    expect(result.summary).toContain(
      '| deployment/api | default | yes | Complete | deployment "api" successfully rolled out |',
    );
    // The token was masked before anything else was printed.
    expect(result.masked).toContain(server.token);
    expect(result.stdout.indexOf(`::add-mask::${server.token}`)).toBeLessThan(result.stdout.indexOf('Watching'));
    // Plain HTTP: as kubectl, the token is not sent (over TLS it is: servers.test.ts).
    expect(server.requests.some((request) => request.watch && !request.authenticated)).toBe(true);
    expect(server.requests.some((request) => request.authenticated)).toBe(false);
  });

  test('fail-fast: every new pod in ImagePullBackOff ends the wait at once, with reasons, events and logs', async () => {
    seedDeployment(server, 'api', API_1);
    const run = wait({ resources: 'deployment/api', timeout: '2m' });
    const started = Date.now();
    await playScenario(server, [
      ...deploymentRollout({
        name: 'api',
        from: 'ghcr.io/acme/api:1.0',
        to: 'ghcr.io/acme/api:nope',
        stepMs: 200,
        outcome: 'ImagePullBackOff',
      }),
      {
        afterMs: 0,
        run: (api) => {
          const failing = api.list('pods', 'default').find((pod) => JSON.stringify(pod).includes('api:nope'));
          const name = text(failing?.metadata['name']);
          api.apply(
            event(
              'default',
              { kind: 'Pod', name },
              'Failed',
              'Failed to pull image "ghcr.io/acme/api:nope": not found',
            ),
          );
          api.setLog('default', name, 'app', 'starting\nwaiting for image\n');
        },
      },
    ]);
    const result = await run;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.exitCode).toBe(1);
    expect(result.outputs['result']).toBe('failed');
    const [api] = resourcesOf(result.outputs);
    expect(api).toMatchObject({ resource: 'deployment/api', done: false, reason: 'ImagePullBackOff' });
    expect(api?.message).toContain(
      'the new pod cannot run: app: ImagePullBackOff (Back-off pulling image "ghcr.io/acme/api:nope")',
    );
    expect(result.errors[0]).toContain('rollout failed: deployment/api (ImagePullBackOff)');
    expect(result.summary).toContain('## Rollout: ❌ failed');
    expect(result.summary).toMatch(
      /\| api-\w+-\w+ \| app \| ImagePullBackOff \| 0 \| Back-off pulling image "ghcr.io\/acme\/api:nope" \|/,
    );
    expect(result.summary).toContain('Failed to pull image "ghcr.io/acme/api:nope": not found');
    expect(result.summary).toContain('waiting for image');
  });

  test('fail-fast: CrashLoopBackOff and OOMKilled with restarts count; the previous instance log is shown', async () => {
    seedDeployment(server, 'api', API_1);
    const run = wait({ resources: 'deployment/api' });
    await playScenario(server, apiRollout({ stepMs: 200, outcome: 'OOMKilled' }));
    const failing = server.list('pods', 'default').find((pod) => JSON.stringify(pod).includes('api:2.0'));
    server.setLog('default', text(failing?.metadata['name']), 'app', 'allocating 2GiB\nKilled\n', true);
    const result = await run;
    expect(result.outputs['result']).toBe('failed');
    expect(resourcesOf(result.outputs)[0]?.reason).toBe('OOMKilled');
  });

  test.each([
    ['statefulset', 'CrashLoopBackOff'],
    ['daemonset', 'CreateContainerConfigError'],
  ] as const)('fail-fast: the new pods of a %s in %s', async (kind, health) => {
    const image = 'ghcr.io/acme/db:2';
    const workload =
      kind === 'statefulset'
        ? server.apply(statefulSet({ name: 'db', image, partition: 0, ready: 2, updated: 1, generation: 2 }))
        : server.apply(daemonSet({ name: 'db', image, updated: 1, available: 2, generation: 2 }));
    if (kind === 'daemonset') {
      server.apply(controllerRevision(workload, 'ghcr.io/acme/db:1', 1));
      server.apply(controllerRevision(workload, image, 2));
    }
    const hash = kind === 'statefulset' ? `db-${hashOf(image)}` : hashOf(image);
    const owner = {
      kind: kind === 'statefulset' ? 'StatefulSet' : 'DaemonSet',
      name: 'db',
      uid: text(workload.metadata['uid']),
    };
    server.apply(
      pod('db-0', {
        labels: { app: 'db', 'controller-revision-hash': 'db-old' },
        owner,
        image: 'ghcr.io/acme/db:1',
        health: 'ready',
      }),
    );
    server.apply(pod('db-1', { labels: { app: 'db', 'controller-revision-hash': hash }, owner, image, health }));
    const result = await wait({ resources: `${kind}/db` });
    expect(result.outputs['result']).toBe('failed');
    expect(resourcesOf(result.outputs)[0]).toMatchObject({ reason: health, done: false });
    expect(result.summary).toContain(`| db-1 | app | ${health} |`);
  });

  test('rollback: a Deployment past its progress deadline is rolled back to the previous revision', async () => {
    seedDeployment(server, 'api', API_1);
    const run = wait({ resources: 'deployment/api', rollback: 'true', 'fail-fast': 'false' });
    await playScenario(server, apiRollout({ stepMs: 200, outcome: 'deadline' }));
    const result = await run;
    expect(result.exitCode).toBe(1);
    const [api] = resourcesOf(result.outputs);
    expect(api).toMatchObject({ reason: 'ProgressDeadlineExceeded', done: false });
    expect(api?.message).toBe(
      'deployment "api" exceeded its progress deadline; rolled back to revision 1 (ghcr.io/acme/api:1.0)',
    );
    const spec = server.get('deployments', 'default', 'api')?.['spec'] as JsonObject;
    expect(JSON.stringify(spec['template'])).toContain('ghcr.io/acme/api:1.0');
    expect(server.requests.find((request) => request.method === 'PATCH')?.contentType).toContain(
      'application/json-patch+json',
    );
    expect(result.stdout).toContain('::notice title=Rolled back::default/deployment/api');
    expect(result.summary).toContain('**Rollback:** rolled back to revision 1 (ghcr.io/acme/api:1.0)');
  });

  test('images: an old, finished rollout is not success until the template carries the expected image', async () => {
    seedDeployment(server, 'api', API_1);
    const run = wait({ resources: 'deployment/api', images: 'ghcr.io/acme/api:2.0' });
    await waitForWatches(server, 2);
    await playScenario(server, apiRollout({ stepMs: 100 }));
    const result = await run;
    expect(result.outputs['result']).toBe('success');
    expect(result.stdout).toContain(
      'default/deployment/api: Waiting for the pod template to carry ghcr.io/acme/api:2.0 (the template has ghcr.io/acme/api:1.0)...',
    );
  });

  test('Argo Rollouts: Healthy is done, Paused waits unless accepted, Degraded fails', async () => {
    server.apply(argoRollout({ name: 'shop', image: 'shop:2', phase: 'Paused', message: 'CanaryPauseStep' }));
    const accepted = await wait({ resources: 'rollout/shop', 'accept-paused': 'true' });
    expect(resourcesOf(accepted.outputs)[0]).toMatchObject({
      done: true,
      reason: 'Paused',
      message: 'Paused - CanaryPauseStep',
    });
    const run = wait({ resources: 'rollout/shop' });
    await playScenario(server, [
      {
        afterMs: 1500,
        run: (api) =>
          api.apply(
            argoRollout({
              name: 'shop',
              image: 'shop:2',
              phase: 'Degraded',
              message: 'RolloutAborted: metric "error-rate" assessed Failed',
            }),
          ),
      },
    ]);
    const degraded = await run;
    expect(degraded.outputs['result']).toBe('failed');
    expect(resourcesOf(degraded.outputs)[0]).toMatchObject({
      reason: 'Degraded',
      message: 'Degraded - RolloutAborted: metric "error-rate" assessed Failed',
    });
  });

  test('timeout: one deadline for all resources', async () => {
    seedDeployment(server, 'api', API_1);
    await playScenario(server, apiRollout({ stepMs: 0, outcome: 'stuck' }));
    const result = await wait({ resources: 'deployment/api', timeout: '2s' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs['result']).toBe('timeout');
    expect(resourcesOf(result.outputs)[0]).toMatchObject({ done: false, reason: 'Timeout' });
    expect(result.errors[0]).toMatch(
      /^timed out after 2\.0s waiting for deployment\/api \(Timeout\): Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated\.\.\./,
    );
  });

  test('survives dropped watches, 410 Gone and 500s on the way', async () => {
    seedDeployment(server, 'api', API_1);
    const steps = apiRollout({ stepMs: 300 });
    // The spec change is in before the step starts; the rest happens while it watches.
    await playScenario(server, steps.splice(0, 1));
    const run = wait({ resources: 'deployment/api' });
    await waitForWatches(server, 2);
    steps.splice(1, 0, {
      afterMs: 100,
      run: (api) => {
        api.failRequests(2, { path: /deployments$/ });
        api.compact();
        api.dropWatches({ abrupt: true });
      },
    });
    await playScenario(server, steps);
    const result = await run;
    expect(result.outputs['result']).toBe('success');
    const lists = server.requests.filter((request) => request.path.endsWith('/deployments') && !request.watch);
    expect(lists.some((request) => request.status === 500)).toBe(true);
    expect(lists.filter((request) => request.status === 200).length).toBeGreaterThanOrEqual(2);
  });
});

describe('rollout-wait: mistakes and unreachable clusters', () => {
  test.each([
    [
      'unknown kind',
      { resources: 'cronjob/nightly' },
      "input 'resources': line 1 'cronjob/nightly': unknown kind 'cronjob'",
    ],
    [
      'malformed line',
      { resources: 'deployment/api\ndeployment' },
      "input 'resources': line 2 'deployment': expected [namespace/]kind/name",
    ],
    ['bad kubeconfig', { kubeconfig: 'clusters: [oops' }, "input 'kubeconfig': malformed YAML"],
    [
      'missing context',
      { context: 'prod' },
      "input 'context': no context named 'prod' in the kubeconfig input (it has test)",
    ],
    ['bad timeout', { timeout: 'soon' }, "input 'timeout': expected a duration"],
  ])('%s', async (_name, inputs, message) => {
    const result = await wait({ resources: 'deployment/api', ...inputs });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(message);
    expect(result.outputs['result']).toBeUndefined();
  });

  test('a resource that does not exist is named', async () => {
    seedDeployment(server, 'api', API_1);
    const result = await wait({ resources: 'deployment/api\nshop/statefulset/db' });
    expect(result.errors).toEqual(["input 'resources': statefulset/db in namespace shop does not exist"]);
  });

  test('base64 kubeconfig input; its token is masked and the temporary file is removed', async () => {
    seedDeployment(server, 'api', API_1);
    const result = await wait({
      resources: 'deployment/api',
      kubeconfig: Buffer.from(server.kubeconfig).toString('base64'),
    });
    expect(result.outputs['result']).toBe('success');
    expect(result.masked).toContain(server.token);
    expect(result.stdout.replace(/::add-mask::.*/g, '')).not.toContain(server.token);
  });

  test('an API that cannot be reached: bounded retries, then a clear error', async () => {
    const url = server.url;
    await server.stop();
    const kubeconfig = server.kubeconfig;
    const result = await runBundledAction('rollout-wait', {
      inputs: { kubeconfig, resources: 'deployment/api' },
      timeoutMs: 60_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toBe(`cannot list deployments in namespace default at ${url}: ECONNREFUSED`);
    server = await startKubeApiServer();
  });

  test('an API that answers 500 to everything', async () => {
    server.failAll(503);
    const result = await wait({ resources: 'deployment/api' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('cannot list deployments in namespace default');
    expect(result.errors[0]).toContain('(HTTP 503)');
    expect(server.requests.length).toBe(6);
  });
});

describe('rollout-wait: the kubeconfig input', () => {
  test('stays in memory: nothing is written to the temporary directory, and a timeout still sets the outputs', async () => {
    seedDeployment(server, 'api', API_1);
    await playScenario(server, apiRollout({ outcome: 'stuck' }).slice(0, 1));
    const tempDir = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const runtime = {
      ...createTestRuntime({ inputs: { kubeconfig: server.kubeconfig, resources: 'deployment/api', timeout: '3s' } }),
      tempDir,
    };
    const run = runRolloutWait(runtime).catch((error: unknown) => error);
    await waitForWatches(server, 2);
    expect(readdirSync(tempDir)).toEqual([]);
    expect(await run).toBeInstanceOf(Error);
    expect(readdirSync(tempDir)).toEqual([]);
    expect(runtime.outputs['result']).toBe('timeout');
    rmSync(tempDir, { recursive: true, force: true });
  });
});

test('a cluster without Argo Rollouts is said to be one', async () => {
  const bare = await startKubeApiServer({ withoutArgoRollouts: true });
  try {
    const result = await runBundledAction('rollout-wait', {
      inputs: { kubeconfig: bare.kubeconfig, resources: 'rollout/shop' },
    });
    expect(result.errors).toEqual([
      `the API at ${bare.url} does not serve argoproj.io/v1alpha1 rollouts: is Argo Rollouts installed?`,
    ]);
  } finally {
    await bare.stop();
  }
});
