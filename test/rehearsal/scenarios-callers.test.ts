// deploy.yml itself, rehearsed through the runner: the scenarios of other callers and events (two or five
// environments, a custom canary, integration tests, pull requests, Argo CD, the schema gate), each judged by
// what every job concluded, what each environment runs at the end, the GitOps history and the comment.
import { rehearse, scenarioNamed } from '@shiprail/rehearsal';
import {
  PASSED,
  expectEnvironments,
  gitopsTargets,
  jobs,
  notifications,
  shared,
  stepsOf,
  useSharedWorld,
} from './scenario-suite.ts';

useSharedWorld();

test('two-environments: dev, then production after its approval; no canary judged, the summary says so', async () => {
  const result = await rehearse(shared.world, scenarioNamed('two-environments'));
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
  const result = await rehearse(shared.world, scenarioNamed('failed-integration-test'));
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
  const result = await rehearse(shared.world, scenarioNamed('pull-request'));
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
  expect(shared.world.github.comments.get(7)).toHaveLength(1);
  const comment = result.report.comment ?? '';
  expect(comment).toMatch(/^<!-- shiprail:pipeline -->\n### Pipeline for [0-9a-f]{7}\n/);
  expect(comment).toMatch(/^\| api \| ✅ 1 passed \| 100 % \| `sha256:[0-9a-f]{12}…` \| ✅ none blocking \|$/m);
  expect(comment).toMatch(/^\| worker \| ✅ 1 passed \| 100 % \| `sha256:[0-9a-f]{12}…` \| ✅ none blocking \|$/m);
  expect(notifications()).toEqual([]);
  expect(result.broken).toEqual([]);
}, 900_000);

test("argocd-refuses: dev waits on Argo CD's sync; staging's refusal ends the job with Argo CD's message and reverts it", async () => {
  const result = await rehearse(shared.world, scenarioNamed('argocd-refuses'));
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
  const application = shared.world.environments.staging.server.get('applications', 'argocd', 'shop-staging');
  expect(application?.['status']).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
  expect(result.broken).toEqual([]);
}, 900_000);

test("invalid-manifest: the schema gate refuses dev's bump of an overlay Kubernetes would refuse; nothing committed or changed", async () => {
  const result = await rehearse(shared.world, scenarioNamed('invalid-manifest'));
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
  const result = await rehearse(shared.world, scenarioNamed('five-environments'));
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
  const result = await rehearse(shared.world, scenarioNamed('custom-canary'));
  expect(result.report.jobs).toMatchObject({
    dev: 'success',
    middle: 'skipped',
    canary: 'success',
    production: 'success',
  });
  expect(result.runs[0]?.jobs.find((job) => job.key === 'canary')?.name).toBe('Canary in production');
  expect(gitopsTargets(result)).toEqual(['dev', 'prod-canary', 'production']);
  expect(result.report.summaries['canary']).toMatch(/argocd\/application\/shop-prod-canary \| [0-9a-f]{12} \| applied/);
  expect(result.report.environments['canary']?.['api']).toBe(`${shared.world.imagePrefix}/api:0.1.0`);
  expect(notifications()).toEqual([expect.stringMatching(/^acme\/shop: Production updated: /)]);
  expect(result.broken).toEqual([]);
}, 900_000);
