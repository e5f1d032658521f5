// The tests' export list of detect-changed-services (action.ts reaches run.ts directly).
export { runDetectChangedServices, loadManifest } from './run.ts';
export { parseInputs, DEFAULT_CONFIG, type DetectChangedServicesInputs } from './inputs.ts';
export {
  likelyComparison,
  planComparison,
  resolveComparison,
  serviceOfTag,
  type Comparison,
  type ComparisonPlan,
  type EventContext,
} from './comparison.ts';
export {
  changedPaths,
  DEFAULT_DEEPEN_STEPS,
  DEFAULT_FETCH_TIMEOUT_MS,
  fetchFailureReason,
  GitFetchError,
  GitHistory,
  parseNameStatus,
  shortSha,
  ZERO_SHA,
  type ChangedFile,
  type GitHistoryOptions,
} from './git.ts';
export {
  buildMatcher,
  checkDependencies,
  discoverServices,
  normalizeDirectory,
  parseManifest,
  ruleOwners,
  serviceWithDefaults,
  type Dependency,
  type LibraryDefinition,
  type Manifest,
  type ServiceDefinition,
} from './manifest.ts';
export { changedEntries } from './manifest-changes.ts';
export { ManifestLocator, readBlockYaml, type BlockYamlResult } from './manifest-yaml.ts';
export { detectToolchain, NO_TOOLCHAIN, TOOLS, type Tool, type Toolchain } from './toolchain.ts';
export { imageProblem, percentOf, repositoryGlobProblem, repositoryPathProblem, resourceProblem } from './values.ts';
export { compileRule, GLOB_OPTIONS, GlobError, PathMatcher, splitRule, type PathRule } from './rules.ts';
export {
  matrixEntry,
  selectAll,
  selectOne,
  selectServices,
  type SelectedService,
  type Selection,
  type SelectOptions,
} from './selection.ts';
export { describeComparison, renderSummary, type DetectChangedServicesReport } from './summary.ts';
