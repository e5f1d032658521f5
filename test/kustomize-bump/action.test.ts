// The bundled action, run as the runner runs it, against real git remotes in temporary folders.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitsOf, git, showFile, type GitopsRemote } from '@shiprail/rehearsal';
import { RemoteTemplate } from './remote-template.ts';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { deployCommitTemplate, gitTrailers } from './deploy-message.ts';

const DIGEST = 'sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3';

let template: RemoteTemplate;
beforeAll(async () => {
  template = await RemoteTemplate.create();
});
afterAll(() => template.stop());

let remote: GitopsRemote;
beforeEach(async () => {
  remote = await template.copy();
});
afterEach(async () => {
  await remote.stop();
});

function bump(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runBundledAction('kustomize-bump', {
    inputs: { repository: remote.remoteUrl, token: '', ...inputs },
    sha: 'c0ffee0000000000000000000000000000000001',
    env,
  });
}

const headOf = async (): Promise<string> => (await git(remote.path, ['rev-parse', 'refs/heads/main'])).trim();

test('bumps several images in several overlays in one commit that names them and the source run', async () => {
  const before = await headOf();
  const run = await bump({
    overlays: 'overlays/dev\noverlays/staging',
    images: `ghcr.io/acme/api:1.2.3\nghcr.io/acme/web@${DIGEST}`,
  });
  expect(run.errors).toEqual([]);
  expect(run.exitCode).toBe(0);
  expect(run.outputs['changed']).toBe('true');
  const head = await headOf();
  expect(run.outputs['commit']).toBe(head);
  expect(await git(remote.path, ['rev-parse', `${head}^`])).toBe(`${before}\n`);
  const files = (await git(remote.path, ['diff', '--name-only', before, head])).trim().split('\n');
  expect(files).toEqual(['overlays/dev/kustomization.yaml', 'overlays/staging/kustomization.yaml']);
  const message = await git(remote.path, ['log', '-1', '--format=%B', head]);
  expect(message).toContain(
    `Deploy ghcr.io/acme/api:1.2.3, ghcr.io/acme/web@${DIGEST} to overlays/dev, overlays/staging`,
  );
  expect(message).toContain('- overlays/dev: ghcr.io/acme/api:0.1.0 → ghcr.io/acme/api:1.2.3');
  expect(message).toContain('Source: https://github.com/acme/shop/commit/c0ffee0000000000000000000000000000000001');
  expect(message).toContain('Run: https://github.com/acme/shop/actions/runs/4242');
  const dev = await showFile(remote.path, 'main', 'overlays/dev/kustomization.yaml');
  // The tag keeps the file's quoting; `name@digest` replaces the entry, so its tag goes, as in kustomize.
  expect(dev).toContain('  - name: ghcr.io/acme/api\n    newTag: "1.2.3"\n');
  expect(dev).toContain(`  - name: ghcr.io/acme/web\n    digest: ${DIGEST}\n`);
  expect(run.outputs['diff']).toContain('-    newTag: "0.1.0"\n+    newTag: "1.2.3"');
  // Both overlays ran the same images before: each shows once.
  expect(run.outputs['previous-images']).toBe('ghcr.io/acme/api:0.1.0\nghcr.io/acme/web:0.1.0');
  expect(run.summary).toContain(
    '| overlays/staging | ghcr.io/acme/api | ghcr.io/acme/api:0.1.0 | ghcr.io/acme/api:1.2.3 |',
  );
});

test('an unchanged re-run commits nothing and says so', async () => {
  const inputs = { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.2.3' };
  expect((await bump(inputs)).outputs['changed']).toBe('true');
  const head = await headOf();
  const again = await bump(inputs);
  expect(again.exitCode).toBe(0);
  expect(again.outputs).toMatchObject({
    changed: 'false',
    commit: '',
    diff: '',
    'pull-request': '',
    'previous-images': '',
  });
  expect(await headOf()).toBe(head);
  expect(again.summary).toContain('already has these images: nothing committed');
});

test('dry-run reports the diff and pushes nothing', async () => {
  const head = await headOf();
  const run = await bump({ overlays: 'overlays/production', images: 'ghcr.io/acme/worker:2.0.0', 'dry-run': 'true' });
  expect(run.exitCode).toBe(0);
  expect(run.outputs['changed']).toBe('true');
  expect(run.outputs['commit']).toBe('');
  expect(run.outputs['diff']).toContain('+    newTag: "2.0.0"');
  expect(await headOf()).toBe(head);
  expect(run.summary).toContain('Dry run');
});

test('verify renders the overlay and fails, before committing, on a name that matches no container', async () => {
  const head = await headOf();
  const run = await bump({ overlays: 'overlays/dev', images: 'ghcr.io/acme/apii:1.2.3', verify: 'true' });
  expect(run.exitCode).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toContain('overlays/dev/kustomization.yaml');
  expect(run.errors[0]).toContain('no container image is ghcr.io/acme/apii or ends in /apii');
  expect(await headOf()).toBe(head);
});

test('verify passes a correct bump (digest and new name) and says so in the summary', async () => {
  const run = await bump({
    overlays: 'overlays/canary',
    images: `ghcr.io/acme/api=registry.example:5000/acme/api:2.0.0@${DIGEST}`,
    verify: 'true',
  });
  expect(run.errors).toEqual([]);
  expect(run.outputs['changed']).toBe('true');
  expect(run.summary).toContain('kubectl kustomize');
});

test('a comment-rich kustomization stays byte for byte, except the changed lines (verified by kubectl)', async () => {
  const fixture = readFileSync(join(repoRoot, 'test/fixtures/kustomize-bump/comment-rich.yaml'), 'utf8');
  const work = `${remote.path}-work`;
  await git(remote.path, ['clone', '--quiet', remote.path, work]);
  await writeFile(join(work, 'overlays/production/kustomization.yaml'), fixture);
  await git(work, ['commit', '--quiet', '-am', 'a hand-written production overlay']);
  await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);

  const newDigest = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';
  const run = await bump({
    overlays: 'overlays/production',
    images: `ghcr.io/acme/api:1.5.0@${newDigest}\nghcr.io/acme/web=*:2.1\nghcr.io/acme/worker:1.0.0`,
    verify: 'true',
  });
  expect(run.errors).toEqual([]);
  expect(run.summary).toContain('after `kubectl kustomize` rendered every new reference');
  const after = await showFile(remote.path, 'main', 'overlays/production/kustomization.yaml');
  const expected = fixture
    .replace("newTag: '1.4.0'", "newTag: '1.5.0'")
    .replace(/sha256:1{64}/, newDigest)
    .replace('newTag: "2.0"', 'newTag: "2.1"')
    .replace('newTag: 0.9.1}', 'newTag: 1.0.0}');
  expect(after).toBe(expected);
  expect(after.split('\n').filter((line, index) => line !== fixture.split('\n')[index])).toHaveLength(4);
});

describe('without kubectl on PATH', () => {
  let bin: string;
  beforeEach(async () => {
    bin = await mkdtemp(join(tmpdir(), 'bin-'));
    await symlink('/usr/bin/git', join(bin, 'git'));
  });
  afterEach(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  test('verify: auto bumps without rendering and says so', async () => {
    const run = await bump({ overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.2.3' }, { PATH: bin });
    expect(run.errors).toEqual([]);
    expect(run.outputs['changed']).toBe('true');
    expect(run.stdout).toContain('kubectl is not on PATH: the overlays are not rendered');
    expect(run.summary).toContain('(not verified: kubectl is not on PATH)');
  });

  test('verify: true fails before anything is committed', async () => {
    const head = await headOf();
    const run = await bump(
      { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.2.3', verify: 'true' },
      { PATH: bin },
    );
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(["input 'verify': is true but kubectl is not on PATH: install kubectl or use auto"]);
    expect(await headOf()).toBe(head);
  });
});

test('the remote URL is derived from GITHUB_SERVER_URL for an owner/name repository', async () => {
  const server = remote.path.replace(/\/gitops\.git$/, '');
  await git(server, ['clone', '--quiet', '--bare', remote.path, 'acme/gitops.git']);
  const run = await runBundledAction('kustomize-bump', {
    inputs: { repository: 'acme/gitops', overlays: 'overlays/dev', images: 'ghcr.io/acme/api:3.0.0', token: '' },
    env: { GITHUB_SERVER_URL: `file://${server}` },
  });
  expect(run.errors).toEqual([]);
  const dev = await showFile(`${server}/acme/gitops.git`, 'main', 'overlays/dev/kustomization.yaml');
  expect(dev).toContain('newTag: "3.0.0"');
});

describe('a user mistake fails with one error naming where, and nothing is committed or pushed', () => {
  test.each<{ name: string; inputs: Record<string, string>; error: RegExp }>([
    {
      name: 'an overlay without kustomization.yaml',
      inputs: { overlays: 'overlays/dev\nk8s/missing', images: 'ghcr.io/acme/api:1.0.1' },
      error: /input 'overlays': 'k8s\/missing' is not a directory/,
    },
    {
      name: 'an images line kustomize rejects',
      inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.0.1\nghcr.io/acme/web' },
      error:
        /input 'images': 'ghcr.io\/acme\/web' sets neither a new name, a tag nor a digest; use one of: <image>=<newimage>:<newtag>@<digest>/,
    },
    {
      name: 'a branch that does not exist',
      inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.0.1', branch: 'release' },
      error: /input 'branch': branch 'release' does not exist/,
    },
    {
      name: 'an overlay path outside the repository',
      inputs: { overlays: '../elsewhere', images: 'ghcr.io/acme/api:1.0.1' },
      error: /input 'overlays': '..\/elsewhere' must be a directory inside the repository/,
    },
  ])('$name', async ({ inputs, error }) => {
    const head = await headOf();
    const run = await bump(inputs);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(error);
    expect(run.outputs).toEqual({});
    expect(await headOf()).toBe(head);
    expect(await git(remote.path, ['branch', '--list'])).toBe('* main\n');
  });

  test('a directory without kustomization.yaml, and malformed YAML named by file and line', async () => {
    const work = `${remote.path}-work`;
    await git(remote.path, ['clone', '--quiet', remote.path, work]);
    await import('node:fs/promises').then(({ writeFile }) => writeFile(`${work}/overlays/canary/notes.md`, 'paused\n'));
    await git(work, ['add', 'overlays/canary/notes.md']);
    await git(work, ['rm', '--quiet', 'overlays/canary/kustomization.yaml']);
    await git(work, ['mv', 'overlays/dev/kustomization.yaml', 'overlays/dev/kustomization.yml']);
    const staging = readFileSync(`${work}/overlays/staging/kustomization.yaml`, 'utf8');
    const broken = staging.replace('namespace: shop-staging', 'namespace: [shop-staging');
    await import('node:fs/promises').then(({ writeFile }) =>
      writeFile(`${work}/overlays/staging/kustomization.yaml`, broken),
    );
    await git(work, ['commit', '--quiet', '-am', 'break overlays']);
    await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);
    const head = await headOf();

    const missing = await bump({ overlays: 'overlays/dev\noverlays/canary', images: 'ghcr.io/acme/api:1.0.1' });
    expect(missing.exitCode).toBe(1);
    expect(missing.errors).toEqual([
      "input 'overlays': 'overlays/canary' has no kustomization.yaml (nor kustomization.yml, Kustomization)",
    ]);
    const malformed = await bump({ overlays: 'overlays/dev\noverlays/staging', images: 'ghcr.io/acme/api:1.0.1' });
    expect(malformed.exitCode).toBe(1);
    expect(malformed.errors).toHaveLength(1);
    // The unclosed `[` of line 4 is detected where the next key starts.
    expect(malformed.errors[0]).toMatch(/^overlays\/staging\/kustomization\.yaml:5: malformed YAML: Flow sequence/);
    expect(malformed.stdout).toContain(
      '::error title=Configuration error,file=overlays/staging/kustomization.yaml,line=5::',
    );
    expect(await headOf()).toBe(head);
    // The .yml overlay alone is fine: kustomize reads that name too.
    expect((await bump({ overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.0.1' })).outputs['changed']).toBe(
      'true',
    );
    expect(await commitsOf(remote.path, 'main')).toHaveLength(3);
  });
});

test("deploy.yml's deploy commit: git reads its trailers, and those of the revert that rolls it back", async () => {
  const sha = 'c0ffee0000000000000000000000000000000001';
  const template = await deployCommitTemplate('dev');
  const run = await bump({ overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.2.3', 'commit-message': template });
  expect(run.errors).toEqual([]);
  const commit = run.outputs['commit'] ?? '';
  const messageOf = (revision: string): Promise<string> => git(remote.path, ['log', '-1', '--format=%B', revision]);
  expect(gitTrailers(await messageOf(commit))).toEqual([
    `Source: https://github.com/acme/shop/commit/${sha}`,
    'Run: https://github.com/acme/shop/actions/runs/4242',
    `Source-Commit: ${sha}`,
    'Environment: dev',
    'Shiprail-Deploy: dev',
  ]);
  // As deployed-commit.sh, detect-changed-services and the rehearsal's sample service read them back.
  const keys = ['Source-Commit', 'Environment', 'Shiprail-Deploy'].map(
    (key) => `%(trailers:key=${key},valueonly,separator=)`,
  );
  expect(await git(remote.path, ['log', '-1', `--format=${keys.join('|')}`, commit])).toBe(`${sha}|dev|dev\n`);

  const root = remote.path.replace(/\/gitops\.git$/, '');
  execFileSync('bash', [join(repoRoot, '.github', 'scripts', 'revert-gitops-commit.sh')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: root,
      GITOPS_REPOSITORY: 'gitops',
      GITOPS_BRANCH: 'main',
      GITOPS_TOKEN: 'ghs_token',
      COMMIT: commit,
      SERVER_URL: `file://${root}`,
    },
    stdio: 'pipe',
  });
  const revert = await messageOf('main');
  expect(revert).toMatch(new RegExp(`^Revert "Deploy [^\n]+"\n\nThis reverts commit ${commit}\\.\n`));
  expect(gitTrailers(revert)).toEqual(['Shiprail-Deploy: revert']);
});
