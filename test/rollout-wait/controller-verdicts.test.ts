// The controllers' verdicts on a GitOps commit, from tables: Argo CD Applications (single and
// multi-source, failed syncs and hooks, comparison errors after our refresh, health), Flux
// Kustomizations (stale Ready, stuck on an old revision after a failed apply) and HelmReleases (chart
// versions with and without the commit), and which objects render the touched paths.
import {
  applicationPaths,
  applicationVerdict,
  decideControllers,
  fluxRevisionSha,
  helmReleaseVerdict,
  kustomizationVerdict,
  parseControllerObjects,
  repositoryKey,
  sameRepository,
  selectTargets,
  type ControllerVerdict,
  type Relation,
} from '@shiprail/rollout-wait';
import {
  application,
  applicationStatus,
  fluxRevision,
  fluxStatus,
  gitRepository,
  helmRelease,
  kustomization,
  type ApplicationState,
  type FluxState,
} from '@shiprail/rehearsal/kube';

const OURS = 'a'.repeat(40);
const OLDER = 'b'.repeat(40);
const NEWER = 'c'.repeat(40);
const UNRELATED = 'd'.repeat(40);
const REPO = 'https://git.example.com/acme/gitops.git';

/** OLDER is before ours, NEWER contains ours, UNRELATED is neither. */
const relation = (sha: string): Relation =>
  OURS.startsWith(sha)
    ? 'ours'
    : NEWER.startsWith(sha)
      ? 'contains-ours'
      : sha === 'e'.repeat(40)
        ? 'unknown'
        : 'other';

type Expected = Pick<ControllerVerdict, 'phase' | 'reason'> & { message?: RegExp; revisionChecked?: boolean };

const single = application({ name: 'shop-prod', sources: [{ repoURL: REPO, path: 'overlays/prod' }] });
const multi = application({
  name: 'shop-prod',
  sources: [
    { repoURL: 'https://charts.example.com', chart: 'redis', targetRevision: '18.1.0' },
    { repoURL: REPO, path: 'overlays/prod' },
    { repoURL: REPO, ref: 'values' },
  ],
});
const helmOnly = application({
  name: 'redis',
  sources: [{ repoURL: 'https://charts.example.com', chart: 'redis', targetRevision: '18.1.0' }],
});

const HOOK_FAILED = {
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
};

const argoRows: Array<[string, object, ApplicationState, Expected]> = [
  [
    'synced to our commit by a finished operation, and healthy',
    single,
    {
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    },
    { phase: 'done', reason: 'Healthy', message: /synced to aaaaaaaaaaaa \(ours\), Healthy/ },
  ],
  [
    'synced to an older commit (Argo CD has not seen ours): waiting, never the old Synced',
    single,
    {
      revisions: [OLDER],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [OLDER], phase: 'Succeeded' },
    },
    { phase: 'progressing', reason: 'WaitingForRevision', message: /compared at bbbbbbbbbbbb, Synced/ },
  ],
  [
    'a failed operation of an older commit is not our failure',
    single,
    {
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { ...HOOK_FAILED, revisions: [OLDER] },
    },
    { phase: 'progressing', reason: 'OutOfSync' },
  ],
  [
    'our sync running',
    single,
    {
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { revisions: [OURS], phase: 'Running', message: 'waiting for healthy state of apps/Deployment/api' },
    },
    { phase: 'progressing', reason: 'Syncing', message: /Running: waiting for healthy state/ },
  ],
  [
    "a sync error with Argo CD's message and the failed resource",
    single,
    {
      revisions: [OURS],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: {
        revisions: [OURS],
        phase: 'Failed',
        message:
          'one or more objects failed to apply, reason: Deployment.apps "api" is invalid: spec.template.spec.containers[0].image: Required value',
        resources: [
          { kind: 'Deployment', name: 'api', status: 'SyncFailed', message: 'Deployment.apps "api" is invalid' },
        ],
      },
    },
    {
      phase: 'failed',
      reason: 'SyncFailed',
      message:
        /Failed: one or more objects failed to apply, reason: Deployment.apps "api" is invalid.*; Deployment\/api SyncFailed/,
    },
  ],
  [
    'a failed PreSync hook',
    single,
    { revisions: [OURS], syncStatus: 'OutOfSync', health: 'Healthy', operation: HOOK_FAILED },
    {
      phase: 'failed',
      reason: 'SyncFailed',
      message:
        /completed unsuccessfully; PreSync hook Job\/db-migrate Failed: Job has reached the specified backoff limit/,
    },
  ],
  [
    'an operation Error',
    single,
    {
      revisions: [OURS],
      syncStatus: 'Unknown',
      health: 'Unknown',
      operation: { revisions: [OURS], phase: 'Error', message: 'rpc error: manifest generation failed' },
    },
    { phase: 'failed', reason: 'SyncError', message: /manifest generation failed/ },
  ],
  [
    'synced to ours, Degraded: the controller says why',
    single,
    {
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Degraded',
      healthMessage: 'Deployment "api" exceeded its progress deadline',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    },
    { phase: 'failed', reason: 'Degraded', message: /exceeded its progress deadline/ },
  ],
  [
    'synced to ours, still Progressing',
    single,
    {
      revisions: [OURS],
      syncStatus: 'Synced',
      health: 'Progressing',
      operation: { revisions: [OURS], phase: 'Succeeded' },
    },
    { phase: 'progressing', reason: 'Progressing' },
  ],
  [
    'a commit newer than ours, containing it',
    single,
    {
      revisions: [NEWER],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [NEWER], phase: 'Succeeded' },
    },
    { phase: 'done', reason: 'Healthy' },
  ],
  [
    'a commit that does not contain ours',
    single,
    {
      revisions: [UNRELATED],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: [UNRELATED], phase: 'Succeeded' },
    },
    { phase: 'progressing', reason: 'WaitingForRevision' },
  ],
  [
    'a revision whose history is still being read',
    single,
    {
      revisions: ['e'.repeat(40)],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: ['e'.repeat(40)], phase: 'Succeeded' },
    },
    { phase: 'progressing', reason: 'WaitingForRevision' },
  ],
  [
    'in sync at ours with no operation (nothing it renders changed)',
    single,
    { revisions: [OURS], syncStatus: 'Synced', health: 'Healthy' },
    { phase: 'done', reason: 'Healthy' },
  ],
  [
    'a comparison error written after our refresh',
    single,
    {
      revisions: [OLDER],
      syncStatus: 'Unknown',
      health: 'Healthy',
      conditions: [{ type: 'ComparisonError', message: 'kustomize build failed: missing resource deployment.yaml' }],
    },
    { phase: 'failed', reason: 'ComparisonError', message: /kustomize build failed/ },
  ],
  [
    'multi-source with a Helm source: only the git sources are revision-checked',
    multi,
    {
      multiSource: true,
      revisions: ['18.1.0', OURS, OURS],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: ['18.1.0', OURS, OURS], phase: 'Succeeded' },
    },
    { phase: 'done', reason: 'Healthy', revisionChecked: true },
  ],
  [
    'multi-source, one git source still older',
    multi,
    {
      multiSource: true,
      revisions: ['18.1.0', OURS, OLDER],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: ['18.1.0', OURS, OLDER], phase: 'Succeeded' },
    },
    { phase: 'progressing', reason: 'WaitingForRevision' },
  ],
  [
    'Helm repository only: not revision-checked, health alone',
    helmOnly,
    {
      revisions: ['18.1.0'],
      syncStatus: 'Synced',
      health: 'Healthy',
      operation: { revisions: ['18.1.0'], phase: 'Succeeded' },
    },
    { phase: 'done', reason: 'Healthy', revisionChecked: false, message: /not revision-checked/ },
  ],
];

describe('Argo CD Application verdicts', () => {
  test.each(argoRows)('%s', (_name, app, state, expected) => {
    const object = { ...app, status: applicationStatus(state) };
    const verdict = applicationVerdict(object, { relation, repository: REPO, requestedAtMs: Date.now() - 5000 });
    expect(verdict).toMatchObject({ phase: expected.phase, reason: expected.reason });
    if (expected.message) expect(verdict.message).toMatch(expected.message);
    if (expected.revisionChecked !== undefined) expect(verdict.revisionChecked).toBe(expected.revisionChecked);
  });

  test('a comparison error from before the refresh is not the verdict on our commit', () => {
    const status = applicationStatus({
      revisions: [OLDER],
      syncStatus: 'Unknown',
      health: 'Healthy',
      conditions: [{ type: 'ComparisonError', message: 'old' }],
    });
    const verdict = applicationVerdict(
      { ...single, status },
      { relation, repository: REPO, requestedAtMs: Date.now() + 10_000 },
    );
    expect(verdict.phase).toBe('progressing');
  });
});

const ks = (generation: number, state: FluxState): object => ({
  ...kustomization('apps', './overlays/prod', 'gitops'),
  metadata: { name: 'apps', namespace: 'flux-system', generation },
  status: fluxStatus(state),
});

const fluxRows: Array<[string, object, Expected]> = [
  [
    'applied our commit, Ready at the current generation',
    ks(2, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: `Applied revision: ${fluxRevision(OURS)}`,
      observedGeneration: 2,
      lastAppliedRevision: fluxRevision(OURS),
      lastAttemptedRevision: fluxRevision(OURS),
    }),
    { phase: 'done', reason: 'ReconciliationSucceeded', message: /applied aaaaaaaaaaaa \(ours\)/ },
  ],
  [
    'a stale Ready=True from an older generation is not a pass',
    ks(3, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 2,
      lastAppliedRevision: fluxRevision(OURS),
    }),
    { phase: 'progressing', reason: 'StaleCondition', message: /from generation 2; the object is at generation 3/ },
  ],
  [
    'a stale Ready=False from an older generation is not a failure',
    ks(3, {
      ready: 'False',
      reason: 'ReconciliationFailed',
      message: 'old failure',
      observedGeneration: 2,
      lastAttemptedRevision: fluxRevision(OURS),
    }),
    { phase: 'progressing', reason: 'StaleCondition' },
  ],
  [
    'stuck on an old revision after a failed apply of ours',
    ks(1, {
      ready: 'False',
      reason: 'ReconciliationFailed',
      message: 'Deployment/shop/api dry-run failed: spec.template.spec.containers[0].image: Required value',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OURS),
    }),
    {
      phase: 'failed',
      reason: 'ReconciliationFailed',
      message:
        /aaaaaaaaaaaa \(ours\) not applied: Ready=False ReconciliationFailed: Deployment\/shop\/api dry-run failed.*; still at bbbbbbbbbbbb/,
    },
  ],
  [
    'a health check failure of ours',
    ks(1, {
      ready: 'False',
      reason: 'HealthCheckFailed',
      message: 'timeout waiting for: [Deployment/shop/api status: InProgress]',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OURS),
    }),
    { phase: 'failed', reason: 'HealthCheckFailed' },
  ],
  [
    'a failure of an older revision while ours is not fetched yet',
    ks(1, {
      ready: 'False',
      reason: 'ReconciliationFailed',
      message: 'old',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(UNRELATED),
      lastAttemptedRevision: fluxRevision(OLDER),
    }),
    { phase: 'progressing', reason: 'ReconciliationFailed' },
  ],
  [
    'reconciling ours',
    ks(1, {
      ready: 'Unknown',
      reason: 'Progressing',
      message: 'Reconciliation in progress',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(OLDER),
      lastAttemptedRevision: fluxRevision(OURS),
    }),
    { phase: 'progressing', reason: 'Progressing' },
  ],
  [
    'a newer commit containing ours applied',
    ks(1, {
      ready: 'True',
      reason: 'ReconciliationSucceeded',
      message: 'Applied',
      observedGeneration: 1,
      lastAppliedRevision: fluxRevision(NEWER),
      lastAttemptedRevision: fluxRevision(NEWER),
    }),
    { phase: 'done', reason: 'ReconciliationSucceeded', message: /contains ours/ },
  ],
  [
    'suspended',
    {
      ...(ks(1, {
        ready: 'True',
        reason: 'ReconciliationSucceeded',
        message: 'Applied',
        observedGeneration: 1,
        lastAppliedRevision: fluxRevision(OLDER),
      }) as { spec: object }),
      spec: { suspend: true },
    },
    { phase: 'failed', reason: 'Suspended' },
  ],
];

describe('Flux Kustomization verdicts', () => {
  test.each(fluxRows)('%s', (_name, object, expected) => {
    const verdict = kustomizationVerdict(object, relation);
    expect(verdict).toMatchObject({ phase: expected.phase, reason: expected.reason });
    if (expected.message) expect(verdict.message).toMatch(expected.message);
  });
});

const hr = (strategy: 'Revision' | undefined, kind: 'GitRepository' | 'HelmRepository', state: FluxState): object => ({
  ...helmRelease({ name: 'api', chart: './charts/api', source: { kind, name: 'gitops' }, reconcileStrategy: strategy }),
  metadata: { name: 'api', namespace: 'flux-system', generation: 1 },
  status: fluxStatus(state),
});

const helmRows: Array<[string, object, Expected]> = [
  [
    'a chart from git at our commit, released',
    hr('Revision', 'GitRepository', {
      ready: 'True',
      reason: 'UpgradeSucceeded',
      message: 'Helm upgrade succeeded',
      observedGeneration: 1,
      chartVersions: [`0.1.0+${OURS.slice(0, 12)}`],
    }),
    { phase: 'done', reason: 'UpgradeSucceeded', revisionChecked: true },
  ],
  [
    'a chart from git at an older commit',
    hr('Revision', 'GitRepository', {
      ready: 'True',
      reason: 'UpgradeSucceeded',
      message: 'Helm upgrade succeeded',
      observedGeneration: 1,
      chartVersions: [`0.1.0+${OLDER.slice(0, 12)}`],
    }),
    { phase: 'progressing', reason: 'UpgradeSucceeded' },
  ],
  [
    'an upgrade that failed, in helm-controller words',
    hr('Revision', 'GitRepository', {
      ready: 'False',
      reason: 'UpgradeFailed',
      message: 'Helm upgrade failed: timed out waiting for the condition',
      observedGeneration: 1,
      chartVersions: [`0.1.0+${OURS.slice(0, 12)}`],
    }),
    { phase: 'failed', reason: 'UpgradeFailed', message: /timed out waiting for the condition/ },
  ],
  [
    'a chart from git at a later commit containing ours',
    hr('Revision', 'GitRepository', {
      ready: 'True',
      reason: 'UpgradeSucceeded',
      message: 'Helm upgrade succeeded',
      observedGeneration: 1,
      chartVersions: [`0.1.0+${NEWER.slice(0, 12)}`],
    }),
    { phase: 'done', reason: 'UpgradeSucceeded', revisionChecked: true },
  ],
  [
    'a chart from a Helm repository: not revision-checked',
    hr(undefined, 'HelmRepository', {
      ready: 'True',
      reason: 'InstallSucceeded',
      message: 'Helm install succeeded',
      observedGeneration: 1,
      chartVersions: ['18.1.0'],
    }),
    { phase: 'done', reason: 'InstallSucceeded', revisionChecked: false, message: /not revision-checked/ },
  ],
];

describe('Flux HelmRelease verdicts', () => {
  test.each(helmRows)('%s', (_name, object, expected) => {
    const verdict = helmReleaseVerdict(object, relation);
    expect(verdict).toMatchObject({ phase: expected.phase, reason: expected.reason });
    if (expected.message) expect(verdict.message).toMatch(expected.message);
    if (expected.revisionChecked !== undefined) expect(verdict.revisionChecked).toBe(expected.revisionChecked);
  });
});

describe('which objects render the touched paths', () => {
  test.each([
    ['https://git.example.com/acme/gitops.git', 'git.example.com/acme/gitops'],
    ['git@git.example.com:acme/gitops.git', 'git.example.com/acme/gitops'],
    ['ssh://git@git.example.com:2222/acme/gitops', 'git.example.com/acme/gitops'],
    ['HTTPS://Git.Example.com/Acme/GitOps/', 'git.example.com/acme/gitops'],
    ['acme/gitops', 'acme/gitops'],
  ])('repository %s reads as %s', (url, key) => {
    expect(repositoryKey(url)).toBe(key);
    expect(sameRepository(url, 'acme/gitops')).toBe(true);
    expect(sameRepository(url, 'acme/other')).toBe(false);
  });

  test('Applications: git paths at or above a touched overlay, and $ref value files', () => {
    const withValues = application({
      name: 'api',
      sources: [
        {
          repoURL: 'https://charts.example.com',
          chart: 'api',
          helm: { valueFiles: ['$values/env/prod/api-values.yaml'] },
        },
        { repoURL: REPO, ref: 'values' },
      ],
    });
    expect(applicationPaths(withValues, REPO)).toEqual({ directories: [], files: ['env/prod/api-values.yaml'] });
    const apps = [
      { ...single, metadata: { name: 'shop-prod', namespace: 'argocd' } },
      { ...application({ name: 'shop-dev', sources: [{ repoURL: REPO, path: 'overlays/dev' }] }) },
      {
        ...application({
          name: 'elsewhere',
          sources: [{ repoURL: 'https://git.example.com/acme/other', path: 'overlays/prod' }],
        }),
      },
      { ...application({ name: 'everything', sources: [{ repoURL: REPO, path: '.' }] }) },
      withValues,
    ];
    const found = { applications: apps, kustomizations: [], helmReleases: [], repositories: [] };
    expect(selectTargets(found, 'argocd', ['overlays/prod'], REPO).map((ref) => ref.name)).toEqual([
      'shop-prod',
      'everything',
    ]);
    expect(selectTargets(found, 'argocd', ['env/prod'], REPO).map((ref) => ref.name)).toEqual(['everything', 'api']);
    expect(selectTargets(found, 'argocd', ['overlays/prod'], undefined).map((ref) => ref.name)).toEqual([
      'shop-prod',
      'elsewhere',
      'everything',
    ]);
  });

  test('Flux: a Kustomization or HelmRelease whose GitRepository is the GitOps repository', () => {
    const found = {
      applications: [],
      repositories: [gitRepository('gitops', REPO), gitRepository('other', 'https://git.example.com/acme/other')],
      kustomizations: [
        kustomization('prod', './overlays/prod', 'gitops'),
        kustomization('dev', './overlays/dev', 'gitops'),
        kustomization('theirs', './overlays/prod', 'other'),
      ],
      helmReleases: [
        helmRelease({ name: 'api', chart: './charts/api', source: { kind: 'GitRepository', name: 'gitops' } }),
      ],
    };
    expect(selectTargets(found, 'flux', ['overlays/prod'], 'acme/gitops')).toEqual([
      { kind: 'kustomization', namespace: 'flux-system', name: 'prod' },
    ]);
    expect(selectTargets(found, 'flux', ['charts/api'], 'acme/gitops').map((ref) => ref.kind)).toEqual(['helmrelease']);
  });

  test.each([
    ['main@sha1:' + OURS, OURS],
    ['sha1:' + OURS, OURS],
    ['refs/heads/main@sha1:' + OURS, OURS],
    ['main/' + OURS, OURS],
    ['0.1.0', undefined],
    [undefined, undefined],
  ])('Flux revision %s names commit %s', (revision, sha) => {
    expect(fluxRevisionSha(revision)).toBe(sha);
  });
});

describe('the end of the controller wait', () => {
  const v = (phase: ControllerVerdict['phase']) => ({
    verdict: { phase, reason: '', message: '', revision: '', revisionChecked: true },
  });
  test.each([
    [[v('done'), v('done')], false, 'success'],
    [[v('done'), v('progressing')], false, undefined],
    [[v('failed'), v('progressing')], false, 'failed'],
    [[v('done'), v('progressing')], true, 'timeout'],
    [[v('failed'), v('progressing')], true, 'failed'],
  ] as const)('%j, deadline passed %s: %s', (targets, deadline, result) => {
    expect(decideControllers(targets, deadline)).toBe(result);
  });
});

describe('gitops-objects', () => {
  test('kinds, short names and the controller namespace', () => {
    expect(parseControllerObjects(['app/shop-prod', 'team/application/api'], 'argocd', '')).toEqual([
      { kind: 'application', namespace: 'argocd', name: 'shop-prod' },
      { kind: 'application', namespace: 'team', name: 'api' },
    ]);
    expect(parseControllerObjects(['ks/apps', 'hr/api'], 'flux', 'gitops')).toEqual([
      { kind: 'kustomization', namespace: 'gitops', name: 'apps' },
      { kind: 'helmrelease', namespace: 'gitops', name: 'api' },
    ]);
  });
  test.each([
    ['ks/apps', 'argocd', /not an object of the controller 'argocd'/],
    ['deployment/api', 'flux', /unknown kind 'deployment'/],
    ['app/Shop', 'argocd', /not a valid object name/],
    ['a/b/c/d', 'argocd', /expected \[namespace\/\]kind\/name/],
  ] as const)('%s with %s is refused', (line, controller, message) => {
    expect(() => parseControllerObjects([line], controller, '')).toThrow(message);
  });
});
