// Which new pods of a rollout cannot succeed without a change (fail-fast), and which pods are new.
import type { ContainerStatus, ControllerRevision, Pod, ReplicaSet, Workload } from './objects.ts';
import { isControlledBy } from './objects.ts';
import type { WorkloadKind } from './status.ts';

/** Container states that do not heal by waiting: the image, the configuration or the program is wrong. */
export const HOPELESS_REASONS: readonly string[] = [
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'RunContainerError',
];

export interface ContainerProblem {
  pod: string;
  container: string;
  reason: string;
  message: string;
  restarts: number;
}

function problemOf(pod: string, status: ContainerStatus): ContainerProblem | undefined {
  const restarts = status.restartCount ?? 0;
  const waiting = status.state?.waiting;
  const base = { pod, container: status.name ?? '', restarts };
  if (waiting?.reason !== undefined && HOPELESS_REASONS.includes(waiting.reason)) {
    return { ...base, reason: waiting.reason, message: waiting.message ?? '' };
  }
  // A container killed for memory and restarted is crash-looping even while it is briefly running.
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  if (terminated?.reason === 'OOMKilled' && restarts > 0 && status.ready !== true) {
    return { ...base, reason: 'OOMKilled', message: `exit code ${terminated.exitCode ?? 137}, ${restarts} restarts` };
  }
  return undefined;
}

/** The hopeless containers of one pod (init containers first). */
export function containerProblems(pod: Pod): ContainerProblem[] {
  const name = pod.metadata?.name ?? '';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.flatMap((status) => {
    const problem = problemOf(name, status);
    return problem ? [problem] : [];
  });
}

const isTerminating = (pod: Pod): boolean =>
  pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;

/** True when there is at least one new pod and every one of them has a hopeless container. */
export function allHopeless(newPods: readonly Pod[]): boolean {
  const live = newPods.filter((pod) => !isTerminating(pod));
  return live.length > 0 && live.every((pod) => containerProblems(pod).length > 0);
}

/** The label, and its value, that marks the pods of a workload's newest revision. */
export interface NewPodLabel {
  key: string;
  value: string;
}

/**
 * The label of the newest revision's pods. Deployments: the pod-template-hash of the ReplicaSet whose
 * revision is the Deployment's. DaemonSets: the hash of the newest ControllerRevision. StatefulSets:
 * status.updateRevision. Argo Rollouts: status.currentPodHash.
 */
export function newPodLabel(
  kind: WorkloadKind,
  workload: Workload,
  owned: { replicaSets?: readonly ReplicaSet[]; revisions?: readonly ControllerRevision[] } = {},
): NewPodLabel | undefined {
  switch (kind) {
    case 'deployment': {
      const revision = workload.metadata?.annotations?.['deployment.kubernetes.io/revision'];
      const candidates = (owned.replicaSets ?? []).filter((rs) => isControlledBy(rs, workload));
      const revisionOf = (rs: ReplicaSet): number =>
        Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
      const newest =
        candidates.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision) ??
        [...candidates].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      const hash = newest?.metadata?.labels?.['pod-template-hash'];
      return hash === undefined ? undefined : { key: 'pod-template-hash', value: hash };
    }
    case 'daemonset': {
      const newest = [...(owned.revisions ?? [])]
        .filter((revision) => isControlledBy(revision, workload))
        .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
      const hash = newest?.metadata?.labels?.['controller.kubernetes.io/hash'];
      return hash === undefined ? undefined : { key: 'controller-revision-hash', value: hash };
    }
    case 'statefulset': {
      const revision = workload.status?.updateRevision;
      return revision === undefined ? undefined : { key: 'controller-revision-hash', value: revision };
    }
    case 'rollout': {
      const hash = workload.status?.currentPodHash;
      return hash === undefined ? undefined : { key: 'rollouts-pod-template-hash', value: hash };
    }
  }
}

export function podsWithLabel(pods: Iterable<Pod>, label: NewPodLabel | undefined): Pod[] {
  if (label === undefined) return [];
  return [...pods].filter((pod) => pod.metadata?.labels?.[label.key] === label.value);
}

/** One line that says why the new pods cannot start, from their first problem. */
export function describeHopeless(newPods: readonly Pod[]): { reason: string; message: string } {
  const problems = newPods.flatMap(containerProblems);
  const first = problems[0];
  const reason = first?.reason ?? 'Failed';
  const detail = first ? `${first.container}: ${first.reason}${first.message ? ` (${first.message})` : ''}` : '';
  const count = newPods.filter((pod) => !isTerminating(pod)).length;
  return {
    reason,
    message: `${count === 1 ? 'the new pod cannot' : `all ${count} new pods cannot`} run: ${detail}`,
  };
}
