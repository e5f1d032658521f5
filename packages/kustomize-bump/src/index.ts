export {
  bumpImages,
  editOverlays,
  pullRequestBranch,
  runKustomizeBump,
  type BumpResult,
  type OverlayEdit,
} from './bump.ts';
export {
  describeImageEntry,
  parseImageArgument,
  parseImageArguments,
  resolveImageEntry,
  splitImageReference,
  type ImageArgument,
  type ImageEntry,
} from './image-args.ts';
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
export { gitEnvironment, httpOrigin } from './git.ts';
export { entryApplied, missingReferences, renderedImages } from './verify.ts';
