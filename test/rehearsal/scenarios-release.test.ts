// deploy.yml itself, rehearsed through the runner: the default chain's scenarios (a release promoted, or
// stopped by a scan, a reviewer, a canary, a smoke test, a pod that cannot start or a newer push), each
// judged by what every job concluded, what each environment runs at the end, what was pushed and the GitOps
// history. The one stopped by a test is test/demo.test.ts's.
import {
  DEPLOY_JOBS,
  PASSED,
  expectEnvironments,
  gitopsTargets,
  jobs,
  notifications,
  rehearseNamed,
  shared,
  stepNamed,
  stepsOf,
  useSharedWorld,
} from './scenario-suite.ts';

useSharedWorld();

test('happy: tested, built once, scanned, pushed and promoted through every environment', async () => {
  const result = await rehearseNamed('happy');
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'success', 'success', 'success']));
  expect(result.report.pushed).toHaveLength(2);
  expect(result.report.pushed.every((image) => image.startsWith(`${shared.world.imagePrefix}/`))).toBe(true);
  expectEnvironments(result, DEPLOY_JOBS);
  expect(result.report.gitops[0]).toBe('Initial GitOps layout');
  expect(gitopsTargets(result)).toEqual(DEPLOY_JOBS);
  expect(result.report.comment).toBeNull();
  expect(notifications()).toEqual([expect.stringMatching(/^acme\/shop: Production updated: /)]);
  expect(result.broken).toEqual([]);
}, 900_000);

test('vulnerable-image: the gate stops api before it is pushed; the release stops', async () => {
  const result = await rehearseNamed('vulnerable-image');
  expect(result.report.jobs).toEqual(jobs(PASSED, { api: 'failure' }, 'skipped', []));
  expect(stepsOf(result, 'build (api)').find(([, conclusion]) => conclusion === 'failure')?.[0]).toBe(
    './.shiprail/actions/trivy-gate',
  );
  expect(stepsOf(result, 'build (api)')).toContainEqual(['Push the scanned image', 'skipped']);
  // The scan found the package the commit put in the image, in the image trivy-gate was given.
  expect(result.report.summaries['build (api)']).toMatch(
    /\[CVE-2019-14697\]\(.*\) \| CRITICAL \| musl \| 1\.1\.20-r4 \| 1\.1\.20-r5 \|/,
  );
  expect(result.report.summaries['build (worker)']).toContain('Trivy gate: ✅ passed');
  // The installed Trivy where there is one (the same finding, from its database), else the recorded reports.
  expect(result.report.scan).toMatch(/^(recorded reports|Trivy \d+\.\d+\.\d+\S*)$/);
  // worker passed its gate, so its image may be pushed; api's never is.
  expect(result.report.pushed.filter((image) => image.includes('/acme/api@'))).toEqual([]);
  expectEnvironments(result, []);
  expect(result.report.gitops).toEqual(['Initial GitOps layout']);
  expect(result.broken).toEqual([]);
}, 900_000);

test("rejected-approval: staging's reviewer rejects, dev keeps the release, nothing after it changes", async () => {
  const result = await rehearseNamed('rejected-approval');
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'failure']));
  expectEnvironments(result, ['dev']);
  expect(gitopsTargets(result)).toEqual(['dev']);
  expect(notifications()).toEqual([expect.stringContaining('Deploy to staging failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test('bad-canary: the canary is judged bad, reverted in Git, the previous images run again; no production', async () => {
  const result = await rehearseNamed('bad-canary');
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
  const result = await rehearseNamed('failed-production-smoke');
  expect(result.report.jobs).toEqual(jobs(PASSED, PASSED, 'success', ['success', 'success', 'success', 'failure']));
  expectEnvironments(result, ['dev', 'staging', 'canary']);
  expect(gitopsTargets(result)).toEqual([...DEPLOY_JOBS, 'revert production']);
  expect(stepsOf(result, 'production').slice(-3)).toEqual([
    ['./.shiprail/actions/smoke-test', 'failure'],
    ['Roll back by reverting the GitOps commit', 'success'],
    ['Wait for the previous images', 'success'],
  ]);
  // The EU storefront's configuration meets the release's regional prices: /api/items answers 500 there alone.
  const smoke = stepNamed(result, 'production', './.shiprail/actions/smoke-test');
  expect(smoke?.errors.join('\n')).toContain('items (status: expected 200, received 500)');
  expect(notifications()).toEqual([expect.stringContaining('Deploy to production failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("crashing-image: worker's image cannot start its process; dev's rollout fails saying why, dev is reverted", async () => {
  const result = await rehearseNamed('crashing-image');
  expect(result.report.jobs).toMatchObject({
    'test (worker)': 'success',
    'build (worker)': 'success',
    release: 'success',
    dev: 'failure',
    middle: 'skipped',
    canary: 'skipped',
    production: 'skipped',
  });
  expectEnvironments(result, []);
  expect(gitopsTargets(result)).toEqual(['dev', 'revert dev']);
  const steps = stepsOf(result, 'dev').filter(([, conclusion]) => conclusion !== 'skipped');
  expect(steps.slice(-3)).toEqual([
    ['./.shiprail/actions/rollout-wait', 'failure'],
    ['Roll back by reverting the GitOps commit', 'success'],
    ['Wait for the previous images', 'success'],
  ]);
  const rollout = stepNamed(result, 'dev', './.shiprail/actions/rollout-wait');
  // The start fails at once; a restart may already be backing off when the rollout is judged.
  expect(rollout?.errors.join('\n')).toMatch(/deployment\/worker \((RunContainerError|CrashLoopBackOff)\)/);
  expect(rollout?.errors.join('\n')).toContain('exec: "worker": executable file not found in $PATH');
  expect(notifications()).toEqual([expect.stringContaining('Deploy to dev failed.')]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("superseded-run: the first run's waiting deploy is superseded; the second deploys both pushes' changes", async () => {
  const result = await rehearseNamed('superseded-run');
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
