export { parseInputs, parseImages, parseResources, type ResourceRef, type RolloutWaitInputs } from './inputs.ts';
export { runRolloutWait, resourceOutputs, markTimeouts, type ResourceOutput } from './run.ts';
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
export { checkTemplateImages, imageMatches } from './images.ts';
export { planRollback, rollbackDeployment, type RollbackPlan } from './rollback.ts';
export { decodeKubeconfig, kubeconfigSecrets, loadKubeConfig, parseClusterServer } from './kubeconfig.ts';
export { createKubeClient, connectionError, statusError, KubeApiError, type KubeClient } from './kube.ts';
export {
  decide,
  judge,
  trackResource,
  unclaimedImages,
  type Decision,
  type RolloutWaitResult,
  type RolloutWaitState,
  type TrackedResource,
} from './decide.ts';
export { waitForRollouts, type RolloutWaitOptions, type RolloutWaitOutcome } from './wait.ts';
export { selectorString } from './objects.ts';
