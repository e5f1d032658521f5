// The kubelet as the simulated clusters' node: it answers their question about each pod a workload controller
// starts ("does it become ready, and why not") by running the pod, and keeps it running for the traffic that
// follows (smoke tests, canary). A pod is judged once it is ready, once its containers reach a state that
// only a new template fixes (CrashLoopBackOff, ImagePullBackOff, …), or when the deadline passes.
import { ConfigurationError, errorMessage, sleep } from '@shiprail/core';
import { isObject } from '../kube/patch.ts';
import type { PodReadiness as ClusterPodReadiness, PodTemplateSubject, TemplateReadiness } from '../kube/readiness.ts';
import type { PodHealth } from '../kube/workloads.ts';
import type { Kubelet, PodHandle } from './kubelet.ts';
import type { PodReadiness } from './status.ts';

/** The kubelet's reasons as the clusters' pod states; anything else is still starting. */
const HEALTH_OF_REASON: Readonly<Record<string, PodHealth>> = {
  ErrImagePull: 'ErrImagePull',
  ErrImageNeverPull: 'ErrImagePull',
  ImagePullBackOff: 'ImagePullBackOff',
  CrashLoopBackOff: 'CrashLoopBackOff',
  Error: 'CrashLoopBackOff',
  StartError: 'RunContainerError',
  CreateContainerError: 'RunContainerError',
};

/** True once readiness is settled for a rollout: ready, or failed in a way waiting does not mend. */
export const isSettled = (readiness: PodReadiness): boolean =>
  readiness.ready || HEALTH_OF_REASON[readiness.reason] !== undefined;

/** The clusters' answer for a pod's readiness; `deadlinePassed` when it was still starting at the deadline. */
export function templateReadinessOf(
  readiness: PodReadiness,
  kind: PodTemplateSubject['kind'],
  deadlinePassed: boolean,
): TemplateReadiness {
  if (readiness.ready) return { ready: true };
  const health = HEALTH_OF_REASON[readiness.reason] ?? 'starting';
  return {
    ready: false,
    health,
    message: `${readiness.reason}: ${readiness.message}`,
    ...(health === 'starting' && deadlinePassed && kind === 'Deployment' ? { progressDeadlineExceeded: true } : {}),
  };
}

const restartsOf = (pod: PodHandle): number =>
  pod.status().containerStatuses.reduce((sum, container) => sum + container.restartCount, 0);

const keyOf = (subject: Pick<PodTemplateSubject, 'environment' | 'namespace' | 'name'>): string =>
  `${subject.environment}/${subject.namespace}/${subject.name}`;

export class KubeletReadiness implements ClusterPodReadiness {
  private readonly kubelet: Kubelet;
  private readonly deadlineMs: (subject: PodTemplateSubject) => number;
  private readonly stableMs: number;
  private readonly running = new Map<string, PodHandle[]>();

  /**
   * `deadlineMs`: how long a pod may take to become ready (a Deployment's progress deadline, say);
   * `stableMs`: how long it must then stay ready.
   */
  constructor(kubelet: Kubelet, deadlineMs: (subject: PodTemplateSubject) => number, stableMs = 1_000) {
    this.kubelet = kubelet;
    this.deadlineMs = deadlineMs;
    this.stableMs = stableMs;
  }

  async readiness(subject: PodTemplateSubject): Promise<TemplateReadiness> {
    let pod: PodHandle;
    try {
      const metadata = subject.template['metadata'];
      pod = await this.kubelet.start(
        { ...subject.template, metadata: { ...(isObject(metadata) ? metadata : {}), namespace: subject.namespace } },
        { podName: subject.pod },
      );
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      return { ready: false, health: 'CreateContainerConfigError', message: errorMessage(error) };
    }
    const key = keyOf(subject);
    this.running.set(key, [...(this.running.get(key) ?? []), pod]);
    return this.judge(pod, subject);
  }

  /**
   * Waits until the pod's readiness settles; a ready pod must stay so for `stableMs` (a container without a
   * probe is ready while it runs, even one about to crash; a node's status reaches the API only so often).
   */
  private async judge(pod: PodHandle, subject: PodTemplateSubject): Promise<TemplateReadiness> {
    const deadline = Date.now() + this.deadlineMs(subject);
    for (;;) {
      const readiness = await pod.waitFor(Math.max(0, deadline - Date.now()), (each) => isSettled(each.readiness()));
      if (!readiness.ready) return templateReadinessOf(readiness, subject.kind, !isSettled(readiness));
      const restarts = restartsOf(pod);
      await sleep(this.stableMs);
      if (pod.readiness().ready && restartsOf(pod) === restarts) return { ready: true };
      if (Date.now() >= deadline) return templateReadinessOf(pod.readiness(), subject.kind, true);
    }
  }

  /** The pods running for a workload, newest last: where its traffic goes. */
  podsOf(environment: string, namespace: string, workload: string): PodHandle[] {
    return [...(this.running.get(keyOf({ environment, namespace, name: workload })) ?? [])];
  }

  /**
   * Stops a workload's pods of other templates than `current`'s: what a finished rollout leaves of the
   * ReplicaSets it replaced (none).
   */
  async retireOthers(environment: string, namespace: string, workload: string, current: PodHandle): Promise<void> {
    const key = keyOf({ environment, namespace, name: workload });
    const same = JSON.stringify(current.template.containers);
    const pods = this.running.get(key) ?? [];
    const retired = pods.filter((pod) => JSON.stringify(pod.template.containers) !== same);
    this.running.set(
      key,
      pods.filter((pod) => !retired.includes(pod)),
    );
    await Promise.all(retired.map((pod) => pod.stop()));
  }

  /** Stops the pods `keep` refuses (a world put back as it was keeps what still runs there). */
  async stopUnless(
    keep: (workload: { environment: string; namespace: string; name: string }, pod: PodHandle) => boolean,
  ): Promise<void> {
    const stopped: PodHandle[] = [];
    for (const [key, pods] of this.running) {
      const [environment = '', namespace = '', name = ''] = key.split('/');
      const kept = pods.filter((pod) => keep({ environment, namespace, name }, pod));
      stopped.push(...pods.filter((pod) => !kept.includes(pod)));
      if (kept.length > 0) this.running.set(key, kept);
      else this.running.delete(key);
    }
    await Promise.allSettled(stopped.map((pod) => pod.stop()));
  }

  /** Stops a workload's pods but the newest `keep` (those of a template replaced, say). */
  async retire(environment: string, namespace: string, workload: string, keep: number): Promise<void> {
    const key = keyOf({ environment, namespace, name: workload });
    const pods = this.running.get(key) ?? [];
    const retired = pods.slice(0, Math.max(0, pods.length - keep));
    this.running.set(key, pods.slice(retired.length));
    await Promise.all(retired.map((pod) => pod.stop()));
  }
}
