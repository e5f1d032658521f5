// deploy.yml itself, rehearsed through the runner: the scenarios of other callers and events (two or five
// environments, a custom canary, integration tests, pull requests, Argo CD, the schema gate, services of
// other toolchains and an image built by a command), each judged by what every job concluded, what each
// environment runs at the end, the GitOps history and the comment.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GITHUB_TOKEN, type RehearsalResult } from '@shiprail/rehearsal';
import {
  PASSED,
  expectEnvironments,
  gitopsTargets,
  jobs,
  notifications,
  rehearseNamed,
  shared,
  stepsOf,
  useSharedWorld,
} from './scenario-suite.ts';

useSharedWorld();

test('two-environments: dev, then production after its approval; no canary judged, the summary says so', async () => {
  const result = await rehearseNamed('two-environments');
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
  const result = await rehearseNamed('failed-integration-test');
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
  const result = await rehearseNamed('pull-request');
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
  const result = await rehearseNamed('argocd-refuses');
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
  const result = await rehearseNamed('invalid-manifest');
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
  const result = await rehearseNamed('five-environments');
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
  const result = await rehearseNamed('custom-canary');
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

/** Set-up steps of a job that ran, with their conclusions. */
const setUps = (result: RehearsalResult, job: string): Array<[string, string]> =>
  stepsOf(result, job).filter(([name, conclusion]) => name.startsWith('Set up ') && conclusion !== 'skipped');

test('toolchains: a pull request; Go from go.mod, reported from go test -json; Node from .nvmrc, reported from JUnit', async () => {
  const result = await rehearseNamed('toolchains');
  expect(result.report.jobs).toMatchObject({
    'test (inventory)': 'success',
    'test (cart)': 'success',
    'build (inventory)': 'success',
    'build (cart)': 'success',
    release: 'skipped',
    comment: 'success',
  });
  expect(Object.keys(result.report.jobs).filter((job) => job.startsWith('test ('))).toEqual([
    'test (cart)',
    'test (inventory)',
  ]);
  expect(setUps(result, 'test (inventory)')).toEqual([['Set up Go 1.19', 'success']]);
  expect(setUps(result, 'test (cart)')).toEqual([['Set up Node.js 24', 'success']]);
  const summaries = result.report.summaries;
  expect(summaries['test (inventory)']).toMatch(/^### inventory: ✅ 6 passed of 6 tests\n/);
  expect(summaries['test (inventory)']).toContain(
    '| example.com/shop/inventory | `services/inventory/reports/go-test.json` | 6 | 6 | 0 | 0 | 0 |',
  );
  expect(summaries['test (cart)']).toMatch(/^### cart: ✅ 3 passed of 3 tests\n/);
  expect(result.report.comment).toMatch(/^\| inventory \| ✅ 6 passed \|/m);
  expect(result.report.comment).toMatch(/^\| cart \| ✅ 3 passed \|/m);
  expect(result.report.pushed).toEqual([]);
  expect(result.broken).toEqual([]);
}, 900_000);

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** The pushed image's config, and its one layer unpacked into a new folder. */
async function pulledImage(image: string): Promise<{ config: Record<string, unknown>; root: string }> {
  const [name = '', digest = ''] = image.split('@');
  const repository = name.slice(name.indexOf('/') + 1);
  const get = async (path: string, accept = '*/*'): Promise<Response> => {
    const response = await fetch(`${shared.world.registry.url}/v2/${repository}/${path}`, {
      headers: { authorization: `Basic ${Buffer.from(`octocat:${GITHUB_TOKEN}`).toString('base64')}`, accept },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    return response;
  };
  const manifest = (await (await get(`manifests/${digest}`, 'application/vnd.oci.image.manifest.v1+json')).json()) as {
    config: { digest: string };
    layers: Array<{ digest: string }>;
  };
  expect(manifest.layers).toHaveLength(1);
  const config = (await (await get(`blobs/${manifest.config.digest}`)).json()) as Record<string, unknown>;
  const root = mkdtempSync(join(shared.world.directory, 'image-'));
  const layer = join(root, '..', `${manifest.layers[0]?.digest.slice(7) ?? 'layer'}.tar.gz`);
  writeFileSync(layer, Buffer.from(await (await get(`blobs/${manifest.layers[0]?.digest ?? ''}`)).arrayBuffer()));
  execFileSync('tar', ['-xzf', layer, '-C', root]);
  return { config, root };
}

test('build-command: the layout the Go service writes is scanned, pushed by digest, tagged like any image and promoted; it runs', async () => {
  const result = await rehearseNamed('build-command');
  expect(result.report.jobs).toMatchObject({ 'build (inventory)': 'success', dev: 'success', production: 'success' });
  // Go is set up for the build command; then the layout is scanned before it is pushed.
  expect(
    stepsOf(result, 'build (inventory)')
      .filter(([, conclusion]) => conclusion !== 'skipped')
      .slice(2),
  ).toEqual([
    ['Set up Go 1.19', 'success'],
    ["Build with the service's build command", 'success'],
    ['./.shiprail/actions/trivy-gate', 'success'],
    ['Upload the scan to code scanning', 'success'],
    ['Push the scanned image', 'success'],
    ['Record the build of this service', 'success'],
    ['actions/upload-artifact', 'success'],
  ]);
  expect(stepsOf(result, 'build (inventory)')).toContainEqual(['./.shiprail/actions/build-push', 'skipped']);
  const image = result.report.environments['production']?.['inventory'] ?? '';
  expect(result.report.pushed).toEqual([image]);
  expect(result.report.environments['dev']?.['inventory']).toBe(image);
  const digest = image.split('@')[1];
  expect(result.report.tags[`${shared.world.imagePrefix}/inventory`]).toEqual({
    main: digest,
    [`sha-${result.report.commit.slice(0, 7)}`]: digest,
  });
  // A real image: a static binary, its entrypoint, that serves the service.
  const { config, root } = await pulledImage(image);
  expect(config).toMatchObject({
    os: 'linux',
    config: { Entrypoint: ['/inventory'], User: '65532', ExposedPorts: { '8080/tcp': {} } },
  });
  const port = await freePort();
  const server = spawn(join(root, 'inventory'), [], {
    env: { PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const [line] = (await once(server.stderr, 'data')) as [Buffer];
    expect(line.toString()).toContain(`inventory listening on :${port}`);
    let health: unknown;
    for (let attempt = 0; attempt < 50 && health === undefined; attempt += 1) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => response.json())
        .catch(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 100)));
    }
    expect(health).toEqual({ status: 'ok' });
  } finally {
    server.kill();
  }
  expect(result.broken).toEqual([]);
}, 900_000);
