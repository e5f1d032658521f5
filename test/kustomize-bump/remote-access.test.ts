// The token reaches git only as a per-process header: the server sees it, the clone's config, the argv
// and the log never do. Also: an existing clone (repository-path) and mode pull-request.
import { parseInputs, bumpImages } from '@shiprail/kustomize-bump';
import type { Exec } from '@shiprail/core';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHttpServer, type GitHttpServer } from '@shiprail/rehearsal/servers';
import { startGitHubPullsServer, type GitHubPullsServer, runBundledAction, createTestRuntime } from '@shiprail/testkit';
import { git, showFile, type GitopsRemote } from '@shiprail/rehearsal';
import { RemoteTemplate } from './remote-template.ts';

const TOKEN = 'ghs_Sup3rSecretT0kenValue0123456789';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

let template: RemoteTemplate;
beforeAll(async () => {
  template = await RemoteTemplate.create();
});
afterAll(() => template.stop());

let remote: GitopsRemote;
let root: string;
let server: GitHttpServer;
let httpRemote: string;
beforeEach(async () => {
  remote = await template.copy();
  root = await mkdtemp(join(tmpdir(), 'git-http-'));
  await git(root, ['clone', '--quiet', '--bare', remote.path, 'acme/gitops.git']);
  server = await startGitHttpServer({ root, token: TOKEN });
  httpRemote = `${server.url}/acme/gitops.git`;
});
afterEach(async () => {
  await server.stop();
  await remote.stop();
  await rm(root, { recursive: true, force: true });
});

const bareServed = (): string => join(root, 'acme', 'gitops.git');

function expectNoSecret(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(BASIC);
}

test('over HTTPS-style remotes the token is sent as a header and appears in no log', async () => {
  const run = await runBundledAction('kustomize-bump', {
    inputs: { repository: httpRemote, token: TOKEN, overlays: 'overlays/dev', images: 'ghcr.io/acme/api:5.0.0' },
  });
  expect(run.errors).toEqual([]);
  expect(run.outputs['changed']).toBe('true');
  expect(await showFile(bareServed(), 'main', 'overlays/dev/kustomization.yaml')).toContain('newTag: "5.0.0"');
  // Every request carried the token (the server refuses any other), so the push itself proves it.
  expect(server.requests.length).toBeGreaterThan(2);
  expect(server.requests.every((request) => request.authorization === `basic ${BASIC}`)).toBe(true);
  expect(server.requests.some((request) => request.path.endsWith('/git-receive-pack'))).toBe(true);
  expect(run.masked).toEqual(expect.arrayContaining([TOKEN, BASIC]));
  expectNoSecret(run.stdout.replace(/^::add-mask::.*$/gm, ''));
  expectNoSecret(run.stderr);
  expectNoSecret(run.summary);
  expectNoSecret(JSON.stringify(run.outputs));
});

test('without the token the server refuses and the error says so without secrets', async () => {
  const run = await runBundledAction('kustomize-bump', {
    inputs: { repository: httpRemote, token: '', overlays: 'overlays/dev', images: 'ghcr.io/acme/api:5.0.0' },
  });
  expect(run.exitCode).toBe(1);
  expect(run.errors[0]).toMatch(/cannot read http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\.git/);
});

test('no git command has the token in its argv, and the clone’s config never holds it', async () => {
  const runtime = createTestRuntime({
    inputs: {
      repository: httpRemote,
      token: TOKEN,
      overlays: 'overlays/dev\noverlays/staging',
      images: 'ghcr.io/acme/web:6.1.0',
    },
  });
  const realExec = runtime.exec;
  const configs: string[] = [];
  const argvs: string[] = [];
  const recordingExec: Exec = async (program, args, options) => {
    argvs.push([program, ...args].join(' '));
    const result = await realExec(program, args, options);
    const config = options?.cwd === undefined ? undefined : join(options.cwd, '.git', 'config');
    if (config !== undefined && existsSync(config)) configs.push(readFileSync(config, 'utf8'));
    return result;
  };
  runtime.exec = recordingExec;
  const result = await bumpImages(runtime, parseInputs(runtime.inputs));
  expect(result.changed).toBe(true);
  expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(argvs.some((argv) => argv.startsWith('git push'))).toBe(true);
  expect(configs.length).toBeGreaterThan(3);
  for (const text of [...argvs, ...configs, ...runtime.logs]) expectNoSecret(text);
  for (const config of configs) expect(config.toLowerCase()).not.toContain('extraheader');
  expect(runtime.masked).toEqual(expect.arrayContaining([TOKEN, BASIC]));
});

test('repository-path: works in a temporary worktree of the clone and leaves its checkout and config alone', async () => {
  const workspace = await mkdtemp(join(tmpdir(), 'workspace-'));
  const clone = join(workspace, 'gitops');
  await git(workspace, ['clone', '--quiet', remote.path, clone]);
  await git(clone, ['remote', 'set-url', 'origin', httpRemote]);
  await git(clone, ['checkout', '--quiet', '-b', 'local-work']);
  const configBefore = readFileSync(join(clone, '.git', 'config'), 'utf8');
  const headBefore = await git(clone, ['rev-parse', 'HEAD']);
  try {
    const run = await runBundledAction('kustomize-bump', {
      workspace,
      inputs: {
        'repository-path': 'gitops',
        token: TOKEN,
        overlays: 'overlays/production',
        images: 'ghcr.io/acme/worker:7.0.0',
      },
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs['changed']).toBe('true');
    expect(await showFile(bareServed(), 'main', 'overlays/production/kustomization.yaml')).toContain('newTag: "7.0.0"');
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).toBe(configBefore);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(headBefore);
    expect(await git(clone, ['branch', '--show-current'])).toBe('local-work\n');
    expect(await git(clone, ['status', '--porcelain'])).toBe('');
    expect((await git(clone, ['worktree', 'list'])).trim().split('\n')).toHaveLength(1);
    expectNoSecret(run.stdout.replace(/^::add-mask::.*$/gm, ''));
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
});

describe('mode: pull-request', () => {
  let api: GitHubPullsServer;
  beforeEach(async () => {
    api = await startGitHubPullsServer();
  });
  afterEach(async () => {
    await api.stop();
  });

  const bumpByPullRequest = (images: string): ReturnType<typeof runBundledAction> =>
    runBundledAction('kustomize-bump', {
      inputs: {
        repository: 'acme/gitops',
        token: TOKEN,
        mode: 'pull-request',
        overlays: 'overlays/production',
        images,
      },
      env: { GITHUB_SERVER_URL: server.url, GITHUB_API_URL: api.url },
    });

  test('opens a pull request from a head branch, then updates the same one', async () => {
    const baseBefore = await git(bareServed(), ['rev-parse', 'main']);
    const first = await bumpByPullRequest('ghcr.io/acme/api:8.0.0');
    expect(first.errors).toEqual([]);
    expect(first.outputs['pull-request']).toBe('https://github.example/acme/gitops/pull/1');
    expect(api.pulls).toHaveLength(1);
    const pull = api.pulls[0];
    expect(pull).toMatchObject({
      base: 'main',
      state: 'open',
      title: 'Deploy ghcr.io/acme/api:8.0.0 to overlays/production',
    });
    expect(pull?.head).toMatch(/^kustomize-bump\/main\/api-[0-9a-f]{8}$/);
    expect(pull?.body).toContain('- overlays/production: ghcr.io/acme/api:0.1.0 → ghcr.io/acme/api:8.0.0');
    expect(await git(bareServed(), ['rev-parse', 'main'])).toBe(baseBefore);
    const head = pull?.head ?? '';
    expect(await showFile(bareServed(), head, 'overlays/production/kustomization.yaml')).toContain('newTag: "8.0.0"');
    expect(first.outputs['commit']).toBe((await git(bareServed(), ['rev-parse', head])).trim());

    const second = await bumpByPullRequest('ghcr.io/acme/api:8.0.1');
    expect(second.errors).toEqual([]);
    expect(second.outputs['pull-request']).toBe('https://github.example/acme/gitops/pull/1');
    expect(api.pulls).toHaveLength(1);
    expect(api.pulls[0]?.title).toBe('Deploy ghcr.io/acme/api:8.0.1 to overlays/production');
    expect(await showFile(bareServed(), head, 'overlays/production/kustomization.yaml')).toContain('newTag: "8.0.1"');
    expect(await git(bareServed(), ['rev-list', '--count', head])).toBe('2\n');
    expect(api.requests.map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
    expect(api.requests.every((request) => request.authorization === `token ${TOKEN}`)).toBe(true);
  });
});
