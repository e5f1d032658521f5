// Watching every resource in parallel under one deadline: per resource, list then watch (the workload by
// name, and its pods by selector for fail-fast), re-listing on 410 Gone and after failed streams, with
// bounded retries. Each change re-judges that resource; the wait ends when all are done, one fails
// (fail-fast), or the deadline passes.
import { ConfigurationError, backoffDelay, sleep } from '@shiprail/core';
import { checkTemplateImages, waitingForImagesMessage, type ImageReference } from './images.ts';
import type { ResourceRef } from './inputs.ts';
import { KubeApiError, type KubeClient, type ListKind, type ListQuery } from './kube.ts';
import { selectorString, type ObjectMeta, type Pod, type Workload } from './objects.ts';
import {
  allHopeless,
  containerProblems,
  describeHopeless,
  newPodLabel,
  podsWithLabel,
  type NewPodLabel,
} from './pods.ts';
import { workloadStatus, type Verdict } from './status.ts';

export interface WaitOptions {
  timeoutMs: number;
  failFast: boolean;
  acceptPaused: boolean;
  images: readonly ImageReference[];
  /** Consecutive failed watch attempts tolerated before giving up. */
  watchAttempts?: number;
  retryBaseMs?: number;
  onProgress?: (ref: ResolvedRef, verdict: Verdict) => void;
  onWarning?: (message: string) => void;
}

export type ResolvedRef = ResourceRef & { namespace: string };

export interface TrackedResource {
  ref: ResolvedRef;
  object: Workload | undefined;
  pods: Map<string, Pod>;
  verdict: Verdict;
  /** The label of the newest revision's pods, when it was needed. */
  newPods: NewPodLabel | undefined;
  /** The workload was listed at least once. */
  synced: boolean;
  deleted: boolean;
}

export type WaitResult = 'success' | 'failed' | 'timeout';

export interface WaitOutcome {
  result: WaitResult;
  resources: TrackedResource[];
  /** Expected images no watched pod template uses (they kept the wait from succeeding). */
  unclaimedImages: string[];
}

const keyOf = (object: { metadata?: ObjectMeta }): string => object.metadata?.name ?? '';

/**
 * Keeps a local copy of the objects a query selects: list, then watch from the list's resourceVersion;
 * a stream that ends is resumed from the last resourceVersion seen, an expired one (410) or a failed one
 * leads to a new list. `onChange` runs after the list and after every event.
 */
async function reflect(
  client: KubeClient,
  kind: ListKind,
  namespace: string,
  query: ListQuery,
  onChange: (objects: Map<string, Workload & Pod>, deleted: string | undefined) => void,
  signal: AbortSignal,
  attempts: number,
  baseMs: number,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    const list = await client.list(kind, namespace, query, signal);
    if (signal.aborted) return;
    const objects = new Map(list.items.map((item) => [keyOf(item), item]));
    onChange(objects, undefined);
    let resourceVersion = list.resourceVersion;
    for (;;) {
      if (signal.aborted) return;
      let end: 'closed' | 'expired';
      try {
        end = await client.watch(
          kind,
          namespace,
          { ...query, resourceVersion },
          (type, object) => {
            resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
            if (type === 'BOOKMARK') return;
            failures = 0;
            if (type === 'DELETED') {
              objects.delete(keyOf(object));
              onChange(objects, keyOf(object));
            } else {
              objects.set(keyOf(object), object);
              onChange(objects, undefined);
            }
          },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof KubeApiError) || !error.retryable) throw error;
        failures += 1;
        if (failures >= attempts) throw error;
        await sleep(backoffDelay(failures, { baseMs, maxMs: 8000, jitter: 0.2 }));
        break;
      }
      if (end === 'expired') break;
    }
  }
}

function judge(tracked: TrackedResource, options: WaitOptions): Verdict {
  const { ref } = tracked;
  if (tracked.deleted) return { phase: 'failed', message: 'object has been deleted', reason: 'Deleted' };
  const object = tracked.object;
  if (object === undefined) {
    return {
      phase: 'progressing',
      message: `Waiting for ${ref.kind} "${ref.name}" to be created...`,
      reason: 'NotFound',
    };
  }
  const images = checkTemplateImages(object.spec?.template, options.images);
  if (images.pending.length > 0) {
    return { phase: 'progressing', message: waitingForImagesMessage(images.pending), reason: 'WaitingForImages' };
  }
  const pods = [...tracked.pods.values()];
  const verdict = workloadStatus(ref.kind, object, { acceptPaused: options.acceptPaused, pods });
  if (verdict.phase !== 'progressing' || !options.failFast) return verdict;
  const fresh = podsWithLabel(pods, tracked.newPods);
  if (allHopeless(fresh)) {
    const hopeless = describeHopeless(fresh);
    return { phase: 'failed', message: hopeless.message, reason: hopeless.reason };
  }
  return verdict;
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

export async function waitForRollouts(
  client: KubeClient,
  refs: readonly ResolvedRef[],
  options: WaitOptions,
): Promise<WaitOutcome> {
  const attempts = options.watchAttempts ?? 6;
  const baseMs = options.retryBaseMs ?? 500;
  const controller = new AbortController();
  const tracked: TrackedResource[] = refs.map((ref) => ({
    ref,
    object: undefined,
    pods: new Map(),
    verdict: { phase: 'progressing', message: 'Waiting for the first status...', reason: 'Progressing' },
    newPods: undefined,
    synced: false,
    deleted: false,
  }));

  let finished = false;
  let settle: (outcome: WaitResult | Error) => void = () => undefined;
  const settled = new Promise<WaitResult | Error>((resolve) => {
    settle = (outcome) => {
      if (finished) return;
      finished = true;
      resolve(outcome);
      // Closing the streams waits a turn: the verdict is reported first.
      setImmediate(() => controller.abort());
    };
  });
  const timer = setTimeout(() => settle('timeout'), options.timeoutMs);
  let warnedUnclaimed = false;

  const unclaimedImages = (): string[] =>
    options.images
      .filter(
        (image) =>
          !tracked.some((entry) =>
            [
              ...(entry.object?.spec?.template?.spec?.containers ?? []),
              ...(entry.object?.spec?.template?.spec?.initContainers ?? []),
            ].some(
              (container) => checkTemplateImages({ spec: { containers: [container] } }, [image]).carried.length > 0,
            ),
          ),
      )
      .map((image) => image.text);

  const checkCompletion = (): void => {
    if (tracked.every((entry) => entry.synced)) {
      const missing = tracked.filter((entry) => entry.object === undefined && !entry.deleted);
      if (missing.length > 0 && options.images.length === 0) {
        const names = missing.map((entry) => `${entry.ref.kind}/${entry.ref.name} in namespace ${entry.ref.namespace}`);
        settle(
          new ConfigurationError(`${names.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`, {
            input: 'resources',
          }),
        );
        return;
      }
    }
    const failed = tracked.some((entry) => entry.verdict.phase === 'failed');
    if (failed && options.failFast) return settle('failed');
    if (tracked.every((entry) => entry.verdict.phase !== 'progressing')) {
      if (failed) return settle('failed');
      const unclaimed = unclaimedImages();
      if (unclaimed.length === 0) return settle('success');
      if (!warnedUnclaimed) {
        warnedUnclaimed = true;
        options.onWarning?.(`every resource is done, but no pod template uses ${unclaimed.join(', ')} yet: waiting`);
      }
    }
  };

  const update = (entry: TrackedResource): void => {
    if (finished) return;
    const verdict = judge(entry, options);
    const changed = verdict.message !== entry.verdict.message || verdict.phase !== entry.verdict.phase;
    entry.verdict = verdict;
    if (changed) options.onProgress?.(entry.ref, verdict);
    checkCompletion();
  };

  // The newest revision's pod label is looked up when a pod looks hopeless (a ReplicaSet or
  // ControllerRevision list), once per revision of the workload.
  const lookups = new Map<TrackedResource, string>();
  const resolveNewPods = async (entry: TrackedResource): Promise<void> => {
    const object = entry.object;
    if (object === undefined) return;
    const key = revisionKey(object);
    if (lookups.get(entry) === key) return;
    lookups.set(entry, key);
    const selector = selectorString(object.spec?.selector);
    if (entry.ref.kind === 'deployment') {
      entry.newPods = newPodLabel('deployment', object, {
        replicaSets: await client.replicaSets(entry.ref.namespace, selector),
      });
    } else if (entry.ref.kind === 'daemonset') {
      entry.newPods = newPodLabel('daemonset', object, {
        revisions: await client.controllerRevisions(entry.ref.namespace, selector),
      });
    } else {
      entry.newPods = newPodLabel(entry.ref.kind, object);
    }
    // A revision that appears after the lookup gets a new one on the next change.
    if (revisionKey(entry.object) !== key) lookups.delete(entry);
  };

  const podsChanged = (entry: TrackedResource): void => {
    const anyProblem = [...entry.pods.values()].some((pod) => containerProblems(pod).length > 0);
    if (!anyProblem || entry.verdict.phase !== 'progressing') return update(entry);
    resolveNewPods(entry)
      .then(() => update(entry))
      .catch((error: unknown) => {
        if (!finished) settle(error instanceof Error ? error : new Error(String(error)));
      });
  };

  const fail = (error: unknown): void => {
    if (!finished) settle(error instanceof Error ? error : new Error(String(error)));
  };

  for (const entry of tracked) {
    const { kind, name, namespace } = entry.ref;
    let podSelector: string | undefined;
    const watchPods = (selector: string): void => {
      podSelector = selector;
      reflect(
        client,
        'pod',
        namespace,
        { labelSelector: selector },
        (pods) => {
          entry.pods = new Map(pods);
          podsChanged(entry);
        },
        controller.signal,
        attempts,
        baseMs,
      ).catch(fail);
    };
    reflect(
      client,
      kind,
      namespace,
      { fieldSelector: `metadata.name=${name}` },
      (objects, deletedName) => {
        const object = objects.get(name);
        if (deletedName === name) entry.deleted = true;
        entry.object = object ?? (entry.deleted ? entry.object : undefined);
        entry.synced = true;
        const selector = selectorString(object?.spec?.selector);
        if (options.failFast && object !== undefined && selector !== '' && podSelector === undefined)
          watchPods(selector);
        if (entry.pods.size > 0) podsChanged(entry);
        else update(entry);
      },
      controller.signal,
      attempts,
      baseMs,
    ).catch(fail);
  }

  const outcome = await settled;
  clearTimeout(timer);
  if (outcome instanceof Error) throw outcome;
  return { result: outcome, resources: tracked, unclaimedImages: unclaimedImages() };
}
