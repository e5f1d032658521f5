// A pod's status in the Kubernetes API's shape (phase, Ready condition, container states with the waiting
// reasons `kubectl get pods` shows), and the one answer a rollout needs from it: ready, or why not.

export interface WaitingState {
  /** ContainerCreating, ErrImagePull, ImagePullBackOff, CrashLoopBackOff, CreateContainerError. */
  reason: string;
  message?: string;
}

export interface TerminatedState {
  exitCode: number;
  /** Completed, Error, StartError. */
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

export interface ContainerState {
  waiting?: WaitingState;
  running?: { startedAt: string };
  terminated?: TerminatedState;
}

export interface ContainerStatus {
  name: string;
  image: string;
  /** `registry/repository@sha256:…` once pulled. */
  imageID: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState;
}

export interface PodCondition {
  type: 'Ready' | 'ContainersReady';
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

export interface PodEvent {
  type: 'Normal' | 'Warning';
  /** Pulled, Failed, BackOff, Started, Unhealthy, Killing. */
  reason: string;
  message: string;
  count: number;
}

export interface PodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  podIP: string;
  conditions: PodCondition[];
  containerStatuses: ContainerStatus[];
}

export type PodReadiness = { ready: true } | { ready: false; reason: string; message: string };

/** Why a container is not ready, in a line: its waiting reason, its exit, or its last probe failure. */
function containerProblem(status: ContainerStatus, probeFailure: string): string {
  const { waiting, terminated } = status.state;
  const last = status.lastState.terminated ?? terminated;
  const exit = last ? `last exit code ${last.exitCode}${last.message ? `: ${last.message}` : ''}` : '';
  if (waiting) return [waiting.reason, waiting.message, exit].filter(Boolean).join(': ');
  if (terminated) return `${terminated.reason}: ${exit}`;
  if (probeFailure) return `Readiness probe failed: ${probeFailure}`;
  return 'not ready yet';
}

/**
 * The pod's Ready condition and phase from its containers' statuses, as the kubelet computes them.
 */
export function podStatus(
  podIP: string,
  containers: ContainerStatus[],
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
): PodStatus {
  const unready = containers.filter((container) => !container.ready);
  const ready = unready.length === 0;
  const message = ready
    ? undefined
    : `containers with unready status: [${unready.map((container) => container.name).join(' ')}]`;
  const condition = (type: PodCondition['type']): PodCondition =>
    ready
      ? { type, status: 'True' }
      : { type, status: 'False', reason: 'ContainersNotReady', ...(message ? { message } : {}) };
  const terminated = containers.map((container) => container.state.terminated);
  let phase: PodStatus['phase'] = 'Pending';
  if (containers.some((container) => container.state.running)) phase = 'Running';
  else if (terminated.every((state) => state !== undefined)) {
    const failed = terminated.some((state) => state.exitCode !== 0);
    if (restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && !failed))
      phase = failed ? 'Failed' : 'Succeeded';
  } else if (containers.some((container) => container.restartCount > 0)) phase = 'Running';
  return {
    phase,
    podIP,
    conditions: [condition('Ready'), condition('ContainersReady')],
    containerStatuses: containers,
  };
}

/** Ready, or the reason a rollout reports: the first unready container's waiting reason, exit or probe. */
export function readinessOf(status: PodStatus, probeFailures: ReadonlyMap<string, string>): PodReadiness {
  const unready = status.containerStatuses.filter((container) => !container.ready);
  const first = unready[0];
  if (first === undefined) return { ready: true };
  const reason =
    first.state.waiting?.reason ??
    first.state.terminated?.reason ??
    (probeFailures.get(first.name) ? 'ReadinessProbeFailed' : 'ContainersNotReady');
  const details = unready.map(
    (container) => `${container.name}: ${containerProblem(container, probeFailures.get(container.name) ?? '')}`,
  );
  return { ready: false, reason, message: details.join('; ') };
}
