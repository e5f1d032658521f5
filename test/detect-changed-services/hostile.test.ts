// Hostile manifests, hostile file names and faulty git remotes, each run through the bundle as the runner
// runs it: one `::error` naming the file:line or the fetch, exit 1, an end in bounded time, nothing left
// behind; a hostile file name is logged without starting a workflow command.
import { symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  startFaultServer,
  type FaultBehaviour,
  type FaultServer,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
} from '@shiprail/testkit';
import { createMonorepo, eventPayload, git, MANIFEST, removeTemporaryDirectories, temporaryDirectory } from './repo.ts';

afterAll(removeTemporaryDirectories);

const ID = 'detect-changed-services';
const FILE = '.github/services.yml';

/** A manifest whose api service has one more key. */
const apiWith = (line: string): string =>
  MANIFEST.replace('    path: services/api\n', `    path: services/api\n${line}\n`);
const apiLine = MANIFEST.split('\n').indexOf('    path: services/api') + 2;

/** A committed manifest, compared with `base`: the run reads it before asking git anything else. */
async function runWithManifest(manifest: string): Promise<ActionRun> {
  const { repo, base } = createMonorepo();
  repo.commit('manifest', { [FILE]: manifest });
  return runBundledAction(ID, { workspace: repo.path, inputs: { base } });
}

describe('hostile manifests', () => {
  const ALIAS_BOMB = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'services: {}',
    '',
  ].join('\n');
  test.each<[string, string, RegExp]>([
    ['a path leaving the repository', MANIFEST.replace('path: services/api', 'path: ../../etc'), /leads outside/],
    ['an absolute dockerfile', apiWith('    dockerfile: /etc/passwd'), /is absolute/],
    ['a context leaving the repository', apiWith('    context: ../..'), /leads outside/],
    ['a resource carrying a flag', apiWith('    resource: "deployment/x --all"'), /not a valid object name/],
    ['a resource of a kind rollout-wait does not watch', apiWith('    resource: secret/x'), /unknown kind/],
    ['test reports outside the repository', apiWith("    test-reports: '../../**/*.xml'"), /leads outside/],
    ['a YAML alias bomb', ALIAS_BOMB, /alias/i],
  ])('%s: one error naming the file and line', async (_, manifest, message) => {
    const run = await runWithManifest(manifest);
    expectContainedFailure(run, { withinMs: 20_000 });
    expect(run.errors[0]).toMatch(message);
    expect(run.stdout).toMatch(new RegExp(`::error [^:]*file=${FILE.replace(/\./g, '\\.')}`));
    if (!/alias/.test(message.source)) expect(run.stdout).toMatch(/,line=\d+/);
    expect(run.outputs).toEqual({});
  });

  test('the line named is the line of the value', async () => {
    const run = await runWithManifest(apiWith('    dockerfile: /etc/passwd'));
    expect(run.stdout).toContain(`line=${apiLine}`);
  });

  test('a manifest that links outside the repository is not read', async () => {
    const { repo, base } = createMonorepo();
    const outside = join(temporaryDirectory(), 'secret.yml');
    writeFileSync(outside, 'services: {}\n');
    repo.write({ [FILE]: null });
    symlinkSync(outside, join(repo.path, FILE));
    repo.commit('link the manifest out');
    const run = await runBundledAction(ID, { workspace: repo.path, inputs: { base } });
    expectContainedFailure(run, { withinMs: 20_000 });
    expect(run.errors[0]).toMatch(/^input 'config': .*lies outside the repository/);
  });
});

describe('hostile file names', () => {
  test('a changed file named to plant a workflow command is logged as one escaped line', async () => {
    const { repo, base } = createMonorepo();
    const planted = 'x\n::warning::INJECTED';
    repo.commit('a hostile name', { [`services/api/${planted}`]: '1\n' });
    const run = await runBundledAction(ID, { workspace: repo.path, inputs: { base } });
    expect({ exitCode: run.exitCode, errors: run.errors }).toEqual({ exitCode: 0, errors: [] });
    expect(run.warnings).toEqual([]);
    expect(run.stdout.split('\n').filter((line) => /^\s*(::|##\[)warning/.test(line))).toEqual([]);
    expect(run.stdout).toContain('services/api/x\\n::warning::INJECTED');
    expect(JSON.parse(run.outputs['services'] ?? '[]')).toContain('api');
  });
});

/** A TCP listener that accepts and never answers: what a stalled git:// or ssh server looks like. */
async function silentTcp(): Promise<{ url: string; stop: () => Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `git://127.0.0.1:${port}/shop.git`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('faulty git remotes', () => {
  /** A shallow checkout whose origin is `url`, pushed to with a `before` commit it lacks. */
  function shallowCheckout(url: string): { clone: string; before: string; after: string } {
    const { repo, base: before } = createMonorepo();
    const after = repo.commit('api change', { 'services/api/src/server.ts': 'export const api = 2;\n' });
    const clone = repo.shallowClone('main');
    git(clone, 'remote', 'set-url', 'origin', url);
    return { clone, before, after };
  }

  const servers: Array<{ stop: () => Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  async function remote(behaviour: FaultBehaviour | 'silent git'): Promise<string> {
    if (behaviour === 'silent git') {
      const server = await silentTcp();
      servers.push(server);
      return server.url;
    }
    const server: FaultServer = await startFaultServer(behaviour);
    servers.push(server);
    return `${server.url}/shop.git`;
  }

  test.each<[string, FaultBehaviour | 'silent git', RegExp, number]>([
    [
      'an HTTP remote that accepts and never answers',
      { kind: 'hang' },
      /failed after 3 attempts: origin did not answer within 1(\.0)?s/,
      25_000,
    ],
    [
      'a git:// remote that accepts and never answers',
      'silent git',
      /failed after 3 attempts: origin did not answer within 1(\.0)?s/,
      25_000,
    ],
    ['a remote failing with 500', { kind: 'status', status: 500 }, /failed after 3 attempts: .*500/, 25_000],
    [
      'a remote that hangs up at once',
      { kind: 'close' },
      /failed after 3 attempts: .*(Empty reply|Connection reset)/,
      25_000,
    ],
    ['a remote asking for credentials (401)', { kind: 'status', status: 401 }, /failed \(not retried\):/, 8_000],
    ['a remote refusing access (403)', { kind: 'status', status: 403 }, /failed \(not retried\):.*403/, 8_000],
    ['a remote that is not there (404)', { kind: 'status', status: 404 }, /failed \(not retried\): .*not found/, 8_000],
  ])('%s: the failed fetch is the error, with its reason', async (_, behaviour, message, withinMs) => {
    const { clone, before, after } = shallowCheckout(await remote(behaviour));
    const run = await runBundledAction(ID, {
      workspace: clone,
      eventName: 'push',
      event: eventPayload('push', { before, after }),
      sha: after,
      inputs: { 'fetch-timeout': '1s' },
    });
    expectContainedFailure(run, { withinMs });
    expect(run.errors[0]).toMatch(/^git fetch of [0-9a-f]{7} from origin failed/);
    expect(run.errors[0]).toMatch(message);
    expect(run.errors[0]).not.toMatch(/forced/);
    expect(run.outputs).toEqual({});
  });
});
