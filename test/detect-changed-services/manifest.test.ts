import { ConfigurationError, parseYamlDocument } from '@shiprail/core';
import {
  checkDependencies,
  discoverServices,
  parseManifest,
  serviceWithDefaults,
} from '@shiprail/detect-changed-services';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST, removeTemporaryDirectories, temporaryDirectory } from './repo.ts';

afterAll(removeTemporaryDirectories);

const FILE = '.github/services.yml';

async function mistake(text: string): Promise<ConfigurationError> {
  try {
    await parseManifest(text, FILE);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

/** A service with one key set to a value that must be refused, and what the error says. */
const service = (key: string, value: string): string =>
  `services:\n  api:\n    path: services/api\n    ${key}: ${value}\n`;
const hostileValues: Array<[string, string, number, RegExp]> = [
  ['a path leaving the repository', 'services:\n  api:\n    path: ../../etc\n', 3, /path: '..\/..\/etc' leads outside/],
  ['an absolute dockerfile', service('dockerfile', '/etc/passwd'), 4, /dockerfile: '\/etc\/passwd' is absolute/],
  ['a context leaving the repository', service('context', 'services/../../x'), 4, /context: .* leads outside/],
  ['a context with a newline', service('context', '"a\\nb"'), 4, /control character/],
  ['a library path leaving the repository', 'libraries:\n  l:\n    path: ../x\n', 3, /leads outside/],
  ['a resource with a flag', service('resource', '"deployment/x --all"'), 4, /not a valid object name/],
  ['a resource of an unknown kind', service('resource', 'pod/x'), 4, /unknown kind 'pod'/],
  ['a resource without a kind', service('resource', 'x'), 4, /expected \[namespace\/\]kind\/name/],
  ['a resource with a bad namespace', service('resource', 'Shop/deployment/x'), 4, /not a valid namespace/],
  ['an image with a space', service('image', '"api --push"'), 4, /is not an image name/],
  ['an image starting with -', service('image', '"-api"'), 4, /is not an image name/],
  ['a test that is not a string', service('test', '[a, b]'), 4, /expected a command/],
  ['test reports outside the repository', service('test-reports', "'../**/*.xml'"), 4, /leads outside/],
  ['test reports through ..', service('test-reports', "'a/../../b/*.xml'"), 4, /leads outside|contains '\.\.'/],
  ['test reports as an absolute glob', service('test-reports', "'/tmp/*.xml'"), 4, /is absolute/],
  ['a coverage file outside the repository', service('coverage', '../lcov.info'), 4, /leads outside/],
  ['min-coverage above 100', service('min-coverage', '101'), 4, /percentage from 0 to 100/],
  ['min-coverage that is not a number', service('min-coverage', 'most'), 4, /percentage from 0 to 100/],
];

describe('parseManifest', () => {
  test('reads global, libraries and services with the documented defaults', async () => {
    const manifest = await parseManifest(MANIFEST, FILE);
    expect(manifest.global.map((rule) => rule.pattern)).toEqual([
      'package-lock.json',
      '.github/workflows/**',
      '!.github/workflows/docs.yml',
    ]);
    const positions = await parseYamlDocument(MANIFEST, { file: FILE });
    expect(manifest.global.map((rule) => rule.at && positions.lineOf(rule.at))).toEqual([3, 4, 5]);
    expect(manifest.libraries.map((library) => [library.name, library.dependsOn.map((d) => d.name)])).toEqual([
      ['auth', []],
      ['users', ['auth']],
    ]);
    const [api, web, worker] = manifest.services;
    expect(api).toMatchObject({
      name: 'api',
      path: 'services/api',
      context: 'services/api',
      dockerfile: 'services/api/Dockerfile',
      image: 'api',
      resource: 'deployment/api',
    });
    expect(api?.rules.map((rule) => rule.pattern)).toEqual([
      'services/api/**',
      '!services/api/**/*.md',
      'services/api/docs/openapi.md',
    ]);
    expect(web).toMatchObject({ image: 'ghcr.io/acme/web', rules: [{ pattern: 'services/web/**' }] });
    expect(worker).toMatchObject({
      context: '.',
      dockerfile: 'services/worker/Containerfile',
      resource: 'statefulset/worker',
    });
  });

  test.each([
    ['path with ./ and a trailing slash', 'services:\n  api:\n    path: ./services/api/\n', 'services/api/**'],
    ['a single glob as a string', 'services:\n  api:\n    path: api\n    paths: "api/**"\n', 'api/**'],
    ['context without path', 'services:\n  api:\n    context: apps/api\n', 'apps/api/**'],
  ])('accepts %s', async (_, text, rule) => {
    expect((await parseManifest(text, FILE)).services[0]?.rules.map((r) => r.pattern)).toEqual([rule]);
  });

  test('reads the test keys, empty when absent', async () => {
    const manifest = await parseManifest(
      `${service('test', 'npm ci && npm test')}    test-reports: '**/junit.xml'\n    coverage: ./cov/lcov.info\n    min-coverage: '80'\n`,
      FILE,
    );
    expect(manifest.services[0]).toMatchObject({
      test: 'npm ci && npm test',
      testReports: '**/junit.xml',
      coverage: './cov/lcov.info',
      minCoverage: '80',
    });
    expect((await parseManifest(MANIFEST, FILE)).services[0]).toMatchObject({
      test: '',
      testReports: '',
      coverage: '',
      minCoverage: '',
    });
  });

  test.each([
    ['a namespaced resource', 'resource', 'shop/statefulset/db'],
    ['a rollout', 'resource', 'rollout.argoproj.io/api'],
    ['a registry image with a tag', 'image', 'ghcr.io:443/acme/api:v1'],
    ['a context inside despite ..', 'context', 'services/x/../api'],
    ['a multi-line test', 'test', '|\n      npm ci\n      npm test'],
  ])('accepts %s', async (_, key, value) => {
    await expect(parseManifest(service(key, value), FILE)).resolves.toBeDefined();
  });

  test('an empty file has no services', async () => {
    expect((await parseManifest('', FILE)).services).toEqual([]);
  });

  test.each([
    ['malformed YAML', 'services:\n  api:\n    path: [services/api\n', 4, /malformed YAML/],
    ['a duplicate key', 'services:\n  api:\n    path: a\n  api:\n    path: b\n', 4, /malformed YAML/],
    ['an unknown top-level key', 'global: []\nservice:\n  api: {}\n', 2, /unknown key 'service'/],
    ['an unknown service key', 'services:\n  api:\n    path: a\n    dependOn: [x]\n', 4, /unknown key 'dependOn'/],
    ['a service without a path', 'services:\n  api:\n    image: api\n', 3, /needs 'path'/],
    ['an invalid name', 'services:\n  "a pi":\n    path: a\n', 2, /not a valid name/],
    ['global not a list', 'global:\n  a: b\n', 2, /expected a list of globs/],
    ['a non-string glob', 'global:\n  - 3\n', 2, /expected a glob string/],
    [
      'an unknown name in dependsOn',
      'libraries:\n  auth:\n    paths: [libs/auth/**]\nservices:\n  api:\n    path: a\n    dependsOn:\n      - auth\n      - users\n',
      9,
      /api: dependsOn names 'users', which is neither a library nor a service/,
    ],
    [
      'a glob that cannot be compiled',
      'services:\n  api:\n    path: a\n    paths:\n      - a/**\n      - "a/[z-a]/**"\n',
      6,
      /the glob 'a\/\[z-a\]\/\*\*' cannot be compiled/,
    ],
    [
      'a name used twice',
      'libraries:\n  api:\n    paths: [x/**]\nservices:\n  api:\n    path: a\n',
      5,
      /both a library/,
    ],
    ...hostileValues,
  ])('rejects %s at its line', async (_, text, line, message) => {
    const error = await mistake(text);
    expect(error.location).toEqual({ file: FILE, line });
    expect(error.message).toMatch(message);
    expect(error.describe()).toMatch(new RegExp(`^\\.github/services\\.yml:${line}: `));
  });

  test.each([
    ['a service depending on itself', 'services:\n  api:\n    path: a\n    dependsOn: [api]\n', 'api -> api', 4],
    [
      'a cycle through libraries',
      [
        'libraries:',
        '  auth:',
        '    paths: [libs/auth/**]',
        '    dependsOn: [users]',
        '  users:',
        '    paths: [libs/users/**]',
        '    dependsOn: [db]',
        '  db:',
        '    paths: [libs/db/**]',
        '    dependsOn: [auth]',
        'services:',
        '  api:',
        '    path: a',
        '    dependsOn: [auth]',
        '',
      ].join('\n'),
      'auth -> users -> db -> auth',
      10,
    ],
  ])('rejects %s, showing the cycle', async (_, text, cycle, line) => {
    const error = await mistake(text);
    expect(error.message).toBe(`dependency cycle: ${cycle}`);
    expect(error.location).toEqual({ file: FILE, line });
  });

  test('a long dependency chain is checked without deep recursion', () => {
    const services = Array.from({ length: 100_000 }, (_, index) =>
      serviceWithDefaults(`s${index}`, {
        path: `services/s${index}`,
        dependsOn: index > 0 ? [{ name: `s${index - 1}` }] : [],
      }),
    );
    const manifest = { file: FILE, discovered: false, global: [], libraries: [], services };
    expect(() => checkDependencies(manifest)).not.toThrow();
    services[0]?.dependsOn.push({ name: 's99999' });
    expect(() => checkDependencies(manifest)).toThrow(/^dependency cycle: s0 -> s99999 -> s99998 -> /);
  });
});

describe('discoverServices', () => {
  function tree(files: string[]): string {
    const root = temporaryDirectory();
    for (const file of files) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), 'FROM scratch\n');
    }
    return root;
  }

  test('every directory matching the glob that holds a Dockerfile, with defaults', () => {
    const root = tree([
      'services/api/Dockerfile',
      'services/web/Dockerfile',
      'services/notes/README.md',
      'services/api/nested/Dockerfile',
      'tools/lint/Dockerfile',
    ]);
    const manifest = discoverServices(root, 'services/*');
    expect(manifest.discovered).toBe(true);
    expect(manifest.services).toEqual([
      {
        name: 'api',
        path: 'services/api',
        context: 'services/api',
        dockerfile: 'services/api/Dockerfile',
        image: 'api',
        resource: 'deployment/api',
        test: '',
        testReports: '',
        coverage: '',
        minCoverage: '',
        toolchain: {},
        testImage: '',
        build: '',
        integrationTest: '',
        rules: [{ pattern: 'services/api/**' }],
        dependsOn: [],
      },
      expect.objectContaining({ name: 'web', path: 'services/web' }),
    ]);
  });

  test.each([
    ['apps/*/*', ['apps/shop/api', 'apps/shop/web']],
    ['**/svc-*', ['deep/a/svc-one', 'svc-two']],
    ['missing/*', []],
  ])('%s finds %j', (glob, paths) => {
    const root = tree([
      'apps/shop/api/Dockerfile',
      'apps/shop/web/Dockerfile',
      'apps/lone/Dockerfile',
      'deep/a/svc-one/Dockerfile',
      'svc-two/Dockerfile',
      'node_modules/svc-three/Dockerfile',
    ]);
    expect(discoverServices(root, glob).services.map((service) => service.path)).toEqual(paths);
  });

  test('two directories with the same name are an error naming both', () => {
    const root = tree(['a/api/Dockerfile', 'b/api/Dockerfile']);
    expect(() => discoverServices(root, '*/*')).toThrow("a/api and b/api would both be service 'api'");
  });
});
