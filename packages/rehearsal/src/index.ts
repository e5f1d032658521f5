// The rehearsal: the deploy workflow run on one machine against a world of loopback servers, with its
// scenarios, report and built-in sample.
export * from './canary-traffic.ts';
export * from './rehearse.ts';
export * from './report.ts';
export * from './scenarios.ts';
export * from './world.ts';
export { createSampleMonorepo, sampleMonorepoFixture } from './sample-monorepo.ts';
export {
  commitsOf,
  createGitopsRemote,
  DEFAULT_IMAGES,
  DEFAULT_OVERLAYS,
  git,
  deploymentManifest,
  INITIAL_TAG,
  overlayKustomization,
  showFile,
  type GitopsRemote,
  type GitopsRemoteOptions,
} from './gitops-repo.ts';
export * from './caller-workflow.ts';
export * from './repository-world.ts';
export * from './rehearse-repository.ts';
export * from './event-names.ts';
export { vfsStorageConf, worldMirror } from './world-images.ts';
