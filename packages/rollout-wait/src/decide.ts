// What the wait knows, and the pure judgements over it: each resource's verdict (`judge`) and whether the
// wait goes on or ends, and how (`decide`).
import { ConfigurationError } from '@shiprail/core';
import type { ImageReference } from '@shiprail/core/image-reference';
import { checkTemplateImages, waitingForImagesMessage } from './images.ts';
import type { ResourceRef } from './inputs.ts';
import type { Pod, Workload } from './objects.ts';
import { allHopeless, describeHopeless, podsWithLabel, type NewPodLabel } from './pods.ts';
import { workloadStatus, type Verdict } from './status.ts';

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
  /** The last failure that is being retried, to say why should the deadline come first. */
  problem: string | undefined;
}

export type RolloutWaitResult = 'success' | 'failed' | 'timeout';

export interface RolloutWaitState {
  resources: TrackedResource[];
  /** The deadline has passed. */
  deadlinePassed: boolean;
  /** A failure that ends the wait: not worth another attempt, or out of attempts. */
  failure: Error | undefined;
  /** Every resource was done while an expected image was still missing, and that was said. */
  warnedUnclaimed: boolean;
}

export interface JudgeOptions {
  failFast: boolean;
  acceptPaused: boolean;
  images: readonly ImageReference[];
}

export type Decision =
  | { kind: 'wait' }
  /** Every resource is done, but no pod template uses these expected images yet. */
  | { kind: 'warn-unclaimed'; images: string[] }
  | { kind: 'end'; result: RolloutWaitResult; error?: Error };

export const FIRST_VERDICT: Verdict = {
  phase: 'progressing',
  message: 'Waiting for the first status...',
  reason: 'Progressing',
};

export function trackResource(ref: ResolvedRef): TrackedResource {
  return {
    ref,
    object: undefined,
    pods: new Map(),
    verdict: FIRST_VERDICT,
    newPods: undefined,
    synced: false,
    deleted: false,
    problem: undefined,
  };
}

/** The verdict on one resource, as kubectl would give it, with expected images and hopeless pods. */
export function judge(tracked: TrackedResource, options: JudgeOptions): Verdict {
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

/** Expected images that no watched pod template uses. */
export function unclaimedImages(resources: readonly TrackedResource[], images: readonly ImageReference[]): string[] {
  const containers = resources.flatMap((entry) => [
    ...(entry.object?.spec?.template?.spec?.containers ?? []),
    ...(entry.object?.spec?.template?.spec?.initContainers ?? []),
  ]);
  return images
    .filter(
      (image) =>
        !containers.some(
          (container) => checkTemplateImages({ spec: { containers: [container] } }, [image]).carried.length > 0,
        ),
    )
    .map((image) => image.text);
}

/** Resources that were listed and do not exist, when no expected image says they are still to come. */
function missingResources(state: RolloutWaitState, options: JudgeOptions): ConfigurationError | undefined {
  if (options.images.length > 0 || !state.resources.every((entry) => entry.synced)) return undefined;
  const missing = state.resources.filter((entry) => entry.object === undefined && !entry.deleted);
  if (missing.length === 0) return undefined;
  const names = missing.map((entry) => `${entry.ref.kind}/${entry.ref.name} in namespace ${entry.ref.namespace}`);
  return new ConfigurationError(`${names.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`, {
    input: 'resources',
  });
}

/** Whether the wait goes on, and if not, how it ends. */
export function decide(state: RolloutWaitState, options: JudgeOptions): Decision {
  if (state.failure !== undefined) return { kind: 'end', result: 'failed', error: state.failure };
  const missing = missingResources(state, options);
  if (missing !== undefined) return { kind: 'end', result: 'failed', error: missing };
  const phases = state.resources.map((entry) => entry.verdict.phase);
  const failed = phases.includes('failed');
  if (failed && options.failFast) return { kind: 'end', result: 'failed' };
  if (!phases.includes('progressing')) {
    if (failed) return { kind: 'end', result: 'failed' };
    const unclaimed = unclaimedImages(state.resources, options.images);
    if (unclaimed.length === 0) return { kind: 'end', result: 'success' };
    if (!state.warnedUnclaimed && !state.deadlinePassed) return { kind: 'warn-unclaimed', images: unclaimed };
  }
  if (state.deadlinePassed) return { kind: 'end', result: 'timeout' };
  return { kind: 'wait' };
}
