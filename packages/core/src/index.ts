export { writeFileAtomically } from './atomic-file.ts';
export { readGitHubContext, type GitHubContext } from './context.ts';
export { formatDuration, MAX_TIMER_MS, parseDuration } from './duration.ts';
export { ConfigurationError, errorMessage, type MistakeLocation } from './errors.ts';
export { Git, type GitOptions, type GitRunOptions } from './git.ts';
export {
  HELM_VALUE_FIELDS,
  readImageTarget,
  type HelmValueField,
  type HelmValueKeys,
  type ImageTarget,
  type ImageTargetProblem,
} from './image-targets.ts';
export { InputParser, parseHeaderLines, parseList, type InputObserver, type InputSource } from './inputs.ts';
export { capSummary, code, details, escapeCell, raw, table, type Cell } from './markdown.ts';
export { backoffDelay, retry, sleep, type BackoffOptions, type RetryOptions } from './retry.ts';
export {
  serializeOutput,
  type Clock,
  type Exec,
  type ExecOptions,
  type ExecResult,
  type Log,
  type OutputValue,
  type Runtime,
} from './runtime.ts';
export { withPrivateFile } from './private-file.ts';
export {
  formatYamlPath,
  parseYamlDocument,
  parseYamlDocuments,
  yamlMistake,
  type ParsedYaml,
  type ParsedYamlDocument,
  type YamlPath,
} from './yaml.ts';
export { DeadlineError, HttpStatusError, withDeadline } from './network.ts';
export { execWithDeadline } from './exec-deadline.ts';
export {
  classifyFailure,
  classifyGitFailure,
  ClassifiedError,
  failureOf,
  isTransient,
  isTransientStatus,
  type Failure,
  type GitFailure,
} from './failure.ts';
export {
  REDACTED,
  Redactor,
  safeDecode,
  stripUrlCredentials,
  urlCredentials,
  urlUserinfo,
  type UrlUserinfo,
} from './secrets.ts';
export { escapeUntrusted, neutralizeCommandLines } from './untrusted.ts';
export { commandData } from './workflow-commands.ts';
export {
  isNamespaceName,
  parseWorkloadReference,
  WORKLOAD_KIND_ALIASES,
  type WorkloadKind,
  type WorkloadReference,
} from './workload.ts';
