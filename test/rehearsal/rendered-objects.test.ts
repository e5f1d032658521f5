// The rehearsal's clusters apply what an overlay renders, as a GitOps controller and the API server would:
// a real bare GitOps repository, real `kubectl kustomize`, the test API server; then what real
// `kubectl rollout status` and rollout-wait make of the workloads the controllers roll out, and how an
// overlay that does not render reaches rollout-wait through Argo CD's Application.
import { errorMessage } from '@shiprail/core';
import { runRolloutWait } from '@shiprail/rollout-wait';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { createGitopsRemote, git, type GitopsRemote } from '@shiprail/rehearsal';
import {
  ArgoCdApplication,
  kustomizeWords,
  Reconciler,
  servedTypes,
  startKubeApiServer,
  text,
  unservedKindsRefusal,
  unservedObjects,
  type JsonObject,
  type KubeApiServer,
  type KubeObject,
  type PodReadiness,
  type PodTemplateSubject,
  type ReconcilerOptions,
  type RolloutOutcome,
} from '@shiprail/rehearsal/kube';
import {
  createTestRuntime,
  kubectl,
  kubectlErrorLine,
  rolloutStatusVerdict,
  waitForWatches,
  type RolloutVerdict,
} from '@shiprail/testkit';

let server: KubeApiServer;
let remote: GitopsRemote;
let work: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rendered-objects-'));
  [server, remote] = await Promise.all([
    startKubeApiServer({ bookmarkIntervalMs: 500 }),
    createGitopsRemote({ directory: join(root, 'remote'), images: ['api'], overlays: ['dev'] }),
  ]);
  work = join(root, 'work');
  await git(root, ['clone', '--quiet', remote.path, work]);
});
afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A commit on the GitOps branch writing `files` (removing those given as null); its SHA. */
async function commit(files: Record<string, string | null>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(join(work, path), { force: true });
    else {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
  }
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '--allow-empty', '-m', message]);
  await git(work, ['push', '--quiet', 'origin', `HEAD:refs/heads/${remote.branch}`]);
  return (await git(work, ['rev-parse', 'HEAD'])).trim();
}

const head = async (): Promise<string> => (await git(work, ['rev-parse', 'HEAD'])).trim();

const container = (name: string, image: string, probe = '/healthz'): Record<string, unknown> => ({
  name,
  image,
  ports: [{ containerPort: 8080 }],
  readinessProbe: { httpGet: { path: probe, port: 8080 }, periodSeconds: 5 },
});

function workload(kind: string, name: string, image: string, more: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container(name, image)] } },
      ...more,
    },
  });
}

const kustomization = (resources: string[], more = ''): string =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((file) => `  - ${file}\n`).join('')}${more}`;

/** Cases, each its own environment (overlay folder and namespace), applied by one reconciler in one commit. */
async function casesWith(
  cases: Record<string, Record<string, string>>,
  options: Partial<ReconcilerOptions> = {},
): Promise<Reconciler> {
  const reconciler = new Reconciler({
    repository: remote.path,
    branch: remote.branch,
    environments: Object.keys(cases).map((slug) => ({ name: slug, server, namespace: slug, overlay: `cases/${slug}` })),
    stepMs: 0,
    ...options,
  });
  await reconciler.restore(await head());
  const files = Object.entries(cases).flatMap(([slug, entries]) =>
    Object.entries(entries).map(([path, content]) => [`cases/${slug}/${path}`, content] as const),
  );
  await commit(Object.fromEntries(files), `${Object.keys(cases).join(', ')}: first commit`);
  await reconciler.settle();
  return reconciler;
}

const statusOf = (object: KubeObject | undefined): Record<string, unknown> =>
  (object?.['status'] ?? {}) as Record<string, unknown>;
const names = (objects: KubeObject[]): string[] => objects.map((object) => text(object.metadata['name'])).sort();

interface ApplyCase {
  slug: string;
  files: Record<string, string>;
  check: (slug: string, reconciler: Reconciler) => void;
}

/** A kubelet stand-in: a readiness probe on /broken fails, as an HTTP probe answered 503 would. */
const probeReadiness: PodReadiness = {
  readiness: (subject: PodTemplateSubject) => {
    const spec = subject.template['spec'] as {
      containers: Array<{ readinessProbe?: { httpGet?: { path?: string } } }>;
    };
    const failing = spec.containers.some((entry) => entry.readinessProbe?.httpGet?.path === '/broken');
    return Promise.resolve(
      failing
        ? {
            ready: false,
            health: 'starting',
            message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
          }
        : { ready: true },
    );
  },
};

const APPLY_CASES: Record<string, ApplyCase> = {
  'a Deployment with its replicas, probes, Service and ConfigMap, in the namespace the overlay renders': {
    slug: 'team',
    files: {
      'kustomization.yaml': kustomization(
        ['namespace.yaml', 'api.yaml', 'service.yaml'],
        'namespace: apply-team\nconfigMapGenerator:\n  - name: settings\n    literals: [MODE=dev]\n',
      ),
      'namespace.yaml': stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apply-team' } }),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1', { replicas: 3 }),
      'service.yaml': stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api' },
        spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
    },
    check: (slug) => {
      expect(server.list('deployments', slug)).toEqual([]);
      const deployment = server.get('deployments', 'apply-team', 'api');
      expect(deployment?.['spec']).toMatchObject({ replicas: 3, strategy: { type: 'RollingUpdate' } });
      expect(statusOf(deployment)).toMatchObject({
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
      });
      const pods = server.list('pods', 'apply-team');
      expect(pods).toHaveLength(3);
      expect(pods[0]?.['spec']).toMatchObject({
        containers: [{ name: 'api', readinessProbe: { httpGet: { path: '/healthz', port: 8080 } } }],
      });
      expect(names(server.list('services', 'apply-team'))).toEqual(['api']);
      expect(names(server.list('configmaps', 'apply-team'))[0]).toMatch(/^settings-/);
    },
  },
  "objects without a namespace land in the environment's": {
    slug: 'default-namespace',
    files: {
      'kustomization.yaml': kustomization(['db.yaml', 'agent.yaml']),
      'db.yaml': workload('StatefulSet', 'db', 'registry.test/db:1', { replicas: 2 }),
      'agent.yaml': workload('DaemonSet', 'agent', 'registry.test/agent:1'),
    },
    check: (slug) => {
      const db = server.get('statefulsets', slug, 'db');
      const status = statusOf(db);
      expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentReplicas: 2 });
      expect(status['currentRevision']).toBe(status['updateRevision']);
      expect(statusOf(server.get('daemonsets', slug, 'agent'))).toMatchObject({
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 3,
        updatedNumberScheduled: 3,
      });
      expect(names(server.list('pods', slug))).toEqual(expect.arrayContaining(['db-0', 'db-1']));
      expect(
        server
          .list('pods', slug)
          .map((item) => (item['spec'] as { nodeName?: string }).nodeName)
          .sort(),
      ).toEqual(['node-1', 'node-1', 'node-1', 'node-2', 'node-3']);
    },
  },
  'a kind the API server does not serve refuses the whole commit': {
    slug: 'unknown-kind',
    files: {
      'kustomization.yaml': kustomization(['api.yaml', 'widget.yaml']),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1'),
      'widget.yaml': stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    },
    check: (slug, reconciler) => {
      expect(reconciler.failures()[slug]).toMatch(
        /^resource mapping not found for name: "w" namespace: "unknown-kind" from "cases\/unknown-kind": no matches for kind "Widget" in version "example.com\/v1"/,
      );
      expect(server.list('deployments', slug)).toEqual([]);
    },
  },
  'replicas given as a string are refused as the API server refuses them': {
    slug: 'string-replicas',
    files: {
      'kustomization.yaml': kustomization(['api.yaml']),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1', { replicas: '2' }),
    },
    check: (slug, reconciler) => {
      expect(reconciler.failures()[slug]).toBe(
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
      );
      expect(server.list('deployments', slug)).toEqual([]);
    },
  },
  'a namespace that neither exists nor is rendered is not found': {
    slug: 'missing-namespace',
    files: {
      'kustomization.yaml': kustomization(['api.yaml'], 'namespace: nowhere\n'),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1'),
    },
    check: (slug, reconciler) => expect(reconciler.failures()[slug]).toBe('namespaces "nowhere" not found'),
  },
  "an overlay that does not render stops the environment with kustomize's words": {
    slug: 'kustomize-error',
    files: {
      'kustomization.yaml': kustomization(['api.yaml', 'missing.yaml']),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1'),
    },
    check: (slug, reconciler) => {
      expect(reconciler.failures()[slug]).toMatch(
        /^accumulating resources: accumulation err='accumulating resources from 'missing.yaml': .*cases\/kustomize-error\/missing.yaml: no such file or directory/,
      );
      expect(reconciler.failures()[slug]).not.toContain(tmpdir());
      expect(server.list('deployments', slug)).toEqual([]);
    },
  },
  'a pod template whose readiness probe fails is not ready, with the kubelet’s reason': {
    slug: 'failing-probe',
    files: {
      'kustomization.yaml': kustomization(['api.yaml']),
      'api.yaml': workload('Deployment', 'api', 'registry.test/api:1', { replicas: 2 }).replace('/healthz', '/broken'),
    },
    check: (slug) => {
      expect(statusOf(server.get('deployments', slug, 'api'))).toMatchObject({
        updatedReplicas: 1,
        availableReplicas: 0,
      });
      const events = server.list('events', slug);
      expect(events.map((item) => [item['reason'], item['message']])).toEqual([
        ['Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503'],
      ]);
    },
  },
};

describe('what a rendered overlay becomes in the cluster', () => {
  let reconciler: Reconciler;
  beforeAll(async () => {
    const cases = Object.values(APPLY_CASES).map((entry) => [entry.slug, entry.files] as const);
    reconciler = await casesWith(
      Object.fromEntries([
        ...cases,
        [
          'prune',
          {
            'kustomization.yaml': kustomization(['api.yaml', 'db.yaml']),
            'api.yaml': workload('Deployment', 'api', 'registry.test/api:1'),
            'db.yaml': workload('StatefulSet', 'db', 'registry.test/db:1'),
          },
        ],
      ]),
      { readiness: probeReadiness },
    );
  });

  test.each(Object.keys(APPLY_CASES))('%s', (name) => {
    const entry = APPLY_CASES[name];
    if (entry === undefined) throw new Error(name);
    entry.check(entry.slug, reconciler);
  });

  test('what Git drops is pruned, with what it owned; a fixed overlay applies again', async () => {
    const overlay = 'cases/prune';
    expect(names(server.list('pods', 'prune'))).toHaveLength(2);
    await commit({ [`${overlay}/kustomization.yaml`]: kustomization(['api.yaml', 'gone.yaml']) }, 'prune: broken');
    await reconciler.settle();
    expect(reconciler.failures()['prune']).toContain("accumulating resources from 'gone.yaml'");
    expect(names(server.list('statefulsets', 'prune'))).toEqual(['db']);
    await commit({ [`${overlay}/kustomization.yaml`]: kustomization(['api.yaml']) }, 'prune: db goes');
    await reconciler.settle();
    expect(reconciler.failures()['prune']).toBeUndefined();
    expect(server.list('statefulsets', 'prune')).toEqual([]);
    expect(names(server.list('pods', 'prune'))).toEqual([expect.stringMatching(/^api-/)]);
    expect(server.list('controllerrevisions', 'prune')).toEqual([]);
  });

  test('a reverted template gets its ReplicaSet back at the next revision, the failed one scaled to zero', async () => {
    const api = workload('Deployment', 'api', 'registry.test/api:1');
    await commit({ 'cases/prune/api.yaml': api.replace('/healthz', '/broken') }, 'prune: api probes /broken');
    await reconciler.settle();
    const revisionOf = (object: KubeObject | undefined): string | undefined =>
      (object?.metadata['annotations'] as Record<string, string> | undefined)?.['deployment.kubernetes.io/revision'];
    expect(revisionOf(server.get('deployments', 'prune', 'api'))).toBe('2');
    expect(statusOf(server.get('deployments', 'prune', 'api'))).toMatchObject({ replicas: 2, availableReplicas: 1 });
    await commit({ 'cases/prune/api.yaml': api }, 'Revert "prune: api probes /broken"');
    await reconciler.settle();
    const deployment = server.get('deployments', 'prune', 'api');
    expect(revisionOf(deployment)).toBe('3');
    expect(statusOf(deployment)).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    const replicaSets = server.list('replicasets', 'prune');
    expect(replicaSets.map((rs) => [revisionOf(rs), (rs['spec'] as { replicas: number }).replicas]).sort()).toEqual([
      ['2', 0],
      ['3', 1],
    ]);
    expect(server.list('pods', 'prune')).toHaveLength(1);
  });

  test("kubectl's log line around kustomize's words is taken off", () => {
    expect(
      kustomizeWords(
        'E1205 20:52:44.861518   27823 run.go:72] "command failed" err="invalid Kustomization: \\"x\\" is bad"\n',
      ),
    ).toBe('invalid Kustomization: "x" is bad');
    expect(kustomizeWords('error: accumulating resources\n')).toBe('error: accumulating resources');
  });
});

interface RolloutCase {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  outcome: RolloutOutcome;
  timeout: string;
}

const ROLLOUT_CASES: Record<string, RolloutCase> = {
  'a Deployment rolls out': { kind: 'Deployment', outcome: 'success', timeout: '20s' },
  'a Deployment passes its progress deadline': { kind: 'Deployment', outcome: 'deadline', timeout: '20s' },
  'a StatefulSet rolls out': { kind: 'StatefulSet', outcome: 'success', timeout: '20s' },
  "a StatefulSet's new pod never pulls its image": { kind: 'StatefulSet', outcome: 'ImagePullBackOff', timeout: '3s' },
  'a DaemonSet rolls out': { kind: 'DaemonSet', outcome: 'success', timeout: '20s' },
  "a DaemonSet's new pod never becomes ready": { kind: 'DaemonSet', outcome: 'stuck', timeout: '3s' },
};

describe('kubectl rollout status and rollout-wait agree with the controllers', () => {
  const names = Object.keys(ROLLOUT_CASES);
  const slugOf = (name: string): string => `rollout-${names.indexOf(name)}`;
  const manifest = (entry: RolloutCase, tag: string): string =>
    workload(entry.kind, 'app', `registry.test/app:${tag}`, entry.kind === 'DaemonSet' ? {} : { replicas: 2 });
  let reconciler: Reconciler;
  let gated = false;
  beforeAll(async () => {
    reconciler = await casesWith(
      Object.fromEntries(
        Object.entries(ROLLOUT_CASES).map(([name, entry]) => [
          slugOf(name),
          { 'kustomization.yaml': kustomization(['app.yaml']), 'app.yaml': manifest(entry, '1') },
        ]),
      ),
      {
        stepMs: 100,
        outcome: (environment, _workload, image) =>
          image.endsWith(':2')
            ? (ROLLOUT_CASES[names[Number(environment.split('-')[1])] ?? '']?.outcome ?? 'success')
            : 'success',
        // A new image's rollout waits until both kubectl and rollout-wait watch.
        progressWhen: () => !gated || server.openWatches() >= 2,
      },
    );
    gated = true;
  });
  afterAll(() => reconciler.stop());

  test.each(names)('%s', async (name) => {
    const entry = ROLLOUT_CASES[name];
    if (entry === undefined) throw new Error(name);
    const slug = slugOf(name);
    await commit({ [`cases/${slug}/app.yaml`]: manifest(entry, '2') }, `${slug}: app 2`);
    await reconciler.sync();
    const resource = `${entry.kind.toLowerCase()}/app`;
    const fromKubectl = kubectl(server.kubeconfigPath, [
      'rollout',
      'status',
      resource,
      '-n',
      slug,
      '--timeout',
      entry.timeout,
    ]);
    const runtime = createTestRuntime({
      inputs: {
        kubeconfig: server.kubeconfig,
        namespace: slug,
        resources: resource,
        timeout: entry.timeout,
        'fail-fast': 'false',
      },
    });
    const fromAction = runRolloutWait(runtime).then(() => undefined, errorMessage);
    await Promise.race([waitForWatches(server, 2), fromKubectl, fromAction]);
    const [kubectlRun, actionError] = await Promise.all([fromKubectl, fromAction]);

    const kubectlVerdict = rolloutStatusVerdict(kubectlRun);
    const expected: RolloutVerdict =
      entry.outcome === 'success' ? 'success' : entry.outcome === 'deadline' ? 'failed' : 'timeout';
    expect({ kubectl: kubectlVerdict, action: runtime.outputs['result'], error: actionError !== undefined }).toEqual({
      kubectl: expected,
      action: expected,
      error: expected !== 'success',
    });
    const [waited] = JSON.parse(runtime.outputs['resources'] ?? '[]') as Array<{ message: string }>;
    const kubectlError = kubectlErrorLine(kubectlRun);
    const kubectlLast = kubectlRun.stdout.trim().split('\n').pop();
    expect(waited?.message).toBe(expected === 'failed' ? kubectlError : kubectlLast);
  });
});

/** As the rehearsal's world has them: dev's cluster runs the Prometheus Operator, staging's does not. */
const CLUSTER_TYPES = { dev: servedTypes({ prometheusOperator: true }), staging: servedTypes({}) };
const missingCrd = (group: string, kind: string): string =>
  `The Kubernetes API could not find ${group}/${kind} for requested resource shop-staging/api. Make sure the "${kind}" CRD is installed on the destination cluster.`;
/** [cluster, apiVersion, kind, what Argo CD says of an object `api` of it ('served': nothing)] */
const REFUSAL_CASES: Array<[keyof typeof CLUSTER_TYPES, string, string, string]> = [
  ['dev', 'apps/v1', 'Deployment', 'served'],
  ['staging', 'apps/v1', 'Deployment', 'served'],
  ['dev', 'monitoring.coreos.com/v1', 'ServiceMonitor', 'served'],
  ['staging', 'monitoring.coreos.com/v1', 'ServiceMonitor', missingCrd('monitoring.coreos.com', 'ServiceMonitor')],
  ['dev', 'monitoring.coreos.com/v1', 'PrometheusRule', 'served'],
  ['staging', 'monitoring.coreos.com/v1', 'PrometheusRule', missingCrd('monitoring.coreos.com', 'PrometheusRule')],
  [
    'dev',
    'monitoring.coreos.com/v1alpha1',
    'AlertmanagerConfig',
    missingCrd('monitoring.coreos.com', 'AlertmanagerConfig'),
  ],
  [
    'staging',
    'autoscaling/v2beta2',
    'HorizontalPodAutoscaler',
    'The Kubernetes API could not find version "v2beta2" of autoscaling/HorizontalPodAutoscaler for requested resource shop-staging/api. Version "v2" of autoscaling/HorizontalPodAutoscaler is installed on the destination cluster.',
  ],
  ['dev', 'apps/v1', 'Deploymnet', 'Deploymnet.apps "" not found'],
  ['staging', 'v1', 'Secrets', 'Secrets "" not found'],
];

describe("what a cluster serves decides what Argo CD refuses, in Argo CD's words", () => {
  test.each(REFUSAL_CASES)('%s: %s %s', (cluster, apiVersion, kind, says) => {
    const served = CLUSTER_TYPES[cluster];
    const unserved = unservedObjects(served, [{ apiVersion, kind, metadata: { name: 'api' } }], 'shop-staging');
    const refusal = unserved.length === 0 ? undefined : unservedKindsRefusal(unserved, served);
    expect(refusal?.resources.map((resource) => resource.message) ?? ['served']).toEqual([says]);
  });

  test('every unserved object of a commit fails its task, nothing is applied, what it would create is Missing', () => {
    const rendered: JsonObject[] = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'api' } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'api', namespace: 'ops' } },
    ];
    expect(unservedObjects(CLUSTER_TYPES.dev, rendered, 'shop-dev')).toEqual([]);
    const unserved = unservedObjects(CLUSTER_TYPES.staging, rendered, 'shop-staging');
    expect(unservedKindsRefusal(unserved, CLUSTER_TYPES.staging)).toEqual({
      message: 'one or more synchronization tasks are not valid',
      health: 'Missing',
      resources: [
        {
          kind: 'ServiceMonitor',
          namespace: 'shop-staging',
          name: 'api',
          message: missingCrd('monitoring.coreos.com', 'ServiceMonitor'),
        },
        {
          kind: 'PrometheusRule',
          namespace: 'ops',
          name: 'api',
          message: expect.stringContaining('ops/api. Make sure') as string,
        },
      ].map((resource) => ({ group: 'monitoring.coreos.com', version: 'v1', status: 'SyncFailed', ...resource })),
    });
  });
});

describe('what stops an environment reaches rollout-wait through Argo CD', () => {
  const CASES: Record<string, { files: (overlay: string) => Record<string, string | null>; says: RegExp }> = {
    'an overlay that does not render: ComparisonError with kustomize’s words': {
      files: (overlay) => ({ [`${overlay}/kustomization.yaml`]: kustomization(['api.yaml', 'missing.yaml']) }),
      says: /^ComparisonError: Failed to load target state: .*`kustomize build .*\/argo-\d\/overlay` failed exit status 1: accumulating resources: .*'missing.yaml'/,
    },
    'a kind the cluster does not serve: the sync fails with Argo CD’s words': {
      files: (overlay) => ({
        [`${overlay}/kustomization.yaml`]: kustomization(['api.yaml', 'monitor.yaml']),
        [`${overlay}/monitor.yaml`]: stringify({
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'api' },
          spec: { selector: { matchLabels: { app: 'api' } }, endpoints: [{ port: 'http' }] },
        }),
      }),
      says: /^sync of .* Failed: one or more synchronization tasks are not valid; ServiceMonitor\/api SyncFailed: The Kubernetes API could not find monitoring\.coreos\.com\/ServiceMonitor for requested resource argo-1\/api\. Make sure the "ServiceMonitor" CRD is installed on the destination cluster\.$/,
    },
    'a new image that never pulls: Degraded with the pod’s reason': {
      files: (overlay) => ({ [`${overlay}/api.yaml`]: workload('Deployment', 'api', 'registry.test/api:2') }),
      says: /^synced to .*, Degraded: Deployment\/api: pod api-\w+-\w+ ImagePullBackOff/,
    },
  };

  const slugs = Object.keys(CASES).map((_, index) => `argo-${index}`);
  const overlayOf = (slug: string): string => `cases/${slug}/overlay`;
  let reconciler: Reconciler;
  beforeAll(async () => {
    reconciler = new Reconciler({
      repository: remote.path,
      branch: remote.branch,
      environments: slugs.map((slug) => ({ name: slug, server, namespace: slug, overlay: overlayOf(slug) })),
      stepMs: 0,
      pollMs: 50,
      outcome: (_environment, _workload, image) => (image.endsWith(':2') ? 'ImagePullBackOff' : 'success'),
      argoCd: () => ({ repoURL: remote.remoteUrl }),
    });
    const first = await commit(
      Object.fromEntries(
        slugs.flatMap((slug) => [
          [`${overlayOf(slug)}/kustomization.yaml`, kustomization(['api.yaml'])],
          [`${overlayOf(slug)}/api.yaml`, workload('Deployment', 'api', 'registry.test/api:1')],
        ]),
      ),
      'argo: first',
    );
    await reconciler.restore(first);
    for (const slug of slugs) new ArgoCdApplication(server, slug).seed(remote.remoteUrl, overlayOf(slug), slug, first);
    reconciler.start();
  });
  afterAll(() => reconciler.stop());

  test.each(Object.keys(CASES))('%s', async (name) => {
    const entry = CASES[name];
    if (entry === undefined) throw new Error(name);
    const overlay = overlayOf(`argo-${Object.keys(CASES).indexOf(name)}`);
    const sha = await commit(entry.files(overlay), `${overlay}: change`);
    const runtime = createTestRuntime({
      inputs: {
        kubeconfig: server.kubeconfig,
        controller: 'argocd',
        'gitops-commit': sha,
        'gitops-paths': overlay,
        timeout: '20s',
      },
    });
    const started = Date.now();
    const error = await runRolloutWait(runtime).then(() => undefined, errorMessage);
    const [controller] = JSON.parse(runtime.outputs['controllers'] ?? '[]') as Array<{ message: string }>;
    expect({ result: runtime.outputs['result'], failed: error !== undefined }).toEqual({
      result: 'failed',
      failed: true,
    });
    expect(controller?.message).toMatch(entry.says);
    // Within seconds of the commit, not at the deadline.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
