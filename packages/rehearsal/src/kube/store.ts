// The test API server's state: the objects it stores, their resource versions and the history of
// changes since the last compaction, the open watches every change is sent to, and the pod logs.
// No jest globals: `node x.ts` under Node 24 can import it.
import { randomUUID } from 'node:crypto';
import { GITOPS_RESOURCE_TYPES } from './gitops-types.ts';
import { namespacedType, type ResourceType } from './resource-type.ts';
import { isObject, text, type Json, type JsonObject } from './patch.ts';

/** A stored object: plain JSON with apiVersion, kind, metadata (and usually spec and status). */
export type KubeObject = JsonObject & { metadata: JsonObject };

/** The Prometheus Operator's custom resources, as its CRDs define them: served where it is installed. */
export const PROMETHEUS_OPERATOR_TYPES: readonly ResourceType[] = [
  ['ServiceMonitor', 'smon'],
  ['PodMonitor', 'pmon'],
  ['PrometheusRule', 'promrule'],
].map(([kind = '', shortName = '']) =>
  namespacedType('monitoring.coreos.com/v1', kind, [], {
    shortNames: [shortName],
    categories: ['prometheus-operator'],
    custom: true,
  }),
);

/** Every type the test API server knows; a server serves them all but the operators its cluster lacks. */
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
  namespacedType('v1', 'Pod', ['log', 'status'], { shortNames: ['po'], categories: ['all'] }),
  namespacedType('v1', 'Event', [], { shortNames: ['ev'] }),
  namespacedType('v1', 'ConfigMap', [], { shortNames: ['cm'] }),
  namespacedType('v1', 'Secret', []),
  namespacedType('v1', 'Service', ['status'], { shortNames: ['svc'], categories: ['all'] }),
  namespacedType('v1', 'ServiceAccount', [], { shortNames: ['sa'] }),
  namespacedType('v1', 'PersistentVolumeClaim', ['status'], { shortNames: ['pvc'] }),
  namespacedType('autoscaling/v2', 'HorizontalPodAutoscaler', ['status'], { shortNames: ['hpa'], categories: ['all'] }),
  namespacedType('batch/v1', 'Job', ['status'], { categories: ['all'] }),
  namespacedType('batch/v1', 'CronJob', ['status'], { shortNames: ['cj'], categories: ['all'] }),
  namespacedType('networking.k8s.io/v1', 'Ingress', ['status'], { resource: 'ingresses', shortNames: ['ing'] }),
  namespacedType('networking.k8s.io/v1', 'NetworkPolicy', [], { shortNames: ['netpol'] }),
  namespacedType('policy/v1', 'PodDisruptionBudget', ['status'], { shortNames: ['pdb'] }),
  namespacedType('apps/v1', 'ControllerRevision', []),
  namespacedType('apps/v1', 'DaemonSet', ['status'], { shortNames: ['ds'], categories: ['all'] }),
  namespacedType('apps/v1', 'Deployment', ['scale', 'status'], { shortNames: ['deploy'], categories: ['all'] }),
  namespacedType('apps/v1', 'ReplicaSet', ['scale', 'status'], { shortNames: ['rs'], categories: ['all'] }),
  namespacedType('apps/v1', 'StatefulSet', ['scale', 'status'], { shortNames: ['sts'], categories: ['all'] }),
  namespacedType('argoproj.io/v1alpha1', 'Rollout', ['scale', 'status'], {
    shortNames: ['ro'],
    categories: ['all'],
    custom: true,
  }),
  ...GITOPS_RESOURCE_TYPES,
  ...PROMETHEUS_OPERATOR_TYPES,
];

export const groupVersionOf = (type: ResourceType): string =>
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

export function typeOfObject(object: JsonObject): ResourceType {
  const apiVersion = text(object['apiVersion'] ?? '');
  const kind = text(object['kind'] ?? '');
  const found = RESOURCE_TYPES.find((type) => groupVersionOf(type) === apiVersion && type.kind === kind);
  if (found === undefined) throw new Error(`the test API server does not serve ${apiVersion} ${kind}`);
  return found;
}

export interface HistoryEntry {
  resourceVersion: number;
  type: ResourceType;
  namespace: string;
  previous: KubeObject | undefined;
  current: KubeObject | undefined;
}

/** An open watch stream: the changes of one resource type (in one namespace) that it matches. */
export interface Watcher {
  type: ResourceType;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  send: (eventType: string, object: JsonObject) => void;
  close: () => void;
}

export const num = (value: Json | undefined): number => (typeof value === 'number' ? value : 0);
const specOf = (object: JsonObject | undefined): string => JSON.stringify(object?.['spec'] ?? null);

/** The event a watch that `matches` objects sees for a change from `previous` to `current`, if any. */
export function watchEventFor(
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

/** Objects by type, namespace and name, each change at a new resourceVersion, sent to the open watches. */
export class KubeStore {
  readonly watchers = new Set<Watcher>();
  /** Every change since the last compaction, oldest first: what a watch from a resourceVersion replays. */
  readonly history: HistoryEntry[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly logs = new Map<string, string>();
  private current = 1000;
  private compacted = 0;

  /** The resourceVersion of the last change. */
  get resourceVersion(): number {
    return this.current;
  }

  /** The resourceVersion history starts after: older ones are expired. */
  get compactedVersion(): number {
    return this.compacted;
  }

  /** The stored object itself (callers clone what they change or hand out). */
  get(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(keyOf(type, namespace, name));
  }

  /** The objects of a type, in one namespace or all, ordered by namespace and name. */
  objectsOf(type: ResourceType, namespace: string | undefined): KubeObject[] {
    return [...this.objects.values()]
      .filter((object) => typeOfObject(object) === type)
      .filter((object) => namespace === undefined || !type.namespaced || object.metadata['namespace'] === namespace)
      .sort((a, b) =>
        `${text(a.metadata['namespace'])}/${text(a.metadata['name'])}`.localeCompare(
          `${text(b.metadata['namespace'])}/${text(b.metadata['name'])}`,
        ),
      );
  }

  /**
   * Creates or replaces an object at a new resourceVersion: keeps uid and creation time, bumps generation
   * when spec changes, and keeps the stored status when `keepStatus` is set or the object has none.
   */
  put(input: JsonObject, keepStatus = false): KubeObject {
    const type = typeOfObject(input);
    const object = structuredClone(input) as KubeObject;
    if (!isObject(object.metadata)) throw new Error('an object needs metadata');
    const name = text(object.metadata['name'] ?? '');
    if (name === '') throw new Error('an object needs metadata.name');
    const namespace = type.namespaced ? text(object.metadata['namespace'] ?? 'default') : '';
    if (type.namespaced) {
      object.metadata['namespace'] = namespace;
      this.ensureNamespace(namespace);
    }
    const key = keyOf(type, namespace, name);
    const previous = this.objects.get(key);
    this.current += 1;
    object.metadata['uid'] = previous?.metadata['uid'] ?? object.metadata['uid'] ?? randomUUID();
    object.metadata['creationTimestamp'] =
      previous?.metadata['creationTimestamp'] ??
      object.metadata['creationTimestamp'] ??
      new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata['resourceVersion'] = String(this.current);
    if (object.metadata['generation'] === undefined && (object['spec'] !== undefined || previous)) {
      const previousGeneration = num(previous?.metadata['generation']);
      object.metadata['generation'] =
        previous === undefined ? 1 : specOf(previous) === specOf(object) ? previousGeneration : previousGeneration + 1;
    }
    if (previous && (keepStatus || object['status'] === undefined) && previous['status'] !== undefined) {
      object['status'] = structuredClone(previous['status']);
    }
    this.objects.set(key, object);
    this.record(type, namespace, previous, object);
    return structuredClone(object);
  }

  /** Read-modify-write of a stored object, as a controller does it. */
  update(type: ResourceType, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject {
    const existing = this.get(type, namespace, name);
    if (!existing) throw new Error(`no ${type.resource} ${namespace}/${name}`);
    const copy = structuredClone(existing);
    change(copy);
    const specChanged = specOf(copy) !== specOf(existing);
    if (specChanged && copy.metadata['generation'] === existing.metadata['generation'])
      delete copy.metadata['generation'];
    return this.put(copy);
  }

  /** Deletes an object at a new resourceVersion; the object as deleted, or undefined when there was none. */
  remove(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(type, namespace, name);
    const previous = this.objects.get(key);
    if (previous === undefined) return undefined;
    this.objects.delete(key);
    this.current += 1;
    const deleted = structuredClone(previous);
    deleted.metadata['resourceVersion'] = String(this.current);
    this.record(type, namespace, previous, undefined);
    // The DELETED event carries the object as last seen, at the deletion's resourceVersion.
    const last = this.history[this.history.length - 1];
    if (last) last.previous = deleted;
    return deleted;
  }

  ensureNamespace(namespace: string): void {
    const type = resourceType('namespaces');
    if (namespace === '' || this.objects.has(keyOf(type, '', namespace))) return;
    this.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  /** As etcd compaction does: every revision before the current one is gone. */
  compact(): void {
    this.current += 1;
    this.compacted = this.current;
    this.history.length = 0;
  }

  setLog(namespace: string, pod: string, container: string, previous: boolean, log: string): void {
    this.logs.set(logKey(namespace, pod, container, previous), log);
  }

  log(namespace: string, pod: string, container: string, previous: boolean): string | undefined {
    return this.logs.get(logKey(namespace, pod, container, previous));
  }

  private record(
    type: ResourceType,
    namespace: string,
    previous: KubeObject | undefined,
    current: KubeObject | undefined,
  ): void {
    this.history.push({ resourceVersion: this.current, type, namespace, previous, current });
    for (const watcher of this.watchers) {
      if (watcher.type !== type) continue;
      if (watcher.namespace !== undefined && type.namespaced && watcher.namespace !== namespace) continue;
      const event = watchEventFor(watcher, previous, current);
      if (event) watcher.send(event[0], event[1]);
    }
  }
}

const keyOf = (type: ResourceType, namespace: string, name: string): string =>
  `${type.group}/${type.resource}/${type.namespaced ? namespace : ''}/${name}`;

const logKey = (namespace: string, pod: string, container: string, previous: boolean): string =>
  `${namespace}/${pod}/${container}/${previous ? 'previous' : 'current'}`;
