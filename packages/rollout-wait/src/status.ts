// Whether a rollout is done, with kubectl's progress messages word for word (kubectl's
// polymorphichelpers/rollout_status.go), and Argo Rollouts' phase as `kubectl argo rollouts status`
// reads it.
import type { Pod, Workload } from './objects.ts';
import type { WorkloadKind } from '@shiprail/core';

export type Phase = 'progressing' | 'done' | 'failed';

export interface Verdict {
  phase: Phase;
  /** kubectl's message (without its trailing newline). */
  message: string;
  /** A short machine word: Progressing, Complete, ProgressDeadlineExceeded, UnsupportedStrategy, ... */
  reason: string;
}

export type { WorkloadKind };

const progressing = (message: string, reason = 'Progressing'): Verdict => ({ phase: 'progressing', message, reason });
const done = (message: string, reason = 'Complete'): Verdict => ({ phase: 'done', message, reason });
const failed = (message: string, reason: string): Verdict => ({ phase: 'failed', message, reason });

const observed = (workload: Workload): number => {
  const value = workload.status?.observedGeneration;
  return typeof value === 'number' ? value : Number(value ?? 0) || 0;
};

export function deploymentStatus(deployment: Workload, pods: readonly Pod[] = []): Verdict {
  const name = deployment.metadata?.name ?? '';
  const status = deployment.status ?? {};
  const replicas = deployment.spec?.replicas;
  const updated = status.updatedReplicas ?? 0;
  if ((deployment.metadata?.generation ?? 0) <= observed(deployment)) {
    const condition = (status.conditions ?? []).find((candidate) => candidate.type === 'Progressing');
    if (condition?.reason === 'ProgressDeadlineExceeded') {
      return failed(`deployment "${name}" exceeded its progress deadline`, 'ProgressDeadlineExceeded');
    }
    if (replicas !== undefined && updated < replicas) {
      return progressing(
        withWarning(
          `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
          pods,
        ),
      );
    }
    if ((status.replicas ?? 0) > updated) {
      return progressing(
        withWarning(
          `Waiting for deployment "${name}" rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...`,
          pods,
        ),
      );
    }
    if ((status.availableReplicas ?? 0) < updated) {
      return progressing(
        withWarning(
          `Waiting for deployment "${name}" rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
          pods,
        ),
      );
    }
    return done(`deployment "${name}" successfully rolled out`);
  }
  return progressing(withWarning('Waiting for deployment spec update to be observed...', pods));
}

// kubectl (since 1.33) names the first unschedulable pod or waiting container behind a slow Deployment.
const WARNING_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

function withWarning(message: string, pods: readonly Pod[]): string {
  for (const pod of pods) {
    for (const condition of pod.status?.conditions ?? []) {
      if (condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable') {
        return `${message} (Warning: ${condition.message ?? ''})`;
      }
    }
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (waiting?.reason !== undefined && WARNING_REASONS.has(waiting.reason)) {
        return `${message} (Warning: ${waiting.reason} - ${waiting.message ?? ''})`;
      }
    }
  }
  return message;
}

const UNSUPPORTED_STRATEGY = 'rollout status is only available for RollingUpdate strategy type';

export function daemonSetStatus(daemonSet: Workload): Verdict {
  const name = daemonSet.metadata?.name ?? '';
  const status = daemonSet.status ?? {};
  if (daemonSet.spec?.updateStrategy?.type !== 'RollingUpdate')
    return failed(UNSUPPORTED_STRATEGY, 'UnsupportedStrategy');
  if ((daemonSet.metadata?.generation ?? 0) <= observed(daemonSet)) {
    const desired = status.desiredNumberScheduled ?? 0;
    const updated = status.updatedNumberScheduled ?? 0;
    if (updated < desired) {
      return progressing(
        `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
      );
    }
    if ((status.numberAvailable ?? 0) < desired) {
      return progressing(
        `Waiting for daemon set "${name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...`,
      );
    }
    return done(`daemon set "${name}" successfully rolled out`);
  }
  return progressing('Waiting for daemon set spec update to be observed...');
}

export function statefulSetStatus(statefulSet: Workload): Verdict {
  const status = statefulSet.status ?? {};
  const strategy = statefulSet.spec?.updateStrategy;
  const replicas = statefulSet.spec?.replicas;
  if (strategy?.type !== 'RollingUpdate') return failed(UNSUPPORTED_STRATEGY, 'UnsupportedStrategy');
  if (observed(statefulSet) === 0 || (statefulSet.metadata?.generation ?? 0) > observed(statefulSet)) {
    return progressing('Waiting for statefulset spec update to be observed...');
  }
  if (replicas !== undefined && (status.readyReplicas ?? 0) < replicas) {
    return progressing(`Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...`);
  }
  const rollingUpdate = strategy.rollingUpdate;
  if (rollingUpdate !== undefined && rollingUpdate !== null) {
    const partition = rollingUpdate.partition;
    if (replicas !== undefined && partition !== undefined && (status.updatedReplicas ?? 0) < replicas - partition) {
      return progressing(
        `Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...`,
      );
    }
    return done(`partitioned roll out complete: ${status.updatedReplicas ?? 0} new pods have been updated...`);
  }
  if (status.updateRevision !== status.currentRevision) {
    return progressing(
      `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision ?? ''}...`,
    );
  }
  return done(
    `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision ?? ''}...`,
  );
}

/** Argo Rollouts: the phase the controller reports (`Phase - message`, as `kubectl argo rollouts status` prints). */
export function argoRolloutStatus(rollout: Workload, acceptPaused: boolean): Verdict {
  const status = rollout.status ?? {};
  const observedText = String(status.observedGeneration ?? '');
  const observedNumber = /^\d+$/.test(observedText) ? Number(observedText) : undefined;
  const generation = rollout.metadata?.generation ?? 0;
  if (observedNumber !== undefined && observedNumber < generation) {
    return progressing('Progressing - waiting for rollout spec update to be observed');
  }
  if (status.controllerPause === true && (status.pauseConditions ?? []).length === 0) {
    return progressing('Progressing - waiting for rollout to unpause');
  }
  const phase = status.phase ?? '';
  const message = status.message ? `${phase} - ${status.message}` : phase;
  switch (phase) {
    case 'Healthy':
      return done(message, 'Healthy');
    case 'Degraded':
      return failed(message, 'Degraded');
    case 'Paused':
      return acceptPaused ? done(message, 'Paused') : progressing(message, 'Paused');
    case '':
      return progressing('Progressing - waiting for the controller to report a phase');
    default:
      return progressing(message);
  }
}

export function workloadStatus(
  kind: WorkloadKind,
  workload: Workload,
  options: { acceptPaused: boolean; pods?: readonly Pod[] },
): Verdict {
  switch (kind) {
    case 'deployment':
      return deploymentStatus(workload, options.pods);
    case 'statefulset':
      return statefulSetStatus(workload);
    case 'daemonset':
      return daemonSetStatus(workload);
    case 'rollout':
      return argoRolloutStatus(workload, options.acceptPaused);
  }
}
