// The test API server is faithful when the real kubectl works against it, and when its watch protocol
// (events, bookmarks, 410 Gone, server-closed streams, injected errors) is what clients see from a real one.
import {
  startKubeApiServer,
  text,
  type JsonObject,
  type KubeApiServer,
  deployment,
  deploymentRollout,
  playScenario,
  seedDeployment,
} from '@shiprail/rehearsal/kube';
import { kubectl, controllerRevision, daemonSet, statefulSet, argoRollout, waitForWatches } from '@shiprail/testkit';

let server: KubeApiServer;
beforeEach(async () => {
  server = await startKubeApiServer({ bookmarkIntervalMs: 200 });
});
afterEach(async () => {
  await server.stop();
});

const run = (...args: string[]) => kubectl(server.kubeconfigPath, args);

describe('kubectl against the test API server', () => {
  test('discovery: api-resources lists the served kinds with their short names', async () => {
    const result = await run('api-resources', '--no-headers');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n').map((line) => line.trim().split(/\s+/));
    expect(lines).toEqual(
      expect.arrayContaining([
        ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
        ['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet'],
        ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet'],
        ['pods', 'po', 'v1', 'true', 'Pod'],
        ['rollouts', 'ro', 'argoproj.io/v1alpha1', 'true', 'Rollout'],
      ]),
    );
  });

  test('get prints the server-side tables and single objects', async () => {
    seedDeployment(server, 'web', 'nginx:1.0');
    server.apply(statefulSet({ name: 'db', image: 'postgres:16', partition: 0 }));
    server.apply(argoRollout({ name: 'shop', image: 'shop:1' }));
    const table = await run('get', 'deploy,sts,pods,rollouts');
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/deployment\.apps\/web\s+3\/3\s+3\s+3\s+\d+s/);
    expect(table.stdout).toMatch(/statefulset\.apps\/db\s+3\/3/);
    expect(table.stdout).toMatch(/pod\/web-\w+-\w+\s+1\/1\s+Running\s+0/);
    expect(table.stdout).toMatch(/rollout\.argoproj\.io\/shop/);
    const image = await run('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    expect(image.stdout).toBe('nginx:1.0');
    const missing = await run('get', 'deployment', 'nope');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('deployments.apps "nope" not found');
  });

  test('rollout status follows a Deployment rollout across dropped and expired watches', async () => {
    seedDeployment(server, 'web', 'nginx:1.0');
    const steps = deploymentRollout({ name: 'web', from: 'nginx:1.0', to: 'nginx:2.0', stepMs: 250 });
    // Between two states, the server closes every stream and forgets history (410 on re-watch).
    steps.splice(3, 0, {
      afterMs: 50,
      run: (api) => {
        api.compact();
        api.dropWatches();
      },
    });
    // The spec changes first; kubectl starts slowly on a loaded machine, so the rollout goes on once it watches.
    await playScenario(server, steps.slice(0, 1));
    const status = run('rollout', 'status', 'deployment/web', '--timeout', '30s');
    await Promise.race([waitForWatches(server, 1), status]);
    await playScenario(server, steps.slice(1));
    const result = await status;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(result.stdout.trim().split('\n').pop()).toBe('deployment "web" successfully rolled out');
    // kubectl re-watched, got 410 for its old resourceVersion, and listed again.
    const collection = server.requests.filter((request) => request.path.endsWith('/deployments'));
    expect(collection.filter((request) => request.watch).length).toBeGreaterThanOrEqual(3);
    expect(collection.filter((request) => !request.watch).length).toBeGreaterThanOrEqual(2);
  });

  test('rollout status fails on an exceeded progress deadline', async () => {
    seedDeployment(server, 'web', 'nginx:1.0');
    const status = run('rollout', 'status', 'deployment/web', '--timeout', '30s');
    await playScenario(
      server,
      deploymentRollout({ name: 'web', from: 'nginx:1.0', to: 'nginx:bad', stepMs: 200, outcome: 'deadline' }),
    );
    const result = await status;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('error: deployment "web" exceeded its progress deadline');
  });

  test('rollout status of StatefulSets and DaemonSets', async () => {
    server.apply(statefulSet({ name: 'db', image: 'pg:2', partition: 1, updated: 1, generation: 2 }));
    server.apply(statefulSet({ name: 'cache', image: 'redis:7', ready: 2, generation: 2 }));
    server.apply(daemonSet({ name: 'agent', image: 'agent:2', updated: 1, generation: 2 }));
    server.apply(daemonSet({ name: 'legacy', image: 'legacy:1', strategy: 'OnDelete' }));
    const sts = run('rollout', 'status', 'statefulset/db', '--timeout', '20s');
    const cache = run('rollout', 'status', 'statefulset/cache', '--timeout', '20s');
    const ds = run('rollout', 'status', 'daemonset/agent', '--timeout', '20s');
    await Promise.race([waitForWatches(server, 3), Promise.all([sts, cache, ds])]);
    await playScenario(server, [
      {
        afterMs: 800,
        run: (api) => api.apply(statefulSet({ name: 'db', image: 'pg:2', partition: 1, updated: 2, generation: 2 })),
      },
      { afterMs: 0, run: (api) => api.apply(statefulSet({ name: 'cache', image: 'redis:7', generation: 2 })) },
      {
        afterMs: 0,
        run: (api) =>
          api.apply(daemonSet({ name: 'agent', image: 'agent:2', updated: 3, available: 2, generation: 2 })),
      },
      { afterMs: 300, run: (api) => api.apply(daemonSet({ name: 'agent', image: 'agent:2', generation: 2 })) },
    ]);
    const [stsResult, cacheResult, dsResult] = await Promise.all([sts, cache, ds]);
    expect(stsResult.stdout).toBe(
      'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\npartitioned roll out complete: 2 new pods have been updated...\n',
    );
    expect(cacheResult.stdout).toContain('Waiting for 1 pods to be ready...');
    expect(cacheResult.stdout).toMatch(/statefulset rolling update complete 3 pods at revision cache-\w+\.\.\.\n$/);
    expect(dsResult.stdout).toBe(
      'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...\n' +
        'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...\n' +
        'daemon set "agent" successfully rolled out\n',
    );
    const legacy = await run('rollout', 'status', 'daemonset/legacy');
    expect(legacy.exitCode).toBe(1);
    expect(legacy.stderr).toContain('rollout status is only available for RollingUpdate strategy type');
  });

  test('rollout undo restores the previous ReplicaSet template of a Deployment (JSON patch)', async () => {
    seedDeployment(server, 'web', 'nginx:1.0');
    await playScenario(server, deploymentRollout({ name: 'web', from: 'nginx:1.0', to: 'nginx:2.0', stepMs: 0 }));
    const result = await run('rollout', 'undo', 'deployment/web');
    expect(result.stdout).toBe('deployment.apps/web rolled back\n');
    const restored = server.get('deployments', 'default', 'web');
    const spec = restored?.['spec'] as JsonObject;
    expect(JSON.stringify(spec['template'])).toContain('"image":"nginx:1.0"');
    expect(JSON.stringify(spec['template'])).not.toContain('pod-template-hash');
    expect(restored?.metadata['generation']).toBe(3);
    const patch = server.requests.find((request) => request.method === 'PATCH');
    expect(patch?.contentType).toBe('application/json-patch+json');
  });

  test('rollout undo of a StatefulSet applies the previous ControllerRevision (strategic merge patch)', async () => {
    const sts = server.apply(statefulSet({ name: 'db', image: 'pg:2' }));
    server.apply(controllerRevision(sts, 'pg:1', 1));
    server.apply(controllerRevision(sts, 'pg:2', 2));
    const history = await run('rollout', 'history', 'statefulset/db');
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const result = await run('rollout', 'undo', 'statefulset/db');
    expect(result.stdout).toBe('statefulset.apps/db rolled back\n');
    expect(JSON.stringify(server.get('statefulsets', 'default', 'db')?.['spec'])).toContain('"image":"pg:1"');
    expect(server.requests.find((request) => request.method === 'PATCH')?.contentType).toBe(
      'application/strategic-merge-patch+json',
    );
  });

  test('rollout pause and resume patch the Deployment', async () => {
    server.apply(deployment({ name: 'web', image: 'nginx:1.0' }));
    expect((await run('rollout', 'pause', 'deployment/web')).stdout).toBe('deployment.apps/web paused\n');
    expect((server.get('deployments', 'default', 'web')?.['spec'] as JsonObject)['paused']).toBe(true);
    const undo = await run('rollout', 'undo', 'deployment/web');
    expect(undo.exitCode).toBe(1);
    expect((await run('rollout', 'resume', 'deployment/web')).stdout).toBe('deployment.apps/web resumed\n');
  });
});

describe('the watch protocol', () => {
  const watchUrl = (query: string): string =>
    `${server.url}/apis/apps/v1/namespaces/default/deployments?watch=true&${query}`;
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${server.token}` });

  // Every stream in these tests ends on the server's side (timeoutSeconds, an ERROR, dropWatches).
  async function readEvents(response: Response): Promise<JsonObject[]> {
    const body = await response.text();
    return body
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JsonObject);
  }

  test('events after a resourceVersion, bookmarks, and the end at timeoutSeconds', async () => {
    server.apply(deployment({ name: 'web', image: 'a:1' }));
    const from = server.resourceVersion();
    server.apply(deployment({ name: 'web', image: 'a:2', generation: 2 }));
    server.apply(deployment({ name: 'other', image: 'b:1' }));
    const response = await fetch(
      watchUrl(`resourceVersion=${from}&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb&timeoutSeconds=1`),
      { headers: headers() },
    );
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expect(events[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'web', generation: 2 } } });
    expect(events.filter((event) => event['type'] === 'BOOKMARK').length).toBeGreaterThanOrEqual(2);
    expect(events.some((event) => JSON.stringify(event).includes('"other"'))).toBe(false);
  });

  test('an expired resourceVersion is answered with a 410 Expired ERROR event', async () => {
    server.apply(deployment({ name: 'web', image: 'a:1' }));
    const old = server.resourceVersion();
    server.apply(deployment({ name: 'web', image: 'a:2' }));
    server.compact();
    const response = await fetch(watchUrl(`resourceVersion=${old}`), { headers: headers() });
    const events = await readEvents(response);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  test('injected 500s, a closed stream, a deleted object and a wrong token', async () => {
    server.apply(deployment({ name: 'web', image: 'a:1' }));
    server.failRequests(1, { watch: true });
    const failed = await fetch(watchUrl('resourceVersion=0'), { headers: headers() });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
    const response = await fetch(watchUrl('resourceVersion=0'), { headers: headers() });
    setTimeout(() => server.remove('deployments', 'default', 'web'), 50);
    setTimeout(() => server.dropWatches(), 150);
    const events = await readEvents(response);
    expect(events.map((event) => event['type'])).toEqual(['ADDED', 'DELETED']);
    const denied = await fetch(`${server.url}/api/v1/namespaces/default/pods`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(denied.status).toBe(401);
  });

  test('pod logs honour container, tailLines and previous', async () => {
    seedDeployment(server, 'web', 'nginx:1.0');
    const podName = text(server.list('pods', 'default')[0]?.metadata['name']);
    server.setLog('default', podName, 'app', 'one\ntwo\nthree\n');
    server.setLog('default', podName, 'app', 'panic: boom\n', true);
    const tail = await run('logs', podName, '--tail', '2');
    expect(tail.stdout).toBe('two\nthree\n');
    const previous = await run('logs', podName, '--previous');
    expect(previous.stdout).toBe('panic: boom\n');
  });
});
