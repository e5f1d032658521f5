// Installing Trivy: archive naming, the pinned sums, verification, download and tool cache against a
// release server on 127.0.0.1, and the whole action run in-process with a stand-in Trivy.
import {
  installTrivy,
  PINNED_TRIVY_VERSION,
  releaseAsset,
  releaseUrl,
  runTrivyGate,
  TRIVY_RELEASE_SHA256,
  verifyArchiveSha256,
  type ReleaseSums,
} from '@shiprail/trivy';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionsExec } from '@shiprail/core/action';
import { repoRoot } from '../../scripts/lib/action-metadata.ts';
import { createTestRuntime } from '../support/runtime.ts';
import {
  makeFakeTrivyArchive,
  startReleaseServer,
  type FakeArchive,
  type ReleaseServer,
} from '../support/trivy-release-server.ts';

function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
}

const silentLog = {
  info: () => undefined,
  debug: () => undefined,
  warning: () => undefined,
  notice: () => undefined,
  group: <T>(_name: string, body: () => Promise<T>) => body(),
};

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

describe('installTrivy against a local release server', () => {
  let work: string;
  let archive: FakeArchive;
  let server: ReleaseServer;
  const saved = { RUNNER_TOOL_CACHE: process.env['RUNNER_TOOL_CACHE'], RUNNER_TEMP: process.env['RUNNER_TEMP'] };

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'trivy-install-test-'));
    archive = await makeFakeTrivyArchive(work, '9.9.9');
    server = await startReleaseServer(new Map([[`/v9.9.9/${archive.name}`, archive.content]]));
    // @actions/tool-cache reads these from the process environment.
    process.env['RUNNER_TOOL_CACHE'] = join(work, 'tool-cache');
    process.env['RUNNER_TEMP'] = join(work, 'temp');
  });

  afterEach(async () => {
    await server.stop();
    restoreEnv(saved);
    rmSync(work, { recursive: true, force: true });
  });

  const options = (sums: ReleaseSums) => ({
    version: '9.9.9',
    baseUrl: server.url,
    sums,
    platform: 'linux',
    arch: 'x64',
    tempDir: join(work, 'temp'),
    toolCacheDir: join(work, 'tool-cache'),
    log: silentLog,
  });

  test('downloads, verifies, caches, and then finds it in the cache', async () => {
    const sums = { '9.9.9': { [archive.name]: archive.sha256 } };
    const first = await installTrivy(options(sums));
    expect(first.fromCache).toBe(false);
    expect(first.path).toBe(join(work, 'tool-cache', 'trivy', '9.9.9', 'x64', 'trivy'));
    expect(statSync(first.path).mode & 0o111).not.toBe(0);
    expect(readdirSync(join(work, 'temp'))).toEqual([]);

    const second = await installTrivy(options(sums));
    expect(second).toEqual({ path: first.path, fromCache: true });
    expect(server.requests).toEqual([`/v9.9.9/${archive.name}`]);
  });

  test('refuses an archive whose sum differs, and neither caches nor keeps it', async () => {
    const sums = { '9.9.9': { [archive.name]: '0'.repeat(64) } };
    await expect(installTrivy(options(sums))).rejects.toThrow(
      `its SHA-256 is ${archive.sha256}, but the sum pinned for Trivy 9.9.9 is ${'0'.repeat(64)}`,
    );
    expect(existsSync(join(work, 'tool-cache', 'trivy'))).toBe(false);
    expect(readdirSync(join(work, 'temp'))).toEqual([]);
  });

  test('a version without pinned sums is not downloaded at all', async () => {
    await expect(installTrivy(options({}))).rejects.toThrow(/no SHA-256 is pinned/);
    expect(server.requests).toEqual([]);
  });

  test('a mirror without the archive fails with the HTTP status', async () => {
    const sums = { '9.9.9': { [archive.name]: archive.sha256 } };
    await expect(installTrivy({ ...options(sums), baseUrl: `${server.url}/elsewhere` })).rejects.toThrow(/404/);
  });
});

describe('runTrivyGate scanning an image, in-process', () => {
  let work: string;
  let server: ReleaseServer;
  let archive: FakeArchive;
  const saved = { RUNNER_TOOL_CACHE: process.env['RUNNER_TOOL_CACHE'], RUNNER_TEMP: process.env['RUNNER_TEMP'] };
  const image = 'ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'trivy-run-test-'));
    // The stand-in archive plays the pinned version, verified against the test's own sum table.
    archive = await makeFakeTrivyArchive(work, PINNED_TRIVY_VERSION);
    server = await startReleaseServer(new Map([[`/v${PINNED_TRIVY_VERSION}/${archive.name}`, archive.content]]));
    process.env['RUNNER_TOOL_CACHE'] = join(work, 'tool-cache');
    process.env['RUNNER_TEMP'] = join(work, 'temp');
  });

  afterEach(async () => {
    await server.stop();
    restoreEnv(saved);
    rmSync(work, { recursive: true, force: true });
  });

  const run = async (report: string, extra: Record<string, string> = {}) => {
    const runtime = createTestRuntime({
      inputs: { image, 'trivy-download-url': server.url, ...extra },
      env: { RUNNER_TOOL_CACHE: join(work, 'tool-cache') },
      github: { workspace: join(work, 'workspace') },
    });
    runtime.tempDir = join(work, 'temp');
    // Programs inherit the real process environment, not the test's copy: hand the stand-in its settings.
    const fakeEnv = {
      FAKE_TRIVY_REPORT: join(repoRoot, 'test', 'fixtures', 'trivy-reports', report),
      FAKE_TRIVY_ARGS: join(work, 'trivy-args.txt'),
    };
    runtime.exec = (program, args, execOptions) => actionsExec(program, args, { ...execOptions, env: fakeEnv });
    const environment = {
      sums: { [PINNED_TRIVY_VERSION]: { [archive.name]: archive.sha256 } },
      platform: 'linux',
      arch: 'x64',
    };
    const outcome = await runTrivyGate(runtime, environment).then(
      () => undefined,
      (error: unknown) => error,
    );
    return { runtime, outcome };
  };

  test('installs, scans with an argument vector, and gates the report Trivy wrote', async () => {
    const { runtime, outcome } = await run('photon-30.json', { 'sarif-file': 'trivy.sarif' });
    expect(String(outcome)).toMatch(
      /3 finding\(s\) fail the gate \(CRITICAL: 2, HIGH: 1\): CVE-2019-5481, CVE-2019-18276/,
    );
    const reportPath = runtime.outputs['report'] ?? '';
    expect(readFileSync(join(work, 'trivy-args.txt'), 'utf8').trimEnd().split('\n')).toEqual([
      'image',
      '--format',
      'json',
      '--output',
      reportPath,
      '--cache-dir',
      join(work, 'workspace', '.cache', 'trivy'),
      '--scanners',
      'vuln',
      '--severity',
      'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      '--no-progress',
      image,
    ]);
    expect(runtime.outputs).toMatchObject({
      passed: 'false',
      blocking: '3',
      counts: '{"CRITICAL":2,"HIGH":1,"MEDIUM":0,"LOW":0,"UNKNOWN":0}',
      'sarif-file': join(work, 'workspace', 'trivy.sarif'),
    });
    expect(existsSync(join(work, 'workspace', '.cache', 'trivy'))).toBe(true);
    expect(runtime.summaries.join('')).toContain(image);
  });

  test('the second scan takes Trivy from the tool cache', async () => {
    await run('ubuntu-1804.json');
    const { runtime, outcome } = await run('ubuntu-1804.json');
    expect(outcome).toBeUndefined();
    expect(runtime.outputs['passed']).toBe('true');
    expect(server.requests).toHaveLength(1);
  });
});
