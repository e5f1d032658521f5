// A simulated cluster per environment that follows Git, as Argo CD or Flux would: after every commit of
// the GitOps branch it renders each environment's overlay with `kubectl kustomize` and applies every
// object as rendered (refusing the whole commit as the API server would refuse one object of it); the
// workload controllers then roll out what changed, their pods ready or not as a PodReadiness says. An
// overlay that does not render stops its environment with kustomize's own words. Acting as Argo CD, it
// also reports each commit on the environment's Application (syncing, refused, a ComparisonError,
// synced and Healthy or Degraded) and answers refresh requests.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from '@shiprail/core';
import { parseAllDocuments } from 'yaml';
import { branchHead, gitIn } from '../git.ts';
import { appliedRefusal, ArgoCdApplication, unservedKindsRefusal, type ArgoCdBehaviour } from './argo-cd.ts';
import { text, type JsonObject, type KubeApiServer } from './api-server.ts';
import { applyObject, planApply } from './apply.ts';
import {
  removeWithDependents,
  runController,
  WORKLOAD_KINDS,
  type ControllerContext,
  type WorkloadKind,
  type WorkloadOutcome,
} from './controllers.ts';
import { isObject } from './patch.ts';
import { ScenarioReadiness, templateImage, type PodReadiness, type RolloutOutcome } from './readiness.ts';

export type { RolloutOutcome } from './readiness.ts';

const execFileAsync = promisify(execFile);

export interface ClusterEnvironment {
  name: string;
  server: KubeApiServer;
  /** The namespace of objects rendered without one (created if missing, as Argo CD's CreateNamespace). */
  namespace: string;
  /** Overlay directory in the GitOps repository. */
  overlay: string;
}

export interface ReconcilerOptions {
  /** Bare GitOps repository and its branch. */
  repository: string;
  branch: string;
  environments: ClusterEnvironment[];
  /** Whether new pods become ready; default: as `outcome` says. */
  readiness?: PodReadiness;
  /** How the rollout of `image` goes in an environment (default success); read at every rollout. */
  outcome?: (environment: string, workload: string, image: string) => RolloutOutcome;
  stepMs?: number;
  /** Holds a rollout after its spec change until this returns true for the environment's server. */
  progressWhen?: (server: KubeApiServer) => boolean;
  pollMs?: number;
  /** Whether (and how) the clusters act as Argo CD; read at every commit. */
  argoCd?: () => ArgoCdBehaviour | undefined;
}

/** Where an environment stands: the last commit tried, and why it was not applied when it was not. */
export interface EnvironmentSync {
  commit: string;
  phase: 'Applied' | 'RenderFailed' | 'Refused';
  message?: string;
}

/** A rendering that failed: kustomize's own words, with the checkout's folder taken out of its paths. */
export class RenderError extends Error {}

/**
 * What kustomize said, out of kubectl's log line around it (`E1205 … run.go:72] "command failed"
 * err="accumulating resources: …"`); other output as it is.
 */
export function kustomizeWords(stderr: string): string {
  const logged = /"command failed" err="((?:[^"\\]|\\.)*)"/.exec(stderr);
  if (logged?.[1] === undefined) return stderr.trim();
  return logged[1].replace(/\\(.)/g, '$1');
}

/** Renders an overlay of a checkout with `kubectl kustomize`: its objects, or a RenderError. */
export async function renderOverlay(checkout: string, overlay: string): Promise<JsonObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('kubectl', ['kustomize', '--', `./${overlay}`], {
      cwd: checkout,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const said = typeof stderr === 'string' && stderr.trim() !== '' ? kustomizeWords(stderr) : errorMessage(error);
    throw new RenderError(said.replaceAll(`${checkout}/`, '').replaceAll(checkout, '.'));
  }
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as unknown)
    .filter(isObject);
}

/** One controller run at a time per workload: the key its runs are chained under. */
const workloadKey = (environment: string, kind: string, namespace: string, name: string): string =>
  `${environment}/${kind}/${namespace}/${name}`;

function ensureNamespace(server: KubeApiServer, name: string): void {
  if (server.get('namespaces', '', name)) return;
  server.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly readiness: PodReadiness;
  private applied = '';
  /** Renderings by commit and overlay. */
  private readonly renders = new Map<string, JsonObject[] | RenderError>();
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly rollouts = new Map<string, Promise<unknown>>();
  /** What each environment applied, as `resource/namespace/name`: what is pruned when Git drops it. */
  private readonly inventory = new Map<string, Set<string>>();
  /** Commits applied, oldest first. */
  readonly history: string[] = [];
  /** Each environment's last sync, by environment name. */
  readonly syncs = new Map<string, EnvironmentSync>();

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.readiness = options.readiness ?? new ScenarioReadiness((...args) => options.outcome?.(...args) ?? 'success');
  }

  start(): void {
    this.timer = setInterval(() => {
      this.busy = this.busy.then(() => this.tick()).catch(() => undefined);
    }, this.options.pollMs ?? 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await Promise.allSettled(this.rollouts.values());
  }

  /**
   * Puts every environment back at `commit` as a cluster that has long run it (everything it applied
   * before removed, the commit's objects applied and ready at once), without starting.
   */
  async restore(commit: string): Promise<void> {
    for (const environment of this.options.environments) {
      for (const key of this.inventory.get(environment.name) ?? []) {
        const [resource = '', namespace = '', name = ''] = key.split('/');
        removeWithDependents(environment.server, resource, namespace, name);
      }
      this.inventory.delete(environment.name);
    }
    this.syncs.clear();
    this.rollouts.clear();
    this.applied = '';
    await this.applyCommit(commit, true);
    await Promise.allSettled(this.rollouts.values());
    this.history.length = 0;
  }

  /** Resolves once the newest commit is applied and every rollout it started has ended. */
  async settle(): Promise<void> {
    await this.busy;
    await this.sync();
    await Promise.allSettled(this.rollouts.values());
  }

  /** The environments whose last commit was not applied, with why (kustomize's or the API server's words). */
  failures(): Record<string, string> {
    return Object.fromEntries(
      [...this.syncs.entries()]
        .filter(([, sync]) => sync.phase !== 'Applied')
        .map(([environment, sync]) => [environment, sync.message ?? sync.phase]),
    );
  }

  /** Applies the branch's newest commit once (the first one as a cluster that had long run it). */
  async sync(): Promise<void> {
    const { repository, branch } = this.options;
    const head = await branchHead(repository, branch);
    if (head === this.applied) return;
    await this.applyCommit(head, this.applied === '');
  }

  private async tick(): Promise<void> {
    if (this.options.argoCd?.() !== undefined) {
      for (const environment of this.options.environments)
        new ArgoCdApplication(environment.server, environment.name).answerRefresh();
    }
    await this.sync();
  }

  private async applyCommit(head: string, settled: boolean): Promise<void> {
    const { repository } = this.options;
    const checkout = mkdtempSync(join(repository, '..', 'render-'));
    try {
      await execFileAsync('sh', ['-c', 'git --git-dir "$0" archive "$1" | tar -x -C "$2"', repository, head, checkout]);
      const changed = await this.changedPaths(head);
      for (const environment of this.options.environments) {
        await this.applyEnvironment(environment, checkout, head, changed, settled);
      }
      this.applied = head;
      this.history.push(head);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  }

  private async applyEnvironment(
    environment: ClusterEnvironment,
    checkout: string,
    head: string,
    changed: string[] | undefined,
    settled: boolean,
  ): Promise<void> {
    // A cluster that had long run the commit has nothing to report on it.
    const argoCd = settled ? undefined : this.options.argoCd?.();
    const application = argoCd ? new ArgoCdApplication(environment.server, environment.name) : undefined;
    const tracked = application?.exists() === true ? application : undefined;
    const previous = this.syncs.get(environment.name);
    // What an overlay renders changes only with its own folder or the base it builds on; an environment
    // whose last commit the cluster refused is tried again at every commit (the cluster may have changed).
    const touched =
      changed === undefined ||
      previous === undefined ||
      previous.phase === 'Refused' ||
      changed.some((path) => path.startsWith(`${environment.overlay}/`) || path.startsWith('base/'));
    if (!touched) {
      if (previous.phase === 'Applied') tracked?.unchanged(head);
      this.syncs.set(environment.name, { ...previous, commit: head });
      return;
    }
    const rendered = await this.render(checkout, head, environment.overlay);
    if (rendered instanceof RenderError) {
      this.syncs.set(environment.name, { commit: head, phase: 'RenderFailed', message: rendered.message });
      tracked?.renderFailed(head, environment.overlay, rendered.message);
      return;
    }
    tracked?.syncing(head);
    const plan = planApply(environment.server, rendered, environment.namespace, environment.overlay);
    if ('refused' in plan) {
      this.syncs.set(environment.name, { commit: head, phase: 'Refused', message: plan.refused });
      const workloads = rendered
        .filter((object) => WORKLOAD_KINDS.includes(text(object['kind']) as WorkloadKind))
        .map((object) => ({ kind: text(object['kind']), name: text((object['metadata'] as JsonObject)['name']) }));
      tracked?.refused(
        head,
        plan.unserved.length > 0
          ? unservedKindsRefusal(plan.unserved, environment.server.served)
          : appliedRefusal(plan.refused, workloads),
      );
      return;
    }
    ensureNamespace(environment.server, environment.namespace);
    const outcomes: Array<Promise<WorkloadOutcome>> = [];
    const inventory = new Set<string>();
    for (const placed of plan.objects) {
      const { stored, changed: specChanged } = applyObject(environment.server, placed);
      inventory.add(`${placed.type.resource}/${placed.namespace}/${placed.name}`);
      const kind = text(stored['kind']) as WorkloadKind;
      if (WORKLOAD_KINDS.includes(kind) && (specChanged || settled))
        outcomes.push(this.control(environment, kind, placed.namespace, placed.name, settled));
    }
    this.prune(environment, inventory);
    this.syncs.set(environment.name, { commit: head, phase: 'Applied' });
    if (tracked) this.reportSync(environment, tracked, head, outcomes);
  }

  /**
   * The overlay rendered at a commit, or kustomize's refusal. A commit's files never change, so each
   * rendering is kept, as Argo CD's repository server keeps its manifests by revision: every world reset
   * applies the same first commit again.
   */
  private async render(checkout: string, commit: string, overlay: string): Promise<JsonObject[] | RenderError> {
    const key = `${commit}:${overlay}`;
    let rendered = this.renders.get(key);
    if (rendered === undefined) {
      rendered = await renderOverlay(checkout, overlay).catch((error: unknown) => {
        if (error instanceof RenderError) return error;
        throw error;
      });
      this.renders.set(key, rendered);
    }
    return rendered instanceof RenderError ? rendered : structuredClone(rendered);
  }

  /** Deletes what the environment applied before and Git no longer renders (Argo CD's and Flux's prune). */
  private prune(environment: ClusterEnvironment, inventory: Set<string>): void {
    for (const key of this.inventory.get(environment.name) ?? []) {
      if (inventory.has(key)) continue;
      const [resource = '', namespace = '', name = ''] = key.split('/');
      removeWithDependents(environment.server, resource, namespace, name);
    }
    this.inventory.set(environment.name, inventory);
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
    outcomes: ReadonlyArray<Promise<WorkloadOutcome>>,
  ): void {
    const key = `${environment.name}/application`;
    const previous = this.rollouts.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const ended = await Promise.all(outcomes);
      const broken = ended.flatMap((outcome) => (outcome.ready ? [] : [outcome.message]));
      if (broken.length === 0) application.finished(commit, 'Healthy');
      else application.finished(commit, 'Degraded', broken.join('; '));
    });
    this.rollouts.set(
      key,
      next.catch(() => undefined),
    );
  }

  /** Runs the workload's controller after the one before it on the same workload; resolves with how it ended. */
  private control(
    environment: ClusterEnvironment,
    kind: WorkloadKind,
    namespace: string,
    name: string,
    settled: boolean,
  ): Promise<WorkloadOutcome> {
    const key = workloadKey(environment.name, kind, namespace, name);
    const { progressWhen } = this.options;
    const context: ControllerContext = {
      server: environment.server,
      readiness: this.readiness,
      environment: environment.name,
      stepMs: settled ? 0 : (this.options.stepMs ?? 150),
      settled,
      ...(progressWhen === undefined || settled ? {} : { proceed: () => progressWhen(environment.server) }),
    };
    const previous = this.rollouts.get(key) ?? Promise.resolve();
    const next = previous.then(() => runController(context, kind, namespace, name));
    this.rollouts.set(
      key,
      next.catch(() => undefined),
    );
    // A rollout the simulator could not play never became available.
    return next.catch((error: unknown): WorkloadOutcome => ({ ready: false, message: errorMessage(error) }));
  }
}

/** The image each workload (Deployment, StatefulSet, DaemonSet) of an environment runs now, by name. */
export function runningImages(environment: ClusterEnvironment): Record<string, string> {
  return Object.fromEntries(
    ['deployments', 'statefulsets', 'daemonsets'].flatMap((resource) =>
      environment.server.list(resource, environment.namespace).map((object) => {
        const spec = isObject(object['spec']) ? object['spec'] : {};
        const template = isObject(spec['template']) ? spec['template'] : undefined;
        return [text(object.metadata['name']), templateImage(template)];
      }),
    ),
  );
}
