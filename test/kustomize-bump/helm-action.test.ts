// The bundled action on a real bare remote: Helm values files, an Argo CD Application and a kustomize overlay
// bumped in one commit; the manifest's container: rendered by real kubectl; previous-images from before.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { git, showFile } from '@shiprail/rehearsal';
import { runBundledAction } from '@shiprail/testkit';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';
const CART = 'sha256:0b1c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d30';

const VALUES =
  '# shop umbrella chart, dev\nservices:\n  frontend:\n    image:\n      repository: us.pkg.dev/shop/frontend # CI writes this\n' +
  '      tag: "v0.10.6"\n  cart:\n    image:\n      registry: quay.io\n      repository: shop/cart\n      tag: v3\n      digest: ""\n';
const APPLICATION =
  'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: frontend-staging\nspec:\n  source:\n' +
  '    repoURL: https://charts.example\n    chart: frontend\n    helm:\n      values: |\n        image:\n' +
  '          repository: us.pkg.dev/shop/frontend\n          tag: v0.10.5\n';
// Two workloads name their container `app`; the pod of frontend also runs a sidecar built from the same image.
const deployment = (name: string, containers: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels: {app: ${name}}\n` +
  `  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n${containers}`;
const OVERLAY_FILES = {
  'base/web.yaml': deployment(
    'frontend',
    '        - name: app\n          image: placeholder/web:v1\n        - name: metrics\n          image: placeholder/exporter:v2\n',
  ),
  'base/kustomization.yaml': 'resources:\n  - web.yaml\n',
  'overlays/dev/kustomization.yaml': 'resources:\n  - ../../base\n',
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'helm-action-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let remotes = 0;
async function remoteWith(files: Record<string, string>): Promise<string> {
  remotes += 1;
  const seed = join(root, `seed-${remotes}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  const bare = join(root, `gitops-${remotes}.git`);
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(seed, ['init', '--quiet', '--initial-branch=main']);
  await git(seed, ['add', '.']);
  await git(seed, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'layout']);
  await git(seed, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  return bare;
}

const bump = async (bare: string, inputs: Record<string, string>) =>
  runBundledAction('kustomize-bump', {
    inputs: { repository: pathToFileURL(bare).href, token: '', verify: 'true', ...inputs },
    sha: 'c0ffee0000000000000000000000000000000001',
  });

test('values files and an Argo CD Application change in one commit; previous-images is what they held', async () => {
  const bare = await remoteWith({
    'charts/shop/values-dev.yaml': VALUES,
    'apps/staging/frontend.yaml': APPLICATION,
    'README.md': '# gitops\n',
  });
  const run = await bump(bare, {
    overlays: 'charts/shop/values-dev.yaml\napps/staging/frontend.yaml',
    images: `ghcr.io/acme/frontend@${DIGEST}\nghcr.io/acme/cart@${CART}`,
    'image-targets': JSON.stringify({
      'ghcr.io/acme/cart': {
        container: '',
        'helm-values': {
          registry: 'services.cart.image.registry',
          repository: 'services.cart.image.repository',
          tag: 'services.cart.image.tag',
          digest: 'services.cart.image.digest',
        },
      },
    }),
  });
  expect(run.errors).toEqual([]);
  expect(run.exitCode).toBe(0);
  expect(await showFile(bare, 'main', 'charts/shop/values-dev.yaml')).toBe(
    VALUES.replace('us.pkg.dev/shop/frontend #', 'ghcr.io/acme/frontend #')
      .replace('"v0.10.6"', `"v0.10.6@${DIGEST}"`)
      .replace('registry: quay.io', 'registry: ghcr.io')
      .replace('repository: shop/cart', 'repository: acme/cart')
      .replace('digest: ""', `digest: "${CART}"`),
  );
  expect(await showFile(bare, 'main', 'apps/staging/frontend.yaml')).toBe(
    APPLICATION.replace('us.pkg.dev/shop/frontend', 'ghcr.io/acme/frontend').replace('v0.10.5', `v0.10.5@${DIGEST}`),
  );
  const log = await git(root, ['--git-dir', bare, 'log', '--format=%s', 'main']);
  expect(log.trim().split('\n')).toHaveLength(2);
  expect(run.outputs['previous-images']?.split('\n').sort()).toEqual([
    'quay.io/shop/cart:v3',
    'us.pkg.dev/shop/frontend:v0.10.5',
    'us.pkg.dev/shop/frontend:v0.10.6',
  ]);
  expect(run.summary).toContain('Argo CD renders the chart');
  // A re-run finds every image in place: nothing to commit.
  const again = await bump(bare, {
    overlays: 'charts/shop/values-dev.yaml',
    images: `ghcr.io/acme/frontend@${DIGEST}`,
  });
  expect(again.errors).toEqual([]);
  expect(again.outputs['changed']).toBe('false');
});

test.each([
  [
    'a values file holding none of the images',
    { 'values.yaml': 'replicas: 2\n' },
    'values.yaml',
    'holds none of the images',
  ],
  [
    'a declared key the values lack, beside no other image',
    { 'values.yaml': 'image:\n  name: x\n' },
    'values.yaml',
    'holds none of the images',
  ],
])('refused before anything is pushed: %s', async (_, files, overlays, message) => {
  const bare = await remoteWith(files);
  const run = await bump(bare, {
    overlays,
    images: `ghcr.io/acme/frontend@${DIGEST}`,
    'image-targets': 'ghcr.io/acme/frontend: {helm-values: {repository: image.repository}}',
  });
  expect(run.exitCode).toBe(1);
  expect(run.errors.join('\n')).toContain(message);
  const log = await git(root, ['--git-dir', bare, 'log', '--format=%s', 'main']);
  expect(log.trim()).toBe('layout');
});

test.each([
  [
    'container: picks the container, whose image the manifests name another way',
    { 'ghcr.io/acme/frontend': { container: 'app' } },
    'placeholder/web:v1',
    '',
  ],
  [
    'without container: no image ends in /frontend, and the candidates are named',
    {},
    '',
    'frontend app: placeholder/web:v1',
  ],
  [
    'a container the overlay does not render',
    { 'ghcr.io/acme/frontend': { container: 'server' } },
    '',
    'no container named server',
  ],
])('%s', async (_, targets, previous, error) => {
  const bare = await remoteWith(OVERLAY_FILES);
  const run = await bump(bare, {
    overlays: 'overlays/dev',
    images: `ghcr.io/acme/frontend@${DIGEST}`,
    'image-targets': JSON.stringify(targets),
  });
  if (error !== '') {
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain(error);
    return;
  }
  expect(run.errors).toEqual([]);
  expect(run.outputs['previous-images']).toBe(previous);
  const file = await showFile(bare, 'main', 'overlays/dev/kustomization.yaml');
  expect(file).toContain(`  - digest: ${DIGEST}\n    name: placeholder/web\n    newName: ghcr.io/acme/frontend\n`);
});
