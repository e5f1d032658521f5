// Objects as the Kubernetes controllers write them for a Deployment (its ReplicaSets, pods and events)
// and a scenario driver that plays a sequence of object states over time against the API server: the
// rollouts a rehearsal's cluster goes through.
import { sleep } from '@shiprail/core';
import { createHash } from 'node:crypto';
import { text, type JsonObject, type KubeApiServer, type KubeObject } from './api-server.ts';

export const hashOf = (text: string): string =>
  createHash('sha256')
    .update(text)
    .digest('hex')
    .replace(/[0-9]/g, (digit) => 'bcdfghjklm'[Number(digit)] ?? 'x')
    .slice(0, 10);

export const template = (app: string, image: string, extraLabels: Record<string, string> = {}): JsonObject => ({
  metadata: { labels: { app, ...extraLabels } },
  spec: {
    containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', resources: {} }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
  },
});

export interface DeploymentState {
  name: string;
  namespace?: string;
  image: string;
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  /** status.updatedReplicas (default: replicas). */
  updated?: number;
  /** status.replicas: updated plus old (default: replicas). */
  total?: number;
  ready?: number;
  available?: number;
  /** The deployment.kubernetes.io/revision annotation. */
  revision?: number;
  progressDeadlineExceeded?: boolean;
  paused?: boolean;
  /** More containers (sidecars), name → image. */
  sidecars?: Record<string, string>;
}

export function deployment(state: DeploymentState): JsonObject {
  const replicas = state.replicas ?? 3;
  const updated = state.updated ?? replicas;
  const total = state.total ?? replicas;
  const available = state.available ?? Math.min(updated, replicas);
  const generation = state.generation ?? 1;
  const podTemplate = template(state.name, state.image);
  for (const [name, image] of Object.entries(state.sidecars ?? {})) {
    ((podTemplate['spec'] as JsonObject)['containers'] as JsonObject[]).push({ name, image });
  }
  const progressing = state.progressDeadlineExceeded
    ? {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${state.name}-${hashOf(state.image)}" has timed out progressing.`,
      }
    : {
        type: 'Progressing',
        status: 'True',
        reason: updated === replicas && total === replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        message: `ReplicaSet "${state.name}-${hashOf(state.image)}" is progressing.`,
      };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: state.name,
      namespace: state.namespace ?? 'default',
      generation,
      labels: { app: state.name },
      annotations: { 'deployment.kubernetes.io/revision': String(state.revision ?? generation) },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: state.name } },
      template: podTemplate,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...(state.paused ? { paused: true } : {}),
    },
    status: {
      observedGeneration: state.observedGeneration ?? generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: state.ready ?? available,
      availableReplicas: available,
      ...(total - available > 0 ? { unavailableReplicas: total - available } : {}),
      conditions: [
        {
          type: 'Available',
          status: available >= replicas - Math.floor(replicas / 4) ? 'True' : 'False',
          reason:
            available >= replicas - Math.floor(replicas / 4)
              ? 'MinimumReplicasAvailable'
              : 'MinimumReplicasUnavailable',
          message: 'Deployment has minimum availability.',
        },
        progressing,
      ],
    },
  };
}

/** The reference a controller writes on what it owns (a ReplicaSet, Pod or ControllerRevision). */
export function controllerReference(owner: {
  apiVersion?: string;
  kind: string;
  name: string;
  uid: string;
}): JsonObject {
  return {
    apiVersion: owner.apiVersion ?? 'apps/v1',
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The ReplicaSet a Deployment controller makes for one revision of the template. */
export function replicaSet(owner: KubeObject, image: string, revision: number, replicas: number): JsonObject {
  const app = text(owner.metadata['name']);
  const hash = hashOf(image);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${app}-${hash}`,
      namespace: owner.metadata['namespace'] ?? 'default',
      labels: { app, 'pod-template-hash': hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
        'deployment.kubernetes.io/revision': String(revision),
      },
      ownerReferences: [controllerReference({ kind: 'Deployment', name: app, uid: text(owner.metadata['uid']) })],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app, 'pod-template-hash': hash } },
      template: template(app, image, { 'pod-template-hash': hash }),
    },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

/** How a pod's container is doing. */
export type PodHealth =
  | 'ready'
  | 'starting'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'InvalidImageName'
  | 'CrashLoopBackOff'
  | 'OOMKilled'
  | 'CreateContainerConfigError'
  | 'RunContainerError'
  | 'Unschedulable';

const WAITING_MESSAGES: Readonly<Record<string, string>> = {
  ImagePullBackOff: 'Back-off pulling image "IMAGE"',
  ErrImagePull: 'rpc error: code = NotFound desc = failed to pull and unpack image "IMAGE": not found',
  InvalidImageName:
    'Failed to apply default image tag "IMAGE": couldn\'t parse image name "IMAGE": invalid reference format',
  CrashLoopBackOff: 'back-off 5m0s restarting failed container=app pod=POD',
  CreateContainerConfigError: 'secret "app-secrets" not found',
  RunContainerError: 'failed to create containerd task: exec: "/app": permission denied',
};

export interface PodOptions {
  /** Labels that tie the pod to its controller's revision (pod-template-hash or controller-revision-hash). */
  labels: Record<string, string>;
  owner: { kind: string; name: string; uid: string; apiVersion?: string };
  image: string;
  health: PodHealth;
  restarts?: number;
  namespace?: string;
}

export function pod(name: string, options: PodOptions): JsonObject {
  const ready = options.health === 'ready';
  const restarts =
    options.restarts ?? (options.health === 'CrashLoopBackOff' || options.health === 'OOMKilled' ? 4 : 0);
  const message = (WAITING_MESSAGES[options.health] ?? '').replaceAll('IMAGE', options.image).replaceAll('POD', name);
  let state: JsonObject = { running: { startedAt: '2026-01-01T00:00:00Z' } };
  let lastState: JsonObject = {};
  if (options.health === 'starting') state = { waiting: { reason: 'ContainerCreating' } };
  else if (options.health === 'OOMKilled') {
    state = { running: { startedAt: '2026-01-01T00:00:05Z' } };
    lastState = {
      terminated: {
        exitCode: 137,
        reason: 'OOMKilled',
        startedAt: '2026-01-01T00:00:01Z',
        finishedAt: '2026-01-01T00:00:04Z',
      },
    };
  } else if (options.health === 'CrashLoopBackOff') {
    state = { waiting: { reason: 'CrashLoopBackOff', message } };
    lastState = {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: '2026-01-01T00:00:01Z',
        finishedAt: '2026-01-01T00:00:02Z',
      },
    };
  } else if (options.health !== 'ready' && options.health !== 'Unschedulable') {
    state = { waiting: { reason: options.health, message } };
  }
  const scheduled = options.health !== 'Unschedulable';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      labels: options.labels,
      ownerReferences: [controllerReference(options.owner)],
    },
    spec: {
      containers: [{ name: 'app', image: options.image }],
      nodeName: scheduled ? 'node-1' : undefined,
    } as JsonObject,
    status: {
      phase: ready ? 'Running' : 'Pending',
      conditions: [
        scheduled
          ? { type: 'PodScheduled', status: 'True' }
          : {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient cpu.',
            },
        { type: 'Ready', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: scheduled
        ? [{ name: 'app', image: options.image, ready, restartCount: restarts, started: ready, state, lastState }]
        : [],
    },
  };
}

/** Pods of a Deployment's ReplicaSet. */
export function replicaSetPods(rs: KubeObject, count: number, health: PodHealth): JsonObject[] {
  const labels = (rs.metadata['labels'] ?? {}) as Record<string, string>;
  const containers = (((rs['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)[
    'containers'
  ] as JsonObject[];
  const image = text(containers[0]?.['image']);
  return Array.from({ length: count }, (_, index) =>
    pod(`${text(rs.metadata['name'])}-${hashOf(`${index}`).slice(0, 5)}`, {
      labels,
      owner: { kind: 'ReplicaSet', name: text(rs.metadata['name']), uid: text(rs.metadata['uid']) },
      image,
      health,
      namespace: text(rs.metadata['namespace']),
    }),
  );
}

export function event(
  namespace: string,
  involved: { kind: string; name: string },
  reason: string,
  message: string,
  type = 'Warning',
): JsonObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.${hashOf(reason + message)}`, namespace },
    involvedObject: { kind: involved.kind, name: involved.name, namespace, apiVersion: 'v1' },
    reason,
    message,
    type,
    count: 3,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'kubelet', host: 'node-1' },
  };
}

export interface ScenarioStep {
  afterMs: number;
  run: (server: KubeApiServer) => void;
}

/** Plays the steps in order; resolves with the wall-clock time of the last step. */
export async function playScenario(
  server: KubeApiServer,
  steps: readonly ScenarioStep[],
  signal?: AbortSignal,
  /** Holds every timed step until it returns true (checked every 20 ms), after its delay. */
  proceed?: () => boolean,
): Promise<number> {
  let last = Date.now();
  for (const step of steps) {
    if (step.afterMs > 0) await sleep(step.afterMs);
    while (step.afterMs > 0 && proceed !== undefined && !proceed() && !signal?.aborted) await sleep(20);
    if (signal?.aborted) break;
    step.run(server);
    last = Date.now();
  }
  return last;
}

export interface DeploymentRolloutOptions {
  name: string;
  namespace?: string;
  from: string;
  to: string;
  replicas?: number;
  stepMs?: number;
  /** The Deployment's generation and revision after this rollout (default 2: the first rollout after a seed). */
  generation?: number;
  revision?: number;
  /** success: every state a rolling update goes through; deadline: the new pods never become
   * available and the progress deadline passes; stuck: never finishes; the rest: the new pods fail so. */
  outcome?: 'success' | 'deadline' | 'stuck' | PodHealth;
}

/**
 * Creates a Deployment at revision 1 (image `from`) with its ReplicaSet and pods, healthy. Returns the
 * stored Deployment.
 */
export function seedDeployment(
  server: KubeApiServer,
  name: string,
  image: string,
  replicas = 3,
  namespace = 'default',
): KubeObject {
  const stored = server.apply(deployment({ name, namespace, image, replicas, generation: 1, revision: 1 }));
  const rs = server.apply(replicaSet(stored, image, 1, replicas));
  for (const item of replicaSetPods(rs, replicas, 'ready')) server.apply(item);
  return stored;
}

/** The states a Deployment controller writes while rolling a seeded Deployment from `from` to `to`. */
export function deploymentRollout(options: DeploymentRolloutOptions): ScenarioStep[] {
  const { name, from, to } = options;
  const namespace = options.namespace ?? 'default';
  const replicas = options.replicas ?? 3;
  const stepMs = options.stepMs ?? 100;
  const outcome = options.outcome ?? 'success';
  const generation = options.generation ?? 2;
  const revision = options.revision ?? 2;
  const state = (extra: Partial<DeploymentState>): DeploymentState => ({
    name,
    namespace,
    image: to,
    replicas,
    generation,
    revision,
    ...extra,
  });
  const steps: ScenarioStep[] = [
    // The spec changes; the controller has not seen it yet.
    {
      afterMs: 0,
      run: (server) => {
        server.apply(
          deployment(
            state({
              observedGeneration: generation - 1,
              revision: revision - 1,
              updated: 0,
              total: replicas,
              available: replicas,
            }),
          ),
        );
      },
    },
    // The new ReplicaSet gets its first pod.
    {
      afterMs: stepMs,
      run: (server) => {
        const owner = server.get('deployments', namespace, name);
        if (!owner) return;
        const rs = server.apply(replicaSet(owner, to, revision, 1));
        const health = outcome === 'success' || outcome === 'deadline' || outcome === 'stuck' ? 'starting' : outcome;
        for (const item of replicaSetPods(rs, 1, health)) server.apply(item);
        server.apply(deployment(state({ updated: 1, total: replicas + 1, available: replicas })));
      },
    },
  ];
  if (outcome === 'deadline') {
    steps.push({
      afterMs: stepMs,
      run: (server) =>
        server.apply(
          deployment(state({ updated: 1, total: replicas + 1, available: replicas, progressDeadlineExceeded: true })),
        ),
    });
    return steps;
  }
  if (outcome !== 'success') return steps;
  for (let updated = 2; updated <= replicas; updated += 1) {
    steps.push({
      afterMs: stepMs,
      run: (server) => server.apply(deployment(state({ updated, total: replicas + 1, available: replicas }))),
    });
  }
  steps.push(
    {
      afterMs: stepMs,
      run: (server) => server.apply(deployment(state({ updated: replicas, total: replicas, available: replicas - 1 }))),
    },
    {
      afterMs: stepMs,
      run: (server) => {
        const owner = server.get('deployments', namespace, name);
        if (!owner) return;
        const oldRs = server.get('replicasets', namespace, `${name}-${hashOf(from)}`);
        if (oldRs) {
          server.update('replicasets', namespace, text(oldRs.metadata['name']), (rs) => {
            (rs['spec'] as JsonObject)['replicas'] = 0;
          });
          for (const item of server.list('pods', namespace)) {
            if ((item.metadata['labels'] as Record<string, string>)['pod-template-hash'] === hashOf(from)) {
              server.remove('pods', namespace, text(item.metadata['name']));
            }
          }
        }
        const rs = server.apply(replicaSet(owner, to, revision, replicas));
        for (const item of replicaSetPods(rs, replicas, 'ready')) server.apply(item);
        server.apply(deployment(state({ updated: replicas, total: replicas, available: replicas })));
      },
    },
  );
  return steps;
}
