// The parts of Kubernetes objects rollout-wait reads. Loose on purpose: objects arrive both as plain
// JSON (watch events) and as @kubernetes/client-node models (lists), which share these field names.

export interface OwnerReference {
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface Container {
  name?: string;
  image?: string;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: { containers?: Container[]; initContainers?: Container[] };
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface Workload {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: LabelSelector;
    template?: PodTemplate;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } | null };
  };
  status?: {
    observedGeneration?: number | string;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    conditions?: Condition[];
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    // Argo Rollouts
    phase?: string;
    message?: string;
    controllerPause?: boolean;
    pauseConditions?: unknown[];
    currentPodHash?: string;
  };
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string } | null;
  running?: unknown;
  terminated?: { reason?: string; message?: string; exitCode?: number } | null;
}

export interface ContainerStatus {
  name?: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Pod {
  metadata?: ObjectMeta;
  spec?: { containers?: Container[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface ReplicaSet {
  metadata?: ObjectMeta;
  spec?: { template?: PodTemplate };
}

export interface ControllerRevision {
  metadata?: ObjectMeta;
  revision?: number;
}

export interface KubeEvent {
  metadata?: ObjectMeta;
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: unknown;
  eventTime?: unknown;
  firstTimestamp?: unknown;
}

/** Whether `owner` controls `object` (its controller owner reference points at the owner's uid). */
export function isControlledBy(object: { metadata?: ObjectMeta }, owner: { metadata?: ObjectMeta }): boolean {
  const uid = owner.metadata?.uid;
  return (object.metadata?.ownerReferences ?? []).some(
    (reference) => reference.controller === true && uid !== undefined && reference.uid === uid,
  );
}

/** A label selector as the API's `labelSelector` query parameter spells it. */
export function selectorString(selector: LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const requirement of selector?.matchExpressions ?? []) {
    const values = (requirement.values ?? []).join(',');
    switch (requirement.operator) {
      case 'In':
        terms.push(`${requirement.key} in (${values})`);
        break;
      case 'NotIn':
        terms.push(`${requirement.key} notin (${values})`);
        break;
      case 'Exists':
        terms.push(requirement.key);
        break;
      case 'DoesNotExist':
        terms.push(`!${requirement.key}`);
        break;
    }
  }
  return terms.join(',');
}

/** Any timestamp field (a string on the wire, a Date in client models) as milliseconds; 0 when absent. */
export function timestampMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}
