export { downloadFile, requestOf, type DownloadOptions } from './download.ts';
export { evaluateGate, type GateOptions, type GateResult, type IgnoredFinding, type RuleUse } from './gate.ts';
export { IgnoreMatcher, isYamlIgnoreFile, parseExpiry, parseIgnoreFile, type IgnoreRule } from './ignore.ts';
export { DEFAULT_IGNORE_FILE, parseInputs, type TrivyGateInputs } from './inputs.ts';
export {
  DEFAULT_DOWNLOAD_URL,
  expectedSha256,
  installTrivy,
  PINNED_TRIVY_VERSION,
  releaseAsset,
  releaseUrl,
  sha256File,
  TRIVY_RELEASE_SHA256,
  verifyArchiveSha256,
  type InstallOptions,
  type InstalledTrivy,
  type ReleaseAsset,
  type ReleaseSums,
} from './install.ts';
export { packageUrlMatches, parsePackageUrl, type PackageUrl } from './purl.ts';
export { advisoryLink, hasFix, parseReport, type Finding, type ParsedReport, type ReportInfo } from './trivy-report.ts';
export { runnerEnvironment, runTrivyGate, type TrivyGateEnvironment } from './run.ts';
export { buildSarif, SARIF_RESULT_LIMIT, type SarifLog, type SarifOutput } from './sarif.ts';
export { scanArguments, type ScanRequest } from './scan.ts';
export {
  emptyCounts,
  normalizeSeverity,
  parseSeverityList,
  SEVERITIES,
  severityRank,
  type Severity,
  type SeverityCounts,
} from './severity.ts';
export { BLOCKING_ROWS, OTHER_ROWS, renderSummary, type SummaryContext } from './summary.ts';
