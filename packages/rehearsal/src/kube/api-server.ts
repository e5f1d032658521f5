// A Kubernetes API server for tests and the demo: the real HTTP wire protocol (discovery, get, list,
// watch, patch, create, delete, pod logs, server-side tables) over plain HTTP or TLS on 127.0.0.1, backed by an
// in-memory store that tests drive directly. Faithful enough that real kubectl works against it.
// No jest globals: `node x.ts` under Node 24 can import it.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigText } from './kubeconfig.ts';
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
} from './patch.ts';

import { jsonPathValue } from './gitops-types.ts';
import type { PrinterColumn, ResourceType } from './resource-type.ts';
import {
  groupVersionOf,
  KubeStore,
  num,
  PROMETHEUS_OPERATOR_TYPES,
  RESOURCE_TYPES,
  resourceType,
  watchEventFor,
  type KubeObject,
  type Watcher,
} from './store.ts';

export type { Json, JsonObject } from './patch.ts';
export { text } from './patch.ts';
export { PROMETHEUS_OPERATOR_TYPES, RESOURCE_TYPES, resourceType, type KubeObject } from './store.ts';
export type { ResourceType } from './resource-type.ts';

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
  /** Serve no argoproj.io rollouts, as a cluster without Argo Rollouts. */
  withoutArgoRollouts?: boolean;
  /** Serve the Prometheus Operator's monitoring.coreos.com/v1 kinds, as a cluster where its CRDs are installed. */
  prometheusOperator?: boolean;
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
  /** The types this server serves (discovery, URLs): what a GitOps controller may apply to it. */
  served: readonly ResourceType[];
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
      return type.printerColumns === undefined ? [name, ageColumn] : [name, ...type.printerColumns.map(printerColumn)];
  }
}

/** A CRD's printer column as a table column: dates are shown as ages, as the API server does. */
function printerColumn(column: PrinterColumn): [string, string, (object: KubeObject, now: number) => Json] {
  if (column.type === 'date') return [column.name, 'date', age];
  return [column.name, column.type, (object) => jsonPathValue(object, column.jsonPath)];
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
      priority: type.printerColumns?.find((column) => column.name === name)?.priority ?? 0,
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

/** What the routes share: the store, the types served, the server's options and its port. */
interface ServerContext {
  store: KubeStore;
  served: readonly ResourceType[];
  options: KubeApiServerOptions;
  bookmarkIntervalMs: number;
  port: () => number;
}

/** One request and the ways to answer it. */
interface Exchange {
  request: RecordedRequest;
  body: string;
  response: ServerResponse;
  send: (status: number, payload: unknown, contentType?: string) => void;
  fail: (status: number, message: string, details?: JsonObject) => void;
}

const NOT_FOUND = 'the server could not find the requested resource';
const NOT_ALLOWED = 'the server does not allow this method on the requested resource';

function version({ options }: ServerContext, { send }: Exchange): void {
  send(200, {
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

function apiVersions({ port }: ServerContext, { send }: Exchange): void {
  send(200, {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port()}` }],
  });
}

function apiGroup({ served }: ServerContext, { send, fail }: Exchange, match: RegExpExecArray): void {
  const group = apiGroups(served).find((candidate) => candidate['name'] === match[1]);
  if (!group) return fail(404, NOT_FOUND);
  send(200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
}

function discovery({ served }: ServerContext, { send, fail }: Exchange, [path]: RegExpExecArray): void {
  const groupVersion = path === '/api/v1' ? 'v1' : path.slice('/apis/'.length);
  if (!served.some((type) => groupVersionOf(type) === groupVersion)) return fail(404, NOT_FOUND);
  send(200, discoveryResources(served, groupVersion));
}

type Handler = (context: ServerContext, exchange: Exchange, match: RegExpExecArray) => void;

/** `/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]`, and the same under `/apis/<group>/<version>`. */
const RESOURCE_PATH =
  /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/;

/** The routes, first match wins; a path no route matches is not found. */
const ROUTES: ReadonlyArray<{ method: string | undefined; path: RegExp; handle: Handler }> = [
  { method: 'GET', path: /^\/version$/, handle: version },
  {
    method: 'GET',
    path: /^\/(?:healthz|readyz|livez)$/,
    handle: (_context, { send }) => send(200, 'ok', 'text/plain'),
  },
  { method: 'GET', path: /^\/api$/, handle: apiVersions },
  {
    method: 'GET',
    path: /^\/apis$/,
    handle: ({ served }, { send }) => send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups(served) }),
  },
  { method: 'GET', path: /^\/apis\/([^/]+)$/, handle: apiGroup },
  { method: 'GET', path: /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)$/, handle: discovery },
  { method: undefined, path: RESOURCE_PATH, handle: resource },
];

function route(context: ServerContext, exchange: Exchange): void {
  const path = exchange.request.path.replace(/\/+$/, '') || '/';
  for (const { method, path: pattern, handle } of ROUTES) {
    if (method !== undefined && method !== exchange.request.method) continue;
    const match = pattern.exec(path);
    if (match) return handle(context, exchange, match);
  }
  exchange.fail(404, NOT_FOUND);
}

/** What a resource path names: the collection, one object, or a subresource of it. */
type ResourceTarget = 'collection' | 'object' | 'status' | 'log' | 'other';

/** A request for a resource whose type (and namespace) the server serves. */
interface ResourceExchange extends Exchange {
  target: ResourceTarget;
  type: ResourceType;
  namespace: string | undefined;
  /** The object's name; '' for the collection. */
  name: string;
  /** `deployments.apps`, as messages name the resource. */
  qualified: string;
  wantsTable: boolean;
}

type ResourceHandler = (context: ServerContext, exchange: ResourceExchange) => void;

/** The routes of a resource path, by method and target; what none matches is refused (405) or not found. */
const RESOURCE_ROUTES: ReadonlyArray<{ method: string; targets: readonly ResourceTarget[]; handle: ResourceHandler }> =
  [
    { method: 'GET', targets: ['collection'], handle: listOrWatch },
    { method: 'POST', targets: ['collection'], handle: create },
    { method: 'GET', targets: ['log'], handle: podLog },
    { method: 'GET', targets: ['object', 'status'], handle: getObject },
    { method: 'DELETE', targets: ['object', 'status'], handle: deleteObject },
    { method: 'PUT', targets: ['object', 'status'], handle: updateObject },
    { method: 'PATCH', targets: ['object', 'status'], handle: updateObject },
  ];

function resource(context: ServerContext, exchange: Exchange, match: RegExpExecArray): void {
  const [, coreVersion, group = '', groupVersionPart, namespacePart, resourceName, name, subresource] = match;
  const version = coreVersion ?? groupVersionPart ?? '';
  const type = context.served.find(
    (candidate) => candidate.group === group && candidate.version === version && candidate.resource === resourceName,
  );
  if (!type) return exchange.fail(404, NOT_FOUND);
  const namespace = namespacePart === undefined ? undefined : decodeURIComponent(namespacePart);
  if (!type.namespaced && namespace !== undefined) return exchange.fail(404, NOT_FOUND);
  if (subresource === 'status' && !type.subresources.includes('status')) return exchange.fail(404, NOT_FOUND);
  const target: ResourceTarget =
    name === undefined
      ? 'collection'
      : subresource === undefined
        ? 'object'
        : subresource === 'status' || subresource === 'log'
          ? subresource
          : 'other';
  const found = RESOURCE_ROUTES.find(
    (candidate) => candidate.method === exchange.request.method && candidate.targets.includes(target),
  );
  if (!found) {
    const refused = target === 'collection' || target === 'object' || target === 'status';
    return refused ? exchange.fail(405, NOT_ALLOWED) : exchange.fail(404, NOT_FOUND);
  }
  found.handle(context, {
    ...exchange,
    target,
    type,
    namespace,
    name: name === undefined ? '' : decodeURIComponent(name),
    qualified: type.group === '' ? type.resource : `${type.resource}.${type.group}`,
    wantsTable: exchange.request.accept.includes('as=Table'),
  });
}

const notFound = ({ fail, qualified, name, type }: ResourceExchange): void =>
  fail(404, `${qualified} "${name}" not found`, { name, group: type.group, kind: type.resource });

// Strips kind/apiVersion from the items of built-in lists, as the real server's JSON does.
function listItem(type: ResourceType, object: KubeObject): KubeObject {
  if (type.custom === true) return object;
  const item = structuredClone(object);
  delete item['kind'];
  delete item['apiVersion'];
  return item;
}

function listOrWatch(context: ServerContext, exchange: ResourceExchange): void {
  const { query } = exchange.request;
  if (query['watch'] === 'true' || query['watch'] === '1') return watch(context, exchange);
  list(context, exchange);
}

function list({ store }: ServerContext, { request, type, namespace, wantsTable, send, fail }: ResourceExchange): void {
  const { query } = request;
  let items = store.objectsOf(type, namespace);
  const labelSelector = query['labelSelector'];
  const fieldSelector = query['fieldSelector'];
  if (labelSelector) {
    const matches = parseLabelSelector(labelSelector);
    items = items.filter((object) => matches(labelsOf(object)));
  }
  if (fieldSelector) items = items.filter(parseFieldSelector(fieldSelector));
  const requestedRv = Number(query['resourceVersion'] ?? '0');
  if (query['resourceVersionMatch'] === 'Exact' && requestedRv < store.compactedVersion) {
    return fail(410, `too old resource version: ${requestedRv} (${store.compactedVersion})`);
  }
  const offset = query['continue'] ? Number(Buffer.from(query['continue'], 'base64').toString()) : 0;
  const limit = Number(query['limit'] ?? '0');
  const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
  const more = limit > 0 && offset + limit < items.length;
  const resourceVersion = String(store.resourceVersion);
  const metadata: JsonObject = { resourceVersion };
  if (more) {
    metadata['continue'] = Buffer.from(String(offset + limit)).toString('base64');
    metadata['remainingItemCount'] = items.length - offset - limit;
  }
  if (wantsTable) return send(200, { ...toTable(type, page, resourceVersion), metadata });
  send(200, {
    kind: `${type.kind}List`,
    apiVersion: groupVersionOf(type),
    metadata,
    items: page.map((object) => listItem(type, object)),
  });
}

function create({ store }: ServerContext, { body, type, namespace, qualified, send, fail }: ResourceExchange): void {
  let object: JsonObject;
  try {
    object = JSON.parse(body) as JsonObject;
  } catch {
    return fail(400, 'the request body is not JSON');
  }
  const objectName = isObject(object['metadata']) ? text(object['metadata']['name'] ?? '') : '';
  if (store.get(type, namespace ?? '', objectName)) {
    return fail(409, `${qualified} "${objectName}" already exists`, {
      name: objectName,
      group: type.group,
      kind: type.resource,
    });
  }
  const created = store.put({
    ...object,
    apiVersion: groupVersionOf(type),
    kind: type.kind,
    metadata: { ...(object['metadata'] as JsonObject), ...(namespace ? { namespace } : {}) },
  });
  send(201, created);
}

function podLog({ store }: ServerContext, exchange: ResourceExchange): void {
  const { request, type, namespace, name, send, fail } = exchange;
  if (type.resource !== 'pods') return fail(404, NOT_FOUND);
  const existing = store.get(type, namespace ?? '', name);
  if (!existing) return notFound(exchange);
  const specContainers = section(existing, 'spec')['containers'];
  const containers = (Array.isArray(specContainers) ? specContainers : []).filter(isObject);
  const container = request.query['container'] ?? (containers.length === 1 ? text(containers[0]?.['name']) : undefined);
  if (container === undefined) {
    const names = containers.map((entry) => text(entry['name'])).join(' ');
    return fail(400, `a container name must be specified for pod ${name}, choose one of: [${names}]`);
  }
  const log = store.log(namespace ?? '', name, container, request.query['previous'] === 'true');
  if (log === undefined) {
    return fail(400, `previous terminated container "${container}" in pod "${name}" not found`);
  }
  const tail = Number(request.query['tailLines'] ?? '-1');
  const lines = log.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const selected = tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
  send(200, selected.map((line) => `${line}\n`).join(''), 'text/plain');
}

function getObject({ store }: ServerContext, exchange: ResourceExchange): void {
  const { type, namespace, name, wantsTable, send } = exchange;
  const existing = store.get(type, namespace ?? '', name);
  if (!existing) return notFound(exchange);
  send(200, wantsTable ? toTable(type, [existing], String(store.resourceVersion)) : existing);
}

function deleteObject({ store }: ServerContext, exchange: ResourceExchange): void {
  const deleted = store.remove(exchange.type, exchange.namespace ?? '', exchange.name);
  if (!deleted) return notFound(exchange);
  exchange.send(200, deleted);
}

const UNKNOWN_PATCH_FORMAT =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json';

/** The object a PUT or PATCH asks for, or the status and message it is refused with. */
function requestedObject(
  exchange: ResourceExchange,
  existing: KubeObject,
): { object: Json | undefined } | { status: number; message: string } {
  const { request, body, type } = exchange;
  try {
    const parsed = JSON.parse(body) as Json;
    const contentType = request.contentType.split(';')[0]?.trim() ?? '';
    if (request.method === 'PUT') return { object: parsed };
    if (contentType === 'application/json-patch+json') return { object: applyJsonPatch(existing, parsed) };
    if (contentType === 'application/merge-patch+json') return { object: applyMergePatch(existing, parsed) };
    if (contentType === 'application/strategic-merge-patch+json') {
      if (type.custom === true) {
        return { status: 415, message: 'strategic merge patch is not supported for custom resources' };
      }
      return { object: applyStrategicMergePatch(existing, parsed) };
    }
    return { status: 415, message: UNKNOWN_PATCH_FORMAT };
  } catch (error) {
    if (error instanceof PatchError || error instanceof SyntaxError) return { status: 422, message: error.message };
    throw error;
  }
}

function updateObject({ store }: ServerContext, exchange: ResourceExchange): void {
  const { request, target, type, namespace, name, qualified, send, fail } = exchange;
  const existing = store.get(type, namespace ?? '', name);
  if (!existing) return notFound(exchange);
  const requested = requestedObject(exchange, existing);
  if ('status' in requested) return fail(requested.status, requested.message);
  const patched = requested.object;
  if (!isObject(patched)) return fail(422, 'the patched object is not an object');
  const updated = patched as KubeObject;
  const requestedRv = isObject(updated['metadata']) ? updated['metadata']['resourceVersion'] : undefined;
  if (request.method === 'PUT' && requestedRv !== undefined && requestedRv !== existing.metadata['resourceVersion']) {
    return fail(
      409,
      `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
  const next: KubeObject = {
    ...updated,
    apiVersion: existing['apiVersion'] ?? null,
    kind: existing['kind'] ?? null,
    metadata: {
      ...(isObject(updated['metadata']) ? updated['metadata'] : {}),
      name,
      ...(namespace ? { namespace } : {}),
    },
  };
  delete next.metadata['generation'];
  if (target === 'status') {
    const withStatus = { ...structuredClone(existing), status: next['status'] ?? null } as KubeObject;
    return send(200, store.put(withStatus));
  }
  // Updates of the main resource ignore status when the type has a status subresource; without one
  // (Argo CD's Application), status is written with the object.
  send(200, store.put(next, type.subresources.includes('status')));
}

/** A watch: the initial objects or the history after a resourceVersion, then every change, until closed. */
function watch(context: ServerContext, exchange: ResourceExchange): void {
  const { store, options } = context;
  const { request: recorded, response, type, namespace } = exchange;
  const query = recorded.query;
  const labelMatch = query['labelSelector'] ? parseLabelSelector(query['labelSelector']) : () => true;
  const fieldMatch = query['fieldSelector'] ? parseFieldSelector(query['fieldSelector']) : () => true;
  const matches = (object: KubeObject): boolean => labelMatch(labelsOf(object)) && fieldMatch(object);
  const requested = query['resourceVersion'] ?? '';
  const fromRv = Number(requested);
  const sendInitialEvents = query['sendInitialEvents'] === 'true';
  const bookmarks = query['allowWatchBookmarks'] === 'true';

  if (requested !== '' && requested !== '0' && !sendInitialEvents && fromRv < store.compactedVersion) {
    const message = `too old resource version: ${fromRv} (${store.compactedVersion})`;
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
      metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
    });

  if (requested === '' || requested === '0' || sendInitialEvents) {
    for (const object of store.objectsOf(type, namespace).filter(matches)) write('ADDED', object);
    if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const entry of store.history) {
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
      store.watchers.delete(watcher);
      response.end();
    },
  };
  store.watchers.add(watcher);
  timers.push(setTimeout(watcher.close, timeoutSeconds * 1000));
  if (bookmarks) timers.push(setInterval(() => bookmark(), context.bookmarkIntervalMs));
  // The response closes when the client goes away (the request's 'close' only means its body was read).
  response.on('close', watcher.close);
}

/** The types a server started with these options serves: every one it knows, less the operators it lacks. */
export function servedTypes(
  options: Pick<KubeApiServerOptions, 'withoutArgoRollouts' | 'prometheusOperator'>,
): readonly ResourceType[] {
  const lacks = (type: ResourceType): boolean =>
    (options.withoutArgoRollouts === true && type.resource === 'rollouts') ||
    (options.prometheusOperator !== true && PROMETHEUS_OPERATOR_TYPES.includes(type));
  return RESOURCE_TYPES.filter((type) => !lacks(type));
}

/** Starts the server on a random free port of 127.0.0.1 and writes a kubeconfig for it. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const served = servedTypes(options);
  const token = `test-token-${randomUUID()}`;
  const store = new KubeStore();
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let failures: InjectedFailure[] = [];
  let failEverything: number | undefined;
  const context: ServerContext = {
    store,
    served,
    options,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    port: () => (server.address() as AddressInfo).port,
  };

  /** Refuses what the server is told to refuse (a wrong token, an injected failure), else routes. */
  function handle(exchange: Exchange, authorization: string | undefined): void {
    const { request, fail } = exchange;
    // kubectl never sends credentials over plain HTTP, so anonymous requests are served, as an API server
    // with anonymous auth does; a wrong credential is refused.
    if (authorization !== undefined && authorization !== `Bearer ${token}`) return fail(401, 'Unauthorized');
    if (failEverything !== undefined)
      return fail(failEverything, 'the server is currently unable to handle the request');
    const injected = failures.find((failure) => failure.remaining > 0 && failure.matches(request));
    if (injected) {
      injected.remaining -= 1;
      failures = failures.filter((failure) => failure.remaining > 0);
      return fail(
        injected.status,
        injected.status >= 500 ? 'Internal error occurred: injected failure' : 'injected failure',
      );
    }
    route(context, exchange);
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
        handle(exchangeOf(recorded, Buffer.concat(chunks).toString('utf8'), response), request.headers.authorization);
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
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${context.port()}`;
  store.ensureNamespace('default');
  store.ensureNamespace(options.namespace ?? 'default');

  const directory = mkdtempSync(join(tmpdir(), 'kube-api-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  const kubeconfig = serverKubeconfig(url, token, tls?.cert, options.namespace ?? 'default');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  return {
    url,
    certificate: tls?.cert,
    kubeconfigPath,
    kubeconfig,
    token,
    requests,
    served,
    apply: (object) => store.put(object),
    update: (typeName, namespace, name, change) => store.update(resourceType(typeName), namespace, name, change),
    get: (typeName, namespace, name) => {
      const found = store.get(resourceType(typeName), namespace, name);
      return found === undefined ? undefined : structuredClone(found);
    },
    list: (typeName, namespace) =>
      store.objectsOf(resourceType(typeName), namespace).map((object) => structuredClone(object)),
    remove: (typeName, namespace, name) => {
      store.remove(resourceType(typeName), namespace, name);
    },
    setLog: (namespace, pod, container, text, previous = false) =>
      store.setLog(namespace, pod, container, previous, text),
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
      for (const watcher of [...store.watchers]) watcher.close();
      if (abrupt) for (const socket of sockets) socket.destroy();
    },
    compact: () => store.compact(),
    openWatches: () => store.watchers.size,
    resourceVersion: () => store.resourceVersion,
    async stop() {
      for (const watcher of [...store.watchers]) watcher.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** An exchange for a recorded request: answers are recorded with their status. */
function exchangeOf(request: RecordedRequest, body: string, response: ServerResponse): Exchange {
  const send = (status: number, payload: unknown, contentType = 'application/json'): void => {
    request.status = status;
    const text = typeof payload === 'string' ? payload : json(payload);
    response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  };
  const fail = (status: number, message: string, details?: JsonObject): void =>
    send(status, statusBody(status, REASONS[status] ?? 'InternalError', message, details));
  return { request, body, response, send, fail };
}

/** A kubeconfig for the server with a bearer token, trusting its certificate when it serves TLS. */
function serverKubeconfig(url: string, token: string, certificate: string | undefined, namespace: string): string {
  return kubeconfigText({
    cluster: [
      `server: ${url}`,
      // Plain HTTP: @kubernetes/client-node only allows it with this set; kubectl ignores it without TLS.
      certificate
        ? `certificate-authority-data: ${Buffer.from(certificate).toString('base64')}`
        : 'insecure-skip-tls-verify: true',
    ],
    user: [`token: ${token}`],
    namespace,
  });
}
