// Hostile inputs, hostile reports and unlucky release mirrors, through the bundled action as the runner
// runs it: each case ends in one error that names its cause, within its bound, with no secret shown and
// nothing left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { startFaultServer, type FaultServer, runBundledAction, expectContainedFailure } from '@shiprail/testkit';

const fixtures = join(repoRoot, 'test', 'fixtures', 'trivy-reports');
const PASSWORD = 'Mirr0rPassw0rdValue';
const SECRETS = [PASSWORD];

let workspace: string;
let fault: FaultServer | undefined;
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'trivy-hostile-'));
});
afterEach(async () => {
  await fault?.stop();
  fault = undefined;
  rmSync(workspace, { recursive: true, force: true });
});

/** A mirror with credentials in its URL, answering as `behaviour` says. */
async function mirror(behaviour: Parameters<typeof startFaultServer>[0]): Promise<Record<string, string>> {
  fault = await startFaultServer(behaviour);
  const url = new URL(fault.url);
  url.username = 'deploy';
  url.password = PASSWORD;
  return { image: 'ghcr.io/acme/api:1.0', 'trivy-download-url': url.href.replace(/\/$/, '') };
}

/** A Trivy report whose fields try to start workflow commands. */
function hostileReport(): string {
  const path = join(workspace, 'hostile.json');
  const injected = (text: string): string => `${text}\n::warning::INJECTED`;
  writeFileSync(
    path,
    JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: injected('image'),
      Results: [
        {
          Target: injected('target'),
          Vulnerabilities: [
            {
              VulnerabilityID: injected('CVE-2024-0001'),
              PkgName: injected('openssl'),
              InstalledVersion: '1.0',
              FixedVersion: injected('1.1'),
              Severity: 'CRITICAL',
              Title: injected('title'),
            },
          ],
        },
      ],
    }),
  );
  return path;
}

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...['b', 'c', 'd', 'e', 'f'].map((name, index) => {
    const previous = ['a', 'b', 'c', 'd', 'e'][index] ?? 'a';
    return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]`;
  }),
  'vulnerabilities: []',
  '',
].join('\n');

interface HostileCase {
  name: string;
  arrange: () => Promise<Record<string, string>> | Record<string, string>;
  error: RegExp;
  withinMs: number;
}

const report = join(fixtures, 'alpine-39.json');

const CASES: HostileCase[] = [
  {
    name: 'a mirror URL with credentials that accepts and never answers',
    arrange: () => mirror({ kind: 'hang' }),
    error: /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v[\d.]+\/trivy_.* did not answer within 10\.0s/,
    withinMs: 30_000,
  },
  {
    name: 'a mirror answering 500, tried within the retry window',
    arrange: () => mirror({ kind: 'status', status: 500 }),
    error: /500/,
    withinMs: 12_000,
  },
  {
    name: 'a mirror answering bytes that are not HTTP',
    arrange: () => mirror({ kind: 'garbage' }),
    error: /fetch failed|socket|parse|HTTP/i,
    withinMs: 12_000,
  },
  ...[401, 403, 404].map((status): HostileCase => ({
    name: `a mirror answering ${status} fails at once`,
    arrange: () => mirror({ kind: 'status', status }),
    error: new RegExp(`${status}`),
    withinMs: 3_000,
  })),
  {
    name: 'a directory as report',
    arrange: () => {
      mkdirSync(join(workspace, 'report-dir'));
      return { report: 'report-dir' };
    },
    error: /^input 'report': 'report-dir' is a directory, not a file/,
    withinMs: 5_000,
  },
  {
    name: 'a directory as ignore-file',
    arrange: () => {
      mkdirSync(join(workspace, 'ignores'));
      return { report, 'ignore-file': 'ignores' };
    },
    error: /^input 'ignore-file': 'ignores' is a directory, not a file/,
    withinMs: 5_000,
  },
  {
    name: 'a directory as sarif-file',
    arrange: () => {
      mkdirSync(join(workspace, 'results.sarif'));
      return { report, 'sarif-file': 'results.sarif' };
    },
    error: /^input 'sarif-file': 'results\.sarif' is a directory/,
    withinMs: 5_000,
  },
  {
    name: 'a sarif-file outside the workspace',
    arrange: () => ({ report, 'sarif-file': '../../escaped.sarif' }),
    error: /^input 'sarif-file': '\.\.\/\.\.\/escaped\.sarif' is outside the workspace/,
    withinMs: 5_000,
  },
  {
    name: 'an ignore file larger than the bound',
    arrange: () => {
      writeFileSync(join(workspace, '.trivyignore'), 'CVE-2024-0001\n'.repeat(1_300_000));
      return { report };
    },
    error: /^input 'ignore-file': '\.trivyignore' is 1\d\.\d MiB; at most 16 MiB is read/,
    withinMs: 8_000,
  },
  {
    name: 'a .trivyignore.yaml that is a YAML alias bomb',
    arrange: () => {
      writeFileSync(join(workspace, '.trivyignore.yaml'), ALIAS_BOMB);
      return { report };
    },
    error: /^\.trivyignore\.yaml(:\d+)?: .*alias/i,
    withinMs: 5_000,
  },
  {
    name: 'a report whose fields try to start workflow commands',
    arrange: () => ({ report: hostileReport() }),
    error: /^1 finding\(s\) fail the gate \(CRITICAL: 1\): CVE-2024-0001/,
    withinMs: 5_000,
  },
];

test.each(CASES.map((hostile) => [hostile.name, hostile] as const))(
  '%s',
  async (_name, hostile) => {
    const inputs = await hostile.arrange();
    const run = await runBundledAction('trivy-gate', {
      inputs: { 'sarif-file': 'out.sarif', ...inputs },
      workspace,
      env: { RUNNER_TOOL_CACHE: join(workspace, 'tool-cache') },
      timeoutMs: hostile.withinMs + 30_000,
    });
    expectContainedFailure(run, { secrets: SECRETS, withinMs: hostile.withinMs });
    expect(run.errors[0]).toMatch(hostile.error);
    expect(run.stdout).not.toMatch(/^::warning::INJECTED/m);
    expect(run.warnings.filter((warning) => warning.startsWith('INJECTED'))).toEqual([]);
    const leftovers = readdirSync(workspace, { recursive: true }).map(String);
    expect(leftovers.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(workspace, '..', '..', 'escaped.sarif'))).toBe(false);
  },
  90_000,
);

test('a 130,000-line .trivyignore is read whole: every entry applies', () => {
  const ids = readFileSync(report, 'utf8').match(/CVE-\d+-\d+(?=")/g) ?? [];
  const filler = Array.from({ length: 130_000 }, (_, index) => `CVE-1999-${String(index).padStart(6, '0')}`);
  writeFileSync(join(workspace, '.trivyignore'), [...filler, ...ids].join('\n'));
  return runBundledAction('trivy-gate', { inputs: { report }, workspace }).then((run) => {
    expect(run.errors).toEqual([]);
    expect(run.outputs['passed']).toBe('true');
  });
}, 60_000);
