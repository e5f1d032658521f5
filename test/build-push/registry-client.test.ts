// The Distribution API client against a real registry: directly (anonymous), through a Bearer-token
// front (as ghcr.io and Docker Hub), and through failures it must retry.
import { ConfigurationError } from '@shiprail/core';
import { parseImageInput, RegistryClient, RegistryError } from '@shiprail/build-push';
import { rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { makeSelfSignedCertificate } from '../smoke-test/servers.ts';
import { startFaultServer, runBundledAction } from '@shiprail/testkit';
import { listenOnLoopback, startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';
import { createWorkspace, pushTestImage, servedManifest, type Workspace } from './fixtures.ts';
import { startTokenProxy, type TokenProxy } from './token-proxy.ts';

const USER = 'robot';
const PASSWORD = 'T0ken-service-secret';
let registry: RunningRegistry;
let proxy: TokenProxy;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startTokenProxy({ upstream: registry.url, user: USER, password: PASSWORD });
  digest = await pushTestImage(registry.url, 'acme/app', 'sha-1234567', 'one');
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const client = (host: string, credentials?: { username: string; password: string }): RegistryClient =>
  new RegistryClient(parseImageInput(`${host}/acme/app`), { fetch, credentials, retryBaseMs: 5 });

test('anonymous: reads a manifest digest (HEAD) and bytes (GET), 404 is undefined', async () => {
  const direct = client(registry.host);
  expect((await direct.headManifest('sha-1234567'))?.digest).toBe(digest);
  const manifest = await direct.getManifest(digest);
  expect(manifest?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  expect(manifest?.digest).toBe(digest);
  expect(await direct.headManifest('nope')).toBeUndefined();
});

test('bearer: takes the challenge, gets a token with the right scope, re-tags by digest', async () => {
  const viaToken = client(proxy.host, { username: USER, password: PASSWORD });
  const manifest = await viaToken.getManifest('sha-1234567');
  expect(manifest?.digest).toBe(digest);
  if (manifest === undefined) throw new Error('no manifest');
  expect(await viaToken.putManifest('v1', manifest)).toBe(digest);
  expect((await servedManifest(registry.url, 'acme/app', 'v1'))?.digest).toBe(digest);
  expect(proxy.scopes).toContain('repository:acme/app:pull');
  expect(proxy.scopes).toContain('repository:acme/app:pull,push');
});

test('bearer: anonymous pull tokens work for reads', async () => {
  expect((await client(proxy.host).headManifest('sha-1234567'))?.digest).toBe(digest);
});

test('bearer: refused credentials name the registry and the user, never the password', async () => {
  const error = (await client(proxy.host, { username: USER, password: 'wrong-password' })
    .checkAccess('pull,push')
    .catch((caught: unknown) => caught)) as ConfigurationError;
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error.describe()).toBe(
    `input 'registry-password': registry ${proxy.host} refused the credentials of user '${USER}' (HTTP 401): check registry-username and registry-password`,
  );
  expect(error.describe()).not.toContain('wrong-password');
});

test('bearer: anonymous push is refused with a hint to give credentials', async () => {
  await expect(client(proxy.host).checkAccess('pull,push')).rejects.toThrow(
    `registry ${proxy.host} requires credentials for acme/app`,
  );
});

test.each(['503', 'drop'] as const)('retries %s answers and then succeeds', async (how) => {
  const viaToken = client(proxy.host, { username: USER, password: PASSWORD });
  await viaToken.headManifest('sha-1234567');
  const before = proxy.requests;
  proxy.fail(2, how);
  expect((await viaToken.headManifest('sha-1234567'))?.digest).toBe(digest);
  expect(proxy.requests - before).toBe(3);
});

test('gives up after its attempts with an error naming the registry', async () => {
  const viaToken = client(proxy.host, { username: USER, password: PASSWORD });
  proxy.fail(1, '500-forever');
  try {
    await expect(viaToken.headManifest('sha-1234567')).rejects.toThrow(RegistryError);
    await expect(viaToken.headManifest('sha-1234567')).rejects.toThrow(`registry ${proxy.host}:`);
  } finally {
    proxy.fail(0, '503');
  }
});

describe('the action through a Bearer-token registry', () => {
  let workspace: Workspace;
  beforeAll(() => {
    workspace = createWorkspace();
  });
  afterAll(() => rmSync(workspace.root, { recursive: true, force: true }));

  test('reuse-existing adds the release tags to the commit image', async () => {
    const run = await runBundledAction('build-push', {
      inputs: {
        image: `${proxy.host}/acme/app`,
        context: 'services/hello',
        'registry-username': USER,
        'registry-password': PASSWORD,
      },
      ref: 'refs/tags/v3.1.0',
      sha: '1234567890abcdef1234567890abcdef12345678',
      event: { repository: { name: 'shop', default_branch: 'main' } },
      workspace: workspace.root,
      env: workspace.env,
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs['built']).toBe('false');
    expect(run.outputs['digest']).toBe(digest);
    for (const tag of ['3.1.0', 'latest']) {
      expect((await servedManifest(registry.url, 'acme/app', tag))?.digest).toBe(digest);
    }
  });
});

describe('what is tried again', () => {
  test('a bad certificate fails at once with its cause, naming the registry', async () => {
    const certificate = makeSelfSignedCertificate();
    let hits = 0;
    const server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, (_request, response) => {
      hits += 1;
      response.end('{}');
    });
    const listener = await listenOnLoopback(server);
    try {
      const host = new URL(listener.url).host;
      // Not on loopback as far as the client knows: spoken to over HTTPS, as a remote registry would be.
      const remote = { ...parseImageInput(`${host}/acme/app`), loopback: false };
      const started = performance.now();
      const error = await new RegistryClient(remote, { fetch, retryBaseMs: 500 })
        .checkAccess('pull,push')
        .catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).message).toMatch(
        new RegExp(
          `^registry ${host}: GET https://${host}/v2/acme/app/tags/list\\?n=1 failed: self-signed certificate`,
        ),
      );
      expect(hits).toBe(0);
    } finally {
      await listener.stop();
      certificate.remove();
    }
  });

  test.each([
    [401, { 'www-authenticate': 'Basic realm="registry"' }, 2, /refused the credentials of user 'robot' \(HTTP 401\)/],
    [403, {}, 1, /denied pushing to acme\/app for user 'robot' \(HTTP 403/],
  ])('HTTP %d fails at once (within 2 s) with the cause', async (status, headers, requests, message) => {
    const server = await startFaultServer({ kind: 'status', status, headers });
    try {
      const started = performance.now();
      const refusing = client(new URL(server.url).host, { username: USER, password: PASSWORD });
      await expect(refusing.checkAccess('pull,push')).rejects.toThrow(message);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(server.hits).toBe(requests);
    } finally {
      await server.stop();
    }
  });

  test("network errors are tried again through the client's own fetch and sleep", async () => {
    const delays: number[] = [];
    let calls = 0;
    const flaky: typeof fetch = (input, init) => {
      calls += 1;
      if (calls <= 2) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }));
      return fetch(input, init);
    };
    const viaFlaky = new RegistryClient(parseImageInput(`${registry.host}/acme/app`), {
      fetch: flaky,
      retryBaseMs: 100,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    expect((await viaFlaky.headManifest('sha-1234567'))?.digest).toBe(digest);
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
  });

  test.each([
    [400, 1],
    [404, 1],
    [408, 3],
    [429, 3],
    [502, 3],
  ])('HTTP %d: %d attempt(s)', async (status, attempts) => {
    let calls = 0;
    const answering: typeof fetch = () => {
      calls += 1;
      return Promise.resolve(new Response(null, { status }));
    };
    const client = new RegistryClient(parseImageInput(`${registry.host}/acme/app`), {
      fetch: answering,
      sleep: () => Promise.resolve(),
    });
    await client.getManifest('x').catch(() => undefined);
    expect(calls).toBe(attempts);
  });
});
