// The rehearsal's scanner: which one runs (the installed Trivy, found on PATH, or the recorded reports),
// how the recorded-reports scanner reads an image's package databases and matches the recorded
// advisories, its command line, and both run by the trivy-gate bundle as deploy.yml runs it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseReport, PINNED_TRIVY_VERSION, scanArguments } from '@shiprail/trivy-gate';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { runBundledAction } from '@shiprail/testkit';
import {
  advisoriesFor,
  advisoriesOfReport,
  loadRecordedAdvisories,
  packageUrl,
  releaseKey,
} from '../../packages/rehearsal/src/scanner/advisories.ts';
import {
  chooseScanner,
  describeScanner,
  findOnPath,
  installScanner,
  parseTrivyVersion,
  probeScanner,
} from '../../packages/rehearsal/src/scanner/install.ts';
import {
  detectOs,
  installedPackages,
  parseApkInstalled,
  parseDpkgStatus,
} from '../../packages/rehearsal/src/scanner/packages.ts';
import { parseTrivyArguments, runTrivyStandIn } from '../../packages/rehearsal/src/scanner/trivy-cli.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'trivy-reports');
const readFixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

describe('the image OS, as Trivy detects it', () => {
  test.each<[string, Record<string, string>, string | undefined]>([
    ['alpine-release', { 'etc/alpine-release': '3.9.4\n' }, 'alpine 3.9.4'],
    [
      'alpine-release over os-release',
      { 'etc/alpine-release': '3.9.4', 'etc/os-release': 'ID=alpine\nVERSION_ID=3.9' },
      'alpine 3.9.4',
    ],
    ['os-release, quoted', { 'etc/os-release': 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="18.04"\n' }, 'ubuntu 18.04'],
    ['usr/lib/os-release alone', { 'usr/lib/os-release': "ID='debian'\nVERSION_ID='12'\n" }, 'debian 12'],
    [
      'debian_version is more precise',
      { 'etc/os-release': 'ID=debian\nVERSION_ID="9"', 'etc/debian_version': '9.9\n' },
      'debian 9.9',
    ],
    [
      'debian testing names no number',
      { 'etc/os-release': 'ID=debian\nVERSION_ID="13"', 'etc/debian_version': 'trixie/sid' },
      'debian 13',
    ],
    ['no version', { 'etc/os-release': 'ID=busybox\n' }, undefined],
    ['a release file of several lines', { 'etc/alpine-release': '3.9.4\n::error::injected\n' }, 'alpine 3.9.4'],
    ['nothing', {}, undefined],
  ])('%s', (_name, files, expected) => {
    const os = detectOs(new Map(Object.entries(files)));
    expect(os === undefined ? undefined : `${os.family} ${os.name}`).toBe(expected);
  });
});

describe('package databases', () => {
  test.each<[string, string, string[]]>([
    [
      'two packages',
      'P:musl\nV:1.1.20-r4\nA:x86_64\n\nP:zlib\nV:1.2.11-r1\nA:x86_64\n',
      ['musl 1.1.20-r4 x86_64', 'zlib 1.2.11-r1 x86_64'],
    ],
    ['checksums and files between', 'C:Q1abc=\nP:busybox\nV:1.29.3-r10\nF:bin\nR:busybox\n', ['busybox 1.29.3-r10 ']],
    ['a stanza without a version', 'P:broken\n\nP:ok\nV:1\n', ['ok 1 ']],
  ])('apk: %s', (_name, text, expected) => {
    expect(parseApkInstalled(text, 'lib/apk/db/installed').map((p) => `${p.name} ${p.version} ${p.arch}`)).toEqual(
      expected,
    );
  });

  test.each<[string, string, string[]]>([
    ['installed', 'Package: bash\nStatus: install ok installed\nVersion: 4.4-5\nArchitecture: amd64\n', ['bash 4.4-5']],
    ['removed, config left', 'Package: old\nStatus: deinstall ok config-files\nVersion: 1.0\n', []],
    ['not installed', 'Package: gone\nStatus: purge ok not-installed\nVersion: 2.0\n', []],
    [
      'an epoch, a continued description',
      'Package: e2fsprogs\nStatus: install ok installed\nVersion: 1:1.43.4-2\nDescription: ext2\n more text\n',
      ['e2fsprogs 1:1.43.4-2'],
    ],
    ['no Status (status.d)', 'Package: libc6\nVersion: 2.36-9\n', ['libc6 2.36-9']],
  ])('dpkg: %s', (_name, text, expected) => {
    expect(parseDpkgStatus(text, 'var/lib/dpkg/status').map((p) => `${p.name} ${p.version}`)).toEqual(expected);
  });

  test('each database is read by its path; status.d files too, their md5sums not', () => {
    const files = new Map([
      ['lib/apk/db/installed', 'P:musl\nV:1\n'],
      ['var/lib/dpkg/status', 'Package: bash\nVersion: 2\n'],
      ['var/lib/dpkg/status.d/tzdata', 'Package: tzdata\nVersion: 3\n'],
      ['usr/share/doc/status', 'Package: no\nVersion: 4\n'],
    ]);
    expect(installedPackages(files).map((p) => `${p.name}@${p.file}`)).toEqual([
      'musl@lib/apk/db/installed',
      'bash@var/lib/dpkg/status',
      'tzdata@var/lib/dpkg/status.d/tzdata',
    ]);
  });
});

describe('the recorded advisories', () => {
  const advisories = loadRecordedAdvisories();

  test('every OS-package finding of the shipped reports, as the test fixtures hold them byte for byte', () => {
    for (const name of ['alpine-39.json', 'debian-stretch.json', 'ubuntu-1804.json']) {
      const shipped = readFileSync(join(repoRoot, 'packages', 'rehearsal', 'recorded-scans', name), 'utf8');
      expect(shipped).toBe(readFileSync(join(fixtures, name), 'utf8'));
    }
    expect(advisories).toHaveLength(6 + 5 + 5);
    expect(advisoriesOfReport(readFixture('photon-30.json'))).toHaveLength(3);
    expect(advisoriesOfReport({ SchemaVersion: 2 })).toEqual([]);
  });

  test.each([
    ['alpine', '3.9.4', '3.9'],
    ['alpine', '3.20.1', '3.20'],
    ['debian', '9.9', '9'],
    ['ubuntu', '18.04', '18.04'],
    ['photon', '3.0', '3.0'],
  ])('%s %s is kept under %s', (family, name, key) => expect(releaseKey(family, name)).toBe(key));

  test.each<[string, string, string, string, string[]]>([
    ['the recorded version', 'alpine', '3.9.4', 'musl 1.1.20-r4', ['CVE-2019-14697']],
    ['another patch release of 3.9', 'alpine', '3.9.6', 'musl 1.1.20-r4', ['CVE-2019-14697']],
    ['the fixed version', 'alpine', '3.9.4', 'musl 1.1.20-r5', []],
    ['another Alpine release', 'alpine', '3.10.2', 'musl 1.1.20-r4', []],
    ['two findings of one package', 'alpine', '3.9.4', 'libssl1.1 1.1.1b-r1', ['CVE-2019-1549', 'CVE-2019-1551']],
    ['Debian by its major release', 'debian', '9.13', 'bash 4.4-5', ['CVE-2019-18276']],
    ['the same name on Ubuntu', 'ubuntu', '18.04', 'bash 4.4-5', []],
  ])('%s', (_name, family, release, pkg, ids) => {
    const [name = '', version = ''] = pkg.split(' ');
    const found = advisoriesFor({ family, name: release }, { name, version }, advisories);
    expect(found.map((advisory) => advisory.vulnerability['VulnerabilityID'])).toEqual(ids);
  });

  test.each([
    ['alpine', '3.9.4', 'musl', '1.1.20-r4', 'x86_64', 'pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4'],
    ['debian', '9.9', 'bash', '4.4-5', 'amd64', 'pkg:deb/debian/bash@4.4-5?arch=amd64&distro=debian-9.9'],
    [
      'ubuntu',
      '18.04',
      'libss2',
      '1.44.1-1ubuntu1.1',
      'amd64',
      'pkg:deb/ubuntu/libss2@1.44.1-1ubuntu1.1?arch=amd64&distro=ubuntu-18.04',
    ],
    [
      'debian',
      '12',
      'e2fsprogs',
      '1:1.47.0-2',
      'amd64',
      'pkg:deb/debian/e2fsprogs@1.47.0-2?arch=amd64&distro=debian-12&epoch=1',
    ],
  ])('the package URL of %s %s %s', (family, release, name, version, arch, purl) => {
    expect(packageUrl({ family, name: release }, { name, version, arch })).toBe(purl);
  });
});

describe("Trivy's command line, as trivy-gate gives it", () => {
  test.each<[string, string[], Record<string, unknown>]>([
    [
      'an OCI layout',
      scanArguments({ target: { input: '/w/oci/api' }, reportPath: '/t/report.json', cacheDir: '/w/.cache/trivy' }),
      { target: { input: '/w/oci/api' }, format: 'json', output: '/t/report.json', exitCode: 0 },
    ],
    [
      'a reference',
      scanArguments({ target: { image: 'ghcr.io/acme/api@sha256:ab' }, reportPath: '/r.json', cacheDir: '/c' }),
      { target: { reference: 'ghcr.io/acme/api@sha256:ab' }, output: '/r.json' },
    ],
    [
      'short and = forms',
      [
        'i',
        '-f=json',
        '-o',
        'out.json',
        '--severity=HIGH,CRITICAL',
        '--ignore-unfixed',
        '--exit-code',
        '3',
        '--input',
        'x',
      ],
      {
        target: { input: 'x' },
        output: 'out.json',
        severities: new Set(['HIGH', 'CRITICAL']),
        ignoreUnfixed: true,
        exitCode: 3,
      },
    ],
  ])('%s', (_name, argv, expected) => {
    expect(parseTrivyArguments(argv)).toMatchObject({ command: 'image', ...expected });
  });

  test('trivy-gate asks for every severity and the vulnerability scanner alone', () => {
    const scan = parseTrivyArguments(scanArguments({ target: { input: '/l' }, reportPath: '/r', cacheDir: '/c' }));
    expect(scan).toMatchObject({
      severities: new Set(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']),
      scanners: new Set(['vuln']),
    });
  });

  test.each([
    [['--version'], 'version'],
    ['version --format json'.split(' '), 'version'],
  ])('%j asks for the version', (argv, command) => expect(parseTrivyArguments(argv).command).toBe(command));

  test.each([
    [['image', '--widget', 'x'], 'unknown flag: --widget'],
    [['image', '--output'], 'flag needs an argument: --output'],
    [['image', '--input', 'a', 'b'], 'give an image reference or --input, not both'],
    [['image'], '"trivy image" requires at most 1 argument'],
    [['image', '--severity', 'SEVERE', 'x'], 'unknown severity option: SEVERE'],
    [['fs', '.'], 'unknown command "fs"'],
  ])('%j is refused', (argv, message) => {
    expect(() => parseTrivyArguments(argv)).toThrow(message);
  });
});

describe('which scanner runs', () => {
  test.each<[string, string, string[], string | undefined]>([
    ['the first along PATH', '/opt/a:/usr/bin', ['/opt/a/trivy', '/usr/bin/trivy'], '/opt/a/trivy'],
    ['later folders too', '/opt/a:/usr/bin', ['/usr/bin/trivy'], '/usr/bin/trivy'],
    ['relative and empty entries skipped', 'bin::/usr/bin', ['bin/trivy'], undefined],
    ['none', '/usr/bin', [], undefined],
  ])('findOnPath: %s', (_name, path, executables, expected) => {
    expect(findOnPath('trivy', path, (file) => executables.includes(file))).toBe(expected);
  });

  test.each([
    ['{"Version":"0.58.1","VulnerabilityDB":{"Version":2}}', '0.58.1'],
    ['Version: 0.45.0\nVulnerability DB:\n  Version: 2\n', '0.45.0'],
    ['{"Version":""}', undefined],
    ['command not found', undefined],
  ])('parseTrivyVersion(%j)', (output, version) => expect(parseTrivyVersion(output)).toBe(version));

  test.each<[string, Parameters<typeof chooseScanner>[0], string, RegExp | undefined]>([
    [
      'Trivy on PATH',
      { found: '/usr/bin/trivy', versionOutput: '{"Version":"0.69.3"}', setting: undefined },
      'Trivy 0.69.3',
      undefined,
    ],
    ['no Trivy', { found: undefined, versionOutput: undefined, setting: undefined }, 'recorded reports', undefined],
    [
      'asked for the recorded reports',
      { found: '/usr/bin/trivy', versionOutput: '{"Version":"0.69.3"}', setting: 'recorded' },
      'recorded reports',
      undefined,
    ],
    [
      'a trivy that does not run',
      { found: '/usr/local/bin/trivy', versionOutput: undefined, setting: '' },
      'recorded reports',
      /\/usr\/local\/bin\/trivy did not say its version/,
    ],
  ])('%s', (_name, probe, described, note) => {
    const choice = chooseScanner(probe);
    expect(describeScanner(choice.scanner)).toBe(described);
    if (note === undefined) expect(choice.note).toBeUndefined();
    else expect(choice.note).toMatch(note);
  });

  test('a setting other than recorded is refused', () => {
    expect(() => chooseScanner({ found: undefined, versionOutput: undefined, setting: 'grype' })).toThrow(
      "SHIPRAIL_REHEARSAL_SCANNER is 'grype': leave it unset, or set it to 'recorded'",
    );
  });
});

/** An OCI image layout of `layers` (each a folder, tarred by GNU tar; gzip when asked), as build-push writes one. */
function writeLayout(directory: string, layers: Array<{ folder: string; gzip: boolean }>): string[] {
  const blobs = join(directory, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (content: Buffer): string => {
    const hex = createHash('sha256').update(content).digest('hex');
    writeFileSync(join(blobs, hex), content);
    return `sha256:${hex}`;
  };
  const diffIds: string[] = [];
  const descriptors = layers.map(({ folder, gzip }) => {
    const tar = execFileSync('tar', ['-C', folder, '-cf', '-', '.']);
    diffIds.push(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    const content = gzip ? gzipSync(tar) : tar;
    const mediaType = `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`;
    return { mediaType, digest: blob(content), size: content.length };
  });
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blob(config), size: config.length },
      layers: descriptors,
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: blob(manifest), size: manifest.length },
    ],
  };
  writeFileSync(join(directory, 'index.json'), JSON.stringify(index));
  writeFileSync(join(directory, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return diffIds;
}

function writeTree(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('the scanners, run by trivy-gate as deploy.yml runs it', () => {
  let workspace: string;
  let layout: string;
  let diffIds: string[];

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'scanner-ws-'));
    // A space in the path: the arguments reach the scanner as a vector, never as a shell string.
    layout = join(workspace, 'oci', 'api image');
    mkdirSync(layout, { recursive: true });
    // The base layer (gzip): Alpine 3.9 with a vulnerable musl and libssl, and a dpkg database; the next
    // (plain tar) upgrades libssl and removes the dpkg database with a whiteout.
    const base = writeTree(join(workspace, 'layer-1'), {
      'etc/alpine-release': '3.9.4\n',
      'lib/apk/db/installed': 'P:musl\nV:1.1.20-r4\nA:x86_64\n\nP:libssl1.1\nV:1.1.1b-r1\nA:x86_64\n',
      'var/lib/dpkg/status': 'Package: bash\nStatus: install ok installed\nVersion: 4.4-5\n',
    });
    const upgrade = writeTree(join(workspace, 'layer-2'), {
      'lib/apk/db/installed': 'P:musl\nV:1.1.20-r4\nA:x86_64\n\nP:libssl1.1\nV:1.1.1d-r2\nA:x86_64\n',
      'var/lib/dpkg/.wh.status': '',
    });
    diffIds = writeLayout(layout, [
      { folder: base, gzip: true },
      { folder: upgrade, gzip: false },
    ]);
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  const gate = (toolCache: string) =>
    runBundledAction('trivy-gate', {
      inputs: { input: 'oci/api image' },
      workspace,
      env: { RUNNER_TOOL_CACHE: toolCache },
    });

  test('the recorded reports: the merged layers give one critical finding, as Trivy reported it', async () => {
    const toolCache = join(workspace, 'cache-recorded');
    installScanner(toolCache, { kind: 'recorded' });
    const run = await gate(toolCache);
    expect(run.errors).toEqual(['1 finding(s) fail the gate (CRITICAL: 1): CVE-2019-14697']);
    expect(run.exitCode).toBe(1);
    expect(run.summary).toContain('Trivy recorded reports');
    // The same scan in this process, to read the report the gate read (its runner folder is gone).
    const reportPath = join(workspace, 'report.json');
    const argv = scanArguments({ target: { input: 'oci/api image' }, reportPath, cacheDir: '.cache' });
    const log: string[] = [];
    const io = { log: (line: string) => log.push(line), stdout: () => undefined, cwd: workspace };
    expect(await runTrivyStandIn(argv, io)).toBe(0);
    expect(log).toEqual([expect.stringMatching(/\tINFO\tDetected OS\tfamily="alpine" version="3.9.4"$/)]);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({
      SchemaVersion: 2,
      ArtifactName: 'oci/api image',
      ArtifactType: 'container_image',
      Metadata: { OS: { Family: 'alpine', Name: '3.9.4' }, DiffIDs: diffIds },
    });
    // What the gate reads of it is what it reads of the recorded report, but for the target's name.
    const findings = parseReport(JSON.stringify(report), 'scan').findings;
    const recorded = parseReport(readFileSync(join(fixtures, 'alpine-39.json'), 'utf8'), 'recorded').findings;
    const musl = recorded.filter((finding) => finding.pkgName === 'musl');
    expect(findings).toEqual(musl.map((finding) => ({ ...finding, target: 'oci/api image (alpine 3.9.4)' })));
    // The package database the finding comes from was written by the second layer.
    const vulnerability = (report['Results'] as Array<{ Vulnerabilities: Array<Record<string, unknown>> }>)[0]
      ?.Vulnerabilities[0];
    const layer = vulnerability?.['Layer'] as { Digest: string; DiffID: string } | undefined;
    expect(layer?.DiffID).toBe(diffIds[1]);
    expect(layer?.Digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  }, 60_000);

  test.each<[string, string[], number, RegExp]>([
    ['--version', ['--version'], 0, /^Version: recorded reports\n$/],
    ['version as JSON', ['version', '--format', 'json'], 0, /^\{"Version":"recorded reports"\}\n$/],
    [
      '--exit-code with a finding',
      ['image', '--exit-code', '5', '-f', 'json', '--input', 'oci/api image'],
      5,
      /"CVE-2019-14697"/,
    ],
    [
      'only what --severity asks for',
      ['image', '-s', 'LOW', '--exit-code', '5', '-f', 'json', '--input', 'oci/api image'],
      0,
      /"Class": "os-pkgs"/,
    ],
    [
      'a reference',
      ['image', '-f', 'json', 'ghcr.io/acme/api:1'],
      1,
      /^Error: ghcr.io\/acme\/api:1: this scanner reads images given with --input/,
    ],
    [
      'another format',
      ['image', '--input', 'oci/api image'],
      1,
      /^Error: this scanner writes --format json only, not table$/,
    ],
    [
      'no layout there',
      ['image', '-f', 'json', '--input', 'oci/none'],
      1,
      /\tFATAL\timage scan error: .*oci\/none is not an OCI image layout/,
    ],
  ])('the command line, run: %s', async (_name, argv, exitCode, said) => {
    const out: string[] = [];
    const io = { log: (line: string) => out.push(line), stdout: (text: string) => out.push(text), cwd: workspace };
    expect(await runTrivyStandIn(argv, io)).toBe(exitCode);
    expect(out.find((line) => said.test(line))).toBeDefined();
  });

  test("an installed Trivy: found on PATH, run with trivy-gate's arguments as they are, its report gated", async () => {
    const bin = join(workspace, 'bin');
    const argvFile = join(workspace, 'trivy-argv');
    mkdirSync(bin);
    // A trivy that records its arguments, one a line, and writes a real report where it is told.
    writeFileSync(
      join(bin, 'trivy'),
      `#!/bin/sh
if [ "$1" = --version ]; then echo '{"Version":"0.58.1","VulnerabilityDB":{"Version":2}}'; exit 0; fi
printf '%s\\n' "$@" > '${argvFile}'
while [ $# -gt 0 ]; do [ "$1" = --output ] && cp '${join(fixtures, 'alpine-39.json')}' "$2"; shift; done
`,
    );
    chmodSync(join(bin, 'trivy'), 0o755);
    const choice = chooseScanner(probeScanner({ PATH: `${bin}:/usr/bin:/bin` }));
    expect(describeScanner(choice.scanner)).toBe('Trivy 0.58.1');
    const toolCache = join(workspace, 'cache-trivy');
    installScanner(toolCache, choice.scanner);
    expect(readlinkSync(join(toolCache, 'trivy', PINNED_TRIVY_VERSION, process.arch, 'trivy'))).toBe(
      join(bin, 'trivy'),
    );

    const run = await gate(toolCache);
    const argv = readFileSync(argvFile, 'utf8').split('\n').slice(0, -1);
    expect(argv).toEqual(
      scanArguments({
        target: { input: join(workspace, 'oci', 'api image') },
        reportPath: argv[argv.indexOf('--output') + 1] ?? '',
        cacheDir: join(workspace, '.cache', 'trivy'),
      }),
    );
    expect(run.outputs).toMatchObject({ passed: 'false', blocking: '2' });
    expect(run.exitCode).toBe(1);
  }, 60_000);
});
