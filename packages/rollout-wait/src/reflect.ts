// A local copy of the objects one query selects, kept current: list, then watch from the list's
// resourceVersion. A stream that ends is resumed from the last resourceVersion seen; an expired one (410)
// or a failed one leads to a new list. Failed watches are retried a bounded number of times.
import { backoffDelay, isTransient } from '@shiprail/core';
import {
  KubeApiError,
  type KubeClient,
  type KubeListItem,
  type ListKind,
  type ListQuery,
  type WatchEnd,
} from './kube.ts';
import type { ObjectMeta } from './objects.ts';

export type KubeItem = KubeListItem;

export interface ReflectTarget {
  kind: ListKind;
  namespace: string;
  query: ListQuery;
}

export interface ReflectContext {
  client: KubeClient;
  signal: AbortSignal;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Consecutive failed watch attempts tolerated before giving up. */
  attempts: number;
  retryBaseMs: number;
  /** A failure that will be retried: kept to say why, should the deadline come first. */
  onRetry?: (error: KubeApiError) => void;
}

/** What changed: the whole current set, and the name of an object that was just deleted. */
export type OnChange = (objects: ReadonlyMap<string, KubeItem>, deleted: string | undefined) => void;

const keyOf = (object: { metadata?: ObjectMeta }): string => object.metadata?.name ?? '';

/** Runs until `context.signal` aborts (resolves) or a failure is not worth another attempt (rejects). */
export async function reflect(target: ReflectTarget, onChange: OnChange, context: ReflectContext): Promise<void> {
  const { client, signal } = context;
  let failures = 0;
  while (!signal.aborted) {
    const list = await client.list(target.kind, target.namespace, target.query, signal, context.onRetry);
    if (signal.aborted) return;
    const objects = new Map(list.items.map((item) => [keyOf(item), item]));
    onChange(objects, undefined);
    let resourceVersion = list.resourceVersion;
    for (;;) {
      if (signal.aborted) return;
      let end: WatchEnd;
      try {
        end = await client.watch(
          target.kind,
          target.namespace,
          { ...target.query, resourceVersion },
          (type, object) => {
            resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
            if (type === 'BOOKMARK') return;
            failures = 0;
            if (type === 'DELETED') objects.delete(keyOf(object));
            else objects.set(keyOf(object), object);
            onChange(objects, type === 'DELETED' ? keyOf(object) : undefined);
          },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof KubeApiError) || !isTransient(error)) throw error;
        failures += 1;
        if (failures >= context.attempts) throw error;
        context.onRetry?.(error);
        await context.sleep(backoffDelay(failures, { baseMs: context.retryBaseMs, maxMs: 8000, jitter: 0.2 }), signal);
        break;
      }
      if (end === 'expired') break;
    }
  }
}
