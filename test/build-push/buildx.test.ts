// The buildx path end to end. There is no Docker engine here, so `docker` is a stand-in program on
// PATH that answers `docker version` like an engine, records every argument vector and the standard
// input of `docker login`, and writes the metadata file buildx would. The registry is real.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';
import { createWorkspace, servedManifest, writeTestLayout, type Workspace } from './fixtures.ts';

const DIGEST = `sha256:${'4f'.repeat(32)}`;
const PASSWORD = 'buildx-secret-value';

const STAND_IN = `#!/bin/sh
printf '%s\\n' "$*" >> "$DOCKER_LOG"
case "$1" in
  version) echo 28.2.2 ;;
  login) cat > "$DOCKER_LOG.stdin" ;;
  logout) ;;
  buildx)
    while [ $# -gt 0 ]; do
      if [ "$1" = --metadata-file ]; then printf '{"containerimage.digest":"${DIGEST}"}' > "$2"; fi
      case "$1=$2" in --output=type=oci,dest=*)
        dest=\${2#type=oci,dest=}; cp -R "$OCI_FIXTURE"/. "\${dest%,tar=false}" ;;
      esac
      shift
    done ;;
  *) exit 2 ;;
esac
`;

let registry: RunningRegistry;
let workspace: Workspace;
let bin: string;
let layoutDigest: string;

beforeAll(async () => {
  registry = await startRegistry();
  workspace = createWorkspace();
  bin = mkdtempSync(join(tmpdir(), 'docker-stand-in-'));
  writeFileSync(join(bin, 'docker'), STAND_IN);
  chmodSync(join(bin, 'docker'), 0o755);
  layoutDigest = writeTestLayout(join(bin, 'oci-fixture'), 'what buildx wrote');
});

afterAll(async () => {
  await registry?.stop();
  rmSync(workspace.root, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
});

async function run(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun & { calls: string[]; stdin: string }> {
  const log = join(bin, `calls-${Math.random().toString(36).slice(2)}`);
  const result = await runBundledAction('build-push', {
    inputs: { image: `${registry.host}/acme/api`, context: 'services/hello', ...inputs },
    ref: 'refs/heads/main',
    sha: '0123456789abcdef0123456789abcdef01234567',
    event: { repository: { name: 'shop', default_branch: 'main' } },
    workspace: workspace.root,
    env: {
      ...workspace.env,
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      DOCKER_LOG: log,
      OCI_FIXTURE: join(bin, 'oci-fixture'),
      ...env,
    },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  const stdin = existsSync(`${log}.stdin`) ? readFileSync(`${log}.stdin`, 'utf8') : '';
  return { ...result, calls, stdin };
}

test('auto picks buildx when a Docker engine answers; login by stdin, logout after, digest from the metadata file', async () => {
  const result = await run({ 'registry-username': 'ci', 'registry-password': PASSWORD });
  expect(result.errors).toEqual([]);
  expect(result.calls[0]).toBe('version --format {{.Server.Version}}');
  expect(result.calls[1]).toBe(`login ${registry.host} --username ci --password-stdin`);
  expect(result.stdin).toBe(PASSWORD);
  expect(result.calls.join('\n')).not.toContain(PASSWORD);
  expect(result.calls.at(-1)).toBe(`logout ${registry.host}`);
  const build = result.calls.find((call) => call.startsWith('buildx build')) ?? '';
  expect(build).toContain(`--tag ${registry.host}/acme/api:main --tag ${registry.host}/acme/api:sha-0123456`);
  expect(build).toContain('--label org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567');
  expect(build).toContain(`--cache-from type=registry,ref=${registry.host}/acme/api:buildcache`);
  expect(build).toMatch(/--push \/.*services\/hello$/);
  expect(result.outputs['digest']).toBe(DIGEST);
  expect(result.outputs['ref']).toBe(`${registry.host}/acme/api@${DIGEST}`);
  expect(result.outputs['built']).toBe('true');
});

test('on a GitHub runner the cache is type=gha, scoped per image', async () => {
  const result = await run(
    { builder: 'buildx', target: 'final' },
    { ACTIONS_RUNTIME_TOKEN: 'runtime-token', ACTIONS_CACHE_URL: 'http://127.0.0.1:9/cache/' },
  );
  expect(result.errors).toEqual([]);
  const build = result.calls.find((call) => call.startsWith('buildx build')) ?? '';
  expect(build).toContain(`--cache-from type=gha,scope=${registry.host}/acme/api-final`);
  expect(build).toContain(`--cache-to type=gha,mode=max,scope=${registry.host}/acme/api-final`);
  expect(result.calls.some((call) => call.startsWith('login'))).toBe(false);
});

test('builder: buildx without an engine fails with docker’s own message', async () => {
  const result = await run({ builder: 'buildx' }, { PATH: '/usr/bin:/bin' });
  expect(result.exitCode).toBe(1);
  expect(result.errors.join('\n')).toMatch(/docker|Docker/);
});

test('push: false into an OCI layout: buildx writes it unpacked, its digest is output, the registry stays empty', async () => {
  const directory = join(workspace.root, 'oci', 'api');
  const result = await run({ builder: 'buildx', push: 'false', 'oci-layout': 'oci/api' });
  expect(result.errors).toEqual([]);
  const build = result.calls.find((call) => call.startsWith('buildx build')) ?? '';
  expect(build).toContain(`--output type=oci,dest=${directory},tar=false`);
  expect(build).not.toContain('--push');
  expect(result.calls.some((call) => call.startsWith('login'))).toBe(false);
  expect(result.outputs['digest']).toBe(layoutDigest);
  expect(result.outputs['oci-layout']).toBe(directory);
  expect(await servedManifest(registry.url, 'acme/api', layoutDigest)).toBeUndefined();
});
