// The tests' export list of build-push: what its units export, for the tests alone (action.ts reaches run.ts
// directly).
export {
  authFileContent,
  buildahBuildArguments,
  buildahGlobalArguments,
  buildahLayoutArguments,
  buildahPushArguments,
  buildxArguments,
  cacheScope,
  digestFromMetadata,
  effectiveCache,
  type BuildRequest,
  type BuilderName,
  type CacheMode,
} from './builders.ts';
export { storedCredentials } from './credentials.ts';
export { DEFAULT_TAG_RULES, parseInputs, type BuildPushInputs } from './inputs.ts';
export {
  pushLayout,
  readLayout,
  type Descriptor,
  type LayoutManifest,
  type LayoutPush,
  type OciLayout,
} from './layout.ts';
export { ociLabels, parseLabelLines } from './labels.ts';
export { planBuild, type BuildPlan, type LayoutPlan } from './plan.ts';
export { parseImageInput } from './image-input.ts';
export {
  MANIFEST_MEDIA_TYPES,
  parseChallenge,
  RegistryClient,
  RegistryError,
  type Manifest,
  type RegistryCredentials,
} from './registry.ts';
export { parseFlavor, parseTagRule, parseTagRules, splitFields, type Flavor, type TagRule } from './tags/rules.ts';
export { runBuildPush } from './run.ts';
export { dateValues, expressionValues, isDefaultBranch } from './tags/expressions.ts';
export {
  edgeTag,
  isEnabled,
  matchTag,
  rawTag,
  refTag,
  RULE_FUNCTIONS,
  scheduleTag,
  semverTag,
  shaTag,
  type RuleFunction,
  type RuleOutcome,
  type RuleScope,
} from './tags/tag-rules.ts';
export { computeTags, sanitizeTag, tagContext, tagProblem, type TagContext, type TagPlan } from './tags/tags.ts';
export { formatDate, renderTemplate } from './tags/template.ts';
export { renderSummary, type Outcome } from './summary.ts';
