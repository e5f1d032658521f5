// Hostile inputs and faulty registries, run through the bundle as the runner runs it: each ends in one
// `::error` naming the input or the registry, exit 1, within a bounded time, no secret shown, nothing
// left in RUNNER_TEMP, nothing built.
import { jest } from '@jest/globals';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  startFaultServer,
  type FaultBehaviour,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
} from '@shiprail/testkit';
import { listenOnLoopback, type LoopbackListener } from '@shiprail/rehearsal/servers';
import { createWorkspace, type Workspace } from './fixtures.ts';

jest.setTimeout(90_000);

const USER = 'ci-bot';
const PASSWORD = 'Hostile-pa55word';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const TOKEN = 'bearer-T0ken-from-the-realm';
const SECRETS = [PASSWORD, BASIC, TOKEN];
const INJECTED = '::warning::INJECTED';

let workspace: Workspace;

beforeAll(() => {
  workspace = createWorkspace();
  mkdirSync(join(workspace.root, 'links'));
  symlinkSync('/etc', join(workspace.root, 'links', 'etc'));
  symlinkSync('/etc/passwd', join(workspace.root, 'links', 'Dockerfile'));
});

afterAll(() => rmSync(workspace.root, { recursive: true, force: true }));

/** A run that pushes to `registry` with credentials; buildah, so that no Docker engine is asked. */
function run(registry: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runBundledAction('build-push', {
    inputs: {
      image: `${registry}/acme/app`,
      context: 'services/hello',
      builder: 'buildah',
      'registry-username': USER,
      'registry-password': PASSWORD,
      ...inputs,
    },
    ref: 'refs/heads/main',
    sha: '3f2a9c1d00000000000000000000000000000001',
    event: { repository: { name: 'shop', default_branch: 'main' } },
    workspace: workspace.root,
    env: workspace.env,
    timeoutMs: 80_000,
  });
}

/** The registry's JSON error shape carrying whatever `words` says about the request. */
const registryError = (status: number, words: string): { status: number; body: string } => ({
  status,
  body: JSON.stringify({ errors: [{ code: 'DENIED', message: words }] }),
});

/**
 * A registry that challenges (Basic, or Bearer with its own token realm) and then answers every
 * authorized request with the request's headers inside its error, and a planted workflow command.
 */
async function startEchoingRegistry(scheme: 'basic' | 'bearer'): Promise<LoopbackListener> {
  let url = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    if (request.url?.startsWith('/token')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ token: TOKEN }));
      return;
    }
    if (request.headers.authorization === undefined) {
      const challenge = scheme === 'basic' ? 'Basic realm="echo"' : `Bearer realm="${url}/token",service="echo"`;
      response.writeHead(401, { 'www-authenticate': challenge });
      response.end();
      return;
    }
    const { status, body } = registryError(400, `${JSON.stringify(request.headers)}\n${INJECTED}`);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  });
  const listener = await listenOnLoopback(server);
  url = listener.url;
  return listener;
}

interface RegistryFault {
  name: string;
  behaviour: FaultBehaviour;
  /** The `::error` says this (the registry is named in every case). */
  error: RegExp;
  withinMs: number;
  /**
   * Requests the server saw: how many attempts were made (HTTP behaviours only: raw ones count
   * connections). This is what shows a refusal is not tried again; the process's start dominates its
   * duration on a busy machine, so the 2 s bound of a refusal is timed in registry-client.test.ts.
   */
  hits?: number;
}

const faults: RegistryFault[] = [
  {
    name: 'accepts and never answers: three deadlines, then the registry is named',
    behaviour: { kind: 'hang' },
    error:
      /registry 127\.0\.0\.1:\d+: GET http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/app\/tags\/list\?n=1 did not answer within 10\.0s \(3 attempts\)/,
    withinMs: 50_000,
  },
  {
    name: 'answers 500 every time: three attempts',
    behaviour: { kind: 'status', status: 500, body: 'internal error' },
    error:
      /registry 127\.0\.0\.1:\d+: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/app\/tags\/list\?n=1 answered 500 \(3 attempts\)/,
    withinMs: 15_000,
    hits: 3,
  },
  {
    name: 'echoes the request with a 500',
    behaviour: { kind: 'echo', status: 503 },
    error: /registry 127\.0\.0\.1:\d+: .* answered 503 \(3 attempts\)/,
    withinMs: 15_000,
    hits: 3,
  },
  {
    name: 'hangs up at once',
    behaviour: { kind: 'close' },
    error: /registry 127\.0\.0\.1:\d+: GET .* failed: .*\(3 attempts\)/,
    withinMs: 15_000,
  },
  {
    name: 'speaks something that is not HTTP',
    behaviour: { kind: 'garbage' },
    error: /registry 127\.0\.0\.1:\d+: GET .* failed: /,
    withinMs: 15_000,
  },
  {
    name: 'refuses the credentials (401): at once',
    behaviour: { kind: 'status', status: 401, headers: { 'www-authenticate': 'Basic realm="registry"' } },
    error: /input 'registry-password': registry 127\.0\.0\.1:\d+ refused the credentials of user 'ci-bot' \(HTTP 401\)/,
    withinMs: 10_000,
    hits: 2,
  },
  {
    name: 'denies the push (403): at once',
    behaviour: { kind: 'status', ...registryError(403, 'requested access to the resource is denied') },
    error:
      /input 'registry-username': registry 127\.0\.0\.1:\d+ denied pushing to acme\/app for user 'ci-bot' \(HTTP 403 DENIED: requested access/,
    withinMs: 10_000,
    hits: 1,
  },
];

test.each(faults)('registry $name', async ({ behaviour, error, withinMs, hits }) => {
  const server = await startFaultServer(behaviour);
  try {
    const result = await run(new URL(server.url).host);
    expectContainedFailure(result, { secrets: SECRETS, withinMs });
    expect(result.errors[0]).toMatch(error);
    expect(result.outputs).toEqual({});
    if (hits !== undefined) expect(server.hits).toBe(hits);
  } finally {
    await server.stop();
  }
});

test.each(['basic', 'bearer'] as const)(
  'a registry that echoes the %s credentials into its error: redacted, on one line',
  async (scheme) => {
    const registry = await startEchoingRegistry(scheme);
    try {
      const result = await run(new URL(registry.url).host);
      expectContainedFailure(result, {
        secrets: SECRETS,
        withinMs: 10_000,
        plantedCommand: INJECTED,
      });
      expect(result.errors[0]).toMatch(
        /registry 127\.0\.0\.1:\d+ could not reach acme\/app: HTTP 400 DENIED: .*\*\*\*/,
      );
      expect(result.errors[0]).toContain('\\n::warning::INJECTED');
    } finally {
      await registry.stop();
    }
  },
);

interface PathCase {
  name: string;
  inputs: Record<string, string>;
  error: RegExp;
}

const paths: PathCase[] = [
  {
    name: 'a context above the workspace',
    inputs: { context: '../../etc' },
    error: /^input 'context': '\.\.\/\.\.\/etc' is outside the workspace: give a path inside the repository$/,
  },
  {
    name: 'an absolute context elsewhere',
    inputs: { context: '/etc' },
    error: /^input 'context': '\/etc' is outside the workspace/,
  },
  {
    name: 'a context that links out of the workspace',
    inputs: { context: 'links/etc' },
    error: /^input 'context': 'links\/etc' is outside the workspace \(through a link to \/etc\)/,
  },
  {
    name: 'a dockerfile elsewhere',
    inputs: { dockerfile: '/etc/passwd' },
    error: /^input 'dockerfile': '\/etc\/passwd' is outside the workspace/,
  },
  {
    name: 'a dockerfile that links out of the workspace',
    inputs: { dockerfile: 'links/Dockerfile' },
    error: /^input 'dockerfile': 'links\/Dockerfile' is outside the workspace \(through a link to \/etc\/passwd\)/,
  },
  {
    name: 'a context without a Dockerfile names the context',
    inputs: { context: 'services' },
    error: /^input 'context': .*\/services has no Dockerfile: set dockerfile when it is elsewhere$/,
  },
];

test.each(paths)('$name: refused before any registry call', async ({ inputs, error }) => {
  // Port 9 (discard) on loopback: any registry call would fail differently.
  const result = await run('127.0.0.1:9', inputs);
  expectContainedFailure(result, { secrets: SECRETS, withinMs: 10_000 });
  expect(result.errors[0]).toMatch(error);
});
