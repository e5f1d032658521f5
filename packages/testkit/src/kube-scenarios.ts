// Objects the Kubernetes controllers write for StatefulSets, DaemonSets (with their ControllerRevisions)
// and Argo Rollouts, and a wait for clients to start watching; the Deployment family and the scenario
// driver come from the rehearsal's cluster. No jest globals.
import { sleep } from '@shiprail/core';
import {
  controllerReference,
  hashOf,
  template,
  text,
  type JsonObject,
  type KubeApiServer,
  type KubeObject,
} from '@shiprail/rehearsal/kube';

export interface StatefulSetState {
  name: string;
  namespace?: string;
  image: string;
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  ready?: number;
  updated?: number;
  current?: number;
  currentRevision?: string;
  updateRevision?: string;
  strategy?: 'RollingUpdate' | 'OnDelete';
  /** undefined leaves spec.updateStrategy.rollingUpdate out. */
  partition?: number;
}

export function statefulSet(state: StatefulSetState): JsonObject {
  const replicas = state.replicas ?? 3;
  const generation = state.generation ?? 1;
  const updateRevision = state.updateRevision ?? `${state.name}-${hashOf(state.image)}`;
  const strategy = state.strategy ?? 'RollingUpdate';
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: state.name, namespace: state.namespace ?? 'default', generation, labels: { app: state.name } },
    spec: {
      replicas,
      serviceName: state.name,
      selector: { matchLabels: { app: state.name } },
      template: template(state.name, state.image),
      podManagementPolicy: 'OrderedReady',
      updateStrategy:
        strategy === 'OnDelete'
          ? { type: 'OnDelete' }
          : state.partition === undefined
            ? { type: 'RollingUpdate' }
            : { type: 'RollingUpdate', rollingUpdate: { partition: state.partition } },
      revisionHistoryLimit: 10,
    },
    status: {
      observedGeneration: state.observedGeneration ?? generation,
      replicas,
      readyReplicas: state.ready ?? replicas,
      availableReplicas: state.ready ?? replicas,
      currentReplicas: state.current ?? replicas,
      updatedReplicas: state.updated ?? replicas,
      currentRevision: state.currentRevision ?? updateRevision,
      updateRevision,
      collisionCount: 0,
    },
  };
}

export interface DaemonSetState {
  name: string;
  namespace?: string;
  image: string;
  desired?: number;
  generation?: number;
  observedGeneration?: number;
  updated?: number;
  available?: number;
  strategy?: 'RollingUpdate' | 'OnDelete';
}

export function daemonSet(state: DaemonSetState): JsonObject {
  const desired = state.desired ?? 3;
  const generation = state.generation ?? 1;
  const available = state.available ?? desired;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: state.name, namespace: state.namespace ?? 'default', generation, labels: { app: state.name } },
    spec: {
      selector: { matchLabels: { app: state.name } },
      template: template(state.name, state.image),
      updateStrategy:
        (state.strategy ?? 'RollingUpdate') === 'OnDelete'
          ? { type: 'OnDelete' }
          : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: {
      observedGeneration: state.observedGeneration ?? generation,
      currentNumberScheduled: desired,
      desiredNumberScheduled: desired,
      numberMisscheduled: 0,
      numberReady: available,
      numberAvailable: available,
      ...(desired - available > 0 ? { numberUnavailable: desired - available } : {}),
      updatedNumberScheduled: state.updated ?? desired,
    },
  };
}

/** The ControllerRevision a StatefulSet or DaemonSet controller records for a template. */
export function controllerRevision(owner: KubeObject, image: string, revision: number): JsonObject {
  const app = text(owner.metadata['name']);
  const hash = hashOf(image);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${app}-${hash}`,
      namespace: owner.metadata['namespace'] ?? 'default',
      labels: { app, 'controller.kubernetes.io/hash': hash },
      ownerReferences: [
        controllerReference({ kind: text(owner['kind']), name: app, uid: text(owner.metadata['uid']) }),
      ],
    },
    data: { spec: { template: { ...template(app, image), $patch: 'replace' } } },
    revision,
  };
}

export interface ArgoRolloutState {
  name: string;
  namespace?: string;
  image: string;
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  phase?: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded';
  message?: string;
}

export function argoRollout(state: ArgoRolloutState): JsonObject {
  const replicas = state.replicas ?? 3;
  const generation = state.generation ?? 1;
  const hash = hashOf(state.image);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: state.name, namespace: state.namespace ?? 'default', generation, labels: { app: state.name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: state.name } },
      template: template(state.name, state.image),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] } },
    },
    status: {
      observedGeneration: String(state.observedGeneration ?? generation),
      phase: state.phase ?? 'Healthy',
      message: state.message ?? '',
      currentPodHash: hash,
      stableRS: state.phase === 'Healthy' || state.phase === undefined ? hash : 'previous',
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
    },
  };
}

/** Resolves once at least `count` watch streams are open (a client has started watching), or rejects. */
export async function waitForWatches(server: KubeApiServer, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.openWatches() < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} watches opened within ${timeoutMs} ms`);
    await sleep(20);
  }
}
