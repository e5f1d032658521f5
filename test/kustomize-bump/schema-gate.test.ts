// The schema gate: real `kubectl kustomize` output validated against the Kubernetes schemas, and the
// bundled action refusing a bump (nothing pushed) or checking a checkout, on one shared bare remote.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '@shiprail/core';
import { git } from '@shiprail/rehearsal';
import { runBundledAction } from '@shiprail/testkit';
import { parseKubernetesVersion } from '../../packages/kustomize-bump/src/schema/catalog.ts';
import { loadSchemaCatalog } from '../../packages/kustomize-bump/src/schema/catalog.ts';
import { validateRendered, type InvalidObject } from '../../packages/kustomize-bump/src/schema/validate.ts';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';

const deployment = (name: string, spec: string, container: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n${spec}` +
  `  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n` +
  `    spec:\n      containers:\n        - ${container}\n`;
const image = (name: string): string => `image: ghcr.io/acme/${name}:1.0.0\n          ports: [{containerPort: 8080}]`;
const SERVICE =
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\nspec:\n  selector: {app: frontend}\n  ports: [{port: 80, targetPort: 8080}]\n';
const MONITOR =
  'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: frontend\nspec:\n  endpoints: [{port: http}]\n';
const overlay = (resources: string[]): string =>
  'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n' +
  resources.map((resource) => `  - ${resource}\n`).join('');

/** The base is valid; `broken` adds one object per mistake, `typo-kind` one whose kind does not exist. */
const FILES: Record<string, string> = {
  'base/deployment.yaml': deployment('frontend', '  replicas: 2\n', `name: server\n          ${image('frontend')}`),
  'base/service.yaml': SERVICE,
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - service.yaml\n',
  'overlays/valid/monitor.yaml': MONITOR,
  'overlays/valid/kustomization.yaml': overlay(['monitor.yaml']),
  'overlays/broken/replicas.yaml': deployment(
    'replicas',
    '  replicas: "3"\n',
    `name: worker\n          ${image('worker')}`,
  ),
  'overlays/broken/unknown-field.yaml': deployment(
    'unknown-field',
    '',
    `name: worker\n          ${image('worker')}\n          imagePullPolcy: Always`,
  ),
  'overlays/broken/no-name.yaml': deployment('no-name', '', image('worker')),
  'overlays/broken/kustomization.yaml': overlay(['replicas.yaml', 'unknown-field.yaml', 'no-name.yaml']),
  'overlays/typo-kind/typo.yaml': deployment('typo', '', `name: worker\n          ${image('worker')}`).replace(
    'kind: Deployment',
    'kind: Deploymnet',
  ),
  'overlays/typo-kind/kustomization.yaml': overlay(['typo.yaml']),
};

/** Each mistake, as the gate names it (kustomize sorts the objects by kind, then name). */
const INVALID = [
  'Deployment/no-name (apps/v1): spec.template.spec.containers[0].name is required',
  'Deployment/replicas (apps/v1): spec.replicas must be integer',
  'Deployment/unknown-field (apps/v1): spec.template.spec.containers[0].imagePullPolcy is not a field of this kind',
];

let root: string;
let bare: string;
const rendered = new Map<string, string>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'schema-gate-'));
  const seed = join(root, 'seed');
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  for (const name of ['valid', 'broken', 'typo-kind']) {
    rendered.set(
      name,
      execFileSync('kubectl', ['kustomize', '--', join(seed, 'overlays', name)], { encoding: 'utf8' }),
    );
  }
  bare = join(root, 'gitops.git');
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(seed, ['init', '--quiet', '--initial-branch=main']);
  await git(seed, ['add', '.']);
  await git(seed, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'layout']);
  await git(seed, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('validating real kubectl kustomize output', () => {
  test('a valid overlay passes; its custom resource is listed as not validated', async () => {
    const report = validateRendered(await loadSchemaCatalog('1.36'), rendered.get('valid') ?? '');
    expect(report).toEqual({
      validated: 2,
      invalid: [],
      notValidated: ['monitoring.coreos.com/v1 ServiceMonitor/frontend'],
    });
  });

  const describe = (invalid: InvalidObject): string =>
    `${invalid.object} (${invalid.apiVersion}): ${invalid.issues.map((i) => `${i.path} ${i.message}`).join(', ')}`;

  test.each([
    ['broken', INVALID],
    ['typo-kind', ['Deploymnet/typo (apps/v1): kind Deploymnet is not a apps/v1 kind in the Kubernetes 1.36 schemas']],
  ])('overlay %s: each object and its field are named', async (name, expected) => {
    const report = validateRendered(await loadSchemaCatalog('1.36'), rendered.get(name) ?? '');
    expect(report.invalid.map(describe)).toEqual(expected);
    expect(report.validated).toBe(2 + expected.length);
  });

  test('maps (labels, annotations) and free-form fields (ControllerRevision data) hold any key', async () => {
    const manifests =
      'apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: r\n  labels: {any: thing}\n' +
      '  annotations: {"example.com/x": "y"}\ndata: {whatever: {nested: 1}}\nrevision: 1\n';
    const report = validateRendered(await loadSchemaCatalog('1.36'), manifests);
    expect(report).toEqual({ validated: 1, invalid: [], notValidated: [] });
  });
});

test.each([
  ['1.36', '1.36'],
  ['v1.36.2', '1.36'],
  [
    '1.35',
    "input 'kubernetes-version': schemas of Kubernetes 1.35 are not shipped: use one of 1.36 (e.g. 1.36 or v1.36.2)",
  ],
  [
    'latest',
    "input 'kubernetes-version': 'latest' is not a Kubernetes version: use one of 1.36 (e.g. 1.36 or v1.36.2)",
  ],
])('kubernetes-version %s', (value, expected) => {
  try {
    expect(parseKubernetesVersion(value, 'kubernetes-version')).toBe(expected);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).describe()).toBe(expected);
  }
});

const headOf = async (): Promise<string> => (await git(bare, ['rev-parse', 'refs/heads/main'])).trim();
const bump = (name: string) =>
  runBundledAction('kustomize-bump', {
    inputs: {
      repository: pathToFileURL(bare).href,
      token: '',
      overlays: `overlays/${name}`,
      images: `ghcr.io/acme/frontend@${DIGEST}`,
      verify: 'true',
    },
    sha: 'c0ffee0000000000000000000000000000000001',
  });

describe('the bundled action', () => {
  test('refuses a bump whose overlay renders invalid objects, naming each: nothing is pushed', async () => {
    const before = await headOf();
    const run = await bump('broken');
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'overlays/broken/kustomization.yaml: overlays/broken renders 3 objects that Kubernetes 1.36 would refuse: ' +
        INVALID.join('; '),
    ]);
    expect(await headOf()).toBe(before);
    expect(run.summary).toContain(
      '3 rendered objects would be refused by Kubernetes 1.36: nothing was committed or pushed.',
    );
  });

  test('pushes a valid overlay, listing its custom resource as not validated', async () => {
    const before = await headOf();
    const run = await bump('valid');
    expect(run.errors).toEqual([]);
    expect(await headOf()).not.toBe(before);
    expect(run.outputs['not-validated']).toBe('overlays/valid: monitoring.coreos.com/v1 ServiceMonitor/frontend');
    expect(run.summary).toContain('| overlays/valid | 2 |  | monitoring.coreos.com/v1 ServiceMonitor/frontend |');
  });

  test('mode check validates a checkout and writes nothing', async () => {
    const checkout = join(root, 'checkout');
    await git(root, ['clone', '--quiet', bare, checkout]);
    const run = await runBundledAction('kustomize-bump', {
      inputs: {
        mode: 'check',
        'repository-path': checkout,
        overlays: 'overlays/valid\noverlays/typo-kind',
        images: '',
      },
      env: { GITHUB_WORKSPACE: root },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'overlays/typo-kind/kustomization.yaml: overlays/typo-kind renders an object that Kubernetes 1.36 would refuse: ' +
        'Deploymnet/typo (apps/v1): kind Deploymnet is not a apps/v1 kind in the Kubernetes 1.36 schemas',
    ]);
    expect(run.summary).toContain('1 rendered objects would be refused by Kubernetes 1.36.');
    expect(run.outputs['not-validated']).toBe('overlays/valid: monitoring.coreos.com/v1 ServiceMonitor/frontend');
    expect(await git(checkout, ['status', '--porcelain'])).toBe('');
  });
});
