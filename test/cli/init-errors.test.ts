// Bad input stops init with one named error at its file and line, and nothing is written.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { copyFixture, removeCopies, runInitOn } from './system.ts';

afterAll(removeCopies);

const cases: Array<[string, Record<string, string>, RegExp]> = [
  [
    'malformed YAML in skaffold.yaml',
    { 'skaffold.yaml': 'apiVersion: skaffold/v4beta11\nbuild:\n  artifacts:\n    - image: [web\n' },
    /^shiprail init: skaffold\.yaml:\d+: malformed YAML/,
  ],
  [
    'a skaffold requires cycle',
    {
      'a/skaffold.yaml': 'apiVersion: skaffold/v4beta11\nkind: Config\nrequires:\n  - path: ../b\n',
      'b/skaffold.yaml': 'apiVersion: skaffold/v4beta11\nkind: Config\nrequires:\n  - path: ../a\n',
    },
    /skaffold requires cycle: (a|b)\/skaffold\.yaml -> (a|b)\/skaffold\.yaml -> (a|b)\/skaffold\.yaml/,
  ],
  [
    'a skaffold requires path out of the repository',
    { 'skaffold.yaml': 'apiVersion: skaffold/v4beta11\nkind: Config\nrequires:\n  - path: ../../elsewhere\n' },
    /skaffold\.yaml:4: '\.\.\/\.\.\/elsewhere' leads outside the repository/,
  ],
  [
    'an undefined compose variable',
    {
      'compose.yaml': 'services:\n  web:\n    build: ./web\n    image: ${REGISTRY}/web\n',
      'web/Dockerfile': 'FROM nginx\n',
    },
    /compose\.yaml:4: the variable REGISTRY is not set/,
  ],
  [
    'a required compose variable with its message',
    { 'compose.yaml': 'services:\n  web:\n    build: ${WEB_CONTEXT?set the web folder}\n' },
    /compose\.yaml:3: the variable WEB_CONTEXT is required: set the web folder/,
  ],
  [
    'a compose build context out of the repository',
    { 'compose.yaml': 'services:\n  web:\n    build: ../outside\n' },
    /compose\.yaml:3: '\.\.\/outside' leads outside the repository/,
  ],
  [
    'malformed YAML in a Kubernetes manifest',
    {
      Dockerfile: 'FROM nginx\n',
      'k8s/web.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n   bad: indent\n',
    },
    /^shiprail init: k8s\/web\.yaml:\d+: malformed YAML/,
  ],
  [
    'a .env line that is not KEY=value',
    { '.env': 'REGISTRY=ghcr.io/acme\nnot a variable\n', 'compose.yaml': 'services:\n  web:\n    build: .\n' },
    /\.env:2: expected KEY=value/,
  ],
];

test.each(cases)('%s: a named error, nothing written', async (_name, files, message) => {
  const directory = copyFixture('single-service', 'repo');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), content);
  }
  const { code, system } = await runInitOn(directory);
  expect(code).toBe(1);
  expect(system.errors.join('')).toMatch(message);
  expect(system.errors.join('')).toContain('Nothing was written.');
  expect(existsSync(join(directory, '.github'))).toBe(false);
  expect(existsSync(join(directory, 'overlays'))).toBe(false);
});

test('a symlink out of the repository: a named error, nothing written', async () => {
  const directory = copyFixture('single-service', 'repo');
  symlinkSync('/etc', join(directory, 'config'));
  const { code, system } = await runInitOn(directory);
  expect(code).toBe(1);
  expect(system.errors.join('')).toMatch(/^shiprail init: config: symlink points outside the repository/);
  expect(existsSync(join(directory, '.github'))).toBe(false);
});
