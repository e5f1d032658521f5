// The bundled action against overlays whose manifests name images their own way, rendered by real kubectl.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { git, showFile } from '@shiprail/rehearsal';
import { runBundledAction } from '@shiprail/testkit';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';
const FOREIGN = 'us-central1-docker.pkg.dev/shop/images/frontend';

const deployment = (image: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n  selector:\n    matchLabels: {app: frontend}\n` +
  `  template:\n    metadata:\n      labels: {app: frontend}\n    spec:\n      containers:\n        - name: server\n          image: ${image}\n`;
const BASE = {
  'base/deployment.yaml': deployment(`${FOREIGN}:v0.10.6`),
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
};
const overlay = (images: string): string =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n${images}`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rendered-names-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function remoteWith(files: Record<string, string>): Promise<string> {
  const seed = join(root, 'seed');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(seed, path)), { recursive: true });
    await writeFile(join(seed, path), text);
  }
  const bare = join(root, 'gitops.git');
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(seed, ['init', '--quiet', '--initial-branch=main']);
  await git(seed, ['add', '.']);
  await git(seed, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'layout']);
  await git(seed, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  return bare;
}

async function bumpFrontend(files: Record<string, string>, verify = 'true') {
  const bare = await remoteWith(files);
  const run = await runBundledAction('kustomize-bump', {
    inputs: {
      repository: pathToFileURL(bare).href,
      token: '',
      overlays: 'overlays/dev',
      images: `ghcr.io/acme/frontend@${DIGEST}`,
      verify,
    },
    sha: 'c0ffee0000000000000000000000000000000001',
  });
  const file = run.exitCode === 0 ? await showFile(bare, 'main', 'overlays/dev/kustomization.yaml') : '';
  const rendered = run.exitCode === 0 ? await kustomize(bare) : '';
  return { run, file, rendered, bare };
}

async function kustomize(bare: string): Promise<string> {
  const work = join(root, 'check');
  await git(root, ['clone', '--quiet', bare, work]);
  const { execFileSync } = process.getBuiltinModule('node:child_process');
  return execFileSync('kubectl', ['kustomize', '--', join(work, 'overlays/dev')], { encoding: 'utf8' });
}

const RENAME = '  - name: frontend\n    newName: registry.old/frontend\n';
const CHAIN = `  - name: ${FOREIGN}\n    newName: frontend\n`;

test.each([
  ['a base naming a foreign registry, overlay with no images:', '', `${FOREIGN}:v0.10.6`],
  [
    'an images: entry for the foreign name',
    `images:\n  - name: ${FOREIGN}\n    newTag: v0.10.7\n`,
    `${FOREIGN}:v0.10.7`,
  ],
  [
    'renames in file order (foreign -> frontend -> registry.old)',
    `images:\n${CHAIN}${RENAME}`,
    'registry.old/frontend:v0.10.6',
  ],
  // Applied one after another: the rename of `frontend` comes first and matches nothing yet.
  ['renames in reverse order (the second decides)', `images:\n${RENAME}${CHAIN}`, 'frontend:v0.10.6'],
])(
  '%s: the rendered image becomes the new reference and previous-images is what rendered before',
  async (_, images, before) => {
    const { run, rendered, file } = await bumpFrontend({ ...BASE, 'overlays/dev/kustomization.yaml': overlay(images) });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(rendered).toContain(`image: ghcr.io/acme/frontend@${DIGEST}\n`);
    expect(run.outputs['previous-images']).toBe(before);
    expect(file).toContain(`newName: ghcr.io/acme/frontend`);
    // The base is never edited.
    expect(run.outputs['diff']).not.toContain('base/');
  },
);

test('a component renaming the image is followed: the entry is written for the name it renders', async () => {
  const files = {
    ...BASE,
    'components/mirror/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n  - name: ${FOREIGN}\n    newName: mirror.local/frontend\n`,
    'overlays/dev/kustomization.yaml': overlay('components:\n  - ../../components/mirror\n'),
  };
  const { run, rendered } = await bumpFrontend(files);
  expect(run.errors).toEqual([]);
  expect(run.outputs['previous-images']).toBe('mirror.local/frontend:v0.10.6');
  expect(rendered).toContain(`image: ghcr.io/acme/frontend@${DIGEST}\n`);
});

test('two different images ending in /frontend: the bump asks which is meant', async () => {
  const files = {
    ...BASE,
    'base/canary.yaml': deployment('quay.io/other/frontend:1').replace(
      'name: frontend\nspec',
      'name: frontend-canary\nspec',
    ),
    'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - canary.yaml\n',
    'overlays/dev/kustomization.yaml': overlay(''),
  };
  const { run } = await bumpFrontend(files);
  expect(run.exitCode).toBe(1);
  expect(run.errors.join('\n')).toContain('several container images end in /frontend');
});
