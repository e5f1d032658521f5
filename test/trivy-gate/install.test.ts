// Installing Trivy: archive naming, the pinned sums, verification, download and tool cache against a
// release server on 127.0.0.1, and the whole action run in-process with a stand-in Trivy.
import {
  installTrivy,
  PINNED_TRIVY_VERSION,
  releaseAsset,
  releaseUrl,
  requestOf,
  runnerEnvironment,
  runTrivyGate,
  TRIVY_RELEASE_SHA256,
  verifyArchiveSha256,
  type ReleaseSums,
} from '@shiprail/trivy-gate';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sleep } from '@shiprail/core';
import { actionsExec } from '@shiprail/core/action';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import {
  createTestRuntime,
  silentLog,
  makeFakeTrivyArchive,
  startReleaseServer,
  type FakeArchive,
  type ReleaseServer,
} from '@shiprail/testkit';

function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
}

describe('release archives', () => {
  test.each([
    ['linux', 'x64', 'trivy_0.69.3_Linux-64bit.tar.gz', 'trivy'],
    ['linux', 'arm64', 'trivy_0.69.3_Linux-ARM64.tar.gz', 'trivy'],
    ['darwin', 'x64', 'trivy_0.69.3_macOS-64bit.tar.gz', 'trivy'],
    ['darwin', 'arm64', 'trivy_0.69.3_macOS-ARM64.tar.gz', 'trivy'],
    ['win32', 'x64', 'trivy_0.69.3_windows-64bit.zip', 'trivy.exe'],
  ])('%s/%s downloads %s', (platform, arch, name, executable) => {
    expect(releaseAsset('0.69.3', platform, arch)).toMatchObject({ name, executable });
  });

  test.each([
    ['freebsd', 'x64'],
    ['linux', 'ia32'],
    ['aix', 'ppc64'],
  ])('%s/%s is refused', (platform, arch) => {
    expect(() => releaseAsset('0.69.3', platform, arch)).toThrow(/Linux, macOS and Windows on x64 or arm64/);
  });

  test('the URL follows the release layout under any mirror base', () => {
    expect(releaseUrl('https://mirror.example/trivy/', '0.69.3', 'trivy_0.69.3_Linux-64bit.tar.gz')).toBe(
      'https://mirror.example/trivy/v0.69.3/trivy_0.69.3_Linux-64bit.tar.gz',
    );
  });

  test('every pinned sum is a SHA-256 for an archive named as the release names it', () => {
    expect(Object.keys(TRIVY_RELEASE_SHA256)).toContain(PINNED_TRIVY_VERSION);
    for (const [version, sums] of Object.entries(TRIVY_RELEASE_SHA256)) {
      expect(sums[releaseAsset(version, 'linux', 'x64').name]).toMatch(/^[0-9a-f]{64}$/);
      expect(sums[releaseAsset(version, 'linux', 'arm64').name]).toMatch(/^[0-9a-f]{64}$/);
      for (const [name, sum] of Object.entries(sums)) {
        expect(name).toMatch(
          new RegExp(`^trivy_${version.replace(/\./g, '\\.')}_(Linux|macOS|windows)-(64bit|ARM64)\\.(tar\\.gz|zip)$`),
        );
        expect(sum).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    const all = Object.values(TRIVY_RELEASE_SHA256).flatMap((sums) => Object.values(sums));
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('credentials in the download URL', () => {
  test.each([
    ['https://mirror.example/trivy', 'https://mirror.example/trivy', undefined],
    ['https://deploy:s3cret@mirror.example/trivy', 'https://mirror.example/trivy', 'deploy:s3cret'],
    ['https://deploy:p%40ss%3Aword@mirror.example/t', 'https://mirror.example/t', 'deploy:p@ss:word'],
    ['https://token@mirror.example/t', 'https://mirror.example/t', 'token:'],
  ])('%s is fetched as %s with user:password %s in a Basic header', (url, href, credentials) => {
    const request = requestOf(url);
    expect(request.href).toBe(href);
    const header = request.headers['authorization'];
    expect(header === undefined ? undefined : Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()).toBe(
      credentials,
    );
  });
});

describe('verifyArchiveSha256', () => {
  const sums: ReleaseSums = { '1.2.3': { 'trivy_1.2.3_Linux-64bit.tar.gz': 'ab'.repeat(32) } };

  test('accepts the pinned sum, in either case', () => {
    expect(() =>
      verifyArchiveSha256(sums, '1.2.3', 'trivy_1.2.3_Linux-64bit.tar.gz', 'AB'.repeat(32), 'http://x'),
    ).not.toThrow();
  });

  test('refuses another sum, naming both', () => {
    expect(() =>
      verifyArchiveSha256(sums, '1.2.3', 'trivy_1.2.3_Linux-64bit.tar.gz', 'cd'.repeat(32), 'http://x'),
    ).toThrow(
      new RegExp(
        `refusing to run trivy_1.2.3_Linux-64bit.tar.gz from http://x: its SHA-256 is ${'cd'.repeat(32)}, but the sum pinned for Trivy 1.2.3 is ${'ab'.repeat(32)}`,
      ),
    );
  });

  test('refuses an archive that has no pinned sum', () => {
    expect(() =>
      verifyArchiveSha256(sums, '1.2.4', 'trivy_1.2.4_Linux-64bit.tar.gz', 'ab'.repeat(32), 'http://x'),
    ).toThrow(/no SHA-256 is pinned for trivy_1.2.4_Linux-64bit.tar.gz/);
  });
});

interface ReleaseFixture {
  work: string;
  archive: FakeArchive;
  server: ReleaseServer;
}

/**
 * Before each test: a work directory, a stand-in archive for `version` served on 127.0.0.1, and the
 * runner's tool cache and temp directories (which @actions/tool-cache reads from the process environment).
 */
function useReleaseFixture(version: string): ReleaseFixture {
  const fixture = {} as ReleaseFixture;
  const saved = { RUNNER_TOOL_CACHE: process.env['RUNNER_TOOL_CACHE'], RUNNER_TEMP: process.env['RUNNER_TEMP'] };
  beforeEach(async () => {
    fixture.work = mkdtempSync(join(tmpdir(), 'trivy-install-test-'));
    fixture.archive = await makeFakeTrivyArchive(fixture.work, version);
    fixture.server = await startReleaseServer(
      new Map([[`/v${version}/${fixture.archive.name}`, fixture.archive.content]]),
    );
    process.env['RUNNER_TOOL_CACHE'] = join(fixture.work, 'tool-cache');
    process.env['RUNNER_TEMP'] = join(fixture.work, 'temp');
  });
  afterEach(async () => {
    await fixture.server.stop();
    restoreEnv(saved);
    rmSync(fixture.work, { recursive: true, force: true });
  });
  return fixture;
}

describe('installTrivy against a local release server', () => {
  const fixture = useReleaseFixture('9.9.9');

  const options = (sums: ReleaseSums) => ({
    version: '9.9.9',
    baseUrl: fixture.server.url,
    sums,
    platform: 'linux',
    arch: 'x64',
    tempDir: join(fixture.work, 'temp'),
    toolCacheDir: join(fixture.work, 'tool-cache'),
    fetch: runnerEnvironment.fetch,
    clock: { now: () => Date.now(), sleep },
    log: silentLog,
  });

  test('downloads, verifies, caches, and then finds it in the cache', async () => {
    const sums = { '9.9.9': { [fixture.archive.name]: fixture.archive.sha256 } };
    const first = await installTrivy(options(sums));
    expect(first.fromCache).toBe(false);
    expect(first.path).toBe(join(fixture.work, 'tool-cache', 'trivy', '9.9.9', 'x64', 'trivy'));
    expect(statSync(first.path).mode & 0o111).not.toBe(0);
    expect(readdirSync(join(fixture.work, 'temp'))).toEqual([]);

    const second = await installTrivy(options(sums));
    expect(second).toEqual({ path: first.path, fromCache: true });
    expect(fixture.server.requests).toEqual([`/v9.9.9/${fixture.archive.name}`]);
  });

  test('refuses an fixture.archive whose sum differs, and neither caches nor keeps it', async () => {
    const sums = { '9.9.9': { [fixture.archive.name]: '0'.repeat(64) } };
    await expect(installTrivy(options(sums))).rejects.toThrow(
      `its SHA-256 is ${fixture.archive.sha256}, but the sum pinned for Trivy 9.9.9 is ${'0'.repeat(64)}`,
    );
    expect(existsSync(join(fixture.work, 'tool-cache', 'trivy'))).toBe(false);
    expect(readdirSync(join(fixture.work, 'temp'))).toEqual([]);
  });

  test('a version without pinned sums is not downloaded at all', async () => {
    await expect(installTrivy(options({}))).rejects.toThrow(/no SHA-256 is pinned/);
    expect(fixture.server.requests).toEqual([]);
  });

  test('a mirror without the fixture.archive fails with the HTTP status', async () => {
    const sums = { '9.9.9': { [fixture.archive.name]: fixture.archive.sha256 } };
    await expect(installTrivy({ ...options(sums), baseUrl: `${fixture.server.url}/elsewhere` })).rejects.toThrow(/404/);
  });
});

describe('runTrivyGate scanning an image, in-process', () => {
  // The stand-in fixture.archive plays the pinned version, verified against the test's own sum table.
  const fixture = useReleaseFixture(PINNED_TRIVY_VERSION);
  const image = 'ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  const run = async (
    report: string,
    extra: Record<string, string> = {},
    target: Record<string, string> = { image },
  ) => {
    const runtime = createTestRuntime({
      inputs: { ...target, 'trivy-download-url': fixture.server.url, ...extra },
      env: { RUNNER_TOOL_CACHE: join(fixture.work, 'tool-cache') },
      github: { workspace: join(fixture.work, 'workspace') },
    });
    runtime.tempDir = join(fixture.work, 'temp');
    // Programs inherit the real process environment, not the test's copy: hand the stand-in its settings.
    const fakeEnv = {
      FAKE_TRIVY_REPORT: join(repoRoot, 'test', 'fixtures', 'trivy-reports', report),
      FAKE_TRIVY_ARGS: join(fixture.work, 'trivy-args.txt'),
    };
    runtime.exec = (program, args, execOptions) => actionsExec(program, args, { ...execOptions, env: fakeEnv });
    const environment = {
      sums: { [PINNED_TRIVY_VERSION]: { [fixture.archive.name]: fixture.archive.sha256 } },
      platform: 'linux',
      arch: 'x64',
      fetch: runnerEnvironment.fetch,
    };
    const outcome = await runTrivyGate(runtime, environment).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { runtime, outcome };
  };

  /** Where each kind of target lies, created before the run: a layout directory or a tarball. */
  const place = (path: string, kind: 'layout' | 'tarball'): string => {
    mkdirSync(kind === 'layout' ? path : dirname(path), { recursive: true });
    if (kind === 'layout') writeFileSync(join(path, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    else writeFileSync(path, 'tar');
    return path;
  };

  test.each<[string, () => { inputs: Record<string, string>; argv: string[] }]>([
    ['a registry image', () => ({ inputs: { image }, argv: [image] })],
    [
      'an OCI image layout in the workspace, by a relative path',
      () => {
        const path = place(join(fixture.work, 'workspace', 'oci', 'api'), 'layout');
        return { inputs: { input: 'oci/api' }, argv: ['--input', path] };
      },
    ],
    [
      'an image tarball in RUNNER_TEMP',
      () => {
        const path = place(join(fixture.work, 'temp', 'images', 'api.tar'), 'tarball');
        return { inputs: { input: path }, argv: ['--input', path] };
      },
    ],
  ])('%s: installs, scans with an argument vector, and gates the report Trivy wrote', async (_, target) => {
    const { inputs, argv } = target();
    const { runtime, outcome } = await run('photon-30.json', { 'sarif-file': 'trivy.sarif' }, inputs);
    expect(String(outcome)).toMatch(
      /3 finding\(s\) fail the gate \(CRITICAL: 2, HIGH: 1\): CVE-2019-5481, CVE-2019-18276/,
    );
    const reportPath = runtime.outputs['report'] ?? '';
    expect(readFileSync(join(fixture.work, 'trivy-args.txt'), 'utf8').trimEnd().split('\n')).toEqual([
      'image',
      '--format',
      'json',
      '--output',
      reportPath,
      '--cache-dir',
      join(fixture.work, 'workspace', '.cache', 'trivy'),
      '--scanners',
      'vuln',
      '--severity',
      'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      '--no-progress',
      ...argv,
    ]);
    expect(runtime.outputs).toMatchObject({
      passed: 'false',
      blocking: '3',
      counts: '{"CRITICAL":2,"HIGH":1,"MEDIUM":0,"LOW":0,"UNKNOWN":0}',
      'sarif-file': join(fixture.work, 'workspace', 'trivy.sarif'),
    });
    expect(existsSync(join(fixture.work, 'workspace', '.cache', 'trivy'))).toBe(true);
    expect(runtime.summaries.join('')).toContain(inputs['image'] ?? inputs['input'] ?? '');
  });

  test('the second scan takes Trivy from the tool cache', async () => {
    await run('ubuntu-1804.json');
    const { runtime, outcome } = await run('ubuntu-1804.json');
    expect(outcome).toBeUndefined();
    expect(runtime.outputs['passed']).toBe('true');
    expect(fixture.server.requests).toHaveLength(1);
  });
});
