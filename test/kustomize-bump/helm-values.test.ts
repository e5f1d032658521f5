// Writing images into Helm values, from tables: the chart shapes teams use, Argo CD and Flux objects, mistakes.
import { parseImageTargets, setHelmValuesImages } from '@shiprail/kustomize-bump';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';
const frontend = { name: 'ghcr.io/acme/frontend', digest: DIGEST };
const none = parseImageTargets('');
const declared = (keys: string): ReturnType<typeof parseImageTargets> =>
  parseImageTargets(`ghcr.io/acme/frontend:\n  helm-values: ${keys}\n`);

test.each([
  [
    'image.repository/image.tag, no digest key: the tag pins the digest',
    none,
    '# frontend chart\nimage:\n  repository: registry.old/frontend # moved soon\n  tag: "v0.10.6"\n  pullPolicy: IfNotPresent\n',
    `# frontend chart\nimage:\n  repository: ghcr.io/acme/frontend # moved soon\n  tag: "v0.10.6@${DIGEST}"\n  pullPolicy: IfNotPresent\n`,
    'registry.old/frontend:v0.10.6',
  ],
  [
    'image: {registry, repository, digest}',
    none,
    "image:\n  registry: us-central1-docker.pkg.dev\n  repository: shop/images/frontend\n  tag: v0.10.6\n  digest: ''\n",
    `image:\n  registry: ghcr.io\n  repository: acme/frontend\n  tag: v0.10.6\n  digest: '${DIGEST}'\n`,
    'us-central1-docker.pkg.dev/shop/images/frontend:v0.10.6',
  ],
  [
    'a per-service map, declared keys, a digest key added after the tag',
    declared(
      '{repository: services.frontend.image.repository, tag: services.frontend.image.tag, digest: services.frontend.image.digest}',
    ),
    'services:\n  cart:\n    image:\n      repository: acme/frontend-cart\n      tag: "1"\n  frontend:\n    image:\n      repository: acme/frontend\n      tag: "2"\n    replicas: 2\n',
    `services:\n  cart:\n    image:\n      repository: acme/frontend-cart\n      tag: "1"\n  frontend:\n    image:\n      repository: ghcr.io/acme/frontend\n      tag: "2"\n      digest: ${DIGEST}\n    replicas: 2\n`,
    'acme/frontend:2',
  ],
  [
    'a whole reference at a key image, found by its name',
    none,
    'frontend:\n  image: us.pkg.dev/shop/frontend:v1 # pinned\n',
    `frontend:\n  image: ghcr.io/acme/frontend@${DIGEST} # pinned\n`,
    'us.pkg.dev/shop/frontend:v1',
  ],
  [
    'a flow mapping gets the digest key inside its braces',
    declared('{repository: image.repository, digest: image.digest}'),
    'image: {repository: old/frontend}\n',
    `image: {repository: ghcr.io/acme/frontend, digest: ${DIGEST}}\n`,
    'old/frontend',
  ],
])('%s', (_, targets, before, after, previous) => {
  const edit = setHelmValuesImages(before, 'values.yaml', [frontend], targets);
  expect(edit.text).toBe(after);
  expect(edit.changes.map((change) => change.before?.name)).toEqual([previous]);
  expect(edit.changes[0]?.note).toContain('(checked)');
});

const application = (helm: string): string =>
  'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: frontend-dev\nspec:\n  source:\n' +
  `    repoURL: https://charts.example\n    chart: frontend\n    helm:\n${helm}`;

test.each([
  [
    'Argo CD valuesObject',
    application('      valuesObject:\n        image:\n          repository: old/frontend\n          tag: v1\n'),
    application(
      `      valuesObject:\n        image:\n          repository: ghcr.io/acme/frontend\n          tag: v1@${DIGEST}\n`,
    ),
    'Argo CD renders',
  ],
  [
    'Argo CD values, a string of YAML kept a literal block with its comments',
    application(
      '      values: |\n        # pinned by CI\n        image:\n          repository: old/frontend\n          tag: v1\n',
    ),
    application(
      `      values: |\n        # pinned by CI\n        image:\n          repository: ghcr.io/acme/frontend\n          tag: v1@${DIGEST}\n`,
    ),
    'Argo CD renders',
  ],
  [
    'Flux HelmRelease spec.values',
    'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: frontend\nspec:\n  values:\n    image:\n      repository: old/frontend\n      tag: v1\n      digest: ""\n',
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: frontend\nspec:\n  values:\n    image:\n      repository: ghcr.io/acme/frontend\n      tag: v1\n      digest: "${DIGEST}"\n`,
    'Flux renders',
  ],
])('%s', (_, before, after, renderer) => {
  const edit = setHelmValuesImages(before, 'app.yaml', [frontend], none);
  expect(edit.text).toBe(after);
  expect(edit.changes[0]?.note).toContain(renderer);
});

test('an image already in place changes nothing, and is counted as held', () => {
  const text = `image:\n  repository: ghcr.io/acme/frontend\n  digest: ${DIGEST}\n`;
  expect(setHelmValuesImages(text, 'values.yaml', [frontend], none)).toEqual({ text, changes: [], held: 1 });
});

test('a tag with a digest key clears an old digest, which would pin the old image', () => {
  const edit = setHelmValuesImages(
    `image:\n  repository: ghcr.io/acme/frontend\n  tag: v1\n  digest: ${DIGEST}\n`,
    'values.yaml',
    [{ name: 'ghcr.io/acme/frontend', newTag: 'v2' }],
    none,
  );
  expect(edit.text).toBe('image:\n  repository: ghcr.io/acme/frontend\n  tag: v2\n  digest: ""\n');
});

test.each([
  [
    'two keys end in the image name',
    none,
    'a:\n  image: {repository: x/frontend}\nb:\n  image: {repository: y/frontend}\n',
    'several keys hold an image ending in /frontend (a.image.repository, b.image.repository)',
  ],
  [
    'a declared key holding a mapping',
    declared('{repository: image}'),
    'image:\n  repository: x/frontend\n',
    'image holds a mapping or list',
  ],
  ['no digest key and no tag to pin it to', none, 'image:\n  repository: x/frontend\n', 'reads no digest key'],
  [
    'an Argo CD parameter overriding the key',
    none,
    application(
      '      parameters:\n        - name: image.repository\n          value: x\n      valuesObject:\n        image: {repository: x/frontend, tag: v1}\n',
    ),
    'helm.parameters sets image.repository',
  ],
  ['malformed YAML, at its line', none, 'image:\n  repository: [x\n', 'malformed YAML'],
])('refused: %s', (_, targets, text, message) => {
  expect(() => setHelmValuesImages(text, 'values.yaml', [frontend], targets)).toThrow(message);
});

test.each([
  ['ghcr.io/acme/frontend: {helm-values: {tag: image.tag}}', 'needs repository'],
  ['ghcr.io/acme/frontend: {helm-values: {reference: image, tag: image.tag}}', 'give it alone'],
  ['ghcr.io/acme/frontend: {helm-values: {repository: "image..repository"}}', 'dotted key path'],
  ['ghcr.io/acme/frontend: {container: Server}', 'name of a container'],
  ['ghcr.io/acme/frontend: {helm: {}}', "unknown key 'helm'"],
])('image-targets %s is refused: %s', (text, message) => {
  expect(() => parseImageTargets(text)).toThrow(message);
});
