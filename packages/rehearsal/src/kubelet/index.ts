// The kubelet: pod templates run on this machine from the images in a registry (buildah, a network
// namespace per pod), readiness decided by their probes.
export {
  containerProcess,
  effectiveEnvironment,
  expandReferences,
  type ContainerProcess,
  type ImageProcess,
} from './container-process.ts';
export type { Backoff } from './container-worker.ts';
export { isSettled, KubeletReadiness, templateReadinessOf } from './cluster-readiness.ts';
export { ClusterNode, type ClusterNodeOptions, type WorkloadRef } from './cluster-node.ts';
export { Kubelet, PodHandle, type KubeletOptions } from './kubelet.ts';
export { readPodTemplate, type ContainerSpec, type PodTemplate, type Probe } from './pod-template.ts';
export { ReadinessTracker, runProbe, type ProbeResult } from './probe.ts';
export type { RegistryAccess } from './runtime.ts';
export type { ContainerState, ContainerStatus, PodCondition, PodEvent, PodReadiness, PodStatus } from './status.ts';
