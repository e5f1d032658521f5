// Flux's verdict on one Kustomization or HelmRelease for the GitOps commit: the revision it last applied
// (and attempted), its Ready condition only when observed at the object's current generation (an older
// one is stale), and the controller's own reason when it refuses. Pure: tested from tables.
import type { FluxCondition, FluxStatus, HelmRelease, Kustomization } from './objects.ts';
import {
  describeRevision,
  fluxRevisionSha,
  reached,
  shortSha,
  type ControllerVerdict,
  type RelationOf,
} from './revision.ts';

/** Ready=False reasons that are the controller's decision on the revision it attempted. */
const KUSTOMIZATION_FAILURES = new Set([
  'ReconciliationFailed',
  'BuildFailed',
  'HealthCheckFailed',
  'PruneFailed',
  'ArtifactFailed',
]);

const HELM_FAILURES = new Set([
  'InstallFailed',
  'UpgradeFailed',
  'TestFailed',
  'RollbackSucceeded',
  'RollbackFailed',
  'UninstallFailed',
  'ArtifactFailed',
  'InitFailed',
  'GetLastReleaseFailed',
  'RetriesExceeded',
]);

const conditionOf = (status: FluxStatus | undefined, type: string): FluxCondition | undefined =>
  (status?.conditions ?? []).find((condition) => condition.type === type);

const said = (condition: FluxCondition): string =>
  `Ready=${condition.status ?? 'Unknown'} ${condition.reason ?? ''}${condition.message ? `: ${condition.message}` : ''}`;

/** Ready as observed at the current generation, or why it cannot be read yet. */
function currentReady(object: {
  metadata?: { generation?: number };
  status?: FluxStatus;
}): { ready: FluxCondition } | { stale: string } {
  const generation = object.metadata?.generation ?? 0;
  const ready = conditionOf(object.status, 'Ready');
  if (ready === undefined) return { stale: 'no Ready condition yet' };
  const observed = ready.observedGeneration ?? object.status?.observedGeneration ?? 0;
  if (observed < generation) {
    return {
      stale: `Ready=${ready.status ?? 'Unknown'} is from generation ${observed}; the object is at generation ${generation}`,
    };
  }
  return { ready };
}

const suspended = (revision: string, revisionChecked: boolean): ControllerVerdict => ({
  phase: 'failed',
  reason: 'Suspended',
  message: 'spec.suspend is true: the controller applies nothing until it is resumed',
  revision,
  revisionChecked,
});

export function kustomizationVerdict(kustomization: Kustomization, relation: RelationOf): ControllerVerdict {
  const status = kustomization.status;
  const applied = fluxRevisionSha(status?.lastAppliedRevision) ?? '';
  const attempted = fluxRevisionSha(status?.lastAttemptedRevision) ?? '';
  const appliedRelation = applied === '' ? 'other' : relation(applied);
  const attemptedRelation = attempted === '' ? 'other' : relation(attempted);
  const base = { revision: applied, revisionChecked: true };
  if (kustomization.spec?.suspend === true) return suspended(applied, true);
  const current = currentReady(kustomization);
  if ('stale' in current) return { ...base, phase: 'progressing', reason: 'StaleCondition', message: current.stale };
  const { ready } = current;
  if (reached(appliedRelation) && ready.status === 'True') {
    return {
      ...base,
      phase: 'done',
      reason: ready.reason ?? 'Ready',
      message: `applied ${describeRevision(applied, appliedRelation)}: ${said(ready)}`,
    };
  }
  if (reached(attemptedRelation) && ready.status === 'False' && KUSTOMIZATION_FAILURES.has(ready.reason ?? '')) {
    const still = reached(appliedRelation) ? '' : `; still at ${shortSha(applied) || 'nothing applied'}`;
    return {
      ...base,
      phase: 'failed',
      reason: ready.reason ?? 'ReconciliationFailed',
      message: `${describeRevision(attempted, attemptedRelation)} not applied: ${said(ready)}${still}`,
    };
  }
  const at = `applied ${describeRevision(applied, appliedRelation)}, attempted ${describeRevision(attempted, attemptedRelation)}`;
  return { ...base, phase: 'progressing', reason: ready.reason ?? 'Progressing', message: `${at}: ${said(ready)}` };
}

/**
 * A chart from a GitRepository with `reconcileStrategy: Revision` is versioned `<version>+<sha12>`:
 * the commit is checked. Charts from Helm or OCI repositories have versions only.
 */
function chartCommit(release: HelmRelease): { checked: boolean; prefix: string; version: string } {
  const chart = release.spec?.chart?.spec;
  const version = release.status?.history?.[0]?.chartVersion ?? release.status?.lastAttemptedRevision ?? '';
  const fromGit = chart?.sourceRef?.kind === 'GitRepository' && chart.reconcileStrategy === 'Revision';
  const prefix = /\+([0-9a-f]{12,40})$/.exec(version)?.[1] ?? '';
  return { checked: fromGit, prefix, version };
}

/** A chart version's commit is a 12-character prefix: the relation (and the history) read prefixes too. */
export function helmReleaseVerdict(release: HelmRelease, relation: RelationOf): ControllerVerdict {
  const { checked, prefix, version } = chartCommit(release);
  const versionRelation = !checked ? 'ours' : prefix === '' ? 'other' : relation(prefix);
  const base = { revision: version, revisionChecked: checked };
  const note = checked ? '' : 'not revision-checked (chart from a Helm or OCI repository); ';
  if (release.spec?.suspend === true) return suspended(version, checked);
  const current = currentReady(release);
  if ('stale' in current)
    return { ...base, phase: 'progressing', reason: 'StaleCondition', message: `${note}${current.stale}` };
  const { ready } = current;
  const attemptedCurrent =
    (release.status?.lastAttemptedGeneration ?? release.status?.observedGeneration ?? 0) >=
    (release.metadata?.generation ?? 0);
  if (reached(versionRelation) && ready.status === 'True') {
    return {
      ...base,
      phase: 'done',
      reason: ready.reason ?? 'Ready',
      message: `${note}chart ${version || 'released'}: ${said(ready)}`,
    };
  }
  const stalled = conditionOf(release.status, 'Stalled');
  if (
    attemptedCurrent &&
    ((ready.status === 'False' && HELM_FAILURES.has(ready.reason ?? '')) || stalled?.status === 'True')
  ) {
    const reason = stalled?.status === 'True' ? (stalled.reason ?? 'Stalled') : (ready.reason ?? 'Failed');
    const message =
      stalled?.status === 'True' ? `Stalled ${reason}: ${stalled.message ?? ''}; ${said(ready)}` : said(ready);
    return { ...base, phase: 'failed', reason, message: `${note}chart ${version || 'not released'}: ${message}` };
  }
  return {
    ...base,
    phase: 'progressing',
    reason: ready.reason ?? 'Progressing',
    message: `${note}chart ${version || 'not released'}: ${said(ready)}`,
  };
}
