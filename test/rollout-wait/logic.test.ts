import { ConfigurationError, InputParser } from '@shiprail/core';
import {
  allHopeless,
  checkTemplateImages,
  containerProblems,
  decodeKubeconfig,
  imageMatches,
  kubeconfigSecrets,
  newPodLabel,
  parseInputs,
  parseResources,
  planRollback,
  selectorString,
} from '@shiprail/rollout-wait';
import { parseImageReference } from '@shiprail/core/image-reference';

type Pod = Parameters<typeof containerProblems>[0];
const podWith = (status: Record<string, unknown>, name = 'web-1'): Pod => ({
  metadata: { name },
  status: { containerStatuses: [{ name: 'app', ...status }] },
});

describe('hopeless pods', () => {
  test.each<[string, Record<string, unknown>, string | undefined]>([
    [
      'ImagePullBackOff',
      { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off' } } },
      'ImagePullBackOff',
    ],
    ['ErrImagePull', { state: { waiting: { reason: 'ErrImagePull' } } }, 'ErrImagePull'],
    ['InvalidImageName', { state: { waiting: { reason: 'InvalidImageName' } } }, 'InvalidImageName'],
    ['CrashLoopBackOff', { restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }, 'CrashLoopBackOff'],
    [
      'CreateContainerConfigError',
      { state: { waiting: { reason: 'CreateContainerConfigError' } } },
      'CreateContainerConfigError',
    ],
    ['RunContainerError', { state: { waiting: { reason: 'RunContainerError' } } }, 'RunContainerError'],
    [
      'OOMKilled with restarts',
      {
        restartCount: 2,
        ready: false,
        state: { running: {} },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
      },
      'OOMKilled',
    ],
    [
      'OOMKilled once, now ready',
      { restartCount: 1, ready: true, state: { running: {} }, lastState: { terminated: { reason: 'OOMKilled' } } },
      undefined,
    ],
    ['ContainerCreating', { state: { waiting: { reason: 'ContainerCreating' } } }, undefined],
    ['running', { ready: true, state: { running: {} } }, undefined],
  ])('%s', (_name, status, reason) => {
    expect(containerProblems(podWith(status))[0]?.reason).toBe(reason);
  });

  test('all new pods must be hopeless, and there must be at least one', () => {
    const bad = podWith({ state: { waiting: { reason: 'ErrImagePull' } } });
    const starting = podWith({ state: { waiting: { reason: 'ContainerCreating' } } }, 'web-2');
    const terminating = {
      ...podWith({ ready: true }),
      metadata: { name: 'web-3', deletionTimestamp: '2026-01-01T00:00:00Z' },
    } as Pod;
    expect(allHopeless([bad])).toBe(true);
    expect(allHopeless([bad, starting])).toBe(false);
    expect(allHopeless([bad, terminating])).toBe(true);
    expect(allHopeless([])).toBe(false);
  });

  test('the new pods of a Deployment are those of the ReplicaSet at its revision', () => {
    const deployment = { metadata: { uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '3' } } };
    const rs = (revision: string, hash: string, uid = 'd1') => ({
      metadata: {
        labels: { 'pod-template-hash': hash },
        annotations: { 'deployment.kubernetes.io/revision': revision },
        ownerReferences: [{ controller: true, uid }],
      },
    });
    expect(
      newPodLabel('deployment', deployment, { replicaSets: [rs('2', 'old'), rs('3', 'new'), rs('3', 'other', 'x')] }),
    ).toEqual({
      key: 'pod-template-hash',
      value: 'new',
    });
    expect(newPodLabel('statefulset', { status: { updateRevision: 'db-5' } })).toEqual({
      key: 'controller-revision-hash',
      value: 'db-5',
    });
    expect(newPodLabel('rollout', { status: { currentPodHash: 'abc' } })).toEqual({
      key: 'rollouts-pod-template-hash',
      value: 'abc',
    });
  });
});

describe('image references', () => {
  test.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['nginx', 'docker.io/library/nginx', undefined, undefined],
    ['nginx:1.27', 'docker.io/library/nginx', '1.27', undefined],
    ['acme/api:2', 'docker.io/acme/api', '2', undefined],
    ['ghcr.io/acme/api:1.2.3', 'ghcr.io/acme/api', '1.2.3', undefined],
    ['localhost:5000/api@sha256:' + 'a'.repeat(64), 'localhost:5000/api', undefined, 'sha256:' + 'a'.repeat(64)],
    ['Ghcr.io/Acme', undefined, undefined, undefined],
  ])('%s', (text, repository, tag, digest) => {
    const parsed = parseImageReference(text);
    expect(
      parsed && { repository: `${parsed.registry}/${parsed.repository}`, tag: parsed.tag, digest: parsed.digest },
    ).toEqual(repository === undefined ? undefined : { repository, tag, digest });
  });

  test.each<[string, string, boolean]>([
    ['ghcr.io/acme/api:2', 'ghcr.io/acme/api:2', true],
    ['ghcr.io/acme/api:2', 'ghcr.io/acme/api:1', false],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', true],
    ['ghcr.io/acme/api@sha256:' + 'b'.repeat(64), 'ghcr.io/acme/api:2@sha256:' + 'b'.repeat(64), true],
    ['ghcr.io/acme/api@sha256:' + 'b'.repeat(64), 'ghcr.io/acme/api:2', false],
    ['nginx', 'nginx:latest', true],
  ])('%s carried by %s: %s', (expected, actual, matches) => {
    const [e, a] = [parseImageReference(expected), parseImageReference(actual)];
    if (!e || !a) throw new Error('unparsed');
    expect(imageMatches(e, a)).toBe(matches);
  });

  test('templates: pending when the repository is there with another reference; other repositories do not concern it', () => {
    const expected = ['ghcr.io/acme/api:2', 'ghcr.io/acme/web:5']
      .map((text) => parseImageReference(text))
      .filter((ref) => ref !== undefined);
    const template = {
      spec: {
        containers: [
          { name: 'app', image: 'ghcr.io/acme/api:1' },
          { name: 'proxy', image: 'envoy:1' },
        ],
      },
    };
    expect(checkTemplateImages(template, expected)).toEqual({
      pending: [{ expected: 'ghcr.io/acme/api:2', actual: 'ghcr.io/acme/api:1' }],
      carried: [],
    });
  });
});

describe('inputs', () => {
  const parse = (inputs: Record<string, string>) =>
    parseInputs(
      new InputParser(
        (name) => inputs[name] ?? '',
        () => undefined,
      ),
    );

  test('defaults', () => {
    expect(parse({ resources: 'deployment/api' })).toEqual({
      kubeconfig: '',
      context: '',
      namespace: '',
      resources: ['deployment/api'],
      images: [],
      timeout: 600_000,
      'fail-fast': true,
      rollback: false,
      'accept-paused': false,
      controller: 'none',
      'gitops-commit': '',
      'gitops-paths': [],
      'gitops-objects': [],
      'gitops-repository': '',
      'gitops-branch': '',
      'gitops-token': '',
      'controller-namespace': '',
    });
  });

  test('resource lines', () => {
    expect(parseResources(['deploy/api', 'shop/sts/db', 'DaemonSet/agent', 'rollout.argoproj.io/shop'])).toEqual([
      { kind: 'deployment', name: 'api', namespace: undefined, text: 'deploy/api' },
      { kind: 'statefulset', name: 'db', namespace: 'shop', text: 'shop/sts/db' },
      { kind: 'daemonset', name: 'agent', namespace: undefined, text: 'DaemonSet/agent' },
      { kind: 'rollout', name: 'shop', namespace: undefined, text: 'rollout.argoproj.io/shop' },
    ]);
  });

  test.each([
    ['api', "line 1 'api': expected [namespace/]kind/name"],
    ['job/nightly', "unknown kind 'job'"],
    ['deployment/API', "'API' is not a valid object name"],
    ['Prod/deployment/api', "'Prod' is not a valid namespace name"],
    ['a/b/c/d', 'expected [namespace/]kind/name'],
  ])('%s is refused', (line, message) => {
    expect(() => parseResources([line])).toThrow(ConfigurationError);
    expect(() => parseResources([line])).toThrow(message);
  });

  test('a resource listed twice is refused', () => {
    expect(() => parseResources(['deployment/api', 'deploy/api'])).toThrow("'deploy/api' is listed twice");
  });
});

describe('kubeconfig', () => {
  const yaml =
    'apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: "https://k"}\nusers:\n- name: u\n  user:\n    token: s3cr3t-token\n    client-key-data: S0VZ\n    exec:\n      env:\n      - {name: PASS, value: hunter22}\n';

  test('base64 is decoded, YAML is kept', () => {
    expect(decodeKubeconfig(Buffer.from(yaml).toString('base64'))).toBe(yaml);
    expect(decodeKubeconfig(yaml)).toBe(yaml);
  });

  test('every credential is found for masking', () => {
    expect(
      kubeconfigSecrets({
        users: [
          {
            name: 'u',
            user: {
              token: 's3cr3t-token',
              'client-key-data': 'S0VZ',
              exec: { env: [{ name: 'PASS', value: 'hunter22' }] },
            },
          },
        ],
      }).sort(),
    ).toEqual(['S0VZ', 'hunter22', 's3cr3t-token']);
  });
});

describe('rollback as kubectl rollout undo', () => {
  const template = (image: string, hash?: string) => ({
    metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
    spec: { containers: [{ name: 'app', image }] },
  });
  const rs = (revision: number, image: string, extra: Record<string, string> = {}) => ({
    metadata: {
      annotations: { 'deployment.kubernetes.io/revision': String(revision), ...extra },
      ownerReferences: [{ controller: true, uid: 'd1' }],
    },
    spec: { template: template(image, `h${revision}`) },
  });
  const deployment = (image: string, paused = false) => ({
    metadata: { name: 'web', uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '3', team: 'shop' } },
    spec: { paused, template: template(image) },
  });

  test('the second-highest revision, without the hash label, with its annotations', () => {
    expect(
      planRollback(deployment('web:3'), [
        rs(1, 'web:1'),
        rs(3, 'web:3'),
        rs(2, 'web:2', { 'kubernetes.io/change-cause': 'v2' }),
      ]),
    ).toEqual({
      kind: 'patch',
      revision: 2,
      image: 'web:2',
      operations: [
        { op: 'replace', path: '/spec/template', value: template('web:2') },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'v2' },
        },
      ],
    });
  });

  test('skipped, impossible', () => {
    expect(planRollback(deployment('web:2'), [rs(2, 'web:2'), rs(3, 'web:3')])).toMatchObject({
      kind: 'skip',
      revision: 2,
    });
    expect(planRollback(deployment('web:3'), [rs(3, 'web:3')])).toEqual({
      kind: 'impossible',
      reason: 'no rollout history found for deployment "web"',
    });
    expect(planRollback(deployment('web:3', true), [rs(2, 'web:2'), rs(3, 'web:3')])).toMatchObject({
      kind: 'impossible',
    });
  });

  test('selectors as query parameters', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),!canary');
  });
});
