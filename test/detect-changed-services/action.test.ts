// The bundled action (dist/detect-changed-services) run as the GitHub runner runs it, on real repositories.
import { join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { createSampleMonorepo } from '@shiprail/rehearsal';
import {
  createMonorepo,
  eventPayload,
  MONOREPO_FILES,
  removeTemporaryDirectories,
  temporaryDirectory,
  Repo,
} from './repo.ts';

afterAll(removeTemporaryDirectories);

const ID = 'detect-changed-services';

interface MatrixEntry {
  service: string;
  path: string;
  context: string;
  dockerfile: string;
  image: string;
  resource: string;
  reasons: string[];
}

const matrixOf = (run: ActionRun): MatrixEntry[] =>
  (JSON.parse(run.outputs['matrix'] ?? '{}') as { include: MatrixEntry[] }).include;

function expectSuccess(run: ActionRun): void {
  expect({ exitCode: run.exitCode, errors: run.errors, stderr: run.stderr }).toEqual({
    exitCode: 0,
    errors: [],
    stderr: '',
  });
}

describe('on the sample monorepo', () => {
  test('a push that changes the shared library selects the services that depend on it', async () => {
    const sample = await createSampleMonorepo(join(temporaryDirectory(), 'shop'));
    const run = await runBundledAction(ID, {
      workspace: sample.path,
      eventName: 'push',
      event: eventPayload('push', { before: sample.base, after: sample.head }),
      sha: sample.head,
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({
      services: '["api","worker"]',
      'any-changed': 'true',
      all: 'false',
      base: sample.base,
      head: sample.head,
    });
    expect(matrixOf(run)).toEqual([
      {
        service: 'api',
        path: 'services/api',
        context: 'services/api',
        dockerfile: 'services/api/Dockerfile',
        image: 'api',
        resource: 'deployment/api',
        // The manifest's folded `test: >-` block arrives as one line.
        test: [
          'mkdir -p reports && node --test',
          '--test-reporter=spec --test-reporter-destination=stdout',
          '--test-reporter=junit --test-reporter-destination=reports/junit.xml',
        ].join(' '),
        'test-reports': 'services/api/reports/*.xml',
        coverage: '',
        'min-coverage': '',
        build: '',
        'integration-test': '',
        container: '',
        'helm-values': {},
        'test-image': '',
        toolchain: { dotnet: '', go: '', java: '', node: '', python: '', rust: '' },
        reasons: ['depends on common (libs/common/index.js)'],
      },
      expect.objectContaining({ service: 'worker', reasons: ['depends on common (libs/common/index.js)'] }),
    ]);
    expect(run.summary).toContain('### Changed services');
    expect(run.summary).toContain('| `api` | api | deployment/api | depends on common (libs/common/index.js) |');
    expect(run.summary).toMatch(/Not selected \(1\)[\s\S]*`web`/);
    expect(run.summary).toContain(
      `Compared \`${sample.base.slice(0, 7)}\`..\`${sample.head.slice(0, 7)}\` (push to main): 1 changed file.`,
    );
  });

  test('include-dependents: false leaves out services that only depend on the change', async () => {
    const sample = await createSampleMonorepo(join(temporaryDirectory(), 'shop'));
    const run = await runBundledAction(ID, {
      workspace: sample.path,
      inputs: { base: sample.base, 'include-dependents': 'false' },
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '[]', matrix: '{"include":[]}', 'any-changed': 'false' });
  });

  test.each([
    ['workflow_dispatch', 'workflow_dispatch', {}, 'manual run (workflow_dispatch)'],
    ['schedule', 'schedule', {}, 'scheduled run'],
    ['push', 'push', { 'force-all': 'true' }, 'force-all: true'],
  ])('%s selects every service', async (eventName, payload, inputs, reason) => {
    const sample = await createSampleMonorepo(join(temporaryDirectory(), 'shop'));
    const run = await runBundledAction(ID, {
      workspace: sample.path,
      eventName,
      event: eventPayload(payload, { before: sample.base, after: sample.head }),
      inputs,
      sha: sample.head,
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({
      services: '["api","web","worker"]',
      all: 'true',
      'any-changed': 'true',
      base: '',
      head: sample.head,
    });
    expect(matrixOf(run).map((entry) => entry.reasons)).toEqual([[reason], [reason], [reason]]);
    expect(run.warnings).toEqual([]);
    expect(run.summary).toContain(`No comparison: ${reason}. 3 services in \`.github/services.yml\`: **3 selected**.`);
  });
});

describe('a change to the manifest selects the entries it changed', () => {
  const manifest = MONOREPO_FILES['.github/services.yml'] ?? '';
  const changed = '.github/services.yml: entry changed';
  test.each<[string, { before?: string; after: string }, Record<string, string[]>, RegExp[]]>([
    [
      "api's resource and nothing else",
      { after: manifest.replace('dependsOn: [users]', 'dependsOn: [users]\n    resource: deployment/api-v2') },
      { api: [changed], web: [`depends on api (${changed})`] },
      [],
    ],
    ['a comment only', { after: `# moved\n${manifest}` }, {}, []],
    [
      'a base manifest that did not parse: every service',
      { before: 'services:\n  api: [\n', after: manifest },
      Object.fromEntries(
        ['api', 'web', 'worker'].map((service) => [
          service,
          [expect.stringMatching(/^\.github\/services\.yml did not parse at [0-9a-f]{7}$/)],
        ]),
      ),
      [/^\.github\/services\.yml at [0-9a-f]{7} does not parse, so every service is selected: /],
    ],
  ])('%s', async (_, manifests, reasons, warnings) => {
    const repo = Repo.create();
    const base = repo.commit('Initial services', {
      ...MONOREPO_FILES,
      '.github/services.yml': manifests.before ?? manifest,
    });
    const head = repo.commit('Edit the manifest', { '.github/services.yml': manifests.after });
    const run = await runBundledAction(ID, {
      workspace: repo.path,
      eventName: 'push',
      event: eventPayload('push', { before: base, after: head }),
      sha: head,
    });
    expect({ exitCode: run.exitCode, errors: run.errors }).toEqual({ exitCode: 0, errors: [] });
    expect(Object.fromEntries(matrixOf(run).map((entry) => [entry.service, entry.reasons]))).toEqual(reasons);
    expect(run.warnings).toEqual(warnings.map((warning): unknown => expect.stringMatching(warning)));
  });
});

describe('events on a shallow checkout', () => {
  function pullRequestRepo(): { repo: Repo; forkPoint: string; head: string; baseTip: string } {
    const { repo, base: forkPoint } = createMonorepo();
    repo.git('checkout', '--quiet', '-b', 'landing-page');
    repo.commit('web: landing page', { 'services/web/src/landing.ts': '1\n' });
    repo.git('mv', 'services/api/src/server.ts', 'services/worker/src/server.ts');
    const head = repo.commit('move the server to the worker');
    repo.git('checkout', '--quiet', 'main');
    const baseTip = repo.commit('auth on main', { 'libs/auth/index.ts': 'export const auth = 2;\n' });
    return { repo, forkPoint, head, baseTip };
  }

  test('pull_request: the merge base of base and head, a rename counted at both paths', async () => {
    const { repo, forkPoint, head, baseTip } = pullRequestRepo();
    const clone = repo.shallowClone('landing-page');
    const run = await runBundledAction(ID, {
      workspace: clone,
      eventName: 'pull_request',
      event: eventPayload('pull_request', { 'pull_request.base.sha': baseTip, 'pull_request.head.sha': head }),
      sha: head,
      ref: 'refs/pull/42/merge',
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '["api","web","worker"]', base: forkPoint, head, all: 'true' });
    const reasons = Object.fromEntries(matrixOf(run).map((entry) => [entry.service, entry.reasons]));
    expect(reasons).toEqual({
      api: ['services/api/src/server.ts'],
      web: ['services/web/src/landing.ts', 'depends on api (services/api/src/server.ts)'],
      worker: ['services/worker/src/server.ts'],
    });
    expect(run.summary).toContain('(pull request #42 into main (merge base))');
  });

  test('merge_group: base_sha..head_sha', async () => {
    const { repo, base } = createMonorepo();
    const head = repo.commit('queue', { 'services/worker/src/q.ts': '1\n' });
    const run = await runBundledAction(ID, {
      workspace: repo.shallowClone('main'),
      eventName: 'merge_group',
      event: eventPayload('merge_group', { 'merge_group.base_sha': base, 'merge_group.head_sha': head }),
      sha: head,
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '["worker"]', base, head });
  });

  test('push of a new branch: compared with the default branch', async () => {
    const { repo, base } = createMonorepo();
    repo.git('checkout', '--quiet', '-b', 'feature');
    const head = repo.commit('users', { 'libs/users/index.ts': 'export const users = 2;\n' });
    const run = await runBundledAction(ID, {
      workspace: repo.shallowClone('feature'),
      eventName: 'push',
      event: eventPayload('push', {
        ref: 'refs/heads/feature',
        before: '0000000000000000000000000000000000000000',
        after: head,
        created: true,
      }),
      sha: head,
      ref: 'refs/heads/feature',
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '["api","web"]', base, head });
  });

  test('push of a service tag selects that service alone', async () => {
    const { repo } = createMonorepo();
    const head = repo.commit('api', { 'services/api/src/x.ts': '1\n' });
    repo.git('tag', 'api/v1.2.0');
    const run = await runBundledAction(ID, {
      workspace: repo.shallowClone('api/v1.2.0'),
      eventName: 'push',
      event: eventPayload('push-tag', { after: head }),
      sha: head,
      ref: 'refs/tags/api/v1.2.0',
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '["api"]', all: 'false', base: '', head });
    expect(matrixOf(run)[0]?.reasons).toEqual(['tag api/v1.2.0']);
    expect(run.summary).toContain('No comparison: tag api/v1.2.0 selects `api` alone.');
  });

  test('a push whose old tip cannot be found fails open to every service, with a warning', async () => {
    const { repo } = createMonorepo();
    const head = repo.commit('api', { 'services/api/src/x.ts': '1\n' });
    const run = await runBundledAction(ID, {
      workspace: repo.shallowClone('main'),
      eventName: 'push',
      event: eventPayload('push', { before: 'f'.repeat(40), after: head, forced: true }),
      sha: head,
    });
    expectSuccess(run);
    expect(run.outputs).toMatchObject({ services: '["api","web","worker"]', all: 'true', base: '', head });
    expect(run.warnings).toEqual([
      'Selected every service: the previous tip fffffff of main is not on origin (a force push removed it), ' +
        'and it is the default branch itself',
    ]);
    expect(run.summary).toContain('> [!WARNING]');
  });
});

describe('without a manifest', () => {
  test('every directory matching discover that holds a Dockerfile is a service', async () => {
    const repo = Repo.create();
    const base = repo.commit('services', {
      'apps/cart/Dockerfile': 'FROM scratch\n',
      'apps/cart/main.go': 'package main\n',
      'apps/search/Dockerfile': 'FROM scratch\n',
      'apps/notes/README.md': '# not a service\n',
    });
    repo.commit('cart', { 'apps/cart/main.go': 'package main // cart\n' });
    const run = await runBundledAction(ID, { workspace: repo.path, inputs: { base, discover: 'apps/*' } });
    expectSuccess(run);
    expect(matrixOf(run)).toEqual([
      {
        service: 'cart',
        path: 'apps/cart',
        context: 'apps/cart',
        dockerfile: 'apps/cart/Dockerfile',
        image: 'cart',
        resource: 'deployment/cart',
        test: '',
        'test-reports': '',
        coverage: '',
        'min-coverage': '',
        build: '',
        'integration-test': '',
        container: '',
        'helm-values': {},
        'test-image': '',
        toolchain: { dotnet: '', go: '', java: '', node: '', python: '', rust: '' },
        reasons: ['apps/cart/main.go'],
      },
    ]);
    expect(run.summary).toContain('2 services discovered by `apps/*` (no manifest)');
  });
});

describe('mistakes end the step with one error naming the file and line', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['malformed YAML', 'services:\n  api:\n    path: [a\n', ',line=4', /^\.github\/services\.yml:4: malformed YAML/],
    [
      'an unknown name in dependsOn',
      'services:\n  api:\n    path: a\n    dependsOn: [auth]\n',
      ',line=4',
      /^\.github\/services\.yml:4: api: dependsOn names 'auth', which is neither a library nor a service$/,
    ],
    [
      'a dependency cycle',
      'services:\n  api:\n    path: a\n    dependsOn: [web]\n  web:\n    path: w\n    dependsOn: [api]\n',
      ',line=7',
      /^\.github\/services\.yml:7: dependency cycle: api -> web -> api$/,
    ],
    [
      'a glob that cannot be compiled',
      'global:\n  - "{a"\nservices:\n  api:\n    path: a\n',
      ',line=2',
      /^\.github\/services\.yml:2: the glob '\{a' cannot be compiled/,
    ],
  ];

  test.each(cases)('%s', async (_, manifest, annotation, message) => {
    const repo = Repo.create();
    repo.commit('manifest', { '.github/services.yml': manifest });
    const run = await runBundledAction(ID, { workspace: repo.path, inputs: { base: 'HEAD' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(run.stdout).toContain(`file=.github/services.yml${annotation}`);
    expect(run.outputs).toEqual({});
  });

  test.each([
    [{ base: 'no-such-branch' }, /^input 'base': 'no-such-branch' is not a commit, branch or tag/],
    [{ 'force-all': 'yes' }, /^input 'force-all': expected true or false, got 'yes'/],
    [{ base: 'main', head: 'no-such-commit' }, /^input 'head': 'no-such-commit' is not a commit, branch or tag/],
    [{ config: 'deploy/services.yml' }, /^input 'config': deploy\/services\.yml does not exist/],
    [{ discover: 'services/[z-a]' }, /^input 'discover': the glob 'services\/\[z-a\]' cannot be compiled/],
  ])('%j', async (inputs, message) => {
    const { repo } = createMonorepo();
    const run = await runBundledAction(ID, { workspace: repo.path, inputs });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(run.outputs).toEqual({});
  });

  test('a working directory outside any repository', async () => {
    const run = await runBundledAction(ID, { workspace: temporaryDirectory(), inputs: { base: 'HEAD' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/^input 'working-directory': .* is not inside a git repository/);
  });
});
