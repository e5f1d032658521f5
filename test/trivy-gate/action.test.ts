// trivy-gate through the runner harness: the committed bundle run as the GitHub runner runs it.
import { PINNED_TRIVY_VERSION, releaseAsset, TRIVY_RELEASE_SHA256 } from '@shiprail/trivy-gate';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { runBundledAction, makeFakeTrivyArchive, startReleaseServer } from '@shiprail/testkit';
import { sarifSchemaErrors } from './sarif-schema.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'trivy-reports');
let workspace: string;

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'trivy-gate-ws-'));
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

const gate = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runBundledAction('trivy-gate', { inputs, workspace, env });

describe('every shipped report, with the default settings', () => {
  test.each([
    ['alpine-39.json', 1, 'false', 2, { CRITICAL: 2, HIGH: 0, MEDIUM: 4, LOW: 0, UNKNOWN: 0 }],
    ['alpine-39-ignore-cveids.json', 0, 'true', 0, { CRITICAL: 0, HIGH: 0, MEDIUM: 2, LOW: 0, UNKNOWN: 0 }],
    ['ubuntu-1804.json', 0, 'true', 0, { CRITICAL: 0, HIGH: 0, MEDIUM: 4, LOW: 1, UNKNOWN: 0 }],
    ['ubuntu-1804-ignore-unfixed.json', 0, 'true', 0, { CRITICAL: 0, HIGH: 0, MEDIUM: 4, LOW: 0, UNKNOWN: 0 }],
    ['debian-stretch.json', 0, 'true', 0, { CRITICAL: 0, HIGH: 0, MEDIUM: 4, LOW: 1, UNKNOWN: 0 }],
    ['photon-30.json', 1, 'false', 3, { CRITICAL: 2, HIGH: 1, MEDIUM: 0, LOW: 0, UNKNOWN: 0 }],
  ])('%s: exit %i, passed=%s, %i blocking', async (name, exitCode, passed, blocking, counts) => {
    const report = join(fixtures, name);
    const run = await gate({ report });
    expect(run.exitCode).toBe(exitCode);
    expect(run.outputs).toEqual({ passed, blocking: String(blocking), counts: JSON.stringify(counts), report });
    expect(run.summary).toContain(passed === 'true' ? 'Trivy gate: ✅ passed' : `❌ failed: ${blocking} blocking`);
    if (exitCode === 1) {
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(new RegExp(`^${blocking} finding\\(s\\) fail the gate`));
    } else {
      expect(run.errors).toEqual([]);
    }
  });
});

describe('every shipped report, under other settings', () => {
  test.each([
    ['alpine-39.json', 6],
    ['alpine-39-ignore-cveids.json', 2],
    ['ubuntu-1804.json', 5],
    ['ubuntu-1804-ignore-unfixed.json', 4],
    ['debian-stretch.json', 5],
    ['photon-30.json', 3],
  ])(
    '%s: every severity, unfixed too, blocks all %i findings; an ignore file naming every ID passes',
    async (name, total) => {
      const report = join(fixtures, name);
      const strict = await gate({ report, severity: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL', 'ignore-unfixed': 'false' });
      expect(strict.exitCode).toBe(1);
      expect(strict.outputs).toMatchObject({ passed: 'false', blocking: String(total) });

      const ids = new Set(readFileSync(report, 'utf8').match(/CVE-\d+-\d+(?=")/g));
      writeFileSync(
        join(workspace, 'accepted.yaml'),
        `vulnerabilities:\n${[...ids].map((id) => `  - id: ${id}\n    expired_at: 2099-01-01\n`).join('')}`,
      );
      const accepted = await gate({
        report,
        severity: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
        'ignore-unfixed': 'false',
        'ignore-file': 'accepted.yaml',
      });
      expect(accepted.exitCode).toBe(0);
      expect(accepted.outputs).toMatchObject({
        passed: 'true',
        blocking: '0',
        counts: '{"CRITICAL":0,"HIGH":0,"MEDIUM":0,"LOW":0,"UNKNOWN":0}',
      });
      expect(accepted.summary).toContain(`Ignored findings (${total}, by ${ids.size} `);
    },
  );
});

describe('settings', () => {
  test('severity and ignore-unfixed change what blocks', async () => {
    const report = join(fixtures, 'debian-stretch.json');
    const strict = await gate({ report, severity: 'low, medium', 'ignore-unfixed': 'false' });
    expect(strict.outputs).toMatchObject({ passed: 'false', blocking: '5' });
    const lenient = await gate({ report, severity: 'LOW,MEDIUM', 'ignore-unfixed': 'true' });
    expect(lenient.outputs).toMatchObject({ passed: 'false', blocking: '4' });
    expect(lenient.summary).toContain('1 finding(s) of a gated severity have no fix yet and do not block.');
  });

  test('fail: false reports the same verdict and succeeds', async () => {
    const run = await gate({ report: join(fixtures, 'alpine-39.json'), fail: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', blocking: '2' });
    expect(run.warnings.some((warning) => warning.startsWith('2 finding(s) fail the gate'))).toBe(true);
  });

  test('the default .trivyignore and .trivyignore.yaml both apply; expired and unused entries are reported', async () => {
    writeFileSync(
      join(workspace, '.trivyignore'),
      '# accepted until the base image moves\nCVE-2019-14697 exp:2099-12-31\nCVE-2019-1551 exp:2020-01-01\n',
    );
    writeFileSync(
      join(workspace, '.trivyignore.yaml'),
      'vulnerabilities:\n  - id: CVE-2019-1549\n    statement: not reachable\n  - id: CVE-2000-0001\n',
    );
    const run = await gate({ report: join(fixtures, 'alpine-39.json'), severity: 'CRITICAL,MEDIUM' });
    expect(run.outputs).toMatchObject({
      passed: 'false',
      blocking: '2',
      counts: '{"CRITICAL":0,"HIGH":0,"MEDIUM":2,"LOW":0,"UNKNOWN":0}',
    });
    expect(run.warnings).toContain(
      'The ignore entry for CVE-2019-1551 expired on 2020-01-01 and no longer applies (it would hide 2 finding(s))',
    );
    expect(run.stdout).toMatch(/::warning title=Expired ignore entry,file=\.trivyignore,line=3::/);
    expect(run.stdout).toMatch(/::notice title=Unused ignore entry,file=\.trivyignore\.yaml,line=4::/);
    expect(run.summary).toContain('**Expired ignores** (1)');
    expect(run.summary).toContain('**Ignores that match nothing** (1)');
    expect(run.summary).toContain('Ignored findings (4, by 2 entries)');
  });

  test('sarif-file writes SARIF 2.1.0 that the schema accepts', async () => {
    const run = await gate({ report: join(fixtures, 'alpine-39.json'), 'sarif-file': 'reports/trivy.sarif' });
    const path = join(workspace, 'reports', 'trivy.sarif');
    expect(run.outputs['sarif-file']).toBe(path);
    const log: unknown = JSON.parse(readFileSync(path, 'utf8'));
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(readdirSync(join(workspace, 'reports'))).toEqual(['trivy.sarif']);
  });
});

describe('mistakes end the step with one error naming the input or file', () => {
  const badReport = (content: string): string => {
    const path = join(workspace, 'report.json');
    writeFileSync(path, content);
    return 'report.json';
  };

  test.each([
    [
      'a report that is not JSON',
      () => ({ report: badReport('trivy: command not found\n') }),
      /^report\.json: is not JSON \(/,
    ],
    [
      'a report of another schema version',
      () => ({ report: badReport('{"SchemaVersion":1,"Results":[]}') }),
      /^report\.json: is not a Trivy JSON report of schema version 2 \(it has SchemaVersion 1\)/,
    ],
    [
      'a JSON file that is no report',
      () => ({ report: badReport('[1,2,3]') }),
      /^report\.json: is not a Trivy JSON report/,
    ],
    [
      'a missing report',
      () => ({ report: 'nowhere/report.json' }),
      /^input 'report': no report at 'nowhere\/report\.json'/,
    ],
    [
      'an unknown severity',
      () => ({ report: join(fixtures, 'alpine-39.json'), severity: 'CRITICAL,SEVERE' }),
      /^input 'severity': unknown severity 'SEVERE': use CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN/,
    ],
    [
      'a missing ignore file that was named',
      () => ({ report: join(fixtures, 'alpine-39.json'), 'ignore-file': 'security/ignore.yaml' }),
      /^input 'ignore-file': no ignore file at 'security\/ignore\.yaml'/,
    ],
    ['none of image, input and report', () => ({}), /^input 'image': give `image` .*, `input` .* or `report`/],
    [
      'both image and report',
      () => ({ image: 'alpine:3.20', report: join(fixtures, 'alpine-39.json') }),
      /^input 'report': give one of `image`, `input` or `report`, not `image` and `report`/,
    ],
    [
      'both image and input',
      () => ({ image: 'alpine:3.20', input: 'oci' }),
      /^input 'input': give one of `image`, `input` or `report`, not `image` and `input`/,
    ],
    [
      'both input and report',
      () => ({ input: 'oci', report: join(fixtures, 'alpine-39.json') }),
      /^input 'report': give one of `image`, `input` or `report`, not `input` and `report`/,
    ],
    ['an input that does not exist', () => ({ input: 'oci/api' }), /^input 'input': 'oci\/api' does not exist/],
    [
      'an input outside the workspace',
      () => ({ input: '/etc' }),
      /^input 'input': '\/etc' is outside the workspace: the action reads only inside it/,
    ],
    [
      'an input that links out of the workspace',
      () => {
        symlinkSync('/etc', join(workspace, 'layout'));
        return { input: 'layout' };
      },
      /^input 'input': 'layout' is outside the workspace/,
    ],
    ['an image that could pass for an option', () => ({ image: '--config=/etc/passwd' }), /^input 'image': '--config/],
    [
      'a download URL that is not http(s)',
      () => ({ image: 'alpine:3.20', 'trivy-download-url': 'file:///tmp/trivy' }),
      /^input 'trivy-download-url': expected an http\(s\) URL/,
    ],
    [
      'a trivy-version without pinned sums',
      () => ({ image: 'alpine:3.20', 'trivy-version': '0.70.0' }),
      /^input 'trivy-version': no SHA-256 sums are pinned for Trivy '0\.70\.0'/,
    ],
  ])('%s', async (_name, inputs, message) => {
    const run = await gate({ ...inputs(), 'sarif-file': 'out.sarif' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(run.outputs).toEqual({});
    expect(existsSync(join(workspace, 'out.sarif'))).toBe(false);
  });

  test.each([
    [
      '.trivyignore',
      'CVE-2019-1549\n# next one\nCVE-2019-1551 exp:2024-02-30\n',
      3,
      /exp:2024-02-30' is not a valid expiry date/,
    ],
    ['.trivyignore', 'exp:2024-01-01 CVE-2019-1551\n', 1, /stands where the vulnerability ID belongs/],
    [
      'ignore.yaml',
      'vulnerabilities:\n  - id: CVE-2019-1549\n  - id: CVE-2019-1551\n    expires_at: 2025-01-01\n',
      4,
      /unknown key 'expires_at'/,
    ],
    [
      'ignore.yaml',
      'vulnerabilities:\n  - id: CVE-2019-1549\n    id: CVE-2019-1551\n',
      3,
      /malformed YAML: Map keys must be unique/,
    ],
    ['ignore.yml', 'vulnerabilities:\n  - id: X\n    purls: ["debian/openssl"]\n', 3, /is not a package URL/],
  ])('a malformed ignore file: %s (case %#)', async (file, content, line, message) => {
    writeFileSync(join(workspace, file), content);
    const run = await gate({ report: join(fixtures, 'alpine-39.json'), 'ignore-file': file });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(new RegExp(`^${file.replace('.', '\\.')}:${line}: `));
    expect(run.errors[0]).toMatch(message);
    expect(run.stdout).toContain(`file=${file},line=${line}::`);
    expect(run.outputs).toEqual({});
  });
});

describe('installing the pinned Trivy', () => {
  test('an archive that is not the pinned release is refused, not cached and not run', async () => {
    const asset = releaseAsset(PINNED_TRIVY_VERSION, process.platform, process.arch);
    const pinned = TRIVY_RELEASE_SHA256[PINNED_TRIVY_VERSION]?.[asset.name];
    const impostor = await makeFakeTrivyArchive(workspace, PINNED_TRIVY_VERSION);
    const server = await startReleaseServer(new Map([[`/v${PINNED_TRIVY_VERSION}/${asset.name}`, impostor.content]]));
    const toolCache = join(workspace, 'tool-cache');
    mkdirSync(toolCache);
    try {
      const run = await gate(
        { image: 'ghcr.io/acme/api:1.0', 'trivy-download-url': server.url },
        {
          RUNNER_TOOL_CACHE: toolCache,
          FAKE_TRIVY_ARGS: join(workspace, 'ran.txt'),
          FAKE_TRIVY_REPORT: join(fixtures, 'alpine-39.json'),
        },
      );
      expect(server.requests).toEqual([`/v${PINNED_TRIVY_VERSION}/${asset.name}`]);
      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        expect.stringContaining(
          `refusing to run ${asset.name} from ${server.url}/v${PINNED_TRIVY_VERSION}/${asset.name}: its SHA-256 is ${impostor.sha256}, but the sum pinned for Trivy ${PINNED_TRIVY_VERSION} is ${pinned}`,
        ),
      ]);
      expect(readdirSync(toolCache)).toEqual([]);
      expect(existsSync(join(workspace, 'ran.txt'))).toBe(false);
      expect(run.outputs).toEqual({});
    } finally {
      await server.stop();
    }
  });

  test('a mirror that lacks the archive fails with the HTTP status', async () => {
    const server = await startReleaseServer(new Map());
    try {
      const run = await gate(
        { image: 'ghcr.io/acme/api:1.0', 'trivy-download-url': `${server.url}/mirror` },
        { RUNNER_TOOL_CACHE: join(workspace, 'tool-cache') },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]).toMatch(/404/);
    } finally {
      await server.stop();
    }
  });
});
