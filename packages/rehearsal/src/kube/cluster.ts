// A simulated cluster per environment that follows Git, as Argo CD or Flux would: after every commit of
// the GitOps branch it renders each environment's overlay with `kubectl kustomize` and applies the
// Deployments' images; a rollout simulator then moves each changed Deployment to its new image, healthy
// or broken as the scenario says. Acting as Argo CD, it also reports each commit on the environment's
// Application (syncing, refused with Argo CD's message, synced and Healthy or Degraded).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { branchHead, gitIn } from '../git.ts';
import { ArgoCdApplication, type ArgoCdBehaviour } from './argo-cd.ts';
import { text, type KubeApiServer } from './api-server.ts';
import { deploymentRollout, playScenario, type DeploymentRolloutOptions } from './workloads.ts';

const execFileAsync = promisify(execFile);

export interface ClusterEnvironment {
  name: string;
  server: KubeApiServer;
  namespace: string;
  /** Overlay directory in the GitOps repository. */
  overlay: string;
}

export type RolloutOutcome = NonNullable<DeploymentRolloutOptions['outcome']>;

export interface ReconcilerOptions {
  /** Bare GitOps repository and its branch. */
  repository: string;
  branch: string;
  environments: ClusterEnvironment[];
  /** How the rollout of `image` goes in an environment (default success); read at every rollout. */
  outcome?: (environment: string, deployment: string, image: string) => RolloutOutcome;
  stepMs?: number;
  /** Holds a rollout after its spec change until this returns true for the environment's server. */
  progressWhen?: (server: KubeApiServer) => boolean;
  pollMs?: number;
  /** Whether (and how) the clusters act as Argo CD; read at every commit. */
  argoCd?: () => ArgoCdBehaviour | undefined;
}

interface DeploymentImage {
  name: string;
  namespace: string;
  image: string;
}

const containerImage = (object: Record<string, unknown>): string => {
  const spec = object['spec'] as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image ?? '';
};

/** Renders an overlay of a commit and lists its Deployments' images. */
export async function renderOverlay(checkout: string, overlay: string): Promise<DeploymentImage[]> {
  const { stdout } = await execFileAsync('kubectl', ['kustomize', join(checkout, overlay)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter((object): object is Record<string, unknown> => object?.['kind'] === 'Deployment')
    .map((object) => {
      const metadata = object['metadata'] as { name?: string; namespace?: string };
      return { name: metadata.name ?? '', namespace: metadata.namespace ?? 'default', image: containerImage(object) };
    });
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private applied = '';
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly rollouts = new Map<string, Promise<unknown>>();
  /** Commits applied, oldest first. */
  readonly history: string[] = [];

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.busy = this.busy.then(() => this.sync()).catch(() => undefined);
    }, this.options.pollMs ?? 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await Promise.allSettled(this.rollouts.values());
  }

  /** Continues from `commit` as already applied (after the world was reset to it). */
  resume(commit: string): void {
    this.applied = commit;
    this.history.length = 0;
    this.start();
  }

  /** Resolves once the newest commit is applied and every rollout it started has ended. */
  async settle(): Promise<void> {
    await this.busy;
    await this.sync();
    await Promise.allSettled(this.rollouts.values());
  }

  /** Applies the branch's newest commit once. */
  async sync(): Promise<void> {
    const { repository, branch } = this.options;
    const head = await branchHead(repository, branch);
    if (head === this.applied) return;
    const checkout = mkdtempSync(join(repository, '..', 'render-'));
    try {
      await execFileAsync('sh', ['-c', 'git --git-dir "$0" archive "$1" | tar -x -C "$2"', repository, head, checkout]);
      const changed = await this.changedPaths(head);
      for (const environment of this.options.environments) {
        const argoCd = this.options.argoCd?.();
        const application = argoCd ? new ArgoCdApplication(environment.server, environment.name) : undefined;
        // What an overlay renders to changes only with its own folder or the base it builds on.
        if (
          changed &&
          !changed.some((path) => path.startsWith(`${environment.overlay}/`) || path.startsWith('base/'))
        ) {
          if (application?.exists()) application.unchanged(head);
          continue;
        }
        const wanted = await renderOverlay(checkout, environment.overlay);
        if (application?.exists()) {
          application.syncing(head);
          const refusal = argoCd?.refuses?.(environment.name, head);
          if (refusal !== undefined) {
            application.refused(
              head,
              refusal,
              wanted.map((deployment) => deployment.name),
            );
            continue;
          }
        }
        const outcomes = wanted.map((deployment) => this.apply(environment, deployment));
        if (application?.exists()) this.reportSync(environment, application, head, outcomes);
      }
      this.applied = head;
      this.history.push(head);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  }

  /** Paths the commits since the last applied one changed; undefined when nothing was applied yet. */
  private async changedPaths(head: string): Promise<string[] | undefined> {
    if (this.applied === '') return undefined;
    const { repository } = this.options;
    const changed = await gitIn(repository).output([
      '--git-dir',
      repository,
      'diff',
      '--name-only',
      this.applied,
      head,
    ]);
    return changed.split('\n').filter((line) => line !== '');
  }

  /** Once this commit's rollouts end: synced, Healthy or Degraded (after the previous commit's report). */
  private reportSync(
    environment: ClusterEnvironment,
    application: ArgoCdApplication,
    commit: string,
    outcomes: ReadonlyArray<Promise<RolloutOutcome>>,
  ): void {
    const key = `${environment.name}/application`;
    const previous = this.rollouts.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const ended = await Promise.all(outcomes);
      const broken = ended.filter((outcome) => outcome !== 'success');
      if (broken.length === 0) application.finished(commit, 'Healthy');
      else application.finished(commit, 'Degraded', `${broken.length} Deployment(s) did not become available`);
    });
    this.rollouts.set(
      key,
      next.catch(() => undefined),
    );
  }

  /**
   * Starts the rollout of a Deployment whose image Git changed (one rollout at a time per Deployment);
   * resolves with how it went.
   */
  private apply(environment: ClusterEnvironment, wanted: DeploymentImage): Promise<RolloutOutcome> {
    const { server } = environment;
    const namespace = environment.namespace;
    const key = `${environment.name}/${wanted.name}`;
    const previous = this.rollouts.get(key) ?? Promise.resolve();
    const next = previous.then(async (): Promise<RolloutOutcome> => {
      const current = server.get('deployments', namespace, wanted.name);
      if (!current) return 'success';
      const from = containerImage(current);
      if (from === wanted.image) return 'success';
      const generation = Number(current.metadata['generation'] ?? 1) + 1;
      const revision =
        Number(
          (current.metadata['annotations'] as Record<string, string> | undefined)?.[
            'deployment.kubernetes.io/revision'
          ] ?? 1,
        ) + 1;
      const outcome = this.options.outcome?.(environment.name, wanted.name, wanted.image) ?? 'success';
      const { progressWhen } = this.options;
      await playScenario(
        server,
        deploymentRollout({
          name: wanted.name,
          namespace,
          from,
          to: wanted.image,
          replicas: 2,
          generation,
          revision,
          outcome,
          stepMs: this.options.stepMs ?? 150,
        }),
        undefined,
        progressWhen === undefined ? undefined : () => progressWhen(server),
      );
      return outcome;
    });
    this.rollouts.set(
      key,
      next.catch(() => undefined),
    );
    // A rollout the simulator could not play never became available.
    return next.catch((): RolloutOutcome => 'deadline');
  }
}

/** The image each Deployment of an environment runs now, by Deployment name. */
export function runningImages(environment: ClusterEnvironment): Record<string, string> {
  return Object.fromEntries(
    environment.server
      .list('deployments', environment.namespace)
      .map((object) => [text(object.metadata['name']), containerImage(object)]),
  );
}
