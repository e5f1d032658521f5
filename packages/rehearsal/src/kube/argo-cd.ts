// A rehearsal cluster acting as Argo CD: one Application per environment (`argocd/shop-<environment>`,
// its source the environment's overlay in the GitOps repository), whose status says what Argo CD would
// as the cluster applies each commit: compared and syncing, refused with Argo CD's message, or synced
// and Healthy (Degraded when a rollout fails). No jest globals: `node x.ts` under Node 24 can import it.
import { application, applicationStatus, type ApplicationState } from './gitops-objects.ts';
import type { KubeApiServer } from './api-server.ts';

export const ARGO_CD_NAMESPACE = 'argocd';

export interface ArgoCdBehaviour {
  /** The GitOps repository's URL, as the Applications' sources name it. */
  repoURL: string;
  /** Argo CD's message when it refuses to sync a commit to an environment; undefined: it syncs. */
  refuses?: (environment: string, commit: string) => string | undefined;
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

  /** The sync of `commit` failed: Argo CD's message, the Deployments it could not apply. */
  refused(commit: string, message: string, deployments: readonly string[]): void {
    this.write({
      revisions: [commit],
      syncStatus: 'OutOfSync',
      health: 'Healthy',
      operation: {
        revisions: [commit],
        phase: 'Failed',
        message,
        resources: deployments.map((name) => ({ kind: 'Deployment', name, status: 'SyncFailed', message })),
      },
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
