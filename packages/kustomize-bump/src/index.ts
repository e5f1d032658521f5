export { gitEnvironment, GitRemoteError, httpOrigin, isLostRace } from './git.ts';
export {
  describeImageEntry,
  parseImageArgument,
  parseImageArguments,
  resolveImageEntry,
  type ImageArgument,
  type ImageEntry,
} from './image-args.ts';
/** How an `images` argument's reference splits (kustomize's way): core's one image reference parser. */
export { splitImageReference } from '@shiprail/core/image-reference';
export {
  isBranchName,
  normalizeOverlay,
  ownerAndName,
  parseInputs,
  remoteUrlFor,
  type KustomizeBumpInputs,
} from './inputs.ts';
export { setKustomizationImages, type ImageChange, type KustomizationEdit } from './kustomization-edit.ts';
export { DEFAULT_COMMIT_MESSAGE, renderCommitMessage } from './message.ts';
export { editOverlays, KUSTOMIZATION_FILES, pathInside, type OverlayEdit } from './overlays.ts';
export {
  commitMessage,
  describeChange,
  planKustomizeBump,
  pullRequestBranch,
  targetBranch,
  type KustomizeBumpPlan,
  type RepositorySource,
} from './plan.ts';
export { openOrUpdatePullRequest, type OctokitFactory, type PullRequestResult } from './pull-request.ts';
export {
  bumpImages,
  runKustomizeBump,
  runnerServices,
  type KustomizeBumpResult,
  type KustomizeBumpServices,
  type PushOutcome,
} from './run.ts';
export {
  containersFor,
  entryForRendered,
  renderedContainers,
  type RenderedContainer,
  type RenderedTarget,
} from './rendered.ts';
export { outcomeLines, renderSummary } from './summary.ts';
export { entryApplied, missingReferences, renderedImages } from './verify.ts';
