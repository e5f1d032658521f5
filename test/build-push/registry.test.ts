// The real cycle: build small images with buildah, push them to Debian's docker-registry on
// 127.0.0.1 (without auth, then with htpasswd basic auth), compare the digest output with what the
// registry serves, and re-run with reuse-existing.
import { jest } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';
import { basicAuth, createWorkspace, imageConfig, layerFiles, servedManifest, type Workspace } from './fixtures.ts';

jest.setTimeout(180_000);

const SHA = '3f2a9c1d00000000000000000000000000000001';
const OTHER_SHA = '77e1b0c200000000000000000000000000000002';
const USER = 'ci-bot';
const PASSWORD = 'Sup3r-secret-pa55';
const repository = { name: 'shop', default_branch: 'main', html_url: 'https://github.com/acme/shop' };

let workspace: Workspace;
let open: RunningRegistry;
let locked: RunningRegistry;

beforeAll(async () => {
  workspace = createWorkspace();
  open = await startRegistry();
  locked = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
});

afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  rmSync(workspace.root, { recursive: true, force: true });
});

interface Run {
  image: string;
  ref: string;
  sha: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
}

async function build(options: Run): Promise<ActionRun> {
  return runBundledAction('build-push', {
    inputs: { image: options.image, context: 'services/hello', ...options.inputs },
    ref: options.ref,
    sha: options.sha,
    event: { repository },
    workspace: workspace.root,
    env: { ...workspace.env, ...options.env },
    timeoutMs: 170_000,
  });
}

const withoutMasks = (stdout: string): string => stdout.replace(/^::add-mask::.*$/gm, '');

describe('registry without auth', () => {
  const image = (): string => `${open.host}/acme/hello`;

  test('builds with buildah (auto: no Docker engine), pushes every tag, digest = Docker-Content-Digest', async () => {
    const run = await build({ image: image(), ref: 'refs/heads/main', sha: SHA });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['built']).toBe('true');
    expect(run.outputs['digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs['ref']).toBe(`${image()}@${run.outputs['digest'] ?? ''}`);
    expect(run.outputs['tags']).toBe(`${image()}:main\n${image()}:sha-3f2a9c1`);
    expect(run.stdout).toContain('buildah');
    for (const tag of ['main', 'sha-3f2a9c1']) {
      const served = await servedManifest(open.url, 'acme/hello', tag);
      expect(served?.digest).toBe(run.outputs['digest']);
    }
    const served = await servedManifest(open.url, 'acme/hello', 'main');
    const config = await imageConfig(open.url, 'acme/hello', served?.body ?? '{}');
    expect(config.config?.Labels).toMatchObject({
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': 'main',
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
    });
    expect(run.summary).toContain('Built');
  });

  test('re-run for a release of the same commit reuses the image: built=false, new tags on the same digest', async () => {
    const before = await servedManifest(open.url, 'acme/hello', 'sha-3f2a9c1');
    const run = await build({ image: image(), ref: 'refs/tags/v1.4.0', sha: SHA });
    expect(run.errors).toEqual([]);
    expect(run.outputs['built']).toBe('false');
    expect(run.outputs['digest']).toBe(before?.digest);
    expect(run.stdout).not.toContain('[command]');
    expect(run.outputs['tags']).toBe(`${image()}:1.4.0\n${image()}:sha-3f2a9c1\n${image()}:latest`);
    for (const tag of ['1.4.0', 'latest', 'sha-3f2a9c1']) {
      expect((await servedManifest(open.url, 'acme/hello', tag))?.digest).toBe(before?.digest);
    }
    expect(run.summary).toContain('Reused');
  });

  test('reuse-existing: false builds again', async () => {
    const run = await build({
      image: image(),
      ref: 'refs/heads/main',
      sha: SHA,
      inputs: { 'reuse-existing': 'false', builder: 'buildah' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['built']).toBe('true');
    expect((await servedManifest(open.url, 'acme/hello', 'main'))?.digest).toBe(run.outputs['digest']);
  });

  test('a new commit is built, not reused', async () => {
    const run = await build({ image: image(), ref: 'refs/heads/main', sha: OTHER_SHA });
    expect(run.outputs['built']).toBe('true');
    expect((await servedManifest(open.url, 'acme/hello', 'sha-77e1b0c'))?.digest).toBe(run.outputs['digest']);
  });

  test('multi-stage Dockerfile with a build argument, target and extra labels', async () => {
    const run = await build({
      image: `${open.host}/acme/multi`,
      ref: 'refs/heads/main',
      sha: SHA,
      inputs: {
        context: 'services/multi',
        'build-args': 'GREETING=hi-there',
        target: 'final',
        labels: 'team=payments',
        builder: 'buildah',
      },
    });
    expect(run.errors).toEqual([]);
    const served = await servedManifest(open.url, 'acme/multi', 'sha-3f2a9c1');
    expect(served?.digest).toBe(run.outputs['digest']);
    const files = await layerFiles(open.url, 'acme/multi', served?.body ?? '{"layers":[]}');
    expect(files.map((file) => file.replace(/^\.?\//, '')).sort()).toEqual(['a.txt', 'b.txt']);
    const config = await imageConfig(open.url, 'acme/multi', served?.body ?? '{}');
    expect(config.config?.Labels).toMatchObject({ greeting: 'hi-there', team: 'payments' });
  });

  test('two platforms: a manifest list pushed with every tag on the index digest', async () => {
    const run = await build({
      image: `${open.host}/acme/multiarch`,
      ref: 'refs/heads/main',
      sha: SHA,
      inputs: { platforms: 'linux/amd64,linux/arm64', builder: 'buildah' },
    });
    expect(run.errors).toEqual([]);
    const served = await servedManifest(open.url, 'acme/multiarch', 'main');
    expect(served?.digest).toBe(run.outputs['digest']);
    expect(served?.mediaType).toMatch(/index|manifest\.list/);
    const platforms = (
      JSON.parse(served?.body ?? '{}') as { manifests: Array<{ platform: { architecture: string } }> }
    ).manifests
      .map((entry) => entry.platform.architecture)
      .sort();
    expect(platforms).toEqual(['amd64', 'arm64']);
    expect((await servedManifest(open.url, 'acme/multiarch', 'sha-3f2a9c1'))?.digest).toBe(run.outputs['digest']);
  });

  test('push: false builds without touching the registry', async () => {
    const run = await build({
      image: `${open.host}/acme/local-only`,
      ref: 'refs/heads/main',
      sha: SHA,
      inputs: { push: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['built']).toBe('true');
    expect(run.outputs['digest']).toBe('');
    expect(await servedManifest(open.url, 'acme/local-only', 'main')).toBeUndefined();
  });
});

describe('registry with basic auth', () => {
  const image = (): string => `${locked.host}/acme/secure`;
  const authorization = basicAuth(USER, PASSWORD);

  test('builds and pushes with credentials that never reach argv or files left behind', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const run = await build({
      image: image(),
      ref: 'refs/heads/main',
      sha: SHA,
      inputs: { 'registry-username': USER, 'registry-password': PASSWORD, builder: 'buildah' },
      env: { RUNNER_TEMP: runnerTemp },
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.masked).toContain(PASSWORD);
    expect(withoutMasks(run.stdout)).not.toContain(PASSWORD);
    expect(run.stderr).not.toContain(PASSWORD);
    expect(run.stdout).toMatch(/\[command\].*buildah.*--authfile/);
    expect(readdirSync(runnerTemp)).toEqual([]);
    rmSync(runnerTemp, { recursive: true, force: true });
    for (const tag of ['main', 'sha-3f2a9c1']) {
      expect((await servedManifest(locked.url, 'acme/secure', tag, authorization))?.digest).toBe(run.outputs['digest']);
    }
  });

  test('reuses the image with credentials', async () => {
    const existing = await servedManifest(locked.url, 'acme/secure', 'sha-3f2a9c1', authorization);
    const run = await build({
      image: image(),
      ref: 'refs/tags/v2.0.0',
      sha: SHA,
      inputs: { 'registry-username': USER, 'registry-password': PASSWORD },
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs['built']).toBe('false');
    expect(run.outputs['digest']).toBe(existing?.digest);
    for (const tag of ['2.0.0', 'latest']) {
      expect((await servedManifest(locked.url, 'acme/secure', tag, authorization))?.digest).toBe(existing?.digest);
    }
  });

  test('wrong credentials: one clear error naming the registry, never the secret, nothing built', async () => {
    const wrong = 'Wr0ng-but-secret';
    const run = await build({
      image: image(),
      ref: 'refs/heads/main',
      sha: OTHER_SHA,
      inputs: { 'registry-username': USER, 'registry-password': wrong },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`registry ${locked.host} refused the credentials of user '${USER}'`);
    expect(withoutMasks(run.stdout)).not.toContain(wrong);
    expect(run.stdout).not.toContain('[command]');
    expect(await servedManifest(locked.url, 'acme/secure', 'sha-77e1b0c', authorization)).toBeUndefined();
  });

  test('credentials stored by an earlier login step (auth.json) are used when none are given', async () => {
    const authFile = join(workspace.root, '.home', 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
      { mode: 0o600 },
    );
    const run = await build({
      image: image(),
      ref: 'refs/heads/release',
      sha: SHA,
      env: { REGISTRY_AUTH_FILE: authFile },
    });
    rmSync(authFile);
    expect(run.errors).toEqual([]);
    expect(run.outputs['built']).toBe('false');
    expect(run.masked).toContain(PASSWORD);
    expect((await servedManifest(locked.url, 'acme/secure', 'release', authorization))?.digest).toBe(
      run.outputs['digest'],
    );
  });

  test('no credentials at all: buildah fails before building, saying the registry requires them', async () => {
    const run = await build({ image: image(), ref: 'refs/heads/main', sha: OTHER_SHA, inputs: { builder: 'buildah' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`registry ${locked.host} requires credentials for acme/secure`);
    expect(run.stdout).not.toContain('[command]');
  });
});
