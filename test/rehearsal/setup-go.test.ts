// The rehearsal's actions/setup-go: which version specs the machine's Go satisfies (a table), and the
// action run as a workflow step resolves it, against the Go installed here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readActionPins,
  resolveThirdParty,
  satisfiesGoVersion,
  versionFromFile,
  type StepEnvironment,
} from '@shiprail/rehearsal/workflow';
import { ACTION_PINS } from '@shiprail/rehearsal';

test.each<[string, string, boolean]>([
  ['1.19.8', '1.19', true],
  ['1.19.8', '1.19.x', true],
  ['1.19.8', '1.19.8', true],
  ['1.19.8', '1.19.7', false],
  ['1.19.8', '1.26', false],
  ['1.19.8', '1', true],
  ['1.19.8', '^1.18', true],
  ['1.19.8', '~1.18', false],
  ['1.19.8', '~1.19.2', true],
  ['1.19.8', '>=1.18 <1.20', true],
  ['1.19.8', '>=1.20', false],
  ['1.19.8', 'stable', false],
  ['1.21rc2', '1.21', true],
  ['1.26.1', 'go1.26.1', true],
])('Go %s satisfies %s: %s', (version, spec, satisfied) => {
  expect(satisfiesGoVersion(version, spec)).toBe(satisfied);
});

test.each([
  ['module example.com/shop\n\ngo 1.19\n', '1.19'],
  ['module example.com/shop\n\ngo 1.26\n\ntoolchain go1.26.1\n', '1.26.1'],
  ['1.22.5\n', '1.22.5'],
])('go-version-file %j asks for %s', (text, version) => {
  expect(versionFromFile(text)).toBe(version);
});

describe('as a workflow step', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'setup-go-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const pins = readActionPins(ACTION_PINS);
  const uses = `actions/setup-go@${pins['actions/setup-go']?.sha ?? ''}`;
  const setupGo = resolveThirdParty({ repositories: {}, store: workspace }, 'deploy.yml', pins)(uses, 1);
  const context: StepEnvironment = {
    workspace,
    runnerTemp: workspace,
    env: { PATH: process.env['PATH'] ?? '' },
    event: {},
    token: '',
    timeoutMs: 30_000,
    signal: new AbortController().signal,
  };
  const [machineVersion = '', machineRoot = ''] = execFileSync('go', ['env', 'GOVERSION', 'GOROOT'], {
    encoding: 'utf8',
  }).split('\n');
  const release = machineVersion.replace(/^go/, '');
  const minor = release.split('.').slice(0, 2).join('.');

  test("go.mod's version, when the machine's Go is of it: that Go first on PATH, no toolchain switching", async () => {
    writeFileSync(join(workspace, 'go.mod'), `module example.com/shop\n\ngo ${minor}\n`);
    const result = await setupGo({ 'go-version-file': 'go.mod' }, context);
    expect(result).toMatchObject({ exitCode: 0, outputs: { 'go-version': release, 'cache-hit': 'false' } });
    expect(result.exportedEnv['PATH']?.startsWith(`${machineRoot}/bin:`)).toBe(true);
    expect(result.exportedEnv['GOTOOLCHAIN']).toBe('local');
  });

  test('another release fails the step, saying what the rehearsal provides', async () => {
    const result = await setupGo({ 'go-version': '1.99' }, context);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([`setup-go: the rehearsal provides this machine's Go ${release} only, not 1.99`]);
  });

  test('no Go on PATH fails the step, naming the package to install', async () => {
    const result = await setupGo({ 'go-version': '1.19' }, { ...context, env: { PATH: workspace } });
    expect(result.errors).toEqual([
      "setup-go: the rehearsal provides the machine's own Go, and there is none on PATH: install Debian's golang-go",
    ]);
  });

  test('a pin of another major is refused', () => {
    const other = { ...pins, 'actions/setup-go': { sha: pins['actions/setup-go']?.sha ?? '', release: 'v5.0.0' } };
    expect(() => resolveThirdParty({ repositories: {}, store: workspace }, 'deploy.yml', other)(uses, 9)).toThrow(
      `deploy.yml:9: ${uses} is v5.0.0; the rehearsal emulates actions/setup-go v7`,
    );
  });
});
