// rollout-wait waiting on Argo CD and Flux over the wire: the test API server serves their objects as
// the CRDs define them, the tests write status as the controllers do, and the step is judged on what
// it ends with and when (a controller's failure within seconds of being written, not at the timeout).
import { ConfigurationError } from '@shiprail/core';
import { runRolloutWait, type ControllerOutput } from '@shiprail/rollout-wait';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRuntime, kubectl, type RecordingRuntime } from '@shiprail/testkit';
import {
  deploymentRollout,
  playScenario,
  seedDeployment,
  startKubeApiServer,
  type KubeApiServer,
  type KubeObject,
} from '@shiprail/rehearsal/kube';
import {
  application,
  applicationStatus,
  fluxRevision,
  fluxStatus,
  gitRepository,
  kustomization,
  type ApplicationSourceSpec,
  type ApplicationState,
  type FluxState,
} from '@shiprail/rehearsal/kube';

const REPO = 'https://git.example.com/acme/gitops.git';
const OURS = '1'.repeat(40);
const OLDER = '2'.repeat(40);

let server: KubeApiServer;
beforeEach(async () => {
  server = await startKubeApiServer({ bookmarkIntervalMs: 500 });
});
afterEach(async () => {
  await server.stop();
});

const controllersOf = (runtime: RecordingRuntime): ControllerOutput[] =>
  JSON.parse(runtime.outputs['controllers'] ?? '[]') as ControllerOutput[];

interface Run {
  runtime: RecordingRuntime;
  done: Promise<{ error: Error | undefined; endedAt: number }>;
}

function start(inputs: Record<string, string>): Run {
  const runtime = createTestRuntime({
    inputs: { kubeconfig: server.kubeconfig, timeout: '20s', 'gitops-repository': REPO, ...inputs },
  });
  const done = runRolloutWait(runtime).then(
    () => ({ error: undefined, endedAt: Date.now() }),
    (error: unknown) => ({ error: error as Error, endedAt: Date.now() }),
  );
  return { runtime, done };
}

const argoInputs = (commit = OURS): Record<string, string> => ({
  controller: 'argocd',
  'gitops-commit': commit,
  'gitops-paths': 'overlays/prod',
});

function seedApplication(
  state: ApplicationState,
  sources: ApplicationSourceSpec[] = [{ repoURL: REPO, path: 'overlays/prod' }],
): void {
  server.apply({ ...application({ name: 'shop-prod', sources }), status: applicationStatus(state) });
}

/** Argo CD writes status with the object (no status subresource). */
function argoWrites(state: ApplicationState): KubeObject {
  return server.update('applications', 'argocd', 'shop-prod', (object) => {
    object['status'] = applicationStatus(state);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function untilAnnotated(type: string, namespace: string, name: string, key: string): Promise<string> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const annotations = server.get(type, namespace, name)?.metadata['annotations'] as
      Record<string, string> | undefined;
    const value = annotations?.[key];
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`${type} ${namespace}/${name} was never annotated with ${key}`);
}

const SYNCED_OLDER: ApplicationState = {
  revisions: [OLDER],
  syncStatus: 'Synced',
  health: 'Healthy',
  operation: { revisions: [OLDER], phase: 'Succeeded' },
};

describe('rollout-wait on Argo CD', () => {
  test('asks for a refresh, waits through the older Synced state, then our sync and health, then the workloads', async () => {
    seedApplication(SYNCED_OLDER);
    seedDeployment(server, 'api', 'ghcr.io/acme/api:1.0');
    const run = start({ ...argoInputs(), resources: 'deployment/api', images: 'ghcr.io/acme/api:2.0' });
    expect(await untilAnnotated('applications', 'argocd', 'shop-prod', 'argocd.argoproj.io/refresh')).toBe('normal');
    await sleep(600);
    argoWrites({
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Running' },
    });
    await sleep(300);
    argoWrites({
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Progressing',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    });
    await playScenario(
      server,
      deploymentRollout({ name: 'api', from: 'ghcr.io/acme/api:1.0', to: 'ghcr.io/acme/api:2.0', stepMs: 100 }),
    );
    argoWrites({
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    });
    const { error } = await run.done;
    expect(error).toBeUndefined();
    expect(run.runtime.outputs['result']).toBe('success');
    expect(controllersOf(run.runtime)).toEqual([
      expect.objectContaining({
        object: 'argocd/application/shop-prod',
        revision: OURS,
        done: true,
        verdict: 'done',
        reason: 'Healthy',
      }),
    ]);
    // The older Synced state was reported as what it is, never as done.
    expect(run.runtime.logs.join('\n')).toMatch(/compared at 222222222222, Synced/);
    expect(run.runtime.summaries.join('\n')).toMatch(/## GitOps controller: ✅ applied/);
  });

  test.each([
    [
      "a sync error, with Argo CD's message and the failed resource",
      {
        revisions: [OURS],
        phase: 'Failed' as const,
        message:
          'one or more objects failed to apply, reason: admission webhook "policy.example.com" denied the request: image must be signed',
        resources: [
          {
            kind: 'Deployment',
            name: 'api',
            status: 'SyncFailed' as const,
            message: 'admission webhook denied the request',
          },
        ],
      },
      /the controller did not apply 111111111111: argocd\/application\/shop-prod \(SyncFailed\): sync of 111111111111 \(ours\) Failed: one or more objects failed to apply, reason: admission webhook "policy.example.com" denied the request: image must be signed; Deployment\/api SyncFailed: admission webhook denied the request/,
    ],
    [
      'a failed hook',
      {
        revisions: [OURS],
        phase: 'Failed' as const,
        message: 'one or more synchronization tasks completed unsuccessfully',
        resources: [
          {
            kind: 'Job',
            name: 'db-migrate',
            hookType: 'PreSync' as const,
            hookPhase: 'Failed' as const,
            message: 'Job has reached the specified backoff limit',
          },
        ],
      },
      /completed unsuccessfully; PreSync hook Job\/db-migrate Failed: Job has reached the specified backoff limit/,
    ],
  ])('%s ends the step within seconds of Argo CD deciding', async (_name, operation, message) => {
    seedApplication(SYNCED_OLDER);
    const run = start({ ...argoInputs(), timeout: '60s' });
    await untilAnnotated('applications', 'argocd', 'shop-prod', 'argocd.argoproj.io/refresh');
    argoWrites({
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Running' },
    });
    await sleep(300);
    argoWrites({ revisions: [OURS], syncStatus: 'OutOfSync', health: 'Healthy', operation });
    const decidedAt = Date.now();
    const { error, endedAt } = await run.done;
    expect(error?.message).toMatch(message);
    expect(endedAt - decidedAt).toBeLessThan(2000);
    expect(run.runtime.outputs['result']).toBe('failed');
    expect(controllersOf(run.runtime)[0]).toMatchObject({
      done: false,
      verdict: 'failed',
      reason: 'SyncFailed',
      revision: OURS,
    });
    expect(run.runtime.summaries.join('\n')).toMatch(/## GitOps controller: ❌ failed/);
  });

  test("Argo CD's message cannot start a workflow command in the log or the error", async () => {
    seedApplication(SYNCED_OLDER);
    const run = start(argoInputs());
    await untilAnnotated('applications', 'argocd', 'shop-prod', 'argocd.argoproj.io/refresh');
    argoWrites({
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Failed', message: 'bad\n::add-mask::leak\n::error::forged' },
    });
    const { error } = await run.done;
    for (const line of [...(error?.message ?? '').split('\n'), ...run.runtime.logs.flatMap((log) => log.split('\n'))])
      expect(line).not.toMatch(/^::/);
  });

  test("without the right to annotate: a warning, and the wait goes on to the controller's own poll", async () => {
    seedApplication(SYNCED_OLDER);
    server.failRequests(1, { status: 403, method: 'PATCH' });
    const run = start(argoInputs());
    await sleep(500);
    argoWrites({
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    });
    expect((await run.done).error).toBeUndefined();
    expect(run.runtime.warnings).toEqual([
      expect.stringMatching(
        /could not ask the controller to look at application argocd\/shop-prod now \(.*injected failure.*\(HTTP 403\)\): waiting for its own interval/,
      ),
    ]);
  });

  test('an Application that applied our commit before the wait began passes at once', async () => {
    seedApplication({
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    });
    const startedAt = Date.now();
    const run = start({ ...argoInputs(), timeout: '10m' });
    const { error, endedAt } = await run.done;
    expect(error).toBeUndefined();
    expect(endedAt - startedAt).toBeLessThan(3000);
    expect(run.runtime.outputs['result']).toBe('success');
  });

  test('a later commit containing ours counts, from the GitOps repository history; one that does not is waited out', async () => {
    const repository = mkdtempSync(join(tmpdir(), 'gitops-history-'));
    try {
      const git = (...args: string[]): string =>
        execFileSync('git', ['-C', repository, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
          encoding: 'utf8',
        }).trim();
      git('init', '--quiet', '-b', 'main');
      writeFileSync(join(repository, 'a'), '1');
      git('add', 'a');
      git('commit', '--quiet', '-m', 'ours');
      const ours = git('rev-parse', 'HEAD');
      writeFileSync(join(repository, 'a'), '2');
      git('commit', '--quiet', '-am', 'later');
      const later = git('rev-parse', 'HEAD');
      git('checkout', '--quiet', '--orphan', 'other');
      git('commit', '--quiet', '-m', 'unrelated');
      const unrelated = git('rev-parse', 'HEAD');

      seedApplication({
        revisions: [later],
        syncStatus: 'Synced',
        health: 'Healthy',
        operation: { revisions: [later], phase: 'Succeeded' },
      });
      const run = start({ ...argoInputs(ours), 'gitops-repository': repository });
      expect((await run.done).error).toBeUndefined();
      expect(controllersOf(run.runtime)[0]).toMatchObject({ done: true, revision: later });
      expect(run.runtime.logs.join('\n')).toMatch(/contains ours/);

      argoWrites({
        revisions: [unrelated],
        syncStatus: 'Synced',
        health: 'Healthy',
        operation: { revisions: [unrelated], phase: 'Succeeded' },
      });
      const waited = start({ ...argoInputs(ours), 'gitops-repository': repository, timeout: '2s' });
      const { error } = await waited.done;
      expect(error?.message).toMatch(
        /timed out after 2(\.0)?s waiting for the controller to apply \w{12}: argocd\/application\/shop-prod \(Timeout\): compared at \w{12}, Synced/,
      );
      expect(waited.runtime.outputs['result']).toBe('timeout');
      expect(controllersOf(waited.runtime)[0]).toMatchObject({ done: false, reason: 'Timeout', revision: unrelated });
    } finally {
      rmSync(repository, { recursive: true, force: true });
    }
  });

  test('a multi-source Application with a Helm source: the git sources are revision-checked', async () => {
    const sources: ApplicationSourceSpec[] = [
      {
        repoURL: 'https://charts.example.com',
        chart: 'redis',
        targetRevision: '18.1.0',
        helm: { valueFiles: ['$values/overlays/prod/redis.yaml'] },
      },
      { repoURL: REPO, ref: 'values' },
      { repoURL: REPO, path: 'overlays/prod' },
    ];
    seedApplication(
      {
        multiSource: true,
        revisions: ['18.1.0', OLDER, OLDER],
        syncStatus: 'Synced',
        health: 'Healthy',
        operation: { revisions: ['18.1.0', OLDER, OLDER], phase: 'Succeeded' },
      },
      sources,
    );
    const run = start(argoInputs());
    await untilAnnotated('applications', 'argocd', 'shop-prod', 'argocd.argoproj.io/refresh');
    await sleep(300);
    argoWrites({
      multiSource: true,
      revisions: ['18.1.0', OURS, OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: ['18.1.0', OURS, OURS], phase: 'Succeeded' },
    });
    const { error } = await run.done;
    expect(error).toBeUndefined();
    expect(controllersOf(run.runtime)[0]).toMatchObject({ done: true, revision: OURS, revisionChecked: true });
  });

  test('no Application renders the paths: a configuration mistake naming the input', async () => {
    seedApplication(SYNCED_OLDER, [{ repoURL: REPO, path: 'overlays/dev' }]);
    const { error } = await start(argoInputs()).done;
    expect(error?.message).toMatch(
      /no Argo CD Application reads overlays\/prod in https:\/\/git.example.com\/acme\/gitops.git/,
    );
  });

  test('real kubectl reads the Application and waits on it with a JSONPath', async () => {
    seedApplication({
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    });
    const yaml = await kubectl(server.kubeconfigPath, ['get', 'applications', '-n', 'argocd', '-o', 'yaml']);
    expect(yaml.exitCode).toBe(0);
    expect(yaml.stdout).toMatch(/kind: Application\n/);
    expect(yaml.stdout).toMatch(new RegExp(`revision: "?${OURS}"?`));
    const table = await kubectl(server.kubeconfigPath, ['get', 'apps', '-A']);
    expect(table.stdout).toMatch(
      /NAMESPACE\s+NAME\s+SYNC STATUS\s+HEALTH STATUS\nargocd\s+shop-prod\s+Synced\s+Healthy/,
    );
    const wait = await kubectl(server.kubeconfigPath, [
      'wait',
      '-n',
      'argocd',
      'application/shop-prod',
      `--for=jsonpath={.status.sync.revision}=${OURS}`,
      '--timeout=5s',
    ]);
    expect(wait.stdout).toMatch(/condition met/);
  });
});

describe('controller inputs are checked before anything is sent', () => {
  test.each([
    [{ 'gitops-commit': '' }, 'gitops-commit', /full SHA of the GitOps commit.*nothing was given/],
    [{ 'gitops-commit': 'abc1234' }, 'gitops-commit', /got 'abc1234'/],
    [{ 'gitops-paths': '' }, 'gitops-paths', /found from gitops-paths or named in gitops-objects/],
    [{ 'gitops-branch': '--upload-pack=x' }, 'gitops-branch', /not a branch name/],
    [{ 'gitops-objects': 'ks/apps' }, 'gitops-objects', /a kustomization is not an object of the controller 'argocd'/],
    [{ controller: 'spinnaker' }, 'controller', /expected one of none, argocd, flux/],
    [{ controller: 'none' }, 'resources', /is required/],
  ])('%j', async (inputs, input, message) => {
    const { error } = await start({ ...argoInputs(), ...inputs }).done;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).location.input).toBe(input);
    expect(error?.message).toMatch(message);
    expect(server.requests).toEqual([]);
  });
});

function seedFlux(generation: number, state: FluxState): void {
  server.apply(gitRepository('gitops', REPO));
  server.apply(kustomization('apps', './overlays/prod', 'gitops'));
  for (let current = 1; current < generation; current += 1) {
    server.update('kustomizations', 'flux-system', 'apps', (object) => {
      (object['spec'] as Record<string, unknown>)['interval'] = `${current + 10}m`;
    });
  }
  fluxWrites(state);
}

/** kustomize-controller writes status through the status subresource. */
function fluxWrites(state: FluxState): void {
  const current = server.get('kustomizations', 'flux-system', 'apps');
  if (current === undefined) throw new Error('no Kustomization');
  server.apply({ ...current, status: fluxStatus(state) });
}

const fluxInputs = {
  controller: 'flux',
  'gitops-commit': OURS,
  'gitops-paths': 'overlays/prod',
  'gitops-repository': 'acme/gitops',
};

describe('rollout-wait on Flux', () => {
  test('asks the Kustomization and its GitRepository to reconcile, then waits for our revision Ready', async () => {
    seedFlux(1, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: `Applied revision: ${fluxRevision(OLDER)}`,
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OLDER),
    });
    const run = start(fluxInputs);
    const requested = await untilAnnotated('kustomizations', 'flux-system', 'apps', 'reconcile.fluxcd.io/requestedAt');
    expect(await untilAnnotated('gitrepositories', 'flux-system', 'gitops', 'reconcile.fluxcd.io/requestedAt')).toBe(
      requested,
    );
    await sleep(300);
    fluxWrites({
      ready: 'Unknown',
      reason: 'Progressing',
      message: 'Reconciliation in progress',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    await sleep(300);
    fluxWrites({
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: `Applied revision: ${fluxRevision(OURS)}`,
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OURS),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    const { error } = await run.done;
    expect(error).toBeUndefined();
    expect(controllersOf(run.runtime)[0]).toMatchObject({
      object: 'flux-system/kustomization/apps',
      done: true,
      revision: OURS,
    });
  });

  test('stuck on an old revision after a failed apply: fails with the condition message and reason', async () => {
    seedFlux(1, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OLDER),
    });
    const run = start({ ...fluxInputs, timeout: '60s' });
    await untilAnnotated('kustomizations', 'flux-system', 'apps', 'reconcile.fluxcd.io/requestedAt');
    fluxWrites({
      ready: 'False',
      reason: 'ReconciliationFailed',
      message: 'Deployment/shop/api dry-run failed (Invalid): spec.replicas: Invalid value: -1',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    const decidedAt = Date.now();
    const { error, endedAt } = await run.done;
    expect(endedAt - decidedAt).toBeLessThan(2000);
    expect(error?.message).toMatch(
      /flux-system\/kustomization\/apps \(ReconciliationFailed\): 111111111111 \(ours\) not applied: Ready=False ReconciliationFailed: Deployment\/shop\/api dry-run failed \(Invalid\): spec.replicas: Invalid value: -1; still at 222222222222/,
    );
    expect(controllersOf(run.runtime)[0]).toMatchObject({
      verdict: 'failed',
      reason: 'ReconciliationFailed',
      revision: OLDER,
    });
  });

  test('a stale Ready from an older generation neither passes nor fails the wait', async () => {
    // Generation 2 was just written (a spec change); Ready is still the one observed at generation 1.
    seedFlux(2, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OURS),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    const run = start(fluxInputs);
    await untilAnnotated('kustomizations', 'flux-system', 'apps', 'reconcile.fluxcd.io/requestedAt');
    await sleep(800);
    const early = await Promise.race([run.done.then(() => 'ended'), sleep(0).then(() => 'waiting')]);
    expect(early).toBe('waiting');
    expect(run.runtime.logs.join('\n')).toMatch(/Ready=True is from generation 1; the object is at generation 2/);
    fluxWrites({
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 2,
      lastAppliedRevision: fluxRevision(OURS),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    expect((await run.done).error).toBeUndefined();
  });

  test('named objects are taken as given, and real kubectl reads the Kustomization', async () => {
    seedFlux(1, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OURS),
      lastAttemptedRevision: fluxRevision(OURS),
    });
    const run = start({ ...fluxInputs, 'gitops-paths': '', 'gitops-objects': 'ks/apps' });
    expect((await run.done).error).toBeUndefined();
    const table = await kubectl(server.kubeconfigPath, ['get', 'ks', '-n', 'flux-system']);
    expect(table.stdout).toMatch(/NAME\s+AGE\s+READY\s+STATUS\napps\s+\S+\s+True\s+Applied/);
  });
});
