export { parseInputs, parseImages, parseResources, type ResourceRef, type RolloutWaitInputs } from './inputs.ts';
export { runRolloutWait, resourceOutputs, type ResourceOutput } from './run.ts';
export {
  argoRolloutStatus,
  daemonSetStatus,
  deploymentStatus,
  statefulSetStatus,
  workloadStatus,
  type Phase,
  type Verdict,
  type WorkloadKind,
} from './status.ts';
export {
  allHopeless,
  containerProblems,
  describeHopeless,
  newPodLabel,
  podsWithLabel,
  HOPELESS_REASONS,
} from './pods.ts';
export { checkTemplateImages, imageMatches, parseImageReference, type ImageReference } from './images.ts';
export { planRollback, rollbackDeployment, type RollbackPlan } from './rollback.ts';
export { decodeKubeconfig, kubeconfigSecrets, withKubeConfig } from './kubeconfig.ts';
export { createKubeClient, toKubeApiError, KubeApiError, type KubeClient } from './kube.ts';
export { waitForRollouts, type WaitOptions, type WaitOutcome, type WaitResult, type TrackedResource } from './wait.ts';
export { selectorString } from './objects.ts';
