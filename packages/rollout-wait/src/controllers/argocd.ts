// Argo CD's verdict on one Application for the GitOps commit, from its status alone: which sources are
// ours, whether a finished sync operation applied our commit (or a later one containing it), what the
// controller said when it did not, and then its health. Pure: tested from tables.
import type { Verdict } from '../status.ts';
import type { Application, ApplicationSource, OperationState, SyncResultResource } from './objects.ts';
import { reached, describeRevision, type ControllerVerdict, type RelationOf } from './revision.ts';
import { sameRepository } from './sources.ts';

export interface ArgoContext {
  relation: RelationOf;
  /** The GitOps repository (URL or owner/name); undefined: every git source counts as ours. */
  repository: string | undefined;
  /** When the refresh was asked for (ms): conditions older than it may describe an older commit. */
  requestedAtMs: number;
}

export const applicationSources = (app: Application): ApplicationSource[] =>
  app.spec?.sources ?? (app.spec?.source ? [app.spec.source] : []);

/** Indexes of the sources that are paths in the GitOps repository (not Helm charts from a chart repository). */
export function gitSourceIndexes(app: Application, repository: string | undefined): number[] {
  return applicationSources(app).flatMap((source, index) =>
    source.chart === undefined && (repository === undefined || sameRepository(source.repoURL ?? '', repository))
      ? [index]
      : [],
  );
}

/** Revisions per source: `revisions` for multi-source Applications, else the one `revision`. */
const perSource = (single: string | undefined, many: readonly string[] | undefined): readonly string[] =>
  many ?? (single === undefined ? [] : [single]);

const FINISHED_FAILED = new Set(['Failed', 'Error']);

/** A failed resource or hook, as `argocd app get` lists it. */
function describeResource(resource: SyncResultResource): string {
  const object = `${resource.kind ?? ''}/${resource.name ?? ''}`;
  const hook = resource.hookType ? `${resource.hookType} hook ` : '';
  const state = resource.hookType ? (resource.hookPhase ?? '') : (resource.status ?? '');
  return `${hook}${object} ${state}${resource.message ? `: ${resource.message}` : ''}`;
}

const failedResource = (resource: SyncResultResource): boolean =>
  resource.status === 'SyncFailed' ||
  (resource.hookType !== undefined && FINISHED_FAILED.has(resource.hookPhase ?? ''));

/** operationState.message and every failed resource and hook. */
export function operationFailure(operation: OperationState): string {
  const failures = (operation.syncResult?.resources ?? []).filter(failedResource).map(describeResource);
  return [operation.message ?? `sync ${operation.phase ?? 'failed'}`, ...failures].join('; ');
}

/** The revision at the first of our sources, and whether every one of ours reached our commit. */
function ourRevision(
  revisions: readonly string[],
  indexes: readonly number[],
  relation: RelationOf,
): { revision: string; reached: boolean; text: string } {
  const ours = indexes.map((index) => revisions[index] ?? '');
  const revision = ours[0] ?? '';
  const all = ours.length > 0 && ours.every((sha) => sha !== '' && reached(relation(sha)));
  return { revision, reached: all, text: describeRevision(revision, revision === '' ? 'other' : relation(revision)) };
}

/** Once our commit is applied: Argo CD's health of the Application. */
function health(app: Application, revision: string, revisionText: string | undefined): ControllerVerdict {
  const revisionChecked = revisionText !== undefined;
  const status = app.status?.health?.status ?? 'Unknown';
  const message = app.status?.health?.message;
  const at = revisionText === undefined ? 'synced' : `synced to ${revisionText}`;
  const base = { revision, revisionChecked };
  if (status === 'Healthy' || status === 'Suspended')
    return { ...base, phase: 'done', reason: status, message: `${at}, ${status}` };
  if (status === 'Degraded') {
    const degraded = (app.status?.resources ?? [])
      .filter((resource) => resource.health?.status === 'Degraded')
      .map(
        (resource) =>
          `${resource.kind ?? ''}/${resource.name ?? ''}${resource.health?.message ? `: ${resource.health.message}` : ''}`,
      );
    const detail = [message, ...degraded].filter(Boolean).join('; ');
    return { ...base, phase: 'failed', reason: 'Degraded', message: `${at}, Degraded${detail ? `: ${detail}` : ''}` };
  }
  return {
    ...base,
    phase: 'progressing',
    reason: status,
    message: `${at}, health ${status}${message ? `: ${message}` : ''}`,
  };
}

/** A condition the controller set after our refresh that stops it from rendering or syncing. */
function blockingCondition(app: Application, requestedAtMs: number): string | undefined {
  const reconciled = Date.parse(app.status?.reconciledAt ?? '');
  // Argo CD writes times in whole seconds.
  if (!(reconciled >= Math.floor(requestedAtMs / 1000) * 1000)) return undefined;
  const condition = (app.status?.conditions ?? []).find((candidate) =>
    ['ComparisonError', 'InvalidSpecError', 'SyncError'].includes(candidate.type ?? ''),
  );
  return condition === undefined ? undefined : `${condition.type ?? ''}: ${condition.message ?? ''}`;
}

export function applicationVerdict(app: Application, context: ArgoContext): ControllerVerdict {
  const indexes = gitSourceIndexes(app, context.repository);
  const sync = app.status?.sync;
  const syncStatus = sync?.status ?? 'Unknown';
  if (indexes.length === 0) {
    // Helm repositories and OCI registries name chart versions, not commits: health is all there is.
    const verdict = syncStatus === 'Synced' ? health(app, sync?.revision ?? '', undefined) : undefined;
    const message = `not revision-checked (no git source in the GitOps repository); ${verdict?.message ?? `sync ${syncStatus}`}`;
    const fallback: Verdict = { phase: 'progressing', reason: syncStatus, message };
    return { ...(verdict ?? fallback), message, revision: sync?.revision ?? '', revisionChecked: false };
  }
  const operation = app.status?.operationState;
  const operated = operation
    ? ourRevision(
        perSource(
          operation.syncResult?.revision ?? operation.operation?.sync?.revision,
          operation.syncResult?.revisions ?? operation.operation?.sync?.revisions,
        ),
        indexes,
        context.relation,
      )
    : undefined;
  if (operation && operated?.reached) {
    const phase = operation.phase ?? 'Running';
    if (FINISHED_FAILED.has(phase)) {
      return {
        phase: 'failed',
        reason: phase === 'Error' ? 'SyncError' : 'SyncFailed',
        message: `sync of ${operated.text} ${phase}: ${operationFailure(operation)}`,
        revision: operated.revision,
        revisionChecked: true,
      };
    }
    if (phase === 'Succeeded') return health(app, operated.revision, operated.text);
    return {
      phase: 'progressing',
      reason: 'Syncing',
      message: `sync of ${operated.text} ${phase}${operation.message ? `: ${operation.message}` : ''}`,
      revision: operated.revision,
      revisionChecked: true,
    };
  }
  const compared = ourRevision(perSource(sync?.revision, sync?.revisions), indexes, context.relation);
  // Nothing to apply for our commit (it changed nothing this Application renders): in sync already.
  if (compared.reached && syncStatus === 'Synced' && operation?.phase !== 'Running')
    return health(app, compared.revision, compared.text);
  const blocked = blockingCondition(app, context.requestedAtMs);
  if (blocked !== undefined) {
    return {
      phase: 'failed',
      reason: 'ComparisonError',
      message: blocked,
      revision: compared.revision,
      revisionChecked: true,
    };
  }
  const running = operation?.phase === 'Running' && operated ? `; a sync of ${operated.text} is running` : '';
  return {
    phase: 'progressing',
    reason: compared.reached ? 'OutOfSync' : 'WaitingForRevision',
    message: `compared at ${compared.text}, ${syncStatus}${running}`,
    revision: compared.revision,
    revisionChecked: true,
  };
}
