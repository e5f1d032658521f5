// What tests use to run a bundled action as the runner does: the rehearsal's own way of running one.
export {
  inputEnvName,
  node24,
  parseRunnerFile,
  runBundledAction,
  runBundledActionAt,
  type ActionRun,
  type BundledActionOptions,
} from '@shiprail/rehearsal/workflow';
