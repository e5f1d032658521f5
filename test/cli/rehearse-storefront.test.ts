// `shiprail rehearse` on a repository laid out as a team's would be (test/fixtures/rehearse/storefront: a
// compose file, Dockerfiles in the services' folders and one built from the root, a kustomize base with
// overlays named dev and prod, two services on busybox listening on 8080 with readiness probes and no
// Service or Ingress, a catalog search answered by a CGI script, a mailer with no HTTP): `shiprail init`
// writes its pipeline, the team adds the catalog's tests and a smoke check of its search, then a push of a
// commit changing two services is rehearsed end to end, its pods run and its smoke checks called (as root,
// where images run). Each scenario after it is one commit on that push, found by the pipeline as it would be
// in production: a failing test, a vulnerable dependency, an image that cannot start, a route answering 500,
// and (once the team judges the catalog's canary; checkout has no canary metrics) a slower search under
// load. Judged from the reports.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@shiprail/cli';
import type { Report } from '@shiprail/rehearsal';
import { vulnerableRuntimeCommit } from '../../packages/rehearsal/src/scanner/vulnerable-dependency.ts';
import { canRunImages } from '../../packages/rehearsal/src/world-images.ts';
import { recordingSystem } from './system.ts';

const fixture = fileURLToPath(new URL('../fixtures/rehearse/storefront/', import.meta.url));
const canaryFixture = fileURLToPath(new URL('../fixtures/rehearse/storefront-canary/', import.meta.url));
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

/** `path` of the repository with `edit` applied. */
function edit(path: string, change: (text: string) => string): void {
  const file = join(repository, path);
  const text = readFileSync(file, 'utf8');
  const changed = change(text);
  if (changed === text) throw new Error(`${path}: the edit changes nothing`);
  writeFileSync(file, changed);
}

/** The push every scenario starts from: HEAD once the storefront and its pipeline are set up. */
let pushed = '';

beforeAll(async () => {
  cpSync(fixture, repository, { recursive: true });
  git('init', '--quiet', '--initial-branch=main');
  const init = recordingSystem(repository);
  expect(await runCli(['init'], init)).toBe(0);
  git('add', '--all');
  git('commit', '--quiet', '-m', 'The storefront and its pipeline, written by shiprail init');
  // What the team adds to what init wrote: the catalog's tests, and a smoke check of its search.
  edit('.github/services.yml', (text) =>
    text.replace(
      /^( {4}resource: deployment\/catalog.*\n)/m,
      '$1    test: python3 -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml tests\n    test-reports: catalog/reports/*.xml\n',
    ),
  );
  appendFileSync(
    join(repository, '.github', 'smoke.yml'),
    [
      '  - name: catalog search',
      '    request:',
      '      url: /catalog/cgi-bin/search?tee',
      '    expect:',
      '      status: 200',
      '    retry: { until: 10s, interval: 2s }',
      '',
    ].join('\n'),
  );
  git('commit', '--quiet', '--all', '-m', 'catalog: its tests in the pipeline, its search smoke-checked');
  appendFileSync(join(repository, 'catalog', 'www', 'products'), '[{"sku":"tee-02","name":"T-shirt","price":15}]\n');
  appendFileSync(join(repository, 'checkout', 'src', 'www', 'ready'), 'accepting orders\n');
  git('commit', '--quiet', '--all', '-m', 'catalog: a second product; checkout: say it accepts orders');
  pushed = git('rev-parse', 'HEAD');
});

/** Commits `message` on the push every scenario starts from, with `change` applied to the repository. */
function commitOnPush(message: string, change: () => void): void {
  git('reset', '--quiet', '--hard', pushed);
  change();
  git('add', '--all');
  git('commit', '--quiet', '-m', message);
}

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
        /Smoke test: all 3 checks passed[\s\S]*\| catalog \| ✅ pass \| 200 \|[\s\S]*\| checkout \| ✅ pass \| 200 \|[\s\S]*\| catalog search \| ✅ pass \| 200 \|/,
      );
  }
}, 600_000);

withPods(
  "a catalog image that cannot start its process: dev's rollout fails with the kubelet's reason, dev is reverted, prod is not promoted",
  async () => {
    commitOnPush('catalog: start from a script', () => {
      // A start script committed without its execute bit, as happens.
      writeFileSync(join(repository, 'catalog', 'start.sh'), '#!/bin/sh\nexec httpd -f -p 8080 -h /srv/www\n', {
        mode: 0o644,
      });
      edit('catalog/Dockerfile', (text) =>
        text.replace(/^ENTRYPOINT .*$/m, 'COPY start.sh /srv/start.sh\nENTRYPOINT ["/srv/start.sh"]'),
      );
    });
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

/** A scenario the pipeline stops before anything is pushed: its commit, and the job and step that fail. */
interface StoppedBeforePush {
  commit: { message: string; change: () => void };
  job: string;
  step: string;
  /** What the failing job's summary says. */
  says: string;
  jobs: Record<string, string>;
}

test.each<[string, StoppedBeforePush]>([
  [
    "a product without a price: the catalog's test fails (its JUnit report names the test)",
    {
      commit: {
        message: 'catalog: a cap, its price to follow',
        change: () =>
          appendFileSync(join(repository, 'catalog', 'www', 'products'), '[{"sku":"cap-01","name":"Cap"}]\n'),
      },
      job: 'deploy / test (catalog)',
      step: 'Run the tests',
      says: 'test_every_product_has_a_sku_a_name_and_a_price',
      jobs: { 'deploy / build': 'skipped', 'deploy / dev': 'skipped', 'deploy / production': 'skipped' },
    },
  ],
  [
    'checkout ships a runtime with a critical vulnerability: its scan fails the build before the push',
    {
      commit: {
        message: 'checkout: ship the musl runtime with the image',
        change: () => {
          const files = vulnerableRuntimeCommit(repository, { dockerfile: 'checkout/Dockerfile', context: '.' });
          for (const [path, text] of Object.entries(files)) {
            mkdirSync(dirname(join(repository, path)), { recursive: true });
            writeFileSync(join(repository, path), text);
          }
        },
      },
      job: 'deploy / build (checkout)',
      step: './.shiprail/actions/trivy-gate',
      says: 'CVE-2019-14697',
      jobs: { 'deploy / test (checkout)': 'success', 'deploy / dev': 'skipped', 'deploy / production': 'skipped' },
    },
  ],
])(
  '%s: nothing is pushed or deployed',
  async (_scenario, { commit, job, step, says, jobs }) => {
    commitOnPush(commit.message, commit.change);
    const { code, output, report } = await rehearse();
    expect(code).toBe(1);
    expect(output).toContain(`job ${job} should succeed or be skipped, it is failure`);
    expect(report.jobs).toMatchObject({ [job]: 'failure', ...jobs });
    expect(stepsOf(report, job)).toMatchObject({ [step]: 'failure' });
    expect(report.summaries[job]).toContain(says);
    expect(report.pushed).toEqual([]);
    expect(report.gitops).toEqual([]);
  },
  600_000,
);

withPods(
  "the catalog's search answers 500 (it reads a file the image does not hold; its tests pass): dev's smoke test fails and dev is reverted",
  async () => {
    commitOnPush('catalog: search reads the products from the data folder', () =>
      edit('catalog/www/cgi-bin/search', (text) => text.replace('/srv/www/products', '/srv/data/products.json')),
    );
    const { code, report } = await rehearse();
    expect(code).toBe(1);
    expect(report.jobs).toMatchObject({
      'deploy / test (catalog)': 'success',
      'deploy / dev': 'failure',
      'deploy / production': 'skipped',
    });
    expect(stepsOf(report, 'deploy / dev')).toMatchObject({
      './.shiprail/actions/rollout-wait': 'success',
      [SMOKE]: 'failure',
      'Roll back by reverting the GitOps commit': 'success',
    });
    expect(report.summaries['deploy / dev']).toMatch(/\| catalog search \| ❌ fail \| 500 \|/);
    expect(report.summaries['deploy / dev']).toMatch(/\| catalog \| ✅ pass \| 200 \|/);
    expect(report.gitops).toEqual([
      expect.stringMatching(/^Deploy .*catalog@sha256:[0-9a-f]{64} to dev$/),
      expect.stringMatching(/^Revert "Deploy .*catalog@sha256:[0-9a-f]{64} to dev"$/),
    ]);
  },
  600_000,
);

withPods(
  "once the team judges the catalog's canary, a search that serializes its requests passes dev and fails the canary on latency: the canary is reverted, prod is not promoted",
  async () => {
    commitOnPush("catalog: judge its canary on the mesh's metrics", () => {
      // The canary's overlay and its metrics (test/fixtures/rehearse/storefront-canary), and whose they are.
      cpSync(canaryFixture, repository, { recursive: true });
      edit('.github/workflows/deploy.yml', (text) =>
        text.replace(
          /^( {6}prometheus-url: .*\n)/m,
          '$1      canary-selector: destination_workload="catalog", destination_workload_namespace="storefront-canary"\n' +
            '      canary-baseline: destination_workload="catalog", destination_workload_namespace="storefront"\n',
        ),
      );
    });
    edit('catalog/www/cgi-bin/search', (text) =>
      text.replace(
        "printf 'Content-Type: application/x-ndjson\\r\\n\\r\\n'",
        [
          '# The index is rebuilt before each search, one request at a time.',
          'lock="${products%/*}/.search-lock"',
          'until mkdir "$lock" 2>/dev/null; do usleep 5000; done',
          'trap \'rmdir "$lock"\' EXIT',
          'usleep 100000',
          "printf 'Content-Type: application/x-ndjson\\r\\n\\r\\n'",
        ].join('\n'),
      ),
    );
    git('commit', '--quiet', '--all', '-m', 'catalog: search rebuilds its index first, one request at a time');
    const { code, output, report } = await rehearse();
    const canary = report.summaries['deploy / canary'] ?? '';
    expect(output).toContain("the canary judged on the traffic sent to its pods and prod's");
    // A canary that did not fail brings its summary into the diff, to say why.
    const canaryJob = report.jobs['deploy / canary'];
    expect({ canaryJob, ...(canaryJob === 'failure' ? {} : { canary }) }).toEqual({ canaryJob: 'failure' });
    expect(report.jobs).toMatchObject({ 'deploy / dev': 'success', 'deploy / production': 'skipped' });
    expect(code).toBe(1);
    expect(stepsOf(report, 'deploy / canary')).toMatchObject({
      './.shiprail/actions/canary-analyze': 'failure',
      'Roll back by reverting the GitOps commit': 'success',
    });
    // Traffic reached both sides (a sample a second of each), and only the latency rose.
    expect(canary).toContain('Canary analysis: fail');
    expect(canary).toMatch(/\| \*\*latency-p95\*\*<br>increase \| ❌ High \|/);
    expect(canary).toMatch(/\| \*\*error-rate\*\*<br>increase \| ✅ Pass \| [^|]+\| 1\d \/ 1\d \|/);
    expect(report.gitops).toEqual([
      expect.stringMatching(/^Deploy .*catalog@sha256:[0-9a-f]{64} to dev$/),
      expect.stringMatching(/^Deploy .*catalog@sha256:[0-9a-f]{64} to canary$/),
      expect.stringMatching(/^Revert "Deploy .*catalog@sha256:[0-9a-f]{64} to canary"$/),
    ]);
    expect(report.environments['prod']?.['catalog']).toBe('registry.example.com/storefront/catalog:1.3.0');
  },
  600_000,
);
