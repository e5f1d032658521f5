// The workload controllers of a simulated cluster: after a Deployment, StatefulSet or DaemonSet is applied
// as rendered, they create what Kubernetes' controllers create (ReplicaSets, ControllerRevisions, pods
// built from the pod template, readiness probes included) and write the status fields `kubectl rollout
// status` reads, one pod at a time, step by step. Whether new pods become ready is asked of a
// PodReadiness. No jest globals: `node x.ts` under Node 24 can import it.
import { sleep } from '@shiprail/core';
import { text, type JsonObject, type KubeApiServer, type KubeObject } from './api-server.ts';
import { isObject } from './patch.ts';
import type { PodReadiness, TemplateReadiness } from './readiness.ts';
import { controllerReference, event, hashOf, pod, type PodHealth } from './workloads.ts';

/** The nodes every simulated cluster has: a DaemonSet runs one pod on each. */
export const NODES = ['node-1', 'node-2', 'node-3'] as const;

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** The API resource each workload kind is served as. */
export const RESOURCE_OF: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** How a controller's work on the current spec ended. */
export type WorkloadOutcome = { ready: true } | { ready: false; message: string };

export interface ControllerContext {
  server: KubeApiServer;
  readiness: PodReadiness;
  environment: string;
  /** Time between two states (0: every state at once, as a cluster that had long settled). */
  stepMs: number;
  /** Holds each timed step until it returns true. */
  proceed?: () => boolean;
  /** The pods are taken as ready without asking (what ran before the rehearsal). */
  settled?: boolean;
}

/** A workload as its controller sees it at the start of its work. */
interface Subject {
  context: ControllerContext;
  kind: WorkloadKind;
  namespace: string;
  name: string;
  object: KubeObject;
  template: JsonObject;
  hash: string;
  generation: number;
}

const specOf = (object: JsonObject): JsonObject => (isObject(object['spec']) ? object['spec'] : {});
const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
const labelsOf = (object: JsonObject | undefined): Record<string, string> =>
  (isObject(object?.['metadata']) && isObject(object['metadata']['labels'])
    ? object['metadata']['labels']
    : {}) as Record<string, string>;

/** The hash a controller names a template's revision by (pod-template-hash, controller-revision-hash). */
export const templateHash = (template: JsonObject): string => hashOf(JSON.stringify(template));

/** Brings a stored workload to its spec as its controller would; resolves with how it ended. */
export async function runController(
  context: ControllerContext,
  kind: WorkloadKind,
  namespace: string,
  name: string,
): Promise<WorkloadOutcome> {
  const object = context.server.get(RESOURCE_OF[kind], namespace, name);
  if (!object) return { ready: true };
  const template = isObject(specOf(object)['template']) ? (specOf(object)['template'] as JsonObject) : {};
  const subject: Subject = {
    context,
    kind,
    namespace,
    name,
    object,
    template,
    hash: templateHash(template),
    generation: num(object.metadata['generation'], 1),
  };
  if (kind === 'Deployment') return deploymentController(subject);
  if (kind === 'StatefulSet') return statefulSetController(subject);
  return daemonSetController(subject);
}

/** Waits one step (none when settled or with stepMs 0), then for `proceed`. */
async function step(context: ControllerContext): Promise<void> {
  if (context.stepMs <= 0) return;
  await sleep(context.stepMs);
  while (context.proceed !== undefined && !context.proceed()) await sleep(20);
}

async function readinessOf(subject: Subject, pod: string): Promise<TemplateReadiness> {
  if (subject.context.settled === true) return { ready: true };
  const { environment, readiness } = subject.context;
  return readiness.readiness({
    environment,
    namespace: subject.namespace,
    kind: subject.kind,
    name: subject.name,
    pod,
    template: subject.template,
  });
}

/** A pod about to start: its name, owner, the labels its controller adds and its node. */
interface NewPod {
  name: string;
  owner: { kind: string; name: string; uid: string };
  labels: Record<string, string>;
  node: string;
}

/**
 * Creates a pod starting, asks whether it becomes ready, and writes it as the kubelet then reports it;
 * `write(ready)` writes the workload's status after each change.
 */
async function startPod(
  subject: Subject,
  created: NewPod,
  write: (ready: boolean) => void,
): Promise<TemplateReadiness> {
  const { server } = subject.context;
  const report = (health: PodHealth, message?: string): void => {
    server.apply(templatePod(subject, created.name, created.owner, created.labels, health, created.node, message));
    write(health === 'ready');
  };
  report('starting');
  const readiness = await readinessOf(subject, created.name);
  if (!readiness.ready) {
    if (readiness.health !== 'starting') report(readiness.health, readiness.message);
    reportUnready(subject, created.name, readiness);
    return readiness;
  }
  await step(subject.context);
  report('ready');
  return readiness;
}

/**
 * A pod of the template as the kubelet reports it: each container in the state `health` says, waiting
 * with the node's own `message` when it gave one.
 */
function templatePod(
  subject: Subject,
  name: string,
  owner: { kind: string; name: string; uid: string },
  labels: Record<string, string>,
  health: PodHealth,
  nodeName: string,
  message?: string,
): JsonObject {
  const templateSpec = specOf(subject.template);
  const containers = (Array.isArray(templateSpec['containers']) ? templateSpec['containers'] : []).filter(isObject);
  const built = pod(name, {
    labels: { ...labelsOf(subject.template), ...labels },
    owner,
    image: text(containers[0]?.['image']),
    health,
    namespace: subject.namespace,
  });
  const status = built['status'] as JsonObject;
  const [first] = (status['containerStatuses'] as JsonObject[] | undefined) ?? [];
  const state = first !== undefined && isObject(first['state']) ? first['state'] : undefined;
  if (message !== undefined && state !== undefined && isObject(state['waiting'])) state['waiting']['message'] = message;
  if (first !== undefined) {
    status['containerStatuses'] = containers.map((container) => ({
      ...structuredClone(first),
      name: text(container['name']),
      image: text(container['image']),
    }));
  }
  const scheduled = health !== 'Unschedulable';
  return {
    ...built,
    spec: { ...structuredClone(templateSpec), ...(scheduled ? { nodeName } : {}) },
    ...(isObject(subject.template['metadata']) && isObject(subject.template['metadata']['annotations'])
      ? {
          metadata: {
            ...(built['metadata'] as JsonObject),
            annotations: structuredClone(subject.template['metadata']['annotations']),
          },
        }
      : {}),
  };
}

/** Records why a pod is not ready, as the kubelet's events say it. */
function reportUnready(subject: Subject, podName: string, readiness: TemplateReadiness): void {
  if (readiness.ready || readiness.message === undefined) return;
  const reason = readiness.health === 'starting' ? 'Unhealthy' : 'Failed';
  subject.context.server.apply(event(subject.namespace, { kind: 'Pod', name: podName }, reason, readiness.message));
}

/** Why new pods are not ready, in the words the outcome carries. */
function unreadyMessage(subject: Subject, podName: string, readiness: TemplateReadiness): string {
  if (readiness.ready) return '';
  const state = readiness.health === 'starting' ? 'not ready' : readiness.health;
  return `${subject.kind}/${subject.name}: pod ${podName} ${state}${readiness.message ? `: ${readiness.message}` : ''}`;
}

const podName = (prefix: string, seed: string): string => `${prefix}-${hashOf(seed).slice(0, 5)}`;

// ---- Deployments: a ReplicaSet per template revision, surging one pod at a time.

function ownedBy(server: KubeApiServer, resource: string, owner: KubeObject, namespace: string): KubeObject[] {
  const uid = text(owner.metadata['uid']);
  return server.list(resource, namespace).filter((item) => {
    const references = item.metadata['ownerReferences'];
    return Array.isArray(references) && references.some((reference) => isObject(reference) && reference['uid'] === uid);
  });
}

const revisionOf = (object: KubeObject): number =>
  Number(
    (isObject(object.metadata['annotations']) ? object.metadata['annotations'] : {})[
      'deployment.kubernetes.io/revision'
    ] ?? 0,
  );

interface DeploymentCounts {
  replicas: number;
  updated: number;
  total: number;
  available: number;
  newReplicaSet: string;
  deadline?: boolean;
}

function deploymentStatus(generation: number, counts: DeploymentCounts, maxUnavailable: number): JsonObject {
  const { replicas, updated, total, available, newReplicaSet } = counts;
  const minimum = available >= replicas - maxUnavailable;
  const complete = updated === replicas && total === replicas && available === replicas;
  return {
    observedGeneration: generation,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: available,
    availableReplicas: available,
    ...(total - available > 0 ? { unavailableReplicas: total - available } : {}),
    conditions: [
      {
        type: 'Available',
        status: minimum ? 'True' : 'False',
        reason: minimum ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: minimum ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      counts.deadline === true
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${newReplicaSet}" has timed out progressing.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
            message: complete
              ? `ReplicaSet "${newReplicaSet}" has successfully progressed.`
              : `ReplicaSet "${newReplicaSet}" is progressing.`,
          },
    ],
  };
}

/** maxUnavailable of a RollingUpdate Deployment, as a count of `replicas` (25% by default, rounded down). */
function maxUnavailableOf(spec: JsonObject, replicas: number): number {
  const strategy = isObject(spec['strategy']) ? spec['strategy'] : {};
  const rolling = isObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {};
  const value = rolling['maxUnavailable'] ?? '25%';
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(text(value));
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : 0;
}

function replicaSetOf(subject: Subject, revision: number, replicas: number): JsonObject {
  const { name, namespace, template, hash, object } = subject;
  const labels = { ...labelsOf(template), 'pod-template-hash': hash };
  const spec = specOf(object);
  const selector = isObject(spec['selector']) ? spec['selector'] : {};
  const matchLabels = isObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name}-${hash}`,
      namespace,
      labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(num(spec['replicas'], 1)),
        'deployment.kubernetes.io/revision': String(revision),
      },
      ownerReferences: [controllerReference({ kind: 'Deployment', name, uid: text(object.metadata['uid']) })],
    },
    spec: {
      replicas,
      selector: { ...selector, matchLabels: { ...matchLabels, 'pod-template-hash': hash } },
      template: {
        ...structuredClone(template),
        metadata: { ...(isObject(template['metadata']) ? template['metadata'] : {}), labels },
      },
    },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

async function deploymentController(subject: Subject): Promise<WorkloadOutcome> {
  const { context, name, namespace, object, generation } = subject;
  const { server } = context;
  const spec = specOf(object);
  const replicas = num(spec['replicas'], 1);
  const maxUnavailable = maxUnavailableOf(spec, replicas);
  const owned = ownedBy(server, 'replicasets', object, namespace);
  const newName = `${name}-${subject.hash}`;
  const existing = owned.find((rs) => text(rs.metadata['name']) === newName);
  // A template seen before (a rollback) gets its ReplicaSet back at the next revision, as `kubectl rollout
  // undo` shows it.
  const latest = Math.max(0, ...owned.map(revisionOf));
  const revision = existing !== undefined && revisionOf(existing) === latest ? latest : latest + 1;
  const podsOf = (rsName: string): KubeObject[] =>
    server
      .list('pods', namespace)
      .filter((item) =>
        (item.metadata['ownerReferences'] as JsonObject[] | undefined)?.some((ref) => ref['name'] === rsName),
      );
  const oldPods = owned.filter((rs) => rs !== existing).flatMap((rs) => podsOf(text(rs.metadata['name'])));
  const newPods = existing ? podsOf(newName) : [];
  let old = oldPods.length;
  let updated = Math.min(newPods.length, replicas);
  const write = (counts: Omit<DeploymentCounts, 'replicas' | 'newReplicaSet'>): void => {
    server.update('deployments', namespace, name, (stored) => {
      stored.metadata['annotations'] = {
        ...(isObject(stored.metadata['annotations']) ? stored.metadata['annotations'] : {}),
        'deployment.kubernetes.io/revision': String(revision),
      };
      stored['status'] = deploymentStatus(generation, { ...counts, replicas, newReplicaSet: newName }, maxUnavailable);
    });
  };
  const rs = server.apply(replicaSetOf(subject, revision, replicas));
  const owner = { kind: 'ReplicaSet', name: newName, uid: text(rs.metadata['uid']) };
  // Scaled down: the newest pods go first.
  for (const extra of newPods.slice(replicas)) server.remove('pods', namespace, text(extra.metadata['name']));
  write({ updated, total: updated + old, available: updated + old });
  const removeOldPod = (): void => {
    const victim = oldPods[oldPods.length - old];
    if (victim) server.remove('pods', namespace, text(victim.metadata['name']));
    old -= 1;
  };
  while (updated < replicas) {
    await step(context);
    const created = podName(newName, `${revision}/${updated}`);
    updated += 1;
    const labels = { 'pod-template-hash': subject.hash };
    const readiness = await startPod(subject, { name: created, owner, labels, node: NODES[0] }, (ready) =>
      write({ updated, total: updated + old, available: updated - (ready ? 0 : 1) + old }),
    );
    if (!readiness.ready) {
      if (readiness.progressDeadlineExceeded === true) {
        await step(context);
        write({ updated, total: updated + old, available: updated - 1 + old, deadline: true });
      }
      return { ready: false, message: unreadyMessage(subject, created, readiness) };
    }
    // The new pod is available: the old ReplicaSet gives one up.
    if (old === 0) continue;
    await step(context);
    removeOldPod();
    write({ updated, total: updated + old, available: updated + old });
  }
  if (old > 0) await step(context);
  while (old > 0) removeOldPod();
  for (const previous of owned.filter((candidate) => text(candidate.metadata['name']) !== newName)) {
    server.update('replicasets', namespace, text(previous.metadata['name']), (stored) => {
      (stored['spec'] as JsonObject)['replicas'] = 0;
      stored['status'] = { replicas: 0, observedGeneration: 1 };
    });
  }
  write({ updated: replicas, total: replicas, available: replicas });
  return { ready: true };
}

// ---- StatefulSets and DaemonSets: ControllerRevisions, pods named by ordinal or node.

function controllerRevision(subject: Subject, revision: number): KubeObject {
  const { name, namespace, template, hash, object, kind } = subject;
  const revisionName = `${name}-${hash}`;
  const existing = subject.context.server.get('controllerrevisions', namespace, revisionName);
  if (existing) return existing;
  return subject.context.server.apply({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName,
      namespace,
      labels: { ...labelsOf(template), 'controller.kubernetes.io/hash': hash },
      ownerReferences: [controllerReference({ kind, name, uid: text(object.metadata['uid']) })],
    },
    data: { spec: { template: { ...structuredClone(template), $patch: 'replace' } } },
    revision,
  });
}

function nextRevision(subject: Subject): number {
  const owned = ownedBy(subject.context.server, 'controllerrevisions', subject.object, subject.namespace);
  const mine = owned.find((revision) => text(revision.metadata['name']) === `${subject.name}-${subject.hash}`);
  return mine
    ? Number(mine['revision'] ?? 1)
    : Math.max(0, ...owned.map((revision) => Number(revision['revision'] ?? 0))) + 1;
}

const updateStrategyOf = (spec: JsonObject): JsonObject =>
  isObject(spec['updateStrategy']) ? spec['updateStrategy'] : { type: 'RollingUpdate' };

async function statefulSetController(subject: Subject): Promise<WorkloadOutcome> {
  const { context, name, namespace, object, generation } = subject;
  const { server } = context;
  const spec = specOf(object);
  const replicas = num(spec['replicas'], 1);
  const strategy = updateStrategyOf(spec);
  const partition = num(isObject(strategy['rollingUpdate']) ? strategy['rollingUpdate']['partition'] : 0, 0);
  const rolling = text(strategy['type'] ?? 'RollingUpdate') === 'RollingUpdate';
  const updateRevision = `${name}-${subject.hash}`;
  const previousStatus = isObject(object['status']) ? object['status'] : {};
  const currentRevision = text(previousStatus['currentRevision'] ?? '') || updateRevision;
  const revision = controllerRevision(subject, nextRevision(subject));
  const uid = text(object.metadata['uid']);
  const podAt = (ordinal: number): KubeObject | undefined => server.get('pods', namespace, `${name}-${ordinal}`);
  const revisionOfPod = (item: KubeObject | undefined): string => labelsOf(item)['controller-revision-hash'] ?? '';
  const readyPod = (item: KubeObject | undefined): boolean =>
    (((item?.['status'] as JsonObject | undefined)?.['conditions'] as JsonObject[] | undefined) ?? []).some(
      (condition) => condition['type'] === 'Ready' && condition['status'] === 'True',
    );
  const write = (): void => {
    const pods = Array.from({ length: replicas }, (_, ordinal) => podAt(ordinal)).filter(
      (item): item is KubeObject => item !== undefined,
    );
    const ready = pods.filter(readyPod).length;
    const updated = pods.filter((item) => revisionOfPod(item) === updateRevision).length;
    const done = updated === replicas && ready === replicas;
    const current = done ? updateRevision : currentRevision;
    server.update('statefulsets', namespace, name, (stored) => {
      stored['status'] = {
        observedGeneration: generation,
        replicas: pods.length,
        readyReplicas: ready,
        availableReplicas: ready,
        currentReplicas: pods.filter((item) => revisionOfPod(item) === current).length,
        updatedReplicas: updated,
        currentRevision: current,
        updateRevision,
        collisionCount: 0,
      };
    });
  };
  // Scaled down: the highest ordinals go first.
  for (let ordinal = replicas; podAt(ordinal) !== undefined; ordinal += 1)
    server.remove('pods', namespace, `${name}-${ordinal}`);
  write();
  // Missing ordinals are created in order, then (RollingUpdate) those at an older revision replaced from the
  // highest ordinal down to the partition, each once the one before is ready.
  const missing = Array.from({ length: replicas }, (_, ordinal) => ordinal).filter((ordinal) => !podAt(ordinal));
  const outdated = rolling
    ? Array.from({ length: replicas }, (_, ordinal) => replicas - 1 - ordinal).filter(
        (ordinal) =>
          ordinal >= partition && podAt(ordinal) !== undefined && revisionOfPod(podAt(ordinal)) !== updateRevision,
      )
    : [];
  const work = [...missing, ...outdated];
  if (work.length === 0) return { ready: true };
  for (const ordinal of work) {
    await step(context);
    const created = `${name}-${ordinal}`;
    const labels = {
      'controller-revision-hash': text(revision.metadata['name']),
      'statefulset.kubernetes.io/pod-name': created,
      'apps.kubernetes.io/pod-index': String(ordinal),
    };
    server.remove('pods', namespace, created);
    const owner = { kind: 'StatefulSet', name, uid };
    const readiness = await startPod(subject, { name: created, owner, labels, node: NODES[0] }, write);
    if (!readiness.ready) return { ready: false, message: unreadyMessage(subject, created, readiness) };
  }
  return { ready: true };
}

async function daemonSetController(subject: Subject): Promise<WorkloadOutcome> {
  const { context, name, namespace, object, generation } = subject;
  const { server } = context;
  const spec = specOf(object);
  const rolling = text(updateStrategyOf(spec)['type'] ?? 'RollingUpdate') === 'RollingUpdate';
  controllerRevision(subject, nextRevision(subject));
  const uid = text(object.metadata['uid']);
  const podOn = (node: string): KubeObject | undefined => server.get('pods', namespace, podName(name, node));
  const write = (): void => {
    const pods = NODES.map(podOn).filter((item): item is KubeObject => item !== undefined);
    const ready = pods.filter((item) =>
      (((item['status'] as JsonObject | undefined)?.['conditions'] as JsonObject[] | undefined) ?? []).some(
        (condition) => condition['type'] === 'Ready' && condition['status'] === 'True',
      ),
    ).length;
    server.update('daemonsets', namespace, name, (stored) => {
      stored['status'] = {
        observedGeneration: generation,
        currentNumberScheduled: pods.length,
        desiredNumberScheduled: NODES.length,
        numberMisscheduled: 0,
        numberReady: ready,
        numberAvailable: ready,
        ...(NODES.length - ready > 0 ? { numberUnavailable: NODES.length - ready } : {}),
        updatedNumberScheduled: pods.filter((item) => labelsOf(item)['controller-revision-hash'] === subject.hash)
          .length,
      };
    });
  };
  write();
  const work = NODES.filter((node) => {
    const existing = podOn(node);
    return existing === undefined || (rolling && labelsOf(existing)['controller-revision-hash'] !== subject.hash);
  });
  if (work.length === 0) return { ready: true };
  // maxUnavailable 1, maxSurge 0: one node at a time, its old pod deleted before the new one starts.
  for (const node of work) {
    await step(context);
    const created = podName(name, node);
    const labels = { 'controller-revision-hash': subject.hash, 'pod-template-generation': String(generation) };
    server.remove('pods', namespace, created);
    const owner = { kind: 'DaemonSet', name, uid };
    const readiness = await startPod(subject, { name: created, owner, labels, node }, write);
    if (!readiness.ready) return { ready: false, message: unreadyMessage(subject, created, readiness) };
  }
  return { ready: true };
}

/** Deletes an object and, as the garbage collector does, what it owns (ReplicaSets, pods, revisions). */
export function removeWithDependents(server: KubeApiServer, resource: string, namespace: string, name: string): void {
  const object = server.get(resource, namespace, name);
  if (!object) return;
  if (namespace !== '') {
    for (const dependentType of ['replicasets', 'controllerrevisions', 'pods']) {
      for (const dependent of ownedBy(server, dependentType, object, namespace))
        removeWithDependents(server, dependentType, namespace, text(dependent.metadata['name']));
    }
  }
  server.remove(resource, namespace, name);
}
