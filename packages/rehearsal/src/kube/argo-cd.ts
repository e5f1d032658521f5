// A rehearsal cluster acting as Argo CD: one Application per environment (`argocd/shop-<environment>`,
// its source the environment's overlay in the GitOps repository), whose status says what Argo CD would
// as the cluster applies each commit: compared and syncing, refused with Argo CD's message, or synced
// and Healthy (Degraded when a rollout fails). No jest globals: `node x.ts` under Node 24 can import it.
import { application, applicationStatus, type ApplicationState, type SyncResource } from './gitops-objects.ts';
import type { JsonObject, KubeApiServer, ResourceType } from './api-server.ts';
import type { UnservedObject } from './apply.ts';

export const ARGO_CD_NAMESPACE = 'argocd';
const REFRESH = 'argocd.argoproj.io/refresh';

export interface ArgoCdBehaviour {
  /** The GitOps repository's URL, as the Applications' sources name it. */
  repoURL: string;
}

/** A sync Argo CD refused: the operation's message, the resources it failed, the Application's health. */
export interface SyncRefusal {
  message: string;
  resources: SyncResource[];
  health: 'Healthy' | 'Missing';
}

/**
 * Argo CD's words on one object whose kind the destination does not serve. gitops-engine asks discovery for
 * the object's group version: a version the server lacks answers "the server could not find the requested
 * resource", which Argo CD rewords by whether the kind is served in another version; a kind missing from
 * a served group version is not found by name.
 */
export function unservedObjectMessage(object: UnservedObject, served: readonly ResourceType[]): string {
  const { group, version, kind, namespace, name } = object;
  if (served.some((type) => type.group === group && type.version === version))
    return `${group === '' ? kind : `${kind}.${group}`} "" not found`;
  const installed =
    served.find((type) => type.group === group && type.kind === kind) ?? served.find((type) => type.kind === kind);
  if (installed === undefined)
    return `The Kubernetes API could not find ${group}/${kind} for requested resource ${namespace}/${name}. Make sure the ${JSON.stringify(kind)} CRD is installed on the destination cluster.`;
  return `The Kubernetes API could not find version ${JSON.stringify(version)} of ${group}/${kind} for requested resource ${namespace}/${name}. Version ${JSON.stringify(installed.version)} of ${installed.group}/${installed.kind} is installed on the destination cluster.`;
}

/**
 * A commit rendering kinds the destination does not serve: every such object fails its sync task before
 * anything is applied, and what the commit would have created is Missing.
 */
export function unservedKindsRefusal(
  unserved: readonly UnservedObject[],
  served: readonly ResourceType[],
): SyncRefusal {
  return {
    message: 'one or more synchronization tasks are not valid',
    resources: unserved.map((object) => ({
      group: object.group,
      version: object.version,
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      status: 'SyncFailed',
      message: unservedObjectMessage(object, served),
    })),
    health: 'Missing',
  };
}

/** A commit the API server refuses for another reason: each workload failed with the server's words. */
export function appliedRefusal(message: string, workloads: ReadonlyArray<{ kind: string; name: string }>): SyncRefusal {
  return {
    message,
    resources: workloads.map(({ kind, name }) => ({ kind, name, status: 'SyncFailed', message })),
    health: 'Healthy',
  };
}

export const applicationName = (environment: string): string => `shop-${environment}`;

/** One environment's Application, written as Argo CD's application controller writes it. */
export class ArgoCdApplication {
  private readonly server: KubeApiServer;
  private readonly name: string;

  constructor(server: KubeApiServer, environment: string) {
    this.server = server;
    this.name = applicationName(environment);
  }

  /** Creates (or recreates) the Application, synced and Healthy at `commit`. */
  seed(repoURL: string, overlay: string, destination: string, commit: string): void {
    this.remove();
    this.server.apply({
      ...application({
        name: this.name,
        namespace: ARGO_CD_NAMESPACE,
        sources: [{ repoURL, path: overlay, targetRevision: 'main' }],
        destinationNamespace: destination,
      }),
      status: applicationStatus(synced(commit, 'Healthy')),
    });
  }

  /** Argo CD compared the new commit and started an automated sync of it. */
  syncing(commit: string): void {
    this.write({
      revisions: [commit],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: { revisions: [commit], phase: 'Running', message: 'one or more tasks are running' },
    });
  }

  /** The sync of `commit` failed: Argo CD's message, the resources it failed. */
  refused(commit: string, refusal: SyncRefusal): void {
    this.write({
      revisions: [commit],
      syncStatus: 'OutOfSync',
      health: refusal.health,
      operation: { revisions: [commit], phase: 'Failed', message: refusal.message, resources: refusal.resources },
    });
  }

  /**
   * `commit` does not render: Argo CD cannot compare it, says why in a ComparisonError condition (kustomize's
   * words in the repo server's), and keeps the last sync operation and health.
   */
  renderFailed(commit: string, overlay: string, message: string): void {
    this.server.update('applications', ARGO_CD_NAMESPACE, this.name, (object) => {
      const previous = (object['status'] ?? {}) as JsonObject;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      object['status'] = {
        ...previous,
        sync: { status: 'Unknown', revision: commit },
        reconciledAt: now,
        conditions: [
          {
            type: 'ComparisonError',
            message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = \`kustomize build <path to cached source>/${overlay}\` failed exit status 1: ${message}`,
            lastTransitionTime: now,
          },
        ],
      };
    });
  }

  /** Argo CD's answer to the refresh annotation: it compares again now and takes the annotation off. */
  answerRefresh(): void {
    const stored = this.server.get('applications', ARGO_CD_NAMESPACE, this.name);
    const annotations = stored?.metadata['annotations'] as Record<string, string> | undefined;
    if (annotations?.[REFRESH] === undefined) return;
    this.server.update('applications', ARGO_CD_NAMESPACE, this.name, (object) => {
      object.metadata['annotations'] = Object.fromEntries(
        Object.entries(object.metadata['annotations'] as Record<string, string>).filter(([key]) => key !== REFRESH),
      );
      const status = object['status'] as JsonObject | undefined;
      if (status) status['reconciledAt'] = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    });
  }

  /** The sync of `commit` finished; health as the rollouts ended. */
  finished(commit: string, health: 'Healthy' | 'Degraded', healthMessage?: string): void {
    this.write({ ...synced(commit, health), ...(healthMessage ? { healthMessage } : {}) });
  }

  /** A commit that changes nothing this Application renders: in sync at it, the last operation kept. */
  unchanged(commit: string): void {
    this.server.update('applications', ARGO_CD_NAMESPACE, this.name, (object) => {
      const status = object['status'] as { sync?: { revision?: string }; reconciledAt?: string } | undefined;
      if (status?.sync) status.sync.revision = commit;
    });
  }

  remove(): void {
    this.server.remove('applications', ARGO_CD_NAMESPACE, this.name);
  }

  exists(): boolean {
    return this.server.get('applications', ARGO_CD_NAMESPACE, this.name) !== undefined;
  }

  private write(state: ApplicationState): void {
    this.server.update('applications', ARGO_CD_NAMESPACE, this.name, (object) => {
      object['status'] = applicationStatus(state);
    });
  }
}

const synced = (commit: string, health: 'Healthy' | 'Degraded'): ApplicationState => ({
  revisions: [commit],
  syncStatus: 'Synced',
  health,
  operation: { revisions: [commit], phase: 'Succeeded' },
});
