// The Kubernetes API as rollout-wait uses it: list and watch per kind, and the few reads and one patch
// behind diagnostics and rollback. Requests go over node:http or node:https with the agent, headers and
// credentials @kubernetes/client-node derives from the kubeconfig, so every one of them can be aborted
// (the deadline) and every failure is classified once: only what another attempt can fix is retried.
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ClassifiedError,
  DeadlineError,
  errorMessage,
  failureOf,
  isTransient,
  isTransientStatus,
  retry,
  withDeadline,
  type Clock,
} from '@shiprail/core';
import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
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

/** A failed request to the API server; whether another attempt can fix it was decided where it failed. */
export class KubeApiError extends ClassifiedError {
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, transient: boolean) {
    super(message, failureOf(transient));
    this.name = 'KubeApiError';
    this.status = status;
  }
}

const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|ERR_SSL|ERR_TLS|EPROTO/;

/** What a status body says (`{"kind":"Status","message":...}`), else the first bytes of the text. */
export function statusMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not JSON: a proxy's or load balancer's page.
  }
  return body.trim().slice(0, 200) || undefined;
}

/** One error for an HTTP status: whether it is worth another attempt, and what the server said. */
export function statusError(what: string, status: number, body: string): KubeApiError {
  const detail = statusMessage(body) ?? (status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : '');
  return new KubeApiError(`${what}: ${detail ? `${detail} ` : ''}(HTTP ${status})`, status, isTransientStatus(status));
}

/**
 * A failure below HTTP: the connection or no answer in time (retried), a certificate or protocol
 * mismatch (not), anything else (not).
 */
export function connectionError(what: string, error: unknown): KubeApiError {
  if (error instanceof KubeApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = errorMessage(error);
  if (error instanceof DeadlineError) return new KubeApiError(message, undefined, true);
  if (isTransient(error))
    return new KubeApiError(`${what}: ${typeof code === 'string' ? code : message}`, undefined, true);
  if (typeof code === 'string' && CERTIFICATE_CODE.test(code)) {
    return new KubeApiError(
      `${what}: TLS failed (${code}: ${message}); check the cluster's certificate-authority-data and server in the kubeconfig`,
      undefined,
      false,
    );
  }
  return new KubeApiError(`${what}: ${message}${typeof code === 'string' ? ` (${code})` : ''}`, undefined, false);
}

/** How requests to the API server are retried and how long one may take. */
export interface KubeRequestPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** The longest one request other than a watch may take. */
  requestTimeoutMs: number;
}

export const DEFAULT_KUBE_REQUEST_POLICY: KubeRequestPolicy = {
  attempts: 6,
  baseMs: 500,
  maxMs: 8000,
  requestTimeoutMs: 30_000,
};

const PLURALS: Readonly<Record<ListKind, string>> = {
  deployment: 'deployments',
  statefulset: 'statefulsets',
  daemonset: 'daemonsets',
  rollout: 'rollouts',
  pod: 'pods',
};

export function collectionPath(
  kind: ListKind | 'replicaset' | 'controllerrevision' | 'event',
  namespace: string,
): string {
  const ns = encodeURIComponent(namespace);
  if (kind === 'pod' || kind === 'event') return `/api/v1/namespaces/${ns}/${kind}s`;
  if (kind === 'rollout') return `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts`;
  return `/apis/apps/v1/namespaces/${ns}/${kind === 'replicaset' || kind === 'controllerrevision' ? `${kind}s` : PLURALS[kind]}`;
}

type Query = Record<string, string | number | boolean | undefined>;

interface KubeRequest {
  method?: 'GET' | 'PATCH';
  path: string;
  query?: Query;
  accept?: string;
  body?: { contentType: string; text: string };
}

export interface KubeClient {
  server: string;
  /** `onRetry` hears of each failure that is retried. */
  list(
    kind: ListKind,
    namespace: string,
    query: ListQuery,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<ListResult<Workload & Pod>>;
  /** One watch stream from `resourceVersion`; resolves when it ends, rejects with a KubeApiError when it fails. */
  watch(
    kind: ListKind,
    namespace: string,
    query: ListQuery & { resourceVersion: string },
    onEvent: (type: WatchEventType, object: Workload & Pod) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd>;
  replicaSets(namespace: string, labelSelector: string, signal: AbortSignal): Promise<ReplicaSet[]>;
  controllerRevisions(namespace: string, labelSelector: string, signal: AbortSignal): Promise<ControllerRevision[]>;
  events(namespace: string, involvedName: string, signal: AbortSignal): Promise<KubeEvent[]>;
  podLog(
    namespace: string,
    pod: string,
    container: string,
    options: { previous: boolean; tailLines: number },
    signal: AbortSignal,
  ): Promise<string>;
  getDeployment(namespace: string, name: string, signal: AbortSignal): Promise<Workload>;
  patchDeployment(namespace: string, name: string, operations: unknown[], signal: AbortSignal): Promise<void>;
}

const readBody = async (response: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * A client for the current context of `config`. `describeCredentialError` turns a failure to obtain
 * credentials (an exec plugin that fails) into the message shown; it is never retried.
 */
export function createKubeClient(
  config: KubeConfig,
  /** Where the timers of the client come from (the runtime's clock), abortable. */
  clock: Pick<Clock, 'sleep'>,
  describeCredentialError: (error: unknown) => string,
  policy: KubeRequestPolicy = DEFAULT_KUBE_REQUEST_POLICY,
): KubeClient {
  const server = (config.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');

  /** Sends one request; resolves with the response (any status), rejects with a KubeApiError. */
  async function open(request: KubeRequest, what: string, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(server + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const options: RequestOptions = {
      method: request.method ?? 'GET',
      headers: {
        Accept: request.accept ?? 'application/json',
        'User-Agent': 'shiprail-rollout-wait',
        ...(request.body ? { 'Content-Type': request.body.contentType } : {}),
      },
    };
    // As kubectl: credentials go over TLS only; a plain-HTTP server (kubectl proxy) gets none.
    const plain = url.protocol === 'http:';
    try {
      if (!plain) await config.applyToHTTPSOptions(options);
    } catch (error) {
      throw new KubeApiError(`${what}: ${describeCredentialError(error)}`, undefined, false);
    }
    signal.throwIfAborted();
    // Loaded on first use, as the Kubernetes client is: a step that stops at its inputs sends nothing.
    const transport = plain ? process.getBuiltinModule('node:http') : process.getBuiltinModule('node:https');
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = transport.request(url, { ...options, signal }, resolve);
      outgoing.on('error', (error) => reject(connectionError(what, error)));
      outgoing.end(request.body?.text);
    });
  }

  /** One request read whole, under its own deadline: the body on 2xx, a classified KubeApiError otherwise. */
  async function send(request: KubeRequest, what: string, outer: AbortSignal): Promise<string> {
    const exchange = async (deadline: AbortSignal): Promise<string> => {
      const response = await open(request, what, AbortSignal.any([outer, deadline]));
      const body = await readBody(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw statusError(what, status, body);
      return body;
    };
    try {
      return await withDeadline(exchange, policy.requestTimeoutMs, what);
    } catch (error) {
      if (outer.aborted) throw outer.reason;
      throw connectionError(what, error);
    }
  }

  /** 429, 5xx and network failures are retried with backoff, a bounded number of times. */
  const call = (
    request: KubeRequest,
    what: string,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<string> =>
    retry(() => send(request, what, signal), {
      attempts: policy.attempts,
      baseMs: policy.baseMs,
      maxMs: policy.maxMs,
      jitter: 0.2,
      retryIf: (error) => error instanceof KubeApiError && isTransient(error) && !signal.aborted,
      sleep: (ms) => clock.sleep(ms, signal),
      onRetry: (error) => {
        if (error instanceof KubeApiError) onRetry?.(error);
      },
    });

  const getJson = async <T>(
    request: KubeRequest,
    what: string,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<T> => JSON.parse(await call(request, what, signal, onRetry)) as T;

  const listItems = async <T>(path: string, query: Query, what: string, signal: AbortSignal): Promise<T[]> =>
    (await getJson<{ items?: T[] }>({ path, query }, what, signal)).items ?? [];

  return {
    server,
    async list(kind, namespace, query, signal, onRetry) {
      const what = `cannot list ${PLURALS[kind]} in namespace ${namespace} at ${server}`;
      try {
        const list = await getJson<{ items?: Array<Workload & Pod>; metadata?: { resourceVersion?: string } }>(
          { path: collectionPath(kind, namespace), query: { ...query } },
          what,
          signal,
          onRetry,
        );
        return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
      } catch (error) {
        // A cluster without the Argo Rollouts CRD answers 404 for the whole collection.
        if (kind === 'rollout' && error instanceof KubeApiError && error.status === 404) {
          throw new KubeApiError(
            `the API at ${server} does not serve argoproj.io/v1alpha1 rollouts: is Argo Rollouts installed?`,
            404,
            false,
          );
        }
        throw error;
      }
    },

    async watch(kind, namespace, query, onEvent, outer) {
      const what = `watch of ${PLURALS[kind]} in namespace ${namespace} at ${server} failed`;
      // Servers end a watch after timeoutSeconds; one that says nothing for longer is dropped.
      const timeoutSeconds = 300;
      const signal = AbortSignal.any([outer, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]);
      const { createInterface } = process.getBuiltinModule('node:readline');
      let response: IncomingMessage;
      try {
        response = await open(
          {
            path: collectionPath(kind, namespace),
            query: { ...query, watch: true, allowWatchBookmarks: true, timeoutSeconds },
          },
          what,
          signal,
        );
      } catch (error) {
        if (signal.aborted) return 'closed';
        throw error;
      }
      const status = response.statusCode ?? 0;
      if (status === 410) {
        response.resume();
        return 'expired';
      }
      if (status !== 200) throw statusError(what, status, await readBody(response));
      let end: WatchEnd = 'closed';
      let failure: KubeApiError | undefined;
      const lines = createInterface({ input: response, crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (line.trim() === '') continue;
          const event = JSON.parse(line) as { type?: string; object?: unknown };
          if (event.type === 'ERROR') {
            const error = event.object as { code?: number; message?: string } | undefined;
            if (error?.code === 410) end = 'expired';
            else {
              const code = error?.code ?? 500;
              failure = new KubeApiError(`${what}: ${error?.message ?? 'error event'}`, code, isTransientStatus(code));
            }
            break;
          }
          if (
            event.type === 'ADDED' ||
            event.type === 'MODIFIED' ||
            event.type === 'DELETED' ||
            event.type === 'BOOKMARK'
          )
            onEvent(event.type, event.object as Workload & Pod);
        }
      } catch (error) {
        // A stream cut in the middle (or a line that is not JSON) is a dropped watch: watch again.
        if (!signal.aborted && !(error instanceof SyntaxError)) throw connectionError(what, error);
        if (error instanceof SyntaxError) failure = new KubeApiError(`${what}: malformed event`, undefined, true);
      } finally {
        lines.close();
        response.destroy();
      }
      if (failure) throw failure;
      return end;
    },

    replicaSets: (namespace, labelSelector, signal) =>
      listItems(
        collectionPath('replicaset', namespace),
        { labelSelector },
        `cannot list replicasets in namespace ${namespace}`,
        signal,
      ),
    controllerRevisions: (namespace, labelSelector, signal) =>
      listItems(
        collectionPath('controllerrevision', namespace),
        { labelSelector },
        `cannot list controllerrevisions in namespace ${namespace}`,
        signal,
      ),
    events: (namespace, involvedName, signal) =>
      listItems(
        collectionPath('event', namespace),
        { fieldSelector: `involvedObject.name=${involvedName}` },
        `cannot list events in namespace ${namespace}`,
        signal,
      ),
    podLog: (namespace, pod, container, options, signal) =>
      call(
        {
          path: `${collectionPath('pod', namespace)}/${encodeURIComponent(pod)}/log`,
          query: { container, previous: options.previous, tailLines: options.tailLines },
          accept: 'text/plain',
        },
        `cannot read the log of pod ${pod}`,
        signal,
      ),
    getDeployment: (namespace, name, signal) =>
      getJson<Workload>(
        { path: `${collectionPath('deployment', namespace)}/${encodeURIComponent(name)}` },
        `cannot read deployment ${namespace}/${name}`,
        signal,
      ),
    patchDeployment: async (namespace, name, operations, signal) => {
      await call(
        {
          method: 'PATCH',
          path: `${collectionPath('deployment', namespace)}/${encodeURIComponent(name)}`,
          body: { contentType: 'application/json-patch+json', text: JSON.stringify(operations) },
        },
        `cannot patch deployment ${namespace}/${name}`,
        signal,
      );
    },
  };
}
