// Argo CD Applications and Flux Kustomizations, HelmReleases and GitRepositories as their controllers
// write them, for the test API server: the objects, and the status each controller reports at each
// step of applying a commit (comparing, syncing, a failed sync or hook, healthy; Flux's Ready at a
// generation). No jest globals: `node x.ts` under Node 24 can import it.
import type { JsonObject } from './patch.ts';

const isoNow = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export interface ApplicationSourceSpec {
  repoURL: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
  ref?: string;
  helm?: { valueFiles?: string[] };
}

export interface ApplicationOptions {
  name: string;
  namespace?: string;
  /** One source, or several (a multi-source Application). */
  sources: ApplicationSourceSpec[];
  destinationNamespace?: string;
}

export function application(options: ApplicationOptions): JsonObject {
  const [first] = options.sources;
  const sources = options.sources.map((source) => ({ targetRevision: 'HEAD', ...source }));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: options.name, namespace: options.namespace ?? 'argocd' },
    spec: {
      project: 'default',
      ...(options.sources.length === 1 && first ? { source: sources[0] ?? {} } : { sources }),
      destination: { server: 'https://kubernetes.default.svc', namespace: options.destinationNamespace ?? 'default' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

export interface SyncResource {
  kind: string;
  name: string;
  namespace?: string;
  group?: string;
  version?: string;
  status?: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message?: string;
  hookType?: 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
  hookPhase?: 'Running' | 'Succeeded' | 'Failed' | 'Error';
}

export interface ApplicationState {
  /** The revision compared (one per source for multi-source Applications). */
  revisions: string[];
  multiSource?: boolean;
  syncStatus: 'Synced' | 'OutOfSync' | 'Unknown';
  health: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
  healthMessage?: string;
  /** The last sync operation, if any. */
  operation?: {
    revisions: string[];
    phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
    message?: string;
    resources?: SyncResource[];
  };
  conditions?: Array<{ type: string; message: string }>;
}

/** The status Argo CD's application controller writes. */
export function applicationStatus(state: ApplicationState): JsonObject {
  const many = state.multiSource === true;
  const revisionFields = (revisions: string[]): JsonObject => (many ? { revisions } : { revision: revisions[0] ?? '' });
  const now = isoNow();
  const status: JsonObject = {
    sync: { status: state.syncStatus, ...revisionFields(state.revisions) },
    health: { status: state.health, ...(state.healthMessage ? { message: state.healthMessage } : {}) },
    reconciledAt: now,
    sourceType: 'Kustomize',
  };
  if (state.operation) {
    const { operation } = state;
    const finished = operation.phase !== 'Running' && operation.phase !== 'Terminating';
    status['operationState'] = {
      operation: { sync: { ...revisionFields(operation.revisions) }, initiatedBy: { automated: true } },
      phase: operation.phase,
      message: operation.message ?? (operation.phase === 'Succeeded' ? 'successfully synced (all tasks run)' : ''),
      syncResult: {
        ...revisionFields(operation.revisions),
        resources: (operation.resources ?? []).map((resource) => ({
          group: resource.group ?? (resource.kind === 'Job' ? 'batch' : resource.kind === 'Deployment' ? 'apps' : ''),
          version: 'v1',
          namespace: resource.namespace ?? 'default',
          syncPhase: resource.hookType ?? 'Sync',
          ...resource,
        })),
      },
      startedAt: now,
      ...(finished ? { finishedAt: now } : {}),
    };
  }
  if (state.conditions)
    status['conditions'] = state.conditions.map((condition) => ({ ...condition, lastTransitionTime: now }));
  return status;
}

export function gitRepository(name: string, url: string, namespace = 'flux-system', branch = 'main'): JsonObject {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace },
    spec: { url, interval: '1m', ref: { branch } },
  };
}

export function kustomization(name: string, path: string, source: string, namespace = 'flux-system'): JsonObject {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: { interval: '10m', path, prune: true, sourceRef: { kind: 'GitRepository', name: source }, wait: true },
  };
}

export interface HelmReleaseOptions {
  name: string;
  namespace?: string;
  chart: string;
  source: { kind: 'GitRepository' | 'HelmRepository'; name: string };
  reconcileStrategy?: 'ChartVersion' | 'Revision';
}

export function helmRelease(options: HelmReleaseOptions): JsonObject {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: options.name, namespace: options.namespace ?? 'flux-system' },
    spec: {
      interval: '10m',
      chart: {
        spec: {
          chart: options.chart,
          sourceRef: { ...options.source, namespace: options.namespace ?? 'flux-system' },
          ...(options.reconcileStrategy ? { reconcileStrategy: options.reconcileStrategy } : {}),
        },
      },
    },
  };
}

export interface FluxState {
  ready: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** The generation Ready was observed at. */
  observedGeneration: number;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  /** HelmRelease: chart versions released, newest first. */
  chartVersions?: string[];
  stalled?: { reason: string; message: string };
}

/** Flux's revision format: `<branch>@sha1:<sha>`. */
export const fluxRevision = (sha: string, branch = 'main'): string => `${branch}@sha1:${sha}`;

/** The status kustomize-controller or helm-controller writes. */
export function fluxStatus(state: FluxState): JsonObject {
  const now = isoNow();
  const conditions: JsonObject[] = [
    {
      type: 'Ready',
      status: state.ready,
      reason: state.reason,
      message: state.message,
      observedGeneration: state.observedGeneration,
      lastTransitionTime: now,
    },
  ];
  if (state.stalled)
    conditions.push({
      type: 'Stalled',
      status: 'True',
      ...state.stalled,
      observedGeneration: state.observedGeneration,
      lastTransitionTime: now,
    });
  return {
    observedGeneration: state.observedGeneration,
    conditions,
    ...(state.lastAppliedRevision ? { lastAppliedRevision: state.lastAppliedRevision } : {}),
    ...(state.lastAttemptedRevision ? { lastAttemptedRevision: state.lastAttemptedRevision } : {}),
    ...(state.chartVersions
      ? {
          history: state.chartVersions.map((chartVersion) => ({ chartVersion, status: 'deployed' })),
          lastAttemptedRevision: state.chartVersions[0] ?? '',
          lastAttemptedGeneration: state.observedGeneration,
        }
      : {}),
  };
}
