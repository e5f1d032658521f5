// Waiting on the GitOps controller: find the objects that render the touched paths (or take them
// named), ask the controller to look now, then watch each one until its verdict is done or failed.
// A failure ends the wait as soon as the controller writes it; the deadline ends it otherwise.
import { ConfigurationError, errorMessage, type Clock } from '@shiprail/core';
import { KubeApiError, type KubeClient } from '../kube.ts';
import { reflect, type KubeItem, type ReflectContext } from '../reflect.ts';
import { deadlinePasses } from '../wait.ts';
import { applicationVerdict } from './argocd.ts';
import { kustomizationVerdict, helmReleaseVerdict } from './flux.ts';
import type { CommitHistory } from './history.ts';
import type { Application, ControllerKind, GitRepository, HelmRelease, Kustomization } from './objects.ts';
import type { ControllerVerdict, Relation } from './revision.ts';
import { applicationPaths, gitRepositoryOf, helmReleaseRenders, kustomizationRenders, touches } from './sources.ts';

export type Controller = 'argocd' | 'flux';

export interface ObjectName {
  namespace: string;
  name: string;
}

export interface ControllerRef {
  kind: ControllerKind;
  namespace: string;
  name: string;
}

export interface ControllerTarget extends ControllerRef {
  verdict: ControllerVerdict;
  /** The GitRepository a Flux object reads, asked to fetch now as well. */
  source: ObjectName | undefined;
}

export type ControllerWaitResult = 'success' | 'failed' | 'timeout';

export interface ControllerWaitOutcome {
  result: ControllerWaitResult;
  targets: ControllerTarget[];
  error: Error | undefined;
}

export interface ControllerWaitOptions {
  controller: Controller;
  commit: string;
  /** Paths the commit touched (overlay directories, value files); used when `named` is empty. */
  touched: readonly string[];
  named: readonly ControllerRef[];
  /** The GitOps repository sources must read; undefined: any repository. */
  repository: string | undefined;
  /** Where to look for objects; ALL_NAMESPACES for every namespace. */
  namespace: string;
  history: CommitHistory;
  clock: Clock;
  timeoutMs: number;
  onProgress?: (target: ControllerTarget) => void;
  onWarning?: (message: string) => void;
}

const FIRST: ControllerVerdict = {
  phase: 'progressing',
  reason: 'Progressing',
  message: 'Waiting for the first status...',
  revision: '',
  revisionChecked: true,
};

export const describeTarget = (target: ControllerRef): string => `${target.namespace}/${target.kind}/${target.name}`;

/** Whether the wait goes on: every object done ends it, one failed ends it at once, so does the deadline. */
export function decideControllers(
  targets: readonly { verdict: ControllerVerdict }[],
  deadlinePassed: boolean,
): ControllerWaitResult | undefined {
  if (targets.some((target) => target.verdict.phase === 'failed')) return 'failed';
  if (targets.every((target) => target.verdict.phase === 'done')) return 'success';
  return deadlinePassed ? 'timeout' : undefined;
}

/** Relations of revisions to our commit: ours at once, others once the history has answered. */
export class Relations {
  private readonly known = new Map<string, Relation>();
  private readonly commit: string;
  private readonly history: CommitHistory;
  private readonly onAnswer: () => void;

  constructor(commit: string, history: CommitHistory, onAnswer: () => void) {
    this.commit = commit;
    this.history = history;
    this.onAnswer = onAnswer;
  }

  /** A full SHA, or a prefix of at least 12 characters (a chart version's `+<sha>`). */
  readonly of = (sha: string): Relation => {
    if (sha === this.commit || (sha.length >= 12 && this.commit.startsWith(sha))) return 'ours';
    const known = this.known.get(sha);
    if (known !== undefined) return known;
    this.known.set(sha, 'unknown');
    this.history.contains(sha, this.commit).then(
      (contains) => this.answer(sha, contains === true ? 'contains-ours' : 'other'),
      () => this.answer(sha, 'other'),
    );
    return 'unknown';
  };

  private answer(sha: string, relation: Relation): void {
    this.known.set(sha, relation);
    this.onAnswer();
  }
}

interface Found {
  applications: Application[];
  kustomizations: Kustomization[];
  helmReleases: HelmRelease[];
  repositories: GitRepository[];
}

const refOf = (kind: ControllerKind, object: { metadata?: { name?: string; namespace?: string } }): ControllerRef => ({
  kind,
  namespace: object.metadata?.namespace ?? '',
  name: object.metadata?.name ?? '',
});

/** The objects that render the touched paths, found among those listed. Pure. */
export function selectTargets(
  found: Found,
  controller: Controller,
  touched: readonly string[],
  repository: string | undefined,
): ControllerRef[] {
  if (controller === 'argocd') {
    return found.applications
      .filter((app) => touches(applicationPaths(app, repository), touched))
      .map((app) => refOf('application', app));
  }
  return [
    ...found.kustomizations
      .filter((ks) => kustomizationRenders(ks, found.repositories, repository, touched))
      .map((ks) => refOf('kustomization', ks)),
    ...found.helmReleases
      .filter((release) => helmReleaseRenders(release, found.repositories, repository, touched))
      .map((release) => refOf('helmrelease', release)),
  ];
}

/** The annotation that makes each controller look now. */
export function refreshAnnotations(kind: ControllerKind | 'gitrepository', now: number): Record<string, string> {
  if (kind === 'application') return { 'argocd.argoproj.io/refresh': 'normal' };
  return { 'reconcile.fluxcd.io/requestedAt': new Date(now).toISOString() };
}

/** The GitRepository a Flux object reads, when it is one. */
function fluxSource(ref: ControllerRef, found: Found): ObjectName | undefined {
  const objects: Array<{ metadata?: { name?: string; namespace?: string } }> =
    ref.kind === 'kustomization' ? found.kustomizations : ref.kind === 'helmrelease' ? found.helmReleases : [];
  const object = objects.find(
    (candidate) => candidate.metadata?.name === ref.name && candidate.metadata.namespace === ref.namespace,
  );
  if (object === undefined) return undefined;
  const sourceRef =
    ref.kind === 'kustomization'
      ? (object as Kustomization).spec?.sourceRef
      : (object as HelmRelease).spec?.chart?.spec?.sourceRef;
  const repository = gitRepositoryOf(sourceRef, ref.namespace, found.repositories);
  if (repository === undefined) return undefined;
  return { namespace: repository.metadata?.namespace ?? '', name: repository.metadata?.name ?? '' };
}

class ControllerWait {
  private readonly client: KubeClient;
  private readonly options: ControllerWaitOptions;
  private readonly controller = new AbortController();
  private readonly relations: Relations;
  private targets: ControllerTarget[] = [];
  private readonly objects = new Map<ControllerTarget, unknown>();
  private ended: ((outcome: ControllerWaitOutcome) => void) | undefined;
  private deadlinePassed = false;
  /** When the controller was asked to look (ms). */
  private requestedAt = 0;

  constructor(client: KubeClient, options: ControllerWaitOptions) {
    this.client = client;
    this.options = options;
    this.relations = new Relations(options.commit, options.history, () => this.judgeAll());
  }

  async run(): Promise<ControllerWaitOutcome> {
    const outcome = new Promise<ControllerWaitOutcome>((resolve) => (this.ended = resolve));
    void this.keepDeadline();
    try {
      this.targets = await this.findTargets();
      await this.askToLook();
    } catch (error) {
      this.end('failed', error instanceof Error ? error : new Error(String(error)));
      return outcome;
    }
    for (const target of this.targets) this.watch(target);
    return outcome;
  }

  private async findTargets(): Promise<ControllerTarget[]> {
    const { named, controller, touched, repository } = this.options;
    const signal = this.controller.signal;
    const list = async <T>(kind: Parameters<KubeClient['list']>[0]): Promise<T[]> =>
      (await this.client.list(kind, this.options.namespace, {}, signal)).items as unknown as T[];
    const found: Found = { applications: [], kustomizations: [], helmReleases: [], repositories: [] };
    if (controller === 'flux') {
      // Every Flux object's GitRepository is asked to fetch too, so they are listed even when named.
      found.repositories = await list<GitRepository>('gitrepository');
      found.kustomizations = await list<Kustomization>('kustomization');
      // A cluster with kustomize-controller alone does not serve HelmReleases: none to wait on.
      found.helmReleases = await list<HelmRelease>('helmrelease').catch((error: unknown) => {
        if (error instanceof KubeApiError && error.status === 404 && !named.some((ref) => ref.kind === 'helmrelease'))
          return [];
        throw error;
      });
    } else if (named.length === 0) found.applications = await list<Application>('application');
    let refs = named;
    if (refs.length === 0) {
      refs = selectTargets(found, controller, touched, repository);
      if (refs.length === 0) {
        const what = controller === 'argocd' ? 'Argo CD Application' : 'Flux Kustomization or HelmRelease';
        throw new ConfigurationError(
          `no ${what} reads ${touched.join(', ')}${repository === undefined ? '' : ` in ${repository}`}: name them in gitops-objects`,
          { input: 'gitops-paths' },
        );
      }
    }
    return refs.map((ref) => ({ ...ref, verdict: FIRST, source: fluxSource(ref, found) }));
  }

  /** Annotates every object (and a Flux object's GitRepository); a refusal only costs the controller's poll. */
  private async askToLook(): Promise<void> {
    const now = this.options.clock.now();
    const signal = this.controller.signal;
    const asked = new Set<string>();
    const annotate = async (
      kind: ControllerKind | 'gitrepository',
      ref: { namespace: string; name: string },
    ): Promise<void> => {
      const key = `${kind}/${ref.namespace}/${ref.name}`;
      if (asked.has(key)) return;
      asked.add(key);
      try {
        await this.client.annotate(kind, ref.namespace, ref.name, refreshAnnotations(kind, now), signal);
      } catch (error) {
        this.options.onWarning?.(
          `could not ask the controller to look at ${kind} ${ref.namespace}/${ref.name} now (${errorMessage(error)}): waiting for its own interval`,
        );
      }
    };
    await Promise.all(
      this.targets.flatMap((target) => [
        ...(target.source ? [annotate('gitrepository', target.source)] : []),
        annotate(target.kind, target),
      ]),
    );
    this.requestedAt = now;
  }

  private async keepDeadline(): Promise<void> {
    if (!(await deadlinePasses(this.options.clock, this.options.timeoutMs, this.controller.signal))) return;
    this.deadlinePassed = true;
    this.reconsider();
  }

  private watch(target: ControllerTarget): void {
    const context: ReflectContext = {
      client: this.client,
      signal: this.controller.signal,
      sleep: (ms, signal) => this.options.clock.sleep(ms, signal),
      attempts: 6,
      retryBaseMs: 500,
    };
    const query = { fieldSelector: `metadata.name=${target.name}` };
    const onChange = (objects: ReadonlyMap<string, KubeItem>): void => {
      this.objects.set(target, objects.get(target.name));
      this.judge(target);
      this.reconsider();
    };
    reflect({ kind: target.kind, namespace: target.namespace, query }, onChange, context).catch((error: unknown) =>
      this.end('failed', error instanceof Error ? error : new Error(String(error))),
    );
  }

  private judgeAll(): void {
    for (const target of this.targets) this.judge(target);
    this.reconsider();
  }

  private judge(target: ControllerTarget): void {
    const object = this.objects.get(target);
    const verdict =
      object === undefined
        ? { ...FIRST, reason: 'NotFound', message: `${target.kind} ${target.namespace}/${target.name} does not exist` }
        : this.verdictOf(target.kind, object);
    const changed = verdict.message !== target.verdict.message || verdict.phase !== target.verdict.phase;
    target.verdict = verdict;
    if (changed) this.options.onProgress?.(target);
  }

  private verdictOf(kind: ControllerKind, object: unknown): ControllerVerdict {
    const relation = this.relations.of;
    if (kind === 'application') {
      const { repository } = this.options;
      return applicationVerdict(object as Application, { relation, repository, requestedAtMs: this.requestedAt });
    }
    if (kind === 'kustomization') return kustomizationVerdict(object as Kustomization, relation);
    return helmReleaseVerdict(object as HelmRelease, relation);
  }

  private reconsider(): void {
    if (this.targets.length === 0) return;
    const result = decideControllers(this.targets, this.deadlinePassed);
    if (result !== undefined) this.end(result, undefined);
  }

  private end(result: ControllerWaitResult, error: Error | undefined): void {
    const ended = this.ended;
    if (ended === undefined) return;
    this.ended = undefined;
    if (result === 'timeout') {
      for (const target of this.targets.filter((candidate) => candidate.verdict.phase === 'progressing'))
        target.verdict = { ...target.verdict, reason: 'Timeout' };
    }
    ended({ result, targets: this.targets, error });
    setImmediate(() => this.controller.abort());
  }
}

/** Waits for the controller to apply the commit to every object; never throws: a failure is in the outcome. */
export function waitForControllers(client: KubeClient, options: ControllerWaitOptions): Promise<ControllerWaitOutcome> {
  return new ControllerWait(client, options).run();
}
