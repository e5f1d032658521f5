// The fields of Argo CD and Flux objects the controller wait reads, as their CRDs define them
// (argoproj.io/v1alpha1 Application; kustomize.toolkit.fluxcd.io/v1 Kustomization;
// helm.toolkit.fluxcd.io/v2 HelmRelease; source.toolkit.fluxcd.io/v1 GitRepository). Loose on purpose:
// every field may be missing on an object the controller has not reconciled yet.
import type { ObjectMeta } from '../objects.ts';

export interface ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  /** Set when the source is a Helm chart from a Helm repository or OCI registry, not a git path. */
  chart?: string;
  /** A multi-source Application's name for this source, referenced as `$ref/...` in valueFiles. */
  ref?: string;
  helm?: { valueFiles?: string[] };
}

export interface SyncResultResource {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Synced, SyncFailed, Pruned, PruneSkipped. */
  status?: string;
  message?: string;
  hookType?: string;
  /** Running, Succeeded, Failed, Error, Terminating. */
  hookPhase?: string;
  syncPhase?: string;
}

export interface OperationState {
  operation?: { sync?: { revision?: string; revisions?: string[] } };
  /** Running, Terminating, Failed, Error, Succeeded. */
  phase?: string;
  message?: string;
  syncResult?: { revision?: string; revisions?: string[]; resources?: SyncResultResource[] };
  startedAt?: string;
  finishedAt?: string;
  retryCount?: number;
}

export interface ApplicationCondition {
  type?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Application {
  metadata?: ObjectMeta;
  spec?: { source?: ApplicationSource; sources?: ApplicationSource[]; project?: string };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: OperationState;
    conditions?: ApplicationCondition[];
    reconciledAt?: string;
    resources?: Array<{
      kind?: string;
      name?: string;
      namespace?: string;
      health?: { status?: string; message?: string };
    }>;
  };
}

export interface FluxCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface SourceReference {
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface FluxStatus {
  observedGeneration?: number;
  conditions?: FluxCondition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastHandledReconcileAt?: string;
}

export interface Kustomization {
  metadata?: ObjectMeta;
  spec?: { sourceRef?: SourceReference; path?: string; suspend?: boolean };
  status?: FluxStatus;
}

export interface HelmRelease {
  metadata?: ObjectMeta;
  spec?: {
    suspend?: boolean;
    chart?: { spec?: { chart?: string; sourceRef?: SourceReference; reconcileStrategy?: string } };
    chartRef?: SourceReference;
  };
  status?: FluxStatus & {
    lastAttemptedGeneration?: number;
    history?: Array<{ chartVersion?: string; status?: string }>;
  };
}

export interface GitRepository {
  metadata?: ObjectMeta;
  spec?: { url?: string; ref?: { branch?: string } };
}

/** The kinds of object the controller wait follows, as the input names them. */
export type ControllerKind = 'application' | 'kustomization' | 'helmrelease';

export type ControllerObject = Application | Kustomization | HelmRelease;
