// The pure decisions behind a rendered bump: which entry decides a container's image, and which containers.
import { containersFor, entryForRendered, renderedContainers } from '@shiprail/kustomize-bump';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';
const argument = { name: 'ghcr.io/acme/frontend', digest: DIGEST };

test.each([
  [
    'no entries',
    'us.pkg.dev/p/frontend',
    [],
    { name: 'us.pkg.dev/p/frontend', newName: 'ghcr.io/acme/frontend' },
    'new entry',
  ],
  [
    'an entry by the rendered name',
    'ghcr.io/acme/frontend',
    [{ name: 'ghcr.io/acme/frontend', newTag: '1' }],
    { name: 'ghcr.io/acme/frontend' },
    'entry name: ghcr.io/acme/frontend',
  ],
  [
    'a rename yielding it',
    'old/frontend',
    [{ name: 'frontend', newName: 'old/frontend' }],
    { name: 'frontend', newName: 'ghcr.io/acme/frontend' },
    'entry name: frontend (newName: old/frontend)',
  ],
  [
    'the last of two yielding it decides',
    'old/frontend',
    [
      { name: 'a', newName: 'old/frontend' },
      { name: 'b', newName: 'old/frontend' },
    ],
    { name: 'b', newName: 'ghcr.io/acme/frontend' },
    'entry name: b',
  ],
])('%s', (_, rendered, existing, expected, decided) => {
  const { entry, decidedBy } = entryForRendered(argument, rendered, existing);
  expect(entry).toEqual({ ...expected, digest: DIGEST });
  expect(decidedBy).toContain(decided);
});

const manifests = `apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: init, image: busybox:1}]
          containers: [{name: run, image: "us.pkg.dev/p/frontend:v1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain}
`;

test('containers are found wherever a pod template sits, with the object and container names', () => {
  expect(renderedContainers(manifests)).toEqual([
    { object: 'shop/CronJob/report', container: 'init', image: 'busybox:1' },
    { object: 'shop/CronJob/report', container: 'run', image: 'us.pkg.dev/p/frontend:v1' },
  ]);
  expect(containersFor(argument, renderedContainers(manifests), 'overlays/dev', 'k.yaml')).toHaveLength(1);
  expect(() => containersFor({ name: 'ghcr.io/acme/api' }, renderedContainers(manifests), 'o', 'k.yaml')).toThrow(
    /no container image is ghcr.io\/acme\/api or ends in \/api/,
  );
});
