// A Kubernetes API server for tests and the demo: the real HTTP wire protocol (discovery, get, list,
// watch, patch, create, delete, pod logs, server-side tables) over plain HTTP or TLS on 127.0.0.1, backed by an
// in-memory store that tests drive directly. Faithful enough that real kubectl works against it.
// No jest globals: `node x.ts` under Node 24 can import it.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '@shiprail/core';
import {
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  isObject,
  text,
  type Json,
  type JsonObject,
} from './kube-patch.ts';

export type { Json, JsonObject } from './kube-patch.ts';
export { text } from './kube-patch.ts';

/** A stored object: plain JSON with apiVersion, kind, metadata (and usually spec and status). */
export type KubeObject = JsonObject & { metadata: JsonObject };

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources listed in discovery (`status`, `scale`, `log`). */
  subresources: string[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['log', 'status'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: ALL_VERBS,
    subresources: [],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'controllerrevisions',
    kind: 'ControllerRevision',
    singular: 'controllerrevision',
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: [],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    singular: 'daemonset',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['status'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    singular: 'statefulset',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
  },
  {
    group: 'argoproj.io',
    version: 'v1alpha1',
    resource: 'rollouts',
    kind: 'Rollout',
    singular: 'rollout',
    namespaced: true,
    shortNames: ['ro'],
    categories: ['all'],
    verbs: ALL_VERBS,
    subresources: ['scale', 'status'],
  },
];

const groupVersionOf = (type: ResourceType): string =>
  type.group === '' ? type.version : `${type.group}/${type.version}`;

/** Finds a resource type by plural, singular, kind or short name (`deploy`, `Deployment`, `deployments`). */
export function resourceType(name: string): ResourceType {
  const lower = name.toLowerCase();
  const found = RESOURCE_TYPES.find(
    (type) =>
      type.resource === lower ||
      type.singular === lower ||
      type.kind.toLowerCase() === lower ||
      (type.shortNames ?? []).includes(lower),
  );
  if (found === undefined) throw new Error(`the test API server has no resource type ${name}`);
  return found;
}

function typeOfObject(object: JsonObject): ResourceType {
  const apiVersion = text(object['apiVersion'] ?? '');
  const kind = text(object['kind'] ?? '');
  const found = RESOURCE_TYPES.find((type) => groupVersionOf(type) === apiVersion && type.kind === kind);
  if (found === undefined) throw new Error(`the test API server does not serve ${apiVersion} ${kind}`);
  return found;
}

interface HistoryEntry {
  resourceVersion: number;
  type: ResourceType;
  namespace: string;
  previous: KubeObject | undefined;
  current: KubeObject | undefined;
}

interface Watcher {
  type: ResourceType;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  send: (eventType: string, object: JsonObject) => void;
  close: () => void;
}

interface InjectedFailure {
  remaining: number;
  status: number;
  matches: (request: RecordedRequest) => boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string;
  contentType: string;
  userAgent: string;
  /** Whether the request carried this server's bearer token. */
  authenticated: boolean;
  watch: boolean;
  status?: number;
}

export interface FailureOptions {
  /** HTTP status answered (default 500). */
  status?: number;
  /** Only requests whose path matches. */
  path?: RegExp;
  method?: string;
  /** Only watch requests (true) or only other requests (false). */
  watch?: boolean;
}

export interface KubeApiServerOptions {
  /** How often open watches that asked for bookmarks get one (default 1000 ms; real servers: about a minute). */
  bookmarkIntervalMs?: number;
  /** How an expired resourceVersion on a watch is answered: an ERROR event in a 200 stream, as the watch
   * cache does (default), or an HTTP 410 response. */
  expiredWatch?: 'event' | 'status';
  /** The default namespace written into the kubeconfig's context (default `default`). */
  namespace?: string;
  /** The Kubernetes version /version reports. */
  gitVersion?: string;
  /** Serve no argoproj.io API, as a cluster without Argo Rollouts. */
  withoutArgoRollouts?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1, which the kubeconfig trusts. */
  tls?: boolean;
}

export interface KubeApiServer {
  url: string;
  /** The PEM certificate served, with `tls: true`. */
  certificate: string | undefined;
  /** A kubeconfig file pointing at this server with a bearer token (removed by stop()). */
  kubeconfigPath: string;
  kubeconfig: string;
  token: string;
  requests: RecordedRequest[];
  /** Creates or replaces an object; keeps uid and creation time; bumps generation when spec changes. */
  apply(object: JsonObject): KubeObject;
  /** Read-modify-write of a stored object. */
  update(type: string, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject;
  get(type: string, namespace: string, name: string): KubeObject | undefined;
  list(type: string, namespace?: string): KubeObject[];
  remove(type: string, namespace: string, name: string): void;
  /** Sets what `pods/<pod>/log` answers for a container (`previous` for the terminated instance). */
  setLog(namespace: string, pod: string, container: string, text: string, previous?: boolean): void;
  /** The next `count` matching requests are answered with an error status. */
  failRequests(count: number, options?: FailureOptions): void;
  /** Every request is answered with this status until cleared with undefined. */
  failAll(status: number | undefined): void;
  /** Ends every open watch stream, as an API server does on restart or timeout. */
  dropWatches(options?: { abrupt?: boolean }): void;
  /** Forgets history: watches from any resourceVersion seen so far get `410 Gone`. */
  compact(): void;
  openWatches(): number;
  resourceVersion(): number;
  stop(): Promise<void>;
}

const json = (value: unknown): string => JSON.stringify(value);

function statusBody(code: number, reason: string, message: string, details?: JsonObject): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

// Label selectors as kubectl and client libraries send them: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const terms = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  const tests = terms.map((raw) => {
    const term = raw.trim();
    let match: RegExpExecArray | null;
    if ((match = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key = '', operator, list = ''] = match;
      const values = list.split(',').map((value) => value.trim());
      return (labels: Record<string, string>) =>
        operator === 'in' ? values.includes(labels[key] ?? '\0') : !values.includes(labels[key] ?? '\0');
    }
    if ((match = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      const [, key = '', operator, value = ''] = match;
      return (labels: Record<string, string>) => (operator === '!=' ? labels[key] !== value : labels[key] === value);
    }
    if ((match = /^!(\S+)$/.exec(term))) {
      const key = match[1] ?? '';
      return (labels: Record<string, string>) => !(key in labels);
    }
    return (labels: Record<string, string>) => term in labels;
  });
  return (labels) => tests.every((test) => test(labels));
}

// Field selectors: `metadata.name=x,involvedObject.kind=Pod,status.phase!=Running`.
export function parseFieldSelector(selector: string): (object: JsonObject) => boolean {
  const tests = selector
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .map((term) => {
      const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
      if (!match) throw new Error(`bad field selector term '${term}'`);
      const [, path = '', operator, value] = match;
      return (object: JsonObject) => {
        let current: Json | undefined = object;
        for (const part of path.split('.')) current = isObject(current) ? current[part] : undefined;
        const actual = text(current);
        return operator === '!=' ? actual !== value : actual === value;
      };
    });
  return (object) => tests.every((test) => test(object));
}

const labelsOf = (object: KubeObject): Record<string, string> =>
  (isObject(object.metadata['labels']) ? object.metadata['labels'] : {}) as Record<string, string>;

function age(object: KubeObject, now: number): string {
  const created = Date.parse(text(object.metadata['creationTimestamp'] ?? ''));
  const seconds = Number.isFinite(created) ? Math.max(0, Math.round((now - created) / 1000)) : 0;
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

const num = (value: Json | undefined): number => (typeof value === 'number' ? value : 0);
const section = (object: KubeObject, key: string): JsonObject => {
  const value = object[key];
  return isObject(value) ? value : {};
};

// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), the columns kubectl shows.
function tableColumns(type: ResourceType): Array<[string, string, (object: KubeObject, now: number) => Json]> {
  const name: [string, string, (object: KubeObject) => Json] = ['Name', 'string', (o) => text(o.metadata['name'])];
  const ageColumn: [string, string, (object: KubeObject, now: number) => Json] = ['Age', 'string', age];
  switch (type.resource) {
    case 'deployments':
      return [
        name,
        [
          'Ready',
          'string',
          (o) => `${num(section(o, 'status')['readyReplicas'])}/${num(section(o, 'spec')['replicas'])}`,
        ],
        ['Up-to-date', 'integer', (o) => num(section(o, 'status')['updatedReplicas'])],
        ['Available', 'integer', (o) => num(section(o, 'status')['availableReplicas'])],
        ageColumn,
      ];
    case 'statefulsets':
      return [
        name,
        [
          'Ready',
          'string',
          (o) => `${num(section(o, 'status')['readyReplicas'])}/${num(section(o, 'spec')['replicas'])}`,
        ],
        ageColumn,
      ];
    case 'daemonsets':
      return [
        name,
        ['Desired', 'integer', (o) => num(section(o, 'status')['desiredNumberScheduled'])],
        ['Current', 'integer', (o) => num(section(o, 'status')['currentNumberScheduled'])],
        ['Ready', 'integer', (o) => num(section(o, 'status')['numberReady'])],
        ['Up-to-date', 'integer', (o) => num(section(o, 'status')['updatedNumberScheduled'])],
        ['Available', 'integer', (o) => num(section(o, 'status')['numberAvailable'])],
        ageColumn,
      ];
    case 'replicasets':
      return [
        name,
        ['Desired', 'integer', (o) => num(section(o, 'spec')['replicas'])],
        ['Current', 'integer', (o) => num(section(o, 'status')['replicas'])],
        ['Ready', 'integer', (o) => num(section(o, 'status')['readyReplicas'])],
        ageColumn,
      ];
    case 'pods':
      return [
        name,
        [
          'Ready',
          'string',
          (o) => {
            const statuses = section(o, 'status')['containerStatuses'];
            const list = Array.isArray(statuses) ? statuses.filter(isObject) : [];
            return `${list.filter((s) => s['ready'] === true).length}/${list.length}`;
          },
        ],
        ['Status', 'string', (o) => podStatusColumn(o)],
        [
          'Restarts',
          'integer',
          (o) => {
            const statuses = section(o, 'status')['containerStatuses'];
            return (Array.isArray(statuses) ? statuses.filter(isObject) : []).reduce(
              (sum, s) => sum + num(s['restartCount']),
              0,
            );
          },
        ],
        ageColumn,
      ];
    default:
      return [name, ageColumn];
  }
}

function podStatusColumn(pod: KubeObject): string {
  const status = section(pod, 'status');
  const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'].filter(isObject) : [];
  for (const container of statuses) {
    const state = isObject(container['state']) ? container['state'] : {};
    for (const key of ['waiting', 'terminated']) {
      const detail = state[key];
      if (isObject(detail) && typeof detail['reason'] === 'string') return detail['reason'];
    }
  }
  return text(status['phase'] ?? 'Unknown');
}

function toTable(type: ResourceType, objects: KubeObject[], resourceVersion: string): JsonObject {
  const columns = tableColumns(type);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(([name, columnType]) => ({
      name,
      type: columnType,
      format: name === 'Name' ? 'name' : '',
      description: name === 'Name' ? 'Name must be unique within a namespace.' : `${name} of the ${type.singular}.`,
      priority: 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map(([, , cell]) => cell(object, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}

function discoveryResources(served: readonly ResourceType[], groupVersion: string): JsonObject {
  const resources: Json[] = [];
  for (const type of served.filter((candidate) => groupVersionOf(candidate) === groupVersion)) {
    resources.push({
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
      ...(type.shortNames ? { shortNames: type.shortNames } : {}),
      ...(type.categories ? { categories: type.categories } : {}),
      storageVersionHash: Buffer.from(`${groupVersion}/${type.kind}`).toString('base64').slice(0, 11),
    });
    for (const subresource of type.subresources) {
      const kind = subresource === 'scale' ? 'Scale' : subresource === 'log' ? 'Pod' : type.kind;
      resources.push({
        name: `${type.resource}/${subresource}`,
        singularName: '',
        namespaced: type.namespaced,
        ...(subresource === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        kind,
        verbs: subresource === 'log' ? ['get'] : ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function apiGroups(served: readonly ResourceType[]): JsonObject[] {
  const groups = [...new Set(served.map((type) => type.group).filter((group) => group !== ''))];
  return groups.map((group) => {
    const version = served.find((type) => type.group === group)?.version ?? 'v1';
    const groupVersion = { groupVersion: `${group}/${version}`, version };
    return { name: group, versions: [groupVersion], preferredVersion: groupVersion };
  });
}

const specOf = (object: JsonObject | undefined): string => json(object?.['spec'] ?? null);

/** A fresh self-signed certificate (and its key) for 127.0.0.1, made by openssl. */
function selfSignedCertificate(): { cert: string; key: string } {
  const directory = mkdtempSync(join(tmpdir(), 'kube-api-tls-'));
  try {
    const [cert, key] = [join(directory, 'server.crt'), join(directory, 'server.key')];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Starts the server on a random free port of 127.0.0.1 and writes a kubeconfig for it. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
  const served = RESOURCE_TYPES.filter(
    (type) => !(options.withoutArgoRollouts === true && type.group === 'argoproj.io'),
  );
  const token = `test-token-${randomUUID()}`;
  const store = new Map<string, KubeObject>();
  const history: HistoryEntry[] = [];
  const watchers = new Set<Watcher>();
  const sockets = new Set<Socket>();
  const logs = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  let failures: InjectedFailure[] = [];
  let failEverything: number | undefined;
  let currentRv = 1000;
  let compactedRv = 0;

  const keyOf = (type: ResourceType, namespace: string, name: string): string =>
    `${type.group}/${type.resource}/${type.namespaced ? namespace : ''}/${name}`;

  const objectsOf = (type: ResourceType, namespace: string | undefined): KubeObject[] =>
    [...store.values()]
      .filter((object) => typeOfObject(object) === type)
      .filter((object) => namespace === undefined || !type.namespaced || object.metadata['namespace'] === namespace)
      .sort((a, b) =>
        `${text(a.metadata['namespace'])}/${text(a.metadata['name'])}`.localeCompare(
          `${text(b.metadata['namespace'])}/${text(b.metadata['name'])}`,
        ),
      );

  function record(
    type: ResourceType,
    namespace: string,
    previous: KubeObject | undefined,
    current: KubeObject | undefined,
  ): void {
    history.push({ resourceVersion: currentRv, type, namespace, previous, current });
    for (const watcher of watchers) {
      if (watcher.type !== type) continue;
      if (watcher.namespace !== undefined && type.namespaced && watcher.namespace !== namespace) continue;
      const event = watchEventFor(watcher, previous, current);
      if (event) watcher.send(event[0], event[1]);
    }
  }

  function watchEventFor(
    watcher: Pick<Watcher, 'matches'>,
    previous: KubeObject | undefined,
    current: KubeObject | undefined,
  ): [string, KubeObject] | undefined {
    const before = previous !== undefined && watcher.matches(previous);
    const after = current !== undefined && watcher.matches(current);
    if (current !== undefined && after) return [before ? 'MODIFIED' : 'ADDED', current];
    if (before && previous !== undefined) return ['DELETED', current ?? previous];
    return undefined;
  }

  function ensureNamespace(namespace: string): void {
    const type = resourceType('namespaces');
    if (namespace === '' || store.has(keyOf(type, '', namespace))) return;
    put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  function put(input: JsonObject, keepStatus = false): KubeObject {
    const type = typeOfObject(input);
    const object = structuredClone(input) as KubeObject;
    if (!isObject(object.metadata)) throw new Error('an object needs metadata');
    const name = text(object.metadata['name'] ?? '');
    if (name === '') throw new Error('an object needs metadata.name');
    const namespace = type.namespaced ? text(object.metadata['namespace'] ?? 'default') : '';
    if (type.namespaced) {
      object.metadata['namespace'] = namespace;
      ensureNamespace(namespace);
    }
    const key = keyOf(type, namespace, name);
    const previous = store.get(key);
    currentRv += 1;
    object.metadata['uid'] = previous?.metadata['uid'] ?? object.metadata['uid'] ?? randomUUID();
    object.metadata['creationTimestamp'] =
      previous?.metadata['creationTimestamp'] ??
      object.metadata['creationTimestamp'] ??
      new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata['resourceVersion'] = String(currentRv);
    if (object.metadata['generation'] === undefined && (object['spec'] !== undefined || previous)) {
      const previousGeneration = num(previous?.metadata['generation']);
      object.metadata['generation'] =
        previous === undefined ? 1 : specOf(previous) === specOf(object) ? previousGeneration : previousGeneration + 1;
    }
    if (previous && (keepStatus || object['status'] === undefined) && previous['status'] !== undefined) {
      object['status'] = structuredClone(previous['status']);
    }
    store.set(key, object);
    record(type, namespace, previous, object);
    return structuredClone(object);
  }

  function removeObject(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(type, namespace, name);
    const previous = store.get(key);
    if (previous === undefined) return undefined;
    store.delete(key);
    currentRv += 1;
    const deleted = structuredClone(previous);
    deleted.metadata['resourceVersion'] = String(currentRv);
    record(type, namespace, previous, undefined);
    // The DELETED event carries the object as last seen, at the deletion's resourceVersion.
    const last = history[history.length - 1];
    if (last) last.previous = deleted;
    return deleted;
  }

  // Strips kind/apiVersion from the items of built-in lists, as the real server's JSON does.
  const listItem = (type: ResourceType, object: KubeObject): KubeObject => {
    if (type.group === 'argoproj.io') return object;
    const item = structuredClone(object);
    delete item['kind'];
    delete item['apiVersion'];
    return item;
  };

  function handle(request: IncomingMessage, response: ServerResponse, body: string, recorded: RecordedRequest): void {
    const send = (status: number, payload: unknown, contentType = 'application/json'): void => {
      recorded.status = status;
      const text = typeof payload === 'string' ? payload : json(payload);
      response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
    };
    const fail = (status: number, message: string, details?: JsonObject): void =>
      send(status, statusBody(status, REASONS[status] ?? 'InternalError', message, details));

    // kubectl never sends credentials over plain HTTP, so anonymous requests are served, as an API server
    // with anonymous auth does; a wrong credential is refused.
    if (request.headers.authorization !== undefined && request.headers.authorization !== `Bearer ${token}`) {
      return fail(401, 'Unauthorized');
    }
    if (failEverything !== undefined)
      return fail(failEverything, 'the server is currently unable to handle the request');
    const injected = failures.find((failure) => failure.remaining > 0 && failure.matches(recorded));
    if (injected) {
      injected.remaining -= 1;
      failures = failures.filter((failure) => failure.remaining > 0);
      return fail(
        injected.status,
        injected.status >= 500 ? 'Internal error occurred: injected failure' : 'injected failure',
      );
    }

    const path = recorded.path.replace(/\/+$/, '') || '/';
    const method = recorded.method;
    if (method === 'GET' && path === '/version') {
      return send(200, {
        major: '1',
        minor: (options.gitVersion ?? 'v1.32.0').split('.')[1] ?? '32',
        gitVersion: options.gitVersion ?? 'v1.32.0',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (method === 'GET' && (path === '/healthz' || path === '/readyz' || path === '/livez')) {
      return send(200, 'ok', 'text/plain');
    }
    if (method === 'GET' && path === '/api') {
      const port = (server.address() as AddressInfo).port;
      return send(200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
      });
    }
    if (method === 'GET' && path === '/apis') {
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups(served) });
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (method === 'GET' && groupMatch) {
      const group = apiGroups(served).find((candidate) => candidate['name'] === groupMatch[1]);
      if (!group) return fail(404, 'the server could not find the requested resource');
      return send(200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
    }
    if (method === 'GET' && (path === '/api/v1' || /^\/apis\/[^/]+\/[^/]+$/.test(path))) {
      const groupVersion = path === '/api/v1' ? 'v1' : path.slice('/apis/'.length);
      if (!served.some((type) => groupVersionOf(type) === groupVersion)) {
        return fail(404, 'the server could not find the requested resource');
      }
      return send(200, discoveryResources(served, groupVersion));
    }

    const resourceMatch =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
        path,
      );
    if (!resourceMatch) return fail(404, 'the server could not find the requested resource');
    const [, coreVersion, group = '', groupVersionPart, namespacePart, resourceName, name, subresource] = resourceMatch;
    const version = coreVersion ?? groupVersionPart ?? '';
    const type = served.find(
      (candidate) => candidate.group === group && candidate.version === version && candidate.resource === resourceName,
    );
    if (!type) return fail(404, 'the server could not find the requested resource');
    const namespace = namespacePart === undefined ? undefined : decodeURIComponent(namespacePart);
    if (!type.namespaced && namespace !== undefined) {
      return fail(404, 'the server could not find the requested resource');
    }
    const qualified = type.group === '' ? type.resource : `${type.resource}.${type.group}`;
    const notFound = (objectName: string): void =>
      fail(404, `${qualified} "${objectName}" not found`, { name: objectName, group: type.group, kind: type.resource });
    const wantsTable = recorded.accept.includes('as=Table');

    if (name === undefined) {
      if (method === 'GET' && (recorded.query['watch'] === 'true' || recorded.query['watch'] === '1')) {
        return startWatch(response, type, namespace, recorded);
      }
      if (method === 'GET') {
        let items = objectsOf(type, namespace);
        const labelSelector = recorded.query['labelSelector'];
        const fieldSelector = recorded.query['fieldSelector'];
        if (labelSelector) {
          const matches = parseLabelSelector(labelSelector);
          items = items.filter((object) => matches(labelsOf(object)));
        }
        if (fieldSelector) items = items.filter(parseFieldSelector(fieldSelector));
        const requestedRv = Number(recorded.query['resourceVersion'] ?? '0');
        if (recorded.query['resourceVersionMatch'] === 'Exact' && requestedRv < compactedRv) {
          return fail(410, `too old resource version: ${requestedRv} (${compactedRv})`);
        }
        const offset = recorded.query['continue']
          ? Number(Buffer.from(recorded.query['continue'], 'base64').toString())
          : 0;
        const limit = Number(recorded.query['limit'] ?? '0');
        const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
        const more = limit > 0 && offset + limit < items.length;
        const metadata: JsonObject = { resourceVersion: String(currentRv) };
        if (more) {
          metadata['continue'] = Buffer.from(String(offset + limit)).toString('base64');
          metadata['remainingItemCount'] = items.length - offset - limit;
        }
        if (wantsTable) return send(200, { ...toTable(type, page, String(currentRv)), metadata });
        return send(200, {
          kind: `${type.kind}List`,
          apiVersion: groupVersionOf(type),
          metadata,
          items: page.map((object) => listItem(type, object)),
        });
      }
      if (method === 'POST') {
        let object: JsonObject;
        try {
          object = JSON.parse(body) as JsonObject;
        } catch {
          return fail(400, 'the request body is not JSON');
        }
        const objectName = isObject(object['metadata']) ? text(object['metadata']['name'] ?? '') : '';
        if (store.has(keyOf(type, namespace ?? '', objectName))) {
          return fail(409, `${qualified} "${objectName}" already exists`, {
            name: objectName,
            group: type.group,
            kind: type.resource,
          });
        }
        const created = put({
          ...object,
          apiVersion: groupVersionOf(type),
          kind: type.kind,
          metadata: { ...(object['metadata'] as JsonObject), ...(namespace ? { namespace } : {}) },
        });
        return send(201, created);
      }
      return fail(405, `the server does not allow this method on the requested resource`);
    }

    const objectName = decodeURIComponent(name);
    const key = keyOf(type, namespace ?? '', objectName);
    const existing = store.get(key);
    if (subresource === 'log') {
      if (type.resource !== 'pods' || method !== 'GET')
        return fail(404, 'the server could not find the requested resource');
      if (!existing) return notFound(objectName);
      const specContainers = section(existing, 'spec')['containers'];
      const containers = (Array.isArray(specContainers) ? specContainers : []).filter(isObject);
      const container =
        recorded.query['container'] ?? (containers.length === 1 ? text(containers[0]?.['name']) : undefined);
      if (container === undefined) {
        const names = containers.map((entry) => text(entry['name'])).join(' ');
        return fail(400, `a container name must be specified for pod ${objectName}, choose one of: [${names}]`);
      }
      const previous = recorded.query['previous'] === 'true';
      const log = logs.get(`${namespace ?? ''}/${objectName}/${container}/${previous ? 'previous' : 'current'}`);
      if (log === undefined) {
        return fail(400, `previous terminated container "${container}" in pod "${objectName}" not found`);
      }
      const tail = Number(recorded.query['tailLines'] ?? '-1');
      const lines = log.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const selected = tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
      return send(200, selected.map((line) => `${line}\n`).join(''), 'text/plain');
    }
    if (subresource !== undefined && subresource !== 'status') {
      return fail(404, 'the server could not find the requested resource');
    }
    if (method === 'GET') {
      if (!existing) return notFound(objectName);
      return send(200, wantsTable ? toTable(type, [existing], String(currentRv)) : existing);
    }
    if (method === 'DELETE') {
      const deleted = existing ? removeObject(type, namespace ?? '', objectName) : undefined;
      if (!deleted) return notFound(objectName);
      return send(200, deleted);
    }
    if (method === 'PUT' || method === 'PATCH') {
      if (!existing) return notFound(objectName);
      let patched: Json | undefined;
      try {
        const parsed = JSON.parse(body) as Json;
        const contentType = recorded.contentType.split(';')[0]?.trim() ?? '';
        if (method === 'PUT') patched = parsed;
        else if (contentType === 'application/json-patch+json') patched = applyJsonPatch(existing, parsed);
        else if (contentType === 'application/merge-patch+json') patched = applyMergePatch(existing, parsed);
        else if (contentType === 'application/strategic-merge-patch+json') {
          if (type.group === 'argoproj.io') {
            return fail(415, 'strategic merge patch is not supported for custom resources');
          }
          patched = applyStrategicMergePatch(existing, parsed);
        } else {
          return fail(
            415,
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
          );
        }
      } catch (error) {
        if (error instanceof PatchError || error instanceof SyntaxError) return fail(422, error.message);
        throw error;
      }
      if (!isObject(patched)) return fail(422, 'the patched object is not an object');
      const updated = patched as KubeObject;
      const requestedRv = isObject(updated['metadata']) ? updated['metadata']['resourceVersion'] : undefined;
      if (method === 'PUT' && requestedRv !== undefined && requestedRv !== existing.metadata['resourceVersion']) {
        return fail(
          409,
          `Operation cannot be fulfilled on ${qualified} "${objectName}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      const next: KubeObject = {
        ...updated,
        apiVersion: existing['apiVersion'] ?? null,
        kind: existing['kind'] ?? null,
        metadata: {
          ...(isObject(updated['metadata']) ? updated['metadata'] : {}),
          name: objectName,
          ...(namespace ? { namespace } : {}),
        },
      };
      delete next.metadata['generation'];
      if (subresource === 'status') {
        const withStatus = { ...structuredClone(existing), status: next['status'] ?? null } as KubeObject;
        return send(200, put(withStatus));
      }
      // Updates of the main resource ignore status, as for every type with a status subresource.
      return send(200, put(next, true));
    }
    return fail(405, 'the server does not allow this method on the requested resource');
  }

  function startWatch(
    response: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    recorded: RecordedRequest,
  ): void {
    const query = recorded.query;
    const labelMatch = query['labelSelector'] ? parseLabelSelector(query['labelSelector']) : () => true;
    const fieldMatch = query['fieldSelector'] ? parseFieldSelector(query['fieldSelector']) : () => true;
    const matches = (object: KubeObject): boolean => labelMatch(labelsOf(object)) && fieldMatch(object);
    const requested = query['resourceVersion'] ?? '';
    const fromRv = Number(requested);
    const sendInitialEvents = query['sendInitialEvents'] === 'true';
    const bookmarks = query['allowWatchBookmarks'] === 'true';

    if (requested !== '' && requested !== '0' && !sendInitialEvents && fromRv < compactedRv) {
      const message = `too old resource version: ${fromRv} (${compactedRv})`;
      if (options.expiredWatch === 'status') {
        recorded.status = 410;
        const text = json(statusBody(410, 'Expired', message));
        response.writeHead(410, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        response.end(text);
        return;
      }
      recorded.status = 200;
      response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      response.end(`${json({ type: 'ERROR', object: statusBody(410, 'Expired', message) })}\n`);
      return;
    }

    recorded.status = 200;
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    response.flushHeaders();
    let open = true;
    const write = (eventType: string, object: JsonObject): void => {
      if (open) response.write(`${json({ type: eventType, object })}\n`);
    };
    const bookmark = (annotations?: JsonObject): void =>
      write('BOOKMARK', {
        kind: type.kind,
        apiVersion: groupVersionOf(type),
        metadata: { resourceVersion: String(currentRv), ...(annotations ? { annotations } : {}) },
      });

    if (requested === '' || requested === '0' || sendInitialEvents) {
      for (const object of objectsOf(type, namespace).filter(matches)) write('ADDED', object);
      if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      for (const entry of history) {
        if (entry.resourceVersion <= fromRv || entry.type !== type) continue;
        if (namespace !== undefined && type.namespaced && entry.namespace !== namespace) continue;
        const event = watchEventFor({ matches }, entry.previous, entry.current);
        if (event) write(event[0], event[1]);
      }
    }

    const timeoutSeconds = Number(query['timeoutSeconds'] ?? '1800');
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const watcher: Watcher = {
      type,
      namespace,
      matches,
      send: write,
      close: () => {
        if (!open) return;
        open = false;
        for (const timer of timers) clearTimeout(timer);
        watchers.delete(watcher);
        response.end();
      },
    };
    watchers.add(watcher);
    timers.push(setTimeout(watcher.close, timeoutSeconds * 1000));
    if (bookmarks) timers.push(setInterval(() => bookmark(), bookmarkIntervalMs));
    // The response closes when the client goes away (the request's 'close' only means its body was read).
    response.on('close', watcher.close);
  }

  const listener: RequestListener = (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      accept: request.headers.accept ?? '',
      contentType: request.headers['content-type'] ?? '',
      userAgent: request.headers['user-agent'] ?? '',
      authenticated: request.headers.authorization === `Bearer ${token}`,
      watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
    };
    requests.push(recorded);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        handle(request, response, Buffer.concat(chunks).toString('utf8'), recorded);
      } catch (error) {
        const message = errorMessage(error);
        if (!response.headersSent) {
          response.writeHead(500, { 'Content-Type': 'application/json' });
          response.end(json(statusBody(500, 'InternalError', message)));
        }
      }
    });
  };
  const tls = options.tls === true ? selfSignedCertificate() : undefined;
  const server = tls ? createTlsServer(tls, listener) : createServer(listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ensureNamespace('default');
  ensureNamespace(options.namespace ?? 'default');

  const directory = mkdtempSync(join(tmpdir(), 'kube-api-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${url}`,
    // Plain HTTP: @kubernetes/client-node only allows it with this set; kubectl ignores it without TLS.
    tls
      ? `    certificate-authority-data: ${Buffer.from(tls.cert).toString('base64')}`
      : '    insecure-skip-tls-verify: true',
    'users:',
    '- name: test',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    `    namespace: ${options.namespace ?? 'default'}`,
    'current-context: test',
    '',
  ].join('\n');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  return {
    url,
    certificate: tls?.cert,
    kubeconfigPath,
    kubeconfig,
    token,
    requests,
    apply: (object) => put(object),
    update(typeName, namespace, name, change) {
      const type = resourceType(typeName);
      const existing = store.get(keyOf(type, namespace, name));
      if (!existing) throw new Error(`no ${type.resource} ${namespace}/${name}`);
      const copy = structuredClone(existing);
      change(copy);
      const specChanged = specOf(copy) !== specOf(existing);
      if (specChanged && copy.metadata['generation'] === existing.metadata['generation'])
        delete copy.metadata['generation'];
      return put(copy);
    },
    get: (typeName, namespace, name) => {
      const type = resourceType(typeName);
      const found = store.get(keyOf(type, namespace, name));
      return found === undefined ? undefined : structuredClone(found);
    },
    list: (typeName, namespace) =>
      objectsOf(resourceType(typeName), namespace).map((object) => structuredClone(object)),
    remove: (typeName, namespace, name) => {
      removeObject(resourceType(typeName), namespace, name);
    },
    setLog: (namespace, pod, container, text, previous = false) =>
      logs.set(`${namespace}/${pod}/${container}/${previous ? 'previous' : 'current'}`, text),
    failRequests(count, failure = {}) {
      failures.push({
        remaining: count,
        status: failure.status ?? 500,
        matches: (request) =>
          (failure.path === undefined || failure.path.test(request.path)) &&
          (failure.method === undefined || failure.method === request.method) &&
          (failure.watch === undefined || failure.watch === request.watch),
      });
    },
    failAll: (status) => {
      failEverything = status;
    },
    dropWatches({ abrupt = false } = {}) {
      for (const watcher of [...watchers]) watcher.close();
      if (abrupt) for (const socket of sockets) socket.destroy();
    },
    compact: () => {
      // As etcd compaction does: every revision before the current one is gone.
      currentRv += 1;
      compactedRv = currentRv;
      history.length = 0;
    },
    openWatches: () => watchers.size,
    resourceVersion: () => currentRv,
    async stop() {
      for (const watcher of [...watchers]) watcher.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
