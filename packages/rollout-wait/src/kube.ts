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

/** A listed object, read loosely: workloads and pods share these field names; GitOps objects are read apart. */
export type KubeListItem = Workload & Pod;

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

/** A custom resource rollout-wait reads: where it is served, and what installs it (for a 404). */
interface CustomResource {
  group: string;
  version: string;
  plural: string;
  product: string;
}

export const CUSTOM_RESOURCES = {
  rollout: { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', product: 'Argo Rollouts' },
  application: { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', product: 'Argo CD' },
  kustomization: {
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    plural: 'kustomizations',
    product: "Flux's kustomize-controller",
  },
  helmrelease: {
    group: 'helm.toolkit.fluxcd.io',
    version: 'v2',
    plural: 'helmreleases',
    product: "Flux's helm-controller",
  },
  gitrepository: {
    group: 'source.toolkit.fluxcd.io',
    version: 'v1',
    plural: 'gitrepositories',
    product: "Flux's source-controller",
  },
} as const satisfies Record<string, CustomResource>;

export type CustomKind = keyof typeof CUSTOM_RESOURCES;

/** Everything `list` and `watch` read: workloads, their pods, and the GitOps controllers' objects. */
export type ListKind = WorkloadKind | 'pod' | CustomKind;

/** The namespace argument that lists a kind in every namespace. */
export const ALL_NAMESPACES = '';

type CoreKind = 'pod' | 'event' | 'deployment' | 'statefulset' | 'daemonset' | 'replicaset' | 'controllerrevision';

const pluralOf = (kind: ListKind | CoreKind): string =>
  kind in CUSTOM_RESOURCES ? CUSTOM_RESOURCES[kind as CustomKind].plural : `${kind}s`;

/** The URL path of a collection; ALL_NAMESPACES for every namespace. */
export function collectionPath(kind: ListKind | CoreKind, namespace: string): string {
  const scope = namespace === ALL_NAMESPACES ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  if (kind === 'pod' || kind === 'event') return `/api/v1${scope}/${kind}s`;
  if (kind in CUSTOM_RESOURCES) {
    const { group, version, plural } = CUSTOM_RESOURCES[kind as CustomKind];
    return `/apis/${group}/${version}${scope}/${plural}`;
  }
  return `/apis/apps/v1${scope}/${kind}s`;
}

const objectPath = (kind: ListKind, namespace: string, name: string): string =>
  `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;

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
  ): Promise<ListResult<KubeListItem>>;
  /** One watch stream from `resourceVersion`; resolves when it ends, rejects with a KubeApiError when it fails. */
  watch(
    kind: ListKind,
    namespace: string,
    query: ListQuery & { resourceVersion: string },
    onEvent: (type: WatchEventType, object: KubeListItem) => void,
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
  /** Sets annotations on a GitOps controller's object (a merge patch): how it is asked to look now. */
  annotate(
    kind: CustomKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    signal: AbortSignal,
  ): Promise<void>;
}

const readBody = async (response: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * A client for the current context of a kubeconfig. `describeCredentialError` turns a failure to obtain
 * credentials (an exec plugin that fails) into the message shown; it is never retried.
 */
export class KubeApi implements KubeClient {
  readonly server: string;
  private readonly config: KubeConfig;
  /** Where the timers of the client come from (the runtime's clock), abortable. */
  private readonly clock: Pick<Clock, 'sleep'>;
  private readonly describeCredentialError: (error: unknown) => string;
  private readonly policy: KubeRequestPolicy;

  constructor(
    config: KubeConfig,
    clock: Pick<Clock, 'sleep'>,
    describeCredentialError: (error: unknown) => string,
    policy: KubeRequestPolicy = DEFAULT_KUBE_REQUEST_POLICY,
  ) {
    this.config = config;
    this.clock = clock;
    this.describeCredentialError = describeCredentialError;
    this.policy = policy;
    this.server = (config.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  }

  async list(
    kind: ListKind,
    namespace: string,
    query: ListQuery,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<ListResult<KubeListItem>> {
    const what = `cannot list ${pluralOf(kind)} ${namespace === ALL_NAMESPACES ? 'in all namespaces' : `in namespace ${namespace}`} at ${this.server}`;
    try {
      const list = await this.getJson<{ items?: KubeListItem[]; metadata?: { resourceVersion?: string } }>(
        { path: collectionPath(kind, namespace), query: { ...query } },
        what,
        signal,
        onRetry,
      );
      return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
    } catch (error) {
      // A cluster without a custom resource's CRD answers 404 for the whole collection.
      const crd = CUSTOM_RESOURCES[kind as CustomKind] as CustomResource | undefined;
      if (crd !== undefined && error instanceof KubeApiError && error.status === 404) {
        throw new KubeApiError(
          `the API at ${this.server} does not serve ${crd.group}/${crd.version} ${crd.plural}: is ${crd.product} installed?`,
          404,
          false,
        );
      }
      throw error;
    }
  }

  async watch(
    kind: ListKind,
    namespace: string,
    query: ListQuery & { resourceVersion: string },
    onEvent: (type: WatchEventType, object: KubeListItem) => void,
    outer: AbortSignal,
  ): Promise<WatchEnd> {
    const what = `watch of ${pluralOf(kind)} in namespace ${namespace} at ${this.server} failed`;
    // Servers end a watch after timeoutSeconds; one that says nothing for longer is dropped.
    const timeoutSeconds = 300;
    const signal = AbortSignal.any([outer, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]);
    let response: IncomingMessage;
    try {
      response = await this.open(
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
    return readWatchStream(response, what, onEvent, signal);
  }

  replicaSets(namespace: string, labelSelector: string, signal: AbortSignal): Promise<ReplicaSet[]> {
    return this.listItems('replicaset', namespace, { labelSelector }, signal);
  }

  controllerRevisions(namespace: string, labelSelector: string, signal: AbortSignal): Promise<ControllerRevision[]> {
    return this.listItems('controllerrevision', namespace, { labelSelector }, signal);
  }

  events(namespace: string, involvedName: string, signal: AbortSignal): Promise<KubeEvent[]> {
    const query = { fieldSelector: `involvedObject.name=${involvedName}` };
    return this.listItems('event', namespace, query, signal);
  }

  podLog(
    namespace: string,
    pod: string,
    container: string,
    options: { previous: boolean; tailLines: number },
    signal: AbortSignal,
  ): Promise<string> {
    return this.call(
      {
        path: `${collectionPath('pod', namespace)}/${encodeURIComponent(pod)}/log`,
        query: { container, previous: options.previous, tailLines: options.tailLines },
        accept: 'text/plain',
      },
      `cannot read the log of pod ${pod}`,
      signal,
    );
  }

  getDeployment(namespace: string, name: string, signal: AbortSignal): Promise<Workload> {
    return this.getJson<Workload>(
      { path: objectPath('deployment', namespace, name) },
      `cannot read deployment ${namespace}/${name}`,
      signal,
    );
  }

  async patchDeployment(namespace: string, name: string, operations: unknown[], signal: AbortSignal): Promise<void> {
    await this.call(
      {
        method: 'PATCH',
        path: objectPath('deployment', namespace, name),
        body: { contentType: 'application/json-patch+json', text: JSON.stringify(operations) },
      },
      `cannot patch deployment ${namespace}/${name}`,
      signal,
    );
  }

  async annotate(
    kind: CustomKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    signal: AbortSignal,
  ): Promise<void> {
    await this.call(
      {
        method: 'PATCH',
        path: objectPath(kind, namespace, name),
        body: { contentType: 'application/merge-patch+json', text: JSON.stringify({ metadata: { annotations } }) },
      },
      `cannot annotate ${CUSTOM_RESOURCES[kind].plural} ${namespace}/${name}`,
      signal,
    );
  }

  /** Sends one request; resolves with the response (any status), rejects with a KubeApiError. */
  private async open(request: KubeRequest, what: string, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(this.server + request.path);
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
      if (!plain) await this.config.applyToHTTPSOptions(options);
    } catch (error) {
      throw new KubeApiError(`${what}: ${this.describeCredentialError(error)}`, undefined, false);
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
  private async send(request: KubeRequest, what: string, outer: AbortSignal): Promise<string> {
    const exchange = async (deadline: AbortSignal): Promise<string> => {
      const response = await this.open(request, what, AbortSignal.any([outer, deadline]));
      const body = await readBody(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw statusError(what, status, body);
      return body;
    };
    try {
      return await withDeadline(exchange, this.policy.requestTimeoutMs, what);
    } catch (error) {
      if (outer.aborted) throw outer.reason;
      throw connectionError(what, error);
    }
  }

  /** 429, 5xx and network failures are retried with backoff, a bounded number of times. */
  private call(
    request: KubeRequest,
    what: string,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<string> {
    const { attempts, baseMs, maxMs } = this.policy;
    return retry(() => this.send(request, what, signal), {
      attempts,
      baseMs,
      maxMs,
      jitter: 0.2,
      retryIf: (error) => error instanceof KubeApiError && isTransient(error) && !signal.aborted,
      sleep: (ms) => this.clock.sleep(ms, signal),
      onRetry: (error) => {
        if (error instanceof KubeApiError) onRetry?.(error);
      },
    });
  }

  private async getJson<T>(
    request: KubeRequest,
    what: string,
    signal: AbortSignal,
    onRetry?: (error: KubeApiError) => void,
  ): Promise<T> {
    return JSON.parse(await this.call(request, what, signal, onRetry)) as T;
  }

  private async listItems<T>(kind: CoreKind, namespace: string, query: Query, signal: AbortSignal): Promise<T[]> {
    const what = `cannot list ${pluralOf(kind)} in namespace ${namespace}`;
    const path = collectionPath(kind, namespace);
    return (await this.getJson<{ items?: T[] }>({ path, query }, what, signal)).items ?? [];
  }
}

/** Reads a watch stream's events to its end: `closed` (watch again), `expired`, or a KubeApiError. */
async function readWatchStream(
  response: IncomingMessage,
  what: string,
  onEvent: (type: WatchEventType, object: KubeListItem) => void,
  signal: AbortSignal,
): Promise<WatchEnd> {
  const { createInterface } = process.getBuiltinModule('node:readline');
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
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED' || event.type === 'BOOKMARK')
        onEvent(event.type, event.object as KubeListItem);
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
}
