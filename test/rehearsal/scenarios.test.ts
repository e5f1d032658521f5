// deploy.yml itself, rehearsed through the runner in one shared world (reset between scenarios): what
// every job concluded, what each environment runs at the end, what was pushed, the GitOps history, the
// pull request's comment and what the team's webhook was told.
import { rehearse, type RehearsalResult, scenarioNamed, startWorld, type World } from '@shiprail/rehearsal';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 180_000);
afterAll(() => world.stop(), 60_000);

/** The default chain's environments, in order. */
const DEPLOY_JOBS = ['dev', 'staging', 'canary', 'production'];
/** The job deploying an environment of the default chain: staging is a leg of the matrix between first and last. */
const jobOf = (environment: string): string => (environment === 'staging' ? 'middle (staging)' : environment);

/** Expected job conclusions of a push run: every test, build, release and deploy job named. */
function jobs(
  tests: { api: string; worker?: string },
  builds: { api: string; worker?: string },
  release: string,
  deploys: readonly string[],
): Record<string, string> {
  return {
    plan: 'success',
    detect: 'success',
    'test (api)': tests.api,
    'test (worker)': tests.worker ?? 'success',
    // A matrix job skipped as a whole is one job under its id, as GitHub shows it.
    ...(builds.api === 'skipped'
      ? { build: 'skipped' }
      : { 'build (api)': builds.api, 'build (worker)': builds.worker ?? 'success' }),
    release,
    ...Object.fromEntries(
      DEPLOY_JOBS.map((environment, index) => {
        const result = deploys[index] ?? 'skipped';
        // A matrix job skipped as a whole is one job under its id.
        return [environment === 'staging' && result === 'skipped' ? 'middle' : jobOf(environment), result];
      }),
    ),
    notify: release === 'success' ? 'success' : 'skipped',
    comment: 'skipped',
    manifests: 'skipped',
  };
}

const PASSED = { api: 'success' };

/** Which environments run the release (the pushed api and worker) and which still run 0.1.0. */
function expectEnvironments(result: RehearsalResult, released: readonly string[]): void {
  const { report } = result;
  for (const environment of DEPLOY_JOBS) {
    const images = report.environments[environment] ?? {};
    expect(images['web']).toBe(`${world.imagePrefix}/web:0.1.0`);
    for (const service of ['api', 'worker']) {
      if (released.includes(environment)) {
        expect({ environment, service, pushed: report.pushed.includes(images[service] ?? '') }).toEqual({
          environment,
          service,
          pushed: true,
        });
      } else {
        expect({ environment, image: images[service] }).toEqual({
          environment,
          image: `${world.imagePrefix}/${service}:0.1.0`,
        });
      }
    }
  }
}

/** GitOps subjects after the seed: one commit per environment deployed, reverts included. */
const gitopsTargets = (result: RehearsalResult): string[] =>
  result.report.gitops.slice(1).map((subject) => {
    const environment = / to ([\w.-]+)"?$/.exec(subject)?.[1] ?? '?';
    return subject.startsWith('Revert') ? `revert ${environment}` : environment;
  });

/** Names and conclusions of a job's steps. */
const stepsOf = (result: RehearsalResult, key: string, run = 0): Array<[string, string]> =>
  (result.runs[run]?.jobs.find((job) => job.key === key)?.steps ?? []).map((step) => [step.name, step.conclusion]);

const notifications = (): string[] => world.github.notificationTexts();

test('happy: tested, built once, scanned, pushed and promoted through every environment', async () => {
  const result = await rehearse(world, scenarioNamed('happy'));
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'success', 'success', 'success']));
  expect(result.report.pushed).toHaveLength(2);
  expect(result.report.pushed.every((image) => image.startsWith(`${world.imagePrefix}/`))).toBe(true);
  expectEnvironments(result, DEPLOY_JOBS);
  expect(result.report.gitops[0]).toBe('Initial GitOps layout');
  expect(gitopsTargets(result)).toEqual(DEPLOY_JOBS);
  expect(result.report.comment).toBeNull();
  expect(notifications()).toEqual([expect.stringMatching(/^acme\/shop: Production updated: /)]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("failing-test: api's test fails, nothing is built or pushed, no environment changes", async () => {
  const result = await rehearse(world, scenarioNamed('failing-test'));
  expect(result.report.jobs).toEqual(jobs({ api: 'failure' }, { api: 'skipped' }, 'skipped', []));
  // The toolchain set-up steps before them are skipped: the sample's services declare none.
  expect(stepsOf(result, 'test (api)').filter(([name]) => name.endsWith(' the tests'))).toEqual([
    ['Run the tests', 'failure'],
    ['Report the tests', 'failure'],
  ]);
  expect(result.report.pushed).toEqual([]);
  expectEnvironments(result, []);
  expect(result.report.gitops).toEqual(['Initial GitOps layout']);
  expect(result.broken).toEqual([]);
}, 900_000);

test('vulnerable-image: the gate stops api before it is pushed; the release stops', async () => {
  const result = await rehearse(world, scenarioNamed('vulnerable-image'));
  expect(result.report.jobs).toEqual(jobs(PASSED, { api: 'failure' }, 'skipped', []));
  expect(stepsOf(result, 'build (api)').find(([, conclusion]) => conclusion === 'failure')?.[0]).toBe(
    './.shiprail/actions/trivy-gate',
  );
  expect(stepsOf(result, 'build (api)')).toContainEqual(['Push the scanned image', 'skipped']);
  // worker passed its gate, so its image may be pushed; api's never is.
  expect(result.report.pushed.filter((image) => image.includes('/acme/api@'))).toEqual([]);
  expectEnvironments(result, []);
  expect(result.report.gitops).toEqual(['Initial GitOps layout']);
  expect(result.broken).toEqual([]);
}, 900_000);

test("rejected-approval: staging's reviewer rejects, dev keeps the release, nothing after it changes", async () => {
  const result = await rehearse(world, scenarioNamed('rejected-approval'));
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'failure']));
  expectEnvironments(result, ['dev']);
  expect(gitopsTargets(result)).toEqual(['dev']);
  expect(notifications()).toEqual([expect.stringContaining('Deploy to staging failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test('bad-canary: the canary is judged bad, reverted in Git, the previous images run again; no production', async () => {
  const result = await rehearse(world, scenarioNamed('bad-canary'));
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'success', 'failure', 'skipped']));
  expectEnvironments(result, ['dev', 'staging']);
  expect(gitopsTargets(result)).toEqual(['dev', 'staging', 'canary', 'revert canary']);
  expect(stepsOf(result, 'canary').slice(-4)).toEqual([
    ['./.shiprail/actions/canary-analyze', 'failure'],
    ['Roll back by reverting the GitOps commit', 'success'],
    ['Wait for the previous images', 'success'],
    ['Decide on promotion', 'skipped'],
  ]);
  expect(notifications()).toEqual([expect.stringContaining('Canary fail: production is not promoted.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("failed-production-smoke: production's commit is reverted, the previous images run again, the job ends red", async () => {
  const result = await rehearse(world, scenarioNamed('failed-production-smoke'));
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'success', 'success', 'failure']));
  expectEnvironments(result, ['dev', 'staging', 'canary']);
  expect(gitopsTargets(result)).toEqual([...DEPLOY_JOBS, 'revert production']);
  expect(stepsOf(result, 'production').slice(-3)).toEqual([
    ['./.shiprail/actions/smoke-test', 'failure'],
    ['Roll back by reverting the GitOps commit', 'success'],
    ['Wait for the previous images', 'success'],
  ]);
  expect(notifications()).toEqual([expect.stringContaining('Deploy to production failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("superseded-run: the first run's waiting deploy is superseded; the second deploys both pushes' changes", async () => {
  const result = await rehearse(world, scenarioNamed('superseded-run'));
  expect(result.runs).toHaveLength(2);
  expect(result.runs[0]?.jobs.find((job) => job.key === 'dev')?.result).toBe('cancelled');
  // The second push changed only web; what production runs (the first commit) brings api and worker along.
  expect(result.report.jobs).toMatchObject({
    'build (api)': 'success',
    'build (web)': 'success',
    'build (worker)': 'success',
    production: 'success',
  });
  const running = result.report.environments;
  for (const environment of DEPLOY_JOBS) {
    for (const service of ['api', 'web', 'worker']) {
      expect(result.report.pushed).toContain(running[environment]?.[service]);
    }
  }
  expect(gitopsTargets(result)).toEqual(DEPLOY_JOBS);
  expect(result.broken).toEqual([]);
}, 900_000);

test('two-environments: dev, then production after its approval; no canary judged, the summary says so', async () => {
  const result = await rehearse(world, scenarioNamed('two-environments'));
  expect(result.report.jobs).toEqual({
    ...jobs(PASSED, PASSED, 'success', ['success', 'skipped', 'skipped', 'success']),
  });
  expectEnvironments(result, ['dev', 'production']);
  expect(gitopsTargets(result)).toEqual(['dev', 'production']);
  expect(result.report.summaries['plan']).toContain(
    "No canary judged this release: production is promoted after dev's smoke test and approval.",
  );
  expect(stepsOf(result, 'dev')).toContainEqual(['./.shiprail/actions/smoke-test', 'success']);
  expect(notifications()).toEqual([expect.stringMatching(/^acme\/shop: Production updated: /)]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("failed-integration-test: dev's integration test fails, dev is reverted, nothing after it is promoted", async () => {
  const result = await rehearse(world, scenarioNamed('failed-integration-test'));
  expect(result.report.jobs).toMatchObject({
    dev: 'failure',
    middle: 'skipped',
    canary: 'skipped',
    production: 'skipped',
  });
  expect(stepsOf(result, 'dev')).toContainEqual(['Run the integration tests', 'failure']);
  expect(gitopsTargets(result)).toEqual(['dev', 'revert dev']);
  expect(notifications()).toEqual([expect.stringContaining('Deploy to dev failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test('pull-request: tested, built and scanned; nothing pushed or deployed; one comment with a row per service', async () => {
  const result = await rehearse(world, scenarioNamed('pull-request'));
  expect(result.report.jobs).toMatchObject({
    'test (api)': 'success',
    'build (api)': 'success',
    'build (worker)': 'success',
    release: 'skipped',
    dev: 'skipped',
    notify: 'skipped',
    comment: 'success',
  });
  expect(stepsOf(result, 'build (api)')).toContainEqual(['Push the scanned image', 'skipped']);
  expect(result.report.pushed).toEqual([]);
  expectEnvironments(result, []);
  expect(world.github.comments.get(7)).toHaveLength(1);
  const comment = result.report.comment ?? '';
  expect(comment).toMatch(/^<!-- shiprail:pipeline -->\n### Pipeline for [0-9a-f]{7}\n/);
  expect(comment).toMatch(/^\| api \| ✅ 1 passed \| 100 % \| `sha256:[0-9a-f]{12}…` \| ✅ none blocking \|$/m);
  expect(comment).toMatch(/^\| worker \| ✅ 1 passed \| 100 % \| `sha256:[0-9a-f]{12}…` \| ✅ none blocking \|$/m);
  expect(notifications()).toEqual([]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("argocd-refuses: dev waits on Argo CD's sync; staging's refusal ends the job with Argo CD's message and reverts it", async () => {
  const result = await rehearse(world, scenarioNamed('argocd-refuses'));
  expect(result.report.jobs).toMatchObject({ dev: 'success', 'middle (staging)': 'failure', canary: 'skipped' });
  expectEnvironments(result, ['dev']);
  expect(gitopsTargets(result)).toEqual(['dev', 'staging', 'revert staging']);
  const summaryOf = (job: string): string => result.runs[0]?.jobs.find((entry) => entry.key === job)?.summary ?? '';
  const staging = summaryOf('middle (staging)');
  expect(staging).toMatch(/## GitOps controller: ❌ failed/);
  expect(staging).toMatch(
    /argocd\/application\/shop-staging \| [0-9a-f]{12} \| failed \| SyncFailed \| sync of [0-9a-f]{12} \(ours\) Failed: one or more objects failed to apply, reason: admission webhook "verify-images.policy.example.com" denied the request: image signature not found/,
  );
  expect(summaryOf('dev')).toMatch(/argocd\/application\/shop-dev \| [0-9a-f]{12} \| applied \| Healthy/);
  const application = world.environments.staging.server.get('applications', 'argocd', 'shop-staging');
  expect(application?.['status']).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
  expect(result.broken).toEqual([]);
}, 900_000);

test("invalid-manifest: the schema gate refuses dev's bump of an overlay Kubernetes would refuse; nothing committed or changed", async () => {
  const result = await rehearse(world, scenarioNamed('invalid-manifest'));
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['failure']));
  const bump = result.runs[0]?.jobs
    .find((job) => job.key === 'dev')
    ?.steps.find((step) => step.conclusion === 'failure');
  expect(bump?.name).toBe('./.shiprail/actions/kustomize-bump');
  expect(bump?.errors.join('\n')).toContain(
    'overlays/dev renders an object that Kubernetes 1.36 would refuse: shop-dev/Deployment/api (apps/v1): spec.replicas must be integer',
  );
  expect(result.report.gitops.slice(1)).toEqual(['dev: two api replicas']);
  expectEnvironments(result, []);
  expect(result.broken).toEqual([]);
}, 900_000);

test("five-environments: promoted in order through qa and staging; preprod's failed smoke test reverts it and stops the release", async () => {
  const result = await rehearse(world, scenarioNamed('five-environments'));
  expect(result.report.jobs).toMatchObject({
    dev: 'success',
    'middle (qa)': 'success',
    'middle (staging)': 'success',
    'middle (preprod)': 'failure',
    canary: 'skipped',
    production: 'skipped',
    notify: 'success',
  });
  const legs = result.runs[0]?.jobs.filter((job) => job.jobId === 'middle') ?? [];
  expect(legs.map((job) => job.name)).toEqual(['Deploy to qa', 'Deploy to staging', 'Deploy to preprod']);
  expect(gitopsTargets(result)).toEqual(['dev', 'qa', 'staging', 'preprod', 'revert preprod']);
  expect(stepsOf(result, 'middle (preprod)').slice(-3)).toEqual([
    ['./.shiprail/actions/smoke-test', 'failure'],
    ['Roll back by reverting the GitOps commit', 'success'],
    ['Wait for the previous images', 'success'],
  ]);
  expect(notifications()).toEqual([expect.stringContaining('Deploy to one of qa, staging, preprod failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test('custom-canary: the canary in prod-canary, applied by Argo CD, is judged before production is promoted', async () => {
  const result = await rehearse(world, scenarioNamed('custom-canary'));
  expect(result.report.jobs).toMatchObject({
    dev: 'success',
    middle: 'skipped',
    canary: 'success',
    production: 'success',
  });
  expect(result.runs[0]?.jobs.find((job) => job.key === 'canary')?.name).toBe('Canary in production');
  expect(gitopsTargets(result)).toEqual(['dev', 'prod-canary', 'production']);
  expect(result.report.summaries['canary']).toMatch(/argocd\/application\/shop-prod-canary \| [0-9a-f]{12} \| applied/);
  expect(result.report.environments['canary']?.['api']).toBe(`${world.imagePrefix}/api:0.1.0`);
  expect(notifications()).toEqual([expect.stringMatching(/^acme\/shop: Production updated: /)]);
  expect(result.broken).toEqual([]);
}, 900_000);
