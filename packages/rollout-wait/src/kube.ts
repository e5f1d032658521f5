// The Kubernetes API as rollout-wait uses it, through @kubernetes/client-node: list and watch per kind,
// the few reads behind diagnostics and rollback, and one error type that says whether retrying helps.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { retry } from '@shiprail/core';
import type { ControllerRevision, KubeEvent, Pod, ReplicaSet, Workload } from './objects.ts';
import type { WorkloadKind } from './status.ts';

export type ListKind = WorkloadKind | 'pod';

export interface ListQuery {
  fieldSelector?: string;
  labelSelector?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** How a watch stream ended when it did not fail: closed (re-watch) or expired (410 Gone: list again). */
export type WatchEnd = 'closed' | 'expired';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export class KubeApiError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, status: number | undefined, retryable: boolean) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.retryable = retryable;
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

function bodyMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body.trim().slice(0, 200) || undefined;
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Turns what the client library throws into a KubeApiError that says what failed and whether to retry. */
export function toKubeApiError(error: unknown, what: string): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (error instanceof ApiException) {
    const status = error.code;
    const detail = bodyMessage(error.body) ?? (status === 401 ? 'Unauthorized' : `HTTP ${status}`);
    return new KubeApiError(`${what}: ${detail} (HTTP ${status})`, status, RETRYABLE_STATUS.has(status));
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number') {
    return new KubeApiError(`${what}: HTTP ${statusCode}`, statusCode, RETRYABLE_STATUS.has(statusCode));
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const detail = code ?? (typeof cause?.message === 'string' ? cause.message : message);
  // Network failures (refused, reset, DNS, timeouts) are worth another attempt.
  return new KubeApiError(`${what}: ${detail}`, undefined, true);
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 8000 };

const PLURALS: Readonly<Record<ListKind, string>> = {
  deployment: 'deployments',
  statefulset: 'statefulsets',
  daemonset: 'daemonsets',
  rollout: 'rollouts',
  pod: 'pods',
};

export function collectionPath(kind: ListKind, namespace: string): string {
  const ns = encodeURIComponent(namespace);
  if (kind === 'pod') return `/api/v1/namespaces/${ns}/pods`;
  if (kind === 'rollout') return `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts`;
  return `/apis/apps/v1/namespaces/${ns}/${PLURALS[kind]}`;
}

export interface KubeClient {
  server: string;
  list(kind: ListKind, namespace: string, query: ListQuery, signal?: AbortSignal): Promise<ListResult<Workload & Pod>>;
  /** One watch stream from `resourceVersion`; resolves when it ends, rejects with a KubeApiError when it fails. */
  watch(
    kind: ListKind,
    namespace: string,
    query: ListQuery & { resourceVersion: string },
    onEvent: (type: WatchEventType, object: Workload & Pod) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd>;
  replicaSets(namespace: string, labelSelector: string): Promise<ReplicaSet[]>;
  controllerRevisions(namespace: string, labelSelector: string): Promise<ControllerRevision[]>;
  events(namespace: string, involvedName: string): Promise<KubeEvent[]>;
  podLog(
    namespace: string,
    pod: string,
    container: string,
    options: { previous: boolean; tailLines: number },
  ): Promise<string>;
  getDeployment(namespace: string, name: string): Promise<Workload>;
  patchDeployment(namespace: string, name: string, operations: unknown[]): Promise<void>;
}

export function createKubeClient(config: KubeConfig, policy: RetryPolicy = DEFAULT_RETRY): KubeClient {
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(config);
  const server = config.getCurrentCluster()?.server ?? '';

  // 5xx, 429 and network failures are retried with backoff, a bounded number of times.
  const call = <T>(what: string, operation: () => Promise<T>): Promise<T> =>
    retry(
      async () => {
        try {
          return await operation();
        } catch (error) {
          throw toKubeApiError(error, what);
        }
      },
      {
        attempts: policy.attempts,
        baseMs: policy.baseMs,
        maxMs: policy.maxMs,
        jitter: 0.2,
        retryIf: (error) => error instanceof KubeApiError && error.retryable,
      },
    );

  async function listOnce(kind: ListKind, namespace: string, query: ListQuery): Promise<ListResult<Workload & Pod>> {
    const params = { namespace, fieldSelector: query.fieldSelector, labelSelector: query.labelSelector };
    let list: { items?: unknown[]; metadata?: { resourceVersion?: string } };
    switch (kind) {
      case 'deployment':
        list = await apps.listNamespacedDeployment(params);
        break;
      case 'statefulset':
        list = await apps.listNamespacedStatefulSet(params);
        break;
      case 'daemonset':
        list = await apps.listNamespacedDaemonSet(params);
        break;
      case 'pod':
        list = await core.listNamespacedPod(params);
        break;
      case 'rollout':
        list = (await custom.listNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          plural: 'rollouts',
          ...params,
        })) as typeof list;
        break;
    }
    return {
      items: (list.items ?? []) as Array<Workload & Pod>,
      resourceVersion: list.metadata?.resourceVersion ?? '',
    };
  }

  return {
    server,
    list: (kind, namespace, query) =>
      call(`cannot list ${PLURALS[kind]} in namespace ${namespace} at ${server}`, () =>
        listOnce(kind, namespace, query),
      ).catch((error: unknown) => {
        // A cluster without the Argo Rollouts CRD answers 404 for the whole collection.
        if (kind === 'rollout' && error instanceof KubeApiError && error.status === 404) {
          throw new KubeApiError(
            `the API at ${server} does not serve argoproj.io/v1alpha1 rollouts: is Argo Rollouts installed?`,
            404,
            false,
          );
        }
        throw error;
      }),

    watch(kind, namespace, query, onEvent, signal) {
      const what = `watch of ${PLURALS[kind]} in namespace ${namespace} at ${server} failed`;
      return new Promise<WatchEnd>((resolve, reject) => {
        let expired = false;
        let failure: KubeApiError | undefined;
        let controller: AbortController | undefined;
        const onAbort = (): void => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const params = {
          resourceVersion: query.resourceVersion,
          allowWatchBookmarks: true,
          fieldSelector: query.fieldSelector,
          labelSelector: query.labelSelector,
          // Servers end a watch after this; the loop then watches again from the last resourceVersion.
          timeoutSeconds: 300,
        };
        watcher
          .watch(
            collectionPath(kind, namespace),
            params,
            (type: string, object: unknown) => {
              if (type === 'ERROR') {
                const status = object as { code?: number; message?: string } | undefined;
                if (status?.code === 410) expired = true;
                else failure = new KubeApiError(`${what}: ${status?.message ?? 'error event'}`, status?.code, true);
                return;
              }
              if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') {
                onEvent(type, object as Workload & Pod);
              }
            },
            (error: unknown) => {
              signal.removeEventListener('abort', onAbort);
              const status = (error as { statusCode?: unknown } | null)?.statusCode;
              if (expired || status === 410) resolve('expired');
              else if (failure) reject(failure);
              else if (error && !signal.aborted && !isTimeout(error)) reject(toKubeApiError(error, what));
              else resolve('closed');
            },
          )
          .then((started) => {
            controller = started;
            if (signal.aborted) started.abort();
          })
          .catch((error: unknown) => reject(toKubeApiError(error, what)));
      });
    },

    replicaSets: (namespace, labelSelector) =>
      call(`cannot list replicasets in namespace ${namespace}`, async () => {
        const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector });
        return list.items;
      }),
    controllerRevisions: (namespace, labelSelector) =>
      call(`cannot list controllerrevisions in namespace ${namespace}`, async () => {
        const list = await apps.listNamespacedControllerRevision({ namespace, labelSelector });
        return list.items;
      }),
    events: (namespace, involvedName) =>
      call(`cannot list events in namespace ${namespace}`, async () => {
        const list = await core.listNamespacedEvent({
          namespace,
          fieldSelector: `involvedObject.name=${involvedName}`,
        });
        return list.items;
      }),
    podLog: (namespace, pod, container, options) =>
      call(`cannot read the log of pod ${pod}`, () =>
        core.readNamespacedPodLog({
          name: pod,
          namespace,
          container,
          previous: options.previous,
          tailLines: options.tailLines,
        }),
      ),
    getDeployment: (namespace, name) =>
      call(
        `cannot read deployment ${namespace}/${name}`,
        async () => (await apps.readNamespacedDeployment({ name, namespace })) as Workload,
      ),
    patchDeployment: (namespace, name, operations) =>
      call(`cannot patch deployment ${namespace}/${name}`, async () => {
        await apps.patchNamespacedDeployment(
          { name, namespace, body: operations },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
      }),
  };
}

const isTimeout = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
