// `shiprail rehearse` on a repository laid out as a team's would be (test/fixtures/rehearse/storefront: a
// compose file, Dockerfiles in the services' folders and one built from the root, a kustomize base with
// overlays named dev and prod, two services on busybox listening on 8080 with readiness probes and no
// Service or Ingress, a mailer with no HTTP, no canary metrics): `shiprail init` writes its pipeline, then a
// push of a commit changing two services is rehearsed end to end, its pods run and its smoke checks called
// (as root, where images run), and a commit whose image cannot start is rolled back. Judged from the reports.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@shiprail/cli';
import type { Report } from '@shiprail/rehearsal';
import { canRunImages } from '../../packages/rehearsal/src/world-images.ts';
import { recordingSystem } from './system.ts';

const fixture = fileURLToPath(new URL('../fixtures/rehearse/storefront/', import.meta.url));
const parent = mkdtempSync(join(tmpdir(), 'rehearse-storefront-'));
const repository = join(parent, 'storefront');

const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: repository,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Storefront Team',
      GIT_AUTHOR_EMAIL: 'team@example.com',
      GIT_COMMITTER_NAME: 'Storefront Team',
      GIT_COMMITTER_EMAIL: 'team@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();

beforeAll(async () => {
  cpSync(fixture, repository, { recursive: true });
  git('init', '--quiet', '--initial-branch=main');
  const init = recordingSystem(repository);
  expect(await runCli(['init'], init)).toBe(0);
  git('add', '--all');
  git('commit', '--quiet', '-m', 'The storefront and its pipeline, written by shiprail init');
  appendFileSync(join(repository, 'catalog', 'www', 'products'), '[{"sku":"tee-02","name":"T-shirt","price":15}]\n');
  appendFileSync(join(repository, 'checkout', 'src', 'www', 'ready'), 'accepting orders\n');
  git('commit', '--quiet', '--all', '-m', 'catalog: a second product; checkout: say it accepts orders');
});

afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** The tests that run pods need root (network namespaces): CI has it. */
const runsPods = canRunImages();
const withPods = runsPods ? test : test.skip;
const SMOKE = './.shiprail/actions/smoke-test';

/** `shiprail rehearse storefront` with a report: exit status, output, report. */
async function rehearse(): Promise<{ code: number; output: string; report: Report }> {
  const reportFile = join(parent, 'report.json');
  const system = recordingSystem(parent);
  const code = await runCli(['rehearse', 'storefront', '--report', reportFile], system);
  expect(system.errors).toEqual([]);
  return { code, output: system.output.join(''), report: JSON.parse(readFileSync(reportFile, 'utf8')) as Report };
}

/** One job's steps of the report, name → conclusion. */
const stepsOf = (report: Report, job: string): Record<string, string> =>
  Object.fromEntries((report.steps[job] ?? []).map((step) => [step.name, step.conclusion]));

test('init wrote the caller the rehearsal runs: its environments as its overlays name them, no canary', () => {
  const caller = readFileSync(join(repository, '.github', 'workflows', 'deploy.yml'), 'utf8');
  expect(caller).toContain('environments: dev, prod');
  expect(caller).toContain('overlays: "deploy/overlays/{environment}"');
  expect(caller).toContain('gitops-repository: ${{ github.repository }}');
});

test('a push of the last commit: the two changed services built, pushed and promoted through dev and prod; the mailer left as it runs', async () => {
  // A file left uncommitted is not rehearsed, and the output says so.
  writeFileSync(join(repository, 'NOTES.md'), 'try a third product\n');
  const { code, output, report } = await rehearse();
  rmSync(join(repository, 'NOTES.md'));
  expect(output).toContain('.github/workflows/deploy.yml (job deploy) for a push of');
  expect(output).toContain('Environments: dev, prod; no canary judged (no .github/canary.yml)');
  expect(output).toContain('Not rehearsed: 1 file changed but not committed (git status)');
  expect(output).toContain(
    runsPods
      ? 'Pods: the built images run here'
      : 'Pods do not run here (running images needs root): every rollout is taken as ready at once',
  );
  expect(code).toBe(0);
  expect(report.scenario).toBe('push');
  expect(report.commit).toBe(git('rev-parse', 'HEAD'));
  expect(report.jobs).toMatchObject({
    deploy: 'success',
    'deploy / test (catalog)': 'success',
    'deploy / test (checkout)': 'success',
    'deploy / build (catalog)': 'success',
    'deploy / build (checkout)': 'success',
    'deploy / dev': 'success',
    'deploy / canary': 'skipped',
    'deploy / production': 'success',
    'deploy / comment': 'skipped',
  });
  expect(Object.keys(report.jobs).filter((job) => job.includes('mailer'))).toEqual([]);
  // The images keep the repository's paths in the rehearsal's registry.
  expect(report.pushed).toEqual([
    expect.stringMatching(/^127\.0\.0\.1:\d+\/storefront\/catalog@sha256:[0-9a-f]{64}$/),
    expect.stringMatching(/^127\.0\.0\.1:\d+\/storefront\/checkout@sha256:[0-9a-f]{64}$/),
  ]);
  const [catalog, checkout] = report.pushed;
  // Environments named as the caller names them, each in the namespace its overlay sets.
  expect(report.environments).toEqual({
    dev: { catalog, checkout, mailer: 'registry.example.com/storefront/mailer:1.3.0' },
    prod: { catalog, checkout, mailer: 'registry.example.com/storefront/mailer:1.3.0' },
  });
  expect(report.gitops).toEqual([
    expect.stringMatching(/^Deploy .*catalog@sha256:.*checkout@sha256:.* to dev$/),
    expect.stringMatching(/^Deploy .*catalog@sha256:.*checkout@sha256:.* to prod$/),
  ]);
  expect(report.clusters).toEqual({});
  // The GitOps repository is the storefront itself: its deploy commits follow the rehearsed one.
  expect(report.summaries['deploy / plan']).toContain('No canary judged this release: prod is promoted after dev');
  // Each environment's base URL reaches the pods that were rolled out: the checks init wrote from the
  // readiness probes (/healthz of catalog, /ready of checkout) pass there, with no Ingress to route them.
  for (const job of ['deploy / dev', 'deploy / production']) {
    expect(stepsOf(report, job)[SMOKE]).toBe(runsPods ? 'success' : 'skipped');
    if (runsPods)
      expect(report.summaries[job]).toMatch(
        /Smoke test: all 2 checks passed[\s\S]*\| catalog \| ✅ pass \| 200 \|[\s\S]*\| checkout \| ✅ pass \| 200 \|/,
      );
  }
}, 600_000);

withPods(
  "a catalog image that cannot start its process: dev's rollout fails with the kubelet's reason, dev is reverted, prod is not promoted",
  async () => {
    // A start script committed without its execute bit, as happens.
    writeFileSync(join(repository, 'catalog', 'start.sh'), '#!/bin/sh\nexec httpd -f -p 8080 -h /srv/www\n', {
      mode: 0o644,
    });
    const dockerfile = join(repository, 'catalog', 'Dockerfile');
    writeFileSync(
      dockerfile,
      readFileSync(dockerfile, 'utf8').replace(
        /^ENTRYPOINT .*$/m,
        'COPY start.sh /srv/start.sh\nENTRYPOINT ["/srv/start.sh"]',
      ),
    );
    git('add', '--all');
    git('commit', '--quiet', '-m', 'catalog: start from a script');
    const { code, output, report } = await rehearse();
    expect(code).toBe(1);
    expect(output).toContain('job deploy / dev should succeed or be skipped, it is failure');
    expect(report.jobs).toMatchObject({
      'deploy / build (catalog)': 'success',
      'deploy / dev': 'failure',
      'deploy / production': 'skipped',
    });
    expect(stepsOf(report, 'deploy / dev')).toMatchObject({
      './.shiprail/actions/rollout-wait': 'failure',
      [SMOKE]: 'skipped',
      'Roll back by reverting the GitOps commit': 'success',
      'Wait for the previous images': 'success',
    });
    expect(report.summaries['deploy / dev']).toContain('permission denied');
    // Git went back, and dev runs what it ran before.
    expect(report.gitops).toEqual([
      expect.stringMatching(/^Deploy .*catalog@sha256:[0-9a-f]{64} to dev$/),
      expect.stringMatching(/^Revert "Deploy .*catalog@sha256:[0-9a-f]{64} to dev"$/),
    ]);
    expect(report.environments['dev']?.['catalog']).toBe('registry.example.com/storefront/catalog:1.3.0');
  },
  600_000,
);
