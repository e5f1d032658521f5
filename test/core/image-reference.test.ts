// Image references, one parser for build-push, kustomize-bump and rollout-wait: how each reference
// splits into host, path, tag and digest, whether it is in the grammar, and Docker Hub's defaults.
import {
  dockerHubRepository,
  isDockerHub,
  isImageReference,
  parseImageReference,
  splitImageName,
  splitImageReference,
} from '@shiprail/core/image-reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  test.each<[string, string, string, string, string, string, boolean]>([
    // reference, name, host, path, tag, digest, in the grammar
    ['nginx', 'nginx', '', 'nginx', '', '', true],
    ['nginx:1.27', 'nginx', '', 'nginx', '1.27', '', true],
    [`nginx@${DIGEST}`, 'nginx', '', 'nginx', '', DIGEST, true],
    [`nginx:1.27@${DIGEST}`, 'nginx', '', 'nginx', '1.27', DIGEST, true],
    ['acme/api:2', 'acme/api', '', 'acme/api', '2', '', true],
    ['ghcr.io/acme/api:1.2.3', 'ghcr.io/acme/api', 'ghcr.io', 'acme/api', '1.2.3', '', true],
    ['localhost/api', 'localhost/api', 'localhost', 'api', '', '', true],
    ['localhost:5000/a/nginx:v1', 'localhost:5000/a/nginx', 'localhost:5000', 'a/nginx', 'v1', '', true],
    [`127.0.0.1:5000/api@${DIGEST}`, '127.0.0.1:5000/api', '127.0.0.1:5000', 'api', '', DIGEST, true],
    ['[::1]:5000/my_app-x.y', '[::1]:5000/my_app-x.y', '[::1]:5000', 'my_app-x.y', '', '', false],
    [
      'registry.example.com:8443/team/svc',
      'registry.example.com:8443/team/svc',
      'registry.example.com:8443',
      'team/svc',
      '',
      '',
      true,
    ],
    ['my_ns/app', 'my_ns/app', '', 'my_ns/app', '', '', true],
    // A host alone: without a slash, `:5000` reads as a tag.
    ['localhost:5000', 'localhost', '', 'localhost', '5000', '', true],
    ['Ghcr.io/Acme', 'Ghcr.io/Acme', 'Ghcr.io', 'Acme', '', '', false],
    ['ghcr.io/acme//api', 'ghcr.io/acme//api', 'ghcr.io', 'acme//api', '', '', false],
    ['api:', 'api', '', 'api', '', '', false],
    ['', '', '', '', '', '', false],
  ])('%s', (reference, name, host, path, tag, digest, grammatical) => {
    expect(splitImageReference(reference)).toEqual({ name, tag, digest });
    expect(splitImageName(name)).toEqual({ host, path });
    expect(isImageReference(reference)).toBe(grammatical);
  });

  test.each([
    ['docker.io', true],
    ['index.docker.io', true],
    ['registry-1.docker.io', false],
    ['ghcr.io', false],
  ])('Docker Hub: %s -> %s', (registry, hub) => {
    expect(isDockerHub(registry)).toBe(hub);
  });

  test.each([
    ['nginx', 'library/nginx'],
    ['acme/api', 'acme/api'],
    ['library/nginx', 'library/nginx'],
  ])('a Docker Hub path: %s -> %s', (path, repository) => {
    expect(dockerHubRepository(path)).toBe(repository);
  });

  test.each<[string, Record<string, unknown> | undefined]>([
    [
      ' nginx ',
      {
        text: 'nginx',
        name: 'nginx',
        registry: 'docker.io',
        apiHost: 'registry-1.docker.io',
        repository: 'library/nginx',
      },
    ],
    [
      'index.docker.io/acme/api:2',
      { registry: 'index.docker.io', apiHost: 'registry-1.docker.io', repository: 'acme/api', tag: '2' },
    ],
    [
      `127.0.0.1:5000/api:1@${DIGEST}`,
      { name: '127.0.0.1:5000/api', repository: 'api', tag: '1', digest: DIGEST, loopback: true },
    ],
    [
      'ghcr.io/acme/api',
      { registry: 'ghcr.io', apiHost: 'ghcr.io', tag: undefined, digest: undefined, loopback: false },
    ],
    ['Ghcr.io/Acme', undefined],
  ])('parsed: %s', (text, expected) => {
    const parsed = parseImageReference(text);
    if (expected === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toMatchObject(expected);
  });
});
