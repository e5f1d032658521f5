// Watching every resource in parallel under one deadline: per resource, the workload by name and (for
// fail-fast) its pods by selector, each through `reflect`. Every change updates the state, re-judges that
// resource and asks `decide` whether the wait ends: all done, one failed (fail-fast), the deadline, or a
// failure no retry can fix.
import { MAX_TIMER_MS, type Clock } from '@shiprail/core';
import type { ImageReference } from '@shiprail/core/image-reference';
import { KubeApiError, type KubeClient } from './kube.ts';
import { selectorString, type Workload } from './objects.ts';
import { containerProblems, newPodLabel } from './pods.ts';
import { reflect, type KubeItem, type ReflectContext } from './reflect.ts';
import {
  decide,
  judge,
  trackResource,
  unclaimedImages,
  type ResolvedRef,
  type RolloutWaitResult,
  type RolloutWaitState,
  type TrackedResource,
} from './decide.ts';
import type { Verdict } from './status.ts';

export interface RolloutWaitOptions {
  timeoutMs: number;
  failFast: boolean;
  acceptPaused: boolean;
  images: readonly ImageReference[];
  clock: Clock;
  /** Consecutive failed watch attempts tolerated before giving up. */
  watchAttempts?: number;
  retryBaseMs?: number;
  onProgress?: (ref: ResolvedRef, verdict: Verdict) => void;
  onWarning?: (message: string) => void;
}

export interface RolloutWaitOutcome {
  result: RolloutWaitResult;
  resources: TrackedResource[];
  /** Expected images no watched pod template uses (they kept the wait from succeeding). */
  unclaimedImages: string[];
  /** Why the wait ended before its verdict: a failure no retry could fix, or a resource that does not exist. */
  error: Error | undefined;
}

/** Resolves true once `timeoutMs` have passed on `clock`, false when `signal` aborts first. */
export async function deadlinePasses(clock: Clock, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  // Longer than a Node timer can wait (which would fire at once): waited in steps.
  while (!signal.aborted && clock.now() < deadline) {
    await clock.sleep(Math.min(deadline - clock.now(), MAX_TIMER_MS), signal);
  }
  return !signal.aborted;
}

/** The key that changes when a workload starts a new revision (when its newest pods must be found again). */
function revisionKey(object: Workload | undefined): string {
  return [
    object?.metadata?.generation ?? '',
    object?.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '',
    object?.status?.updateRevision ?? '',
    object?.status?.currentPodHash ?? '',
    object?.status?.observedGeneration ?? '',
  ].join('/');
}

/** One wait: the state, the streams that feed it, and the end that `decide` calls. */
class RolloutWait {
  readonly state: RolloutWaitState;
  private readonly controller = new AbortController();
  private readonly reflectContext: ReflectContext;
  /** The revision whose newest-pod label was looked up last, per resource. */
  private readonly lookups = new Map<TrackedResource, string>();
  private ended: ((outcome: RolloutWaitOutcome) => void) | undefined;
  private readonly client: KubeClient;
  private readonly options: RolloutWaitOptions;

  constructor(client: KubeClient, refs: readonly ResolvedRef[], options: RolloutWaitOptions) {
    this.client = client;
    this.options = options;
    this.state = {
      resources: refs.map(trackResource),
      deadlinePassed: false,
      failure: undefined,
      warnedUnclaimed: false,
    };
    this.reflectContext = {
      client,
      signal: this.controller.signal,
      sleep: (ms, signal) => options.clock.sleep(ms, signal),
      attempts: options.watchAttempts ?? 6,
      retryBaseMs: options.retryBaseMs ?? 500,
    };
  }

  run(): Promise<RolloutWaitOutcome> {
    const outcome = new Promise<RolloutWaitOutcome>((resolve) => (this.ended = resolve));
    void this.keepDeadline();
    for (const entry of this.state.resources) this.watchWorkload(entry);
    return outcome;
  }

  private async keepDeadline(): Promise<void> {
    if (!(await deadlinePasses(this.options.clock, this.options.timeoutMs, this.controller.signal))) return;
    this.state.deadlinePassed = true;
    this.reconsider();
  }

  /** Asks `decide` after every change; ends the wait when it says so. */
  private reconsider(): void {
    if (this.ended === undefined) return;
    const decision = decide(this.state, this.options);
    if (decision.kind === 'wait') return;
    if (decision.kind === 'warn-unclaimed') {
      this.state.warnedUnclaimed = true;
      this.options.onWarning?.(
        `every resource is done, but no pod template uses ${decision.images.join(', ')} yet: waiting`,
      );
      return;
    }
    const end = this.ended;
    this.ended = undefined;
    end({
      result: decision.result,
      resources: this.state.resources,
      unclaimedImages: unclaimedImages(this.state.resources, this.options.images),
      error: decision.error,
    });
    // Closing the streams waits a turn: the verdict is reported first.
    setImmediate(() => this.controller.abort());
  }

  private fail(error: unknown): void {
    if (this.ended === undefined) return;
    this.state.failure ??= error instanceof Error ? error : new Error(String(error));
    this.reconsider();
  }

  private update(entry: TrackedResource): void {
    if (this.ended === undefined) return;
    const verdict = judge(entry, this.options);
    const changed = verdict.message !== entry.verdict.message || verdict.phase !== entry.verdict.phase;
    entry.verdict = verdict;
    if (changed) this.options.onProgress?.(entry.ref, verdict);
    this.reconsider();
  }

  private reflectContextFor(entry: TrackedResource): ReflectContext {
    return { ...this.reflectContext, onRetry: (error: KubeApiError) => (entry.problem = error.message) };
  }

  private watchWorkload(entry: TrackedResource): void {
    const { kind, name, namespace } = entry.ref;
    let watchingPods = false;
    const onChange = (objects: ReadonlyMap<string, KubeItem>, deletedName: string | undefined): void => {
      const object = objects.get(name);
      if (deletedName === name) entry.deleted = true;
      entry.object = object ?? (entry.deleted ? entry.object : undefined);
      entry.synced = true;
      entry.problem = undefined;
      const selector = selectorString(object?.spec?.selector);
      if (this.options.failFast && object !== undefined && selector !== '' && !watchingPods) {
        watchingPods = true;
        this.watchPods(entry, selector);
      }
      if (entry.pods.size > 0) this.podsChanged(entry);
      else this.update(entry);
    };
    const target = { kind, namespace, query: { fieldSelector: `metadata.name=${name}` } };
    reflect(target, onChange, this.reflectContextFor(entry)).catch((error: unknown) => this.fail(error));
  }

  private watchPods(entry: TrackedResource, selector: string): void {
    const target = { kind: 'pod' as const, namespace: entry.ref.namespace, query: { labelSelector: selector } };
    const onChange = (pods: ReadonlyMap<string, KubeItem>): void => {
      entry.pods = new Map(pods);
      this.podsChanged(entry);
    };
    reflect(target, onChange, this.reflectContextFor(entry)).catch((error: unknown) => this.fail(error));
  }

  /** A pod with a hopeless container needs the newest revision's label before the verdict. */
  private podsChanged(entry: TrackedResource): void {
    const anyProblem = [...entry.pods.values()].some((pod) => containerProblems(pod).length > 0);
    if (!anyProblem || entry.verdict.phase !== 'progressing') return this.update(entry);
    this.resolveNewPods(entry).then(
      () => this.update(entry),
      (error: unknown) => this.fail(error),
    );
  }

  /** Looks up the newest revision's pod label (ReplicaSets or ControllerRevisions), once per revision. */
  private async resolveNewPods(entry: TrackedResource): Promise<void> {
    const object = entry.object;
    if (object === undefined) return;
    const key = revisionKey(object);
    if (this.lookups.get(entry) === key) return;
    this.lookups.set(entry, key);
    const { kind, namespace } = entry.ref;
    const selector = selectorString(object.spec?.selector);
    const signal = this.controller.signal;
    if (kind === 'deployment') {
      const replicaSets = await this.client.replicaSets(namespace, selector, signal);
      entry.newPods = newPodLabel('deployment', object, { replicaSets });
    } else if (kind === 'daemonset') {
      const revisions = await this.client.controllerRevisions(namespace, selector, signal);
      entry.newPods = newPodLabel('daemonset', object, { revisions });
    } else {
      entry.newPods = newPodLabel(kind, object);
    }
    // A revision that appears after the lookup gets a new one on the next change.
    if (revisionKey(entry.object) !== key) this.lookups.delete(entry);
  }
}

/** Waits for every resource under one deadline; never throws: a failure is in the outcome. */
export function waitForRollouts(
  client: KubeClient,
  refs: readonly ResolvedRef[],
  options: RolloutWaitOptions,
): Promise<RolloutWaitOutcome> {
  return new RolloutWait(client, refs, options).run();
}
