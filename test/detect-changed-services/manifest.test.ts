import { ConfigurationError } from '@shiprail/core';
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

function mistake(text: string): ConfigurationError {
  try {
    parseManifest(text, FILE);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parseManifest', () => {
  test('reads global, libraries and services with SPEC defaults', () => {
    const manifest = parseManifest(MANIFEST, FILE);
    expect(manifest.global.map((rule) => rule.pattern)).toEqual([
      'package-lock.json',
      '.github/workflows/**',
      '!.github/workflows/docs.yml',
    ]);
    expect(manifest.global.map((rule) => rule.line)).toEqual([3, 4, 5]);
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
  ])('accepts %s', (_, text, rule) => {
    expect(parseManifest(text, FILE).services[0]?.rules.map((r) => r.pattern)).toEqual([rule]);
  });

  test('an empty file has no services', () => {
    expect(parseManifest('', FILE).services).toEqual([]);
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
  ])('rejects %s at its line', (_, text, line, message) => {
    const error = mistake(text);
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
  ])('rejects %s, showing the cycle', (_, text, cycle, line) => {
    const error = mistake(text);
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
    services[0]?.dependsOn.push({ name: 's99999', line: 7 });
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
