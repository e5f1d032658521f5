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
export { KubeApi, connectionError, statusError, KubeApiError, type KubeClient } from './kube.ts';
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
export { applicationVerdict, gitSourceIndexes, operationFailure } from './controllers/argocd.ts';
export { helmReleaseVerdict, kustomizationVerdict } from './controllers/flux.ts';
export { GitHistory, NO_HISTORY, type CommitHistory } from './controllers/history.ts';
export { fluxRevisionSha, type ControllerVerdict, type Relation } from './controllers/revision.ts';
export { applicationPaths, renders, repositoryKey, sameRepository } from './controllers/sources.ts';
export {
  decideControllers,
  refreshAnnotations,
  selectTargets,
  waitForControllers,
  type ControllerWaitOutcome,
} from './controllers/wait.ts';
export { controllerOutputs, type ControllerOutput } from './controllers/step.ts';
export { parseControllerObjects } from './inputs.ts';
