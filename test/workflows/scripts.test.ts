// The shell scripts the deploy workflow runs, run for real: overlay expansion, and the GitOps revert
// that rolls a failed canary back (against a bare remote).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../scripts/lib/action-metadata.ts';
import { parseRunnerFile } from '@shiprail/rehearsal/harness';

const script = (name: string): string => join(repoRoot, '.github', 'scripts', name);
let dir = '';
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'workflow-scripts-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runScript(
  name: string,
  env: Record<string, string>,
): { status: number; stdout: string; outputs: Record<string, string> } {
  const output = join(dir, 'output');
  writeFileSync(output, '');
  const result = spawnSync('bash', [script(name)], {
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, GITHUB_OUTPUT: output, ...env },
    encoding: 'utf8',
  });
  return {
    status: result.status ?? 1,
    stdout: result.stdout + result.stderr,
    outputs: parseRunnerFile(readFileSync(output, 'utf8')),
  };
}

describe('overlays.sh', () => {
  test.each([
    ['overlays/{environment}', '["api","worker"]', 'dev', 'overlays/dev'],
    [
      'apps/{service}/overlays/{environment}',
      '["api","worker"]',
      'staging',
      'apps/api/overlays/staging\napps/worker/overlays/staging',
    ],
    [
      '# comment\n  clusters/{environment}/apps  \n\nshared/{environment}\nshared/{environment}',
      '["api"]',
      'production',
      'clusters/production/apps\nshared/production',
    ],
  ])('%j with %s in %s', (templates, services, target, expected) => {
    const run = runScript('overlays.sh', { TEMPLATES: templates, SERVICES: services, TARGET: target });
    expect(run.status).toBe(0);
    expect(run.outputs['overlays']).toBe(expected);
  });

  test('an input that expands to nothing is an error', () => {
    const run = runScript('overlays.sh', { TEMPLATES: '# nothing\n', SERVICES: '[]', TARGET: 'dev' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error title=No overlays::/);
  });
});

describe('revert-gitops-commit.sh', () => {
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();

  test('reverts the canary commit beneath later commits, and prints the token nowhere', () => {
    const server = join(dir, 'server');
    const bare = join(server, 'acme', 'gitops.git');
    const work = join(dir, 'work');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    execFileSync('git', ['clone', '--quiet', bare, work]);
    writeFileSync(join(work, 'canary.yaml'), 'image: api:1\n');
    writeFileSync(join(work, 'other.yaml'), 'image: web:1\n');
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'initial');
    writeFileSync(join(work, 'canary.yaml'), 'image: api:2\n');
    git(work, 'commit', '--quiet', '-am', 'canary: api 2');
    const canaryCommit = git(work, 'rev-parse', 'HEAD');
    writeFileSync(join(work, 'other.yaml'), 'image: web:2\n');
    git(work, 'commit', '--quiet', '-am', 'web 2, after the canary');
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');

    const token = 'ghs_secretsecretsecret';
    const run = runScript('revert-gitops-commit.sh', {
      GITOPS_REPOSITORY: 'acme/gitops',
      GITOPS_BRANCH: 'main',
      GITOPS_TOKEN: token,
      COMMIT: canaryCommit,
      SERVER_URL: pathToFileURL(server).href,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/::add-mask::ghs_secret/);
    expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(token);
    expect(git(bare, 'show', 'main:canary.yaml')).toBe('image: api:1');
    expect(git(bare, 'show', 'main:other.yaml')).toBe('image: web:2');
    expect(git(bare, 'log', '-1', '--format=%s', 'main')).toBe('Revert "canary: api 2"');
  });
});
