// Scan before push: build with buildah into an OCI image layout (nothing reaches the registry), then
// push that layout through the registry API behind a Bearer-token front, and compare digests.
import { jest } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { listenOnLoopback, startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';
import { createWorkspace, servedManifest, writeTestLayout, type Workspace } from './fixtures.ts';
import { startTokenProxy, type TokenProxy } from './token-proxy.ts';

jest.setTimeout(180_000);

const SHA = '5e1ec7ed00000000000000000000000000000003';
const USER = 'ci-bot';
const PASSWORD = 'layout-push-secret';
const repository = { name: 'shop', default_branch: 'main' };

let workspace: Workspace;
let registry: RunningRegistry;
let proxy: TokenProxy;
let runnerTemp: string;

beforeAll(async () => {
  workspace = createWorkspace();
  registry = await startRegistry();
  proxy = await startTokenProxy({ upstream: registry.url, user: USER, password: PASSWORD });
  runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  rmSync(workspace.root, { recursive: true, force: true });
  rmSync(`${workspace.root}-outside`, { recursive: true, force: true });
  rmSync(runnerTemp, { recursive: true, force: true });
});

async function step(inputs: Record<string, string>): Promise<ActionRun> {
  return runBundledAction('build-push', {
    inputs: { context: 'services/hello', 'registry-username': USER, 'registry-password': PASSWORD, ...inputs },
    ref: 'refs/heads/main',
    sha: SHA,
    event: { repository },
    workspace: workspace.root,
    env: { ...workspace.env, RUNNER_TEMP: runnerTemp },
    timeoutMs: 170_000,
  });
}

/** Blob uploads the registry side saw since `from` (a monolithic upload starts with this POST). */
const uploadsSince = (from: number): string[] =>
  proxy.calls.slice(from).filter((call) => /^POST \/v2\/.+\/blobs\/uploads\/$/.test(call));

describe.each([
  ['one platform', 'acme/hello', ''],
  ['two platforms (an index and its manifests)', 'acme/hello-multi', 'linux/amd64,linux/arm64'],
])('scan before push, %s', (_, path, platforms) => {
  const image = (): string => `${proxy.host}/${path}`;
  const layout = (): string => join(runnerTemp, 'oci', path.replace('/', '-'));
  let built: ActionRun;

  test('push: false writes the layout; its digest is output and nothing is in the registry', async () => {
    const before = proxy.calls.length;
    built = await step({ image: image(), push: 'false', 'oci-layout': layout(), platforms, builder: 'buildah' });
    expect(built.errors).toEqual([]);
    expect(built.exitCode).toBe(0);
    expect(built.outputs['built']).toBe('true');
    expect(built.outputs['oci-layout']).toBe(layout());
    const digest = built.outputs['digest'] ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(built.outputs['ref']).toBe(`${image()}@${digest}`);
    expect(built.outputs['tags']).toBe(`${image()}:main\n${image()}:sha-5e1ec7e`);
    const index = JSON.parse(readFileSync(join(layout(), 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string; mediaType: string }>;
    };
    expect(index.manifests.map((entry) => entry.digest)).toEqual([digest]);
    expect(index.manifests[0]?.mediaType).toBe(
      platforms === '' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.oci.image.index.v1+json',
    );
    expect(proxy.calls.slice(before)).toEqual([]);
    expect(await servedManifest(registry.url, path, 'main')).toBeUndefined();
    expect(await servedManifest(registry.url, path, digest)).toBeUndefined();
  });

  test('push: true pushes the layout byte for byte: the registry reports the same digest, nothing is built', async () => {
    const digest = built.outputs['digest'] ?? '';
    const before = proxy.calls.length;
    const pushed = await step({ image: image(), 'oci-layout': layout() });
    expect(pushed.errors).toEqual([]);
    expect(pushed.exitCode).toBe(0);
    expect(pushed.outputs['built']).toBe('false');
    expect(pushed.outputs['digest']).toBe(digest);
    expect(pushed.outputs['ref']).toBe(`${image()}@${digest}`);
    expect(pushed.outputs['tags']).toBe(built.outputs['tags']);
    expect(pushed.stdout).not.toContain('[command]');
    expect(uploadsSince(before).length).toBeGreaterThan(0);
    for (const tag of ['main', 'sha-5e1ec7e']) {
      expect((await servedManifest(registry.url, path, tag))?.digest).toBe(digest);
    }
    expect(pushed.summary).toContain(digest);
    expect(pushed.summary).toContain('**Pushed**: pushed from the OCI image layout');
  });

  test('pushing the same layout again uploads no blob', async () => {
    const before = proxy.calls.length;
    const again = await step({ image: image(), 'oci-layout': layout() });
    expect(again.errors).toEqual([]);
    expect(again.outputs['digest']).toBe(built.outputs['digest']);
    expect(uploadsSince(before)).toEqual([]);
    expect(proxy.calls.slice(before).some((call) => call.startsWith('HEAD /v2/') && call.includes('/blobs/'))).toBe(
      true,
    );
    expect(again.stdout).toMatch(/blobs: 0 uploaded, \d+ already in the registry/);
  });
});

type Breakage = (directory: string, digest: string) => void;
const blobPath = (directory: string, digest: string): string =>
  join(directory, 'blobs', 'sha256', digest.slice('sha256:'.length));
const firstLayer = (directory: string, digest: string): string => {
  const manifest = JSON.parse(readFileSync(blobPath(directory, digest), 'utf8')) as {
    layers: Array<{ digest: string }>;
  };
  return blobPath(directory, manifest.layers[0]?.digest ?? '');
};

describe('a layout that is missing or malformed is a mistake in oci-layout, found before the registry is asked', () => {
  test.each<[string, Breakage, RegExp]>([
    ['no directory', (directory) => rmSync(directory, { recursive: true }), /oci-layout does not exist/],
    ['no index.json', (directory) => unlinkSync(join(directory, 'index.json')), /index.json does not exist/],
    ['index.json not JSON', (directory) => writeFileSync(join(directory, 'index.json'), '{'), /is not JSON/],
    [
      'two images in index.json',
      (directory) => {
        const index = JSON.parse(readFileSync(join(directory, 'index.json'), 'utf8')) as { manifests: unknown[] };
        writeFileSync(
          join(directory, 'index.json'),
          JSON.stringify({ ...index, manifests: [...index.manifests, ...index.manifests] }),
        );
      },
      /names 2 images where one is expected/,
    ],
    [
      'the manifest blob missing',
      (directory, digest) => unlinkSync(blobPath(directory, digest)),
      /lacks blobs\/sha256/,
    ],
    ['a layer missing', (directory, digest) => unlinkSync(firstLayer(directory, digest)), /lacks blobs\/sha256/],
    [
      'a layer altered (same size)',
      (directory, digest) => {
        const path = firstLayer(directory, digest);
        const bytes = readFileSync(path);
        bytes[0] = (bytes[0] ?? 0) ^ 1;
        writeFileSync(path, bytes);
      },
      /has digest sha256:[0-9a-f]{64}: it was altered/,
    ],
    [
      'a layer of another size',
      (directory, digest) => writeFileSync(firstLayer(directory, digest), 'longer than it was'),
      /has 18 bytes where \d+ are named/,
    ],
    [
      'a layer that is a link',
      (directory, digest) => {
        const path = firstLayer(directory, digest);
        const copy = join(directory, 'elsewhere');
        writeFileSync(copy, readFileSync(path));
        unlinkSync(path);
        symlinkSync(copy, path);
      },
      /is not a regular file/,
    ],
    ['no oci-layout file', (directory) => unlinkSync(join(directory, 'oci-layout')), /is not an OCI image layout/],
  ])('%s', async (name, breakage, message) => {
    const directory = join(runnerTemp, 'broken', name.replace(/[^a-z0-9]+/g, '-'));
    mkdirSync(directory, { recursive: true });
    const digest = writeTestLayout(directory, `layer of ${name}`);
    breakage(directory, digest);
    const before = proxy.calls.length;
    const run = await step({ image: `${proxy.host}/acme/broken`, 'oci-layout': directory });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^input 'oci-layout': /);
    expect(run.errors[0]).toMatch(message);
    expect(proxy.calls.slice(before)).toEqual([]);
  });

  test('a hand-written layout that is whole is pushed as it is', async () => {
    const directory = join(runnerTemp, 'whole');
    mkdirSync(directory, { recursive: true });
    const digest = writeTestLayout(directory, 'whole layer');
    const run = await step({ image: `${proxy.host}/acme/whole`, 'oci-layout': directory });
    expect(run.errors).toEqual([]);
    expect(run.outputs['digest']).toBe(digest);
    expect((await servedManifest(registry.url, 'acme/whole', 'main'))?.digest).toBe(digest);
  });
});

test('a registry that answers 503 is asked again; one that keeps failing ends the push with its status', async () => {
  const directory = join(runnerTemp, 'flaky');
  mkdirSync(directory, { recursive: true });
  const digest = writeTestLayout(directory, 'flaky layer');
  proxy.fail(2, '503');
  const retried = await step({ image: `${proxy.host}/acme/flaky`, 'oci-layout': directory });
  expect(retried.errors).toEqual([]);
  expect(retried.warnings.join('\n')).toMatch(/503/);
  expect((await servedManifest(registry.url, 'acme/flaky', 'main'))?.digest).toBe(digest);

  proxy.fail(1, '500-forever');
  const failed = await step({ image: `${proxy.host}/acme/flaky`, 'oci-layout': directory });
  proxy.fail(0, '503');
  expect(failed.exitCode).toBe(1);
  expect(failed.errors.join('\n')).toMatch(/500/);
});

test('a registry that reports another digest for the pushed manifest fails the push', async () => {
  const lying = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      fetch(`${registry.url}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers: { 'content-type': request.headers['content-type'] ?? 'application/octet-stream' },
        body: body.length > 0 ? body : undefined,
      })
        .then(async (answer) => {
          const headers: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (!['content-length', 'transfer-encoding', 'connection'].includes(name)) headers[name] = value;
          });
          if (request.method === 'PUT' && request.url?.includes('/manifests/')) {
            headers['docker-content-digest'] = `sha256:${'0'.repeat(64)}`;
          }
          response.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  const listener = await listenOnLoopback(lying);
  try {
    const directory = join(runnerTemp, 'lied-about');
    mkdirSync(directory, { recursive: true });
    const digest = writeTestLayout(directory, 'lied-about layer');
    const run = await step({ image: `${new URL(listener.url).host}/acme/lied`, 'oci-layout': directory });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([`the registry reports sha256:${'0'.repeat(64)} for main, not the layout's ${digest}`]);
  } finally {
    await listener.stop();
  }
});

describe('where a layout may be written', () => {
  test.each<[string, () => string, RegExp]>([
    [
      'a directory that is not empty',
      () => {
        const directory = join(runnerTemp, 'full');
        mkdirSync(directory, { recursive: true });
        writeFileSync(join(directory, 'left-over'), '');
        return directory;
      },
      /is not empty/,
    ],
    ['outside the workspace and RUNNER_TEMP', () => join(tmpdir(), 'elsewhere-oci'), /is outside the workspace/],
    [
      'through a link out of the workspace',
      () => {
        // A directory next to the workspace (removed with it) that the link leads to.
        const outside = `${workspace.root}-outside`;
        mkdirSync(outside, { recursive: true });
        const link = join(workspace.root, 'oci-link');
        if (!existsSync(link)) symlinkSync(outside, link);
        return 'oci-link/api';
      },
      /is outside the workspace \(through a link to/,
    ],
    ['a path with a colon', () => join(runnerTemp, 'a:b'), /contains one of , : "/],
  ])('%s', async (_, directory, message) => {
    const run = await step({ image: `${proxy.host}/acme/nowhere`, push: 'false', 'oci-layout': directory() });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^input 'oci-layout': /);
    expect(run.errors[0]).toMatch(message);
    expect(run.stdout).not.toContain('[command]');
  });
});
