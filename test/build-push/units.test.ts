// Pure decisions of build-push: image references, rule parsing, templates, builder command lines.
import {
  authFileContent,
  buildahBuildArguments,
  buildahGlobalArguments,
  buildahLayoutArguments,
  buildahPushArguments,
  buildxArguments,
  digestFromMetadata,
  effectiveCache,
  formatDate,
  parseChallenge,
  parseImageInput,
  parseTagRule,
  RegistryClient,
  splitFields,
  type BuildRequest,
} from '@shiprail/build-push';
import { isLoopbackHost } from '@shiprail/core/image-reference';

describe('image references', () => {
  test.each([
    ['ghcr.io/acme/api', { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'acme/api', loopback: false }],
    ['acme/api', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'acme/api', loopback: false }],
    [
      'docker.io/nginx',
      { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx', loopback: false },
    ],
    [
      'localhost:5000/a/b/c',
      { registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'a/b/c', loopback: true },
    ],
    [
      '127.0.0.1:5000/api',
      { registry: '127.0.0.1:5000', apiHost: '127.0.0.1:5000', repository: 'api', loopback: true },
    ],
    [
      '[::1]:5000/my_app-x.y',
      { registry: '[::1]:5000', apiHost: '[::1]:5000', repository: 'my_app-x.y', loopback: true },
    ],
    [
      'registry.example.com:8443/team/svc',
      { registry: 'registry.example.com:8443', repository: 'team/svc', loopback: false },
    ],
  ])('%s', (image, expected) => {
    expect(parseImageInput(image)).toMatchObject({ name: image, ...expected });
  });

  test.each([
    ['ghcr.io/Acme/api', /lower case/],
    ['ghcr.io/acme/api:v1', /carries a tag/],
    ['ghcr.io/acme/api@sha256:abc', /digest/],
    ['ghcr.io', /no repository/],
    ['ghcr.io/', /no repository/],
    ['api', /no registry or namespace/],
    ['ghcr.io/acme//api', /empty path component/],
    ['ghcr.io/acme/-api', /invalid path component '-api'/],
    ['ghcr.io/acme/a..b', /invalid path component/],
    ['ghcr.io/acme/api/', /empty path component/],
    ['bad_host.io/acme/api', /invalid registry host/],
  ])('rejects %s', (image, message) => {
    expect(() => parseImageInput(image)).toThrow(message);
  });

  test.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1', true],
    ['127.255.3.4:80', true],
    ['[::1]:5000', true],
    ['128.0.0.1:5000', false],
    ['localhost.example.com', false],
    ['ghcr.io', false],
  ])('loopback %s -> %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  test('a registry that is not on loopback is spoken to over HTTPS', async () => {
    const client = new RegistryClient(parseImageInput('registry.invalid/acme/app'), { fetch, attempts: 1 });
    await expect(client.headManifest('x')).rejects.toThrow('https://registry.invalid/v2/acme/app/manifests/x');
  });
});

describe('rule syntax', () => {
  test.each([
    ['type=sha', ['type=sha']],
    ['type=raw,value=a', ['type=raw', 'value=a']],
    ['type=raw,"value=a,b",enable=true', ['type=raw', 'value=a,b', 'enable=true']],
    ['type=raw,"value=say ""hi"""', ['type=raw', 'value=say "hi"']],
    ['a,,b', ['a', 'b']],
  ])('splits %s', (line, fields) => {
    expect(splitFields(line)).toEqual(fields);
  });

  test('defaults and priorities as docker/metadata-action', () => {
    expect(parseTagRule('type=sha')).toMatchObject({
      type: 'sha',
      priority: 100,
      attrs: { prefix: 'sha-', format: 'short', enable: 'true' },
    });
    expect(parseTagRule('type=ref,event=pr')).toMatchObject({ priority: 600, attrs: { prefix: 'pr-' } });
    expect(parseTagRule('type=schedule')).toMatchObject({ priority: 1000, attrs: { pattern: 'nightly' } });
    expect(parseTagRule('my-tag')).toMatchObject({ type: 'raw', priority: 200, attrs: { value: 'my-tag' } });
    expect(parseTagRule('TYPE=edge,Priority=5')).toMatchObject({ type: 'edge', priority: 5 });
  });

  test.each([
    ['type=ref', /needs an event/],
    ['type=ref,event=push', /unknown event 'push'/],
    ['type=sha,format=medium', /short or long/],
    ['type=match,pattern=x,group=one', /group/],
    ['type=raw,value=a,priority=high', /priority/],
    ['type=raw,"value=a', /unclosed/],
    ['type=pep440,pattern={{version}}', /unknown type 'pep440'/],
  ])('rejects %s', (line, message) => {
    expect(() => parseTagRule(line)).toThrow(message);
  });
});

test.each([
  ['YYYYMMDD', 'UTC', '20240229'],
  ['YYYY-MM-DD[T]HH:mm:ss', 'UTC', '2024-02-29T23:05:09'],
  ['YYYYMMDD-HHmm', 'Asia/Tokyo', '20240301-0805'],
  ['D/M/YY h a', 'UTC', '29/2/24 11 pm'],
  ['X', 'UTC', '1709247909'],
  ['HH:mm Z', 'America/New_York', '18:05 -05:00'],
  ['ZZ', 'Asia/Kolkata', '+0530'],
  [undefined, 'UTC', '2024-02-29T23:05:09Z'],
  [undefined, 'Asia/Tokyo', '2024-03-01T08:05:09+09:00'],
  ['', 'UTC', '2024-02-29T23:05:09Z'],
])('date %s in %s', (format, zone, expected) => {
  expect(formatDate(Date.UTC(2024, 1, 29, 23, 5, 9), format, zone)).toBe(expected);
});

test('WWW-Authenticate challenges', () => {
  expect(
    parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/api:pull"'),
  ).toEqual({
    scheme: 'bearer',
    params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/api:pull' },
  });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
    scheme: 'basic',
    params: { realm: 'Registry Realm' },
  });
});

const request = (overrides: Partial<BuildRequest> = {}): BuildRequest => ({
  image: parseImageInput('ghcr.io/acme/api'),
  contextDir: '/w/services/api',
  dockerfile: '/w/services/api/Dockerfile',
  tags: ['ghcr.io/acme/api:sha-860c190', 'ghcr.io/acme/api:main'],
  labels: { 'org.opencontainers.image.revision': '860c190', team: 'a b' },
  buildArgs: ['NODE_VERSION=24', 'EMPTY='],
  target: '',
  platforms: [],
  push: true,
  ociLayout: '',
  cache: 'auto',
  githubCache: true,
  ...overrides,
});

describe('docker buildx command line', () => {
  test('on a runner: GitHub cache scoped per image, metadata file, push', () => {
    expect(
      buildxArguments(request({ target: 'prod', platforms: ['linux/amd64', 'linux/arm64'] }), '/t/meta.json'),
    ).toEqual([
      'buildx',
      'build',
      '--file',
      '/w/services/api/Dockerfile',
      '--tag',
      'ghcr.io/acme/api:sha-860c190',
      '--tag',
      'ghcr.io/acme/api:main',
      '--label',
      'org.opencontainers.image.revision=860c190',
      '--label',
      'team=a b',
      '--build-arg',
      'NODE_VERSION=24',
      '--build-arg',
      'EMPTY=',
      '--target',
      'prod',
      '--platform',
      'linux/amd64,linux/arm64',
      '--cache-from',
      'type=gha,scope=ghcr.io/acme/api-prod',
      '--cache-to',
      'type=gha,mode=max,scope=ghcr.io/acme/api-prod',
      '--metadata-file',
      '/t/meta.json',
      '--push',
      '/w/services/api',
    ]);
  });

  test('two services never share a GitHub cache scope', () => {
    const api = buildxArguments(request(), '/m');
    const web = buildxArguments(request({ image: parseImageInput('ghcr.io/acme/web') }), '/m');
    const scopes = (args: string[]): string[] => args.filter((arg) => arg.startsWith('type=gha'));
    expect(scopes(api)).toEqual(['type=gha,scope=ghcr.io/acme/api', 'type=gha,mode=max,scope=ghcr.io/acme/api']);
    expect(scopes(web)).toEqual(['type=gha,scope=ghcr.io/acme/web', 'type=gha,mode=max,scope=ghcr.io/acme/web']);
  });

  test('registry cache, and no --push / --cache-to when not pushing', () => {
    const pushed = buildxArguments(request({ cache: 'registry' }), '/m');
    expect(pushed).toContain('type=registry,ref=ghcr.io/acme/api:buildcache');
    expect(pushed).toContain('type=registry,ref=ghcr.io/acme/api:buildcache,mode=max');
    const local = buildxArguments(request({ cache: 'registry', push: false }), '/m');
    expect(local).not.toContain('--push');
    expect(local).not.toContain('--cache-to');
    expect(buildxArguments(request({ cache: 'none' }), '/m')).not.toContain('--cache-from');
  });

  test('push: false with an OCI layout: --output type=oci to the directory, unpacked, nothing pushed', () => {
    const args = buildxArguments(request({ push: false, ociLayout: '/t/oci/api', githubCache: false }), '/m');
    expect(args.slice(-5)).toEqual([
      '--metadata-file',
      '/m',
      '--output',
      'type=oci,dest=/t/oci/api,tar=false',
      '/w/services/api',
    ]);
    expect(args).not.toContain('--push');
    expect(args).not.toContain('--cache-to');
  });

  test('auto cache: GitHub cache on runners, else registry when pushing; none for buildah', () => {
    expect(effectiveCache(request(), 'buildx')).toBe('gha');
    expect(effectiveCache(request({ githubCache: false }), 'buildx')).toBe('registry');
    expect(effectiveCache(request({ githubCache: false, push: false }), 'buildx')).toBe('none');
    expect(effectiveCache(request(), 'buildah')).toBe('none');
    expect(effectiveCache(request({ cache: 'registry' }), 'buildah')).toBe('registry');
  });

  test('the digest comes from the metadata file', () => {
    const metadata = JSON.stringify({
      'buildx.build.ref': 'builder/builder0/abc',
      'containerimage.digest': 'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    });
    expect(digestFromMetadata(metadata)).toBe(
      'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
  });
});

describe('buildah command lines', () => {
  test('build: chroot isolation, every tag, no credentials in argv', () => {
    const args = buildahBuildArguments(request({ platforms: ['linux/arm64'] }), '/t/shiprail-x/auth.json');
    expect(args.slice(0, 5)).toEqual(['bud', '--isolation', 'chroot', '--file', '/w/services/api/Dockerfile']);
    expect(args).toEqual(
      expect.arrayContaining(['--platform', 'linux/arm64', '--authfile', '/t/shiprail-x/auth.json']),
    );
    expect(args).not.toContain('--tls-verify=false');
    expect(args.at(-1)).toBe('/w/services/api');
  });

  test('loopback registries skip TLS; push writes the digest file', () => {
    const local = request({
      image: parseImageInput('127.0.0.1:5000/acme/api'),
      tags: ['127.0.0.1:5000/acme/api:sha-1'],
    });
    expect(buildahBuildArguments(local, undefined)).toContain('--tls-verify=false');
    expect(buildahPushArguments(local, '/t/digest', undefined)).toEqual([
      'push',
      '--tls-verify=false',
      '--digestfile',
      '/t/digest',
      '127.0.0.1:5000/acme/api:sha-1',
      'docker://127.0.0.1:5000/acme/api:sha-1',
    ]);
  });

  test('several platforms build a manifest list and push it with --all', () => {
    const multi = request({ platforms: ['linux/amd64', 'linux/arm64'] });
    const args = buildahBuildArguments(multi, undefined);
    expect(args).toEqual(
      expect.arrayContaining(['--manifest', 'ghcr.io/acme/api:sha-860c190', '--platform', 'linux/amd64,linux/arm64']),
    );
    expect(args).not.toContain('--tag');
    expect(buildahPushArguments(multi, '/d', undefined).slice(0, 3)).toEqual(['manifest', 'push', '--all']);
  });

  test.each([
    [
      'one platform',
      [] as string[],
      [
        'push',
        '--format',
        'oci',
        '--compression-format',
        'gzip',
        '--remove-signatures',
        'ghcr.io/acme/api:sha-860c190',
        'oci:/t/oci/api',
      ],
    ],
    [
      'two platforms',
      ['linux/amd64', 'linux/arm64'],
      [
        'manifest',
        'push',
        '--all',
        '--format',
        'oci',
        '--remove-signatures',
        'ghcr.io/acme/api:sha-860c190',
        'oci:/t/oci/api',
      ],
    ],
  ])('an OCI layout is written with OCI manifests and gzip layers, as a push sends them: %s', (_, platforms, args) => {
    expect(buildahLayoutArguments(request({ push: false, ociLayout: '/t/oci/api', platforms }))).toEqual(args);
  });

  test('vfs storage unless containers/storage is told otherwise', () => {
    expect(buildahGlobalArguments({})).toEqual(['--storage-driver', 'vfs']);
    expect(buildahGlobalArguments({ STORAGE_DRIVER: 'overlay' })).toEqual([]);
  });

  test('the auth file holds the credentials for the one registry', () => {
    expect(JSON.parse(authFileContent('ghcr.io', { username: 'u', password: 'p:w' }))).toEqual({
      auths: { 'ghcr.io': { auth: Buffer.from('u:p:w').toString('base64') } },
    });
  });
});
