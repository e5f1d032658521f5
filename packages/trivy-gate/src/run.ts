// The step's top function: check every path, scan the image (or read a report), apply the ignore file,
// decide, and write SARIF, outputs and the summary.
import { ConfigurationError, escapeUntrusted, urlCredentials, writeFileAtomically, type Runtime } from '@shiprail/core';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { checkReadablePath, checkWritablePath, readInputFile, resolveIn } from './files.ts';
import { evaluateGate, type GateResult } from './gate.ts';
import { parseIgnoreFile, type IgnoreRule } from './ignore.ts';
import { DEFAULT_IGNORE_FILE, parseInputs, type TrivyGateInputs } from './inputs.ts';
import { installTrivy, TRIVY_RELEASE_SHA256, type ReleaseSums } from './install.ts';
import { parseReport, type Finding } from './trivy-report.ts';
import { buildSarif } from './sarif.ts';
import { scanArguments } from './scan.ts';
import { SEVERITIES } from './severity.ts';
import { renderSummary } from './summary.ts';

/** What the action takes from its surroundings besides the Runtime; tests give their own sums. */
export interface TrivyGateEnvironment {
  sums: ReleaseSums;
  platform: string;
  arch: string;
  /** How release archives are downloaded. */
  fetch: typeof fetch;
}

export const runnerEnvironment: TrivyGateEnvironment = {
  sums: TRIVY_RELEASE_SHA256,
  platform: process.platform,
  arch: process.arch,
  fetch: (input, init) => fetch(input, init),
};

/** Annotations per kind: a few point at the ignore file; the summary lists them all. */
const ANNOTATION_LIMIT = 10;
/** Blocking findings listed in the log. */
const LOGGED_FINDINGS = 50;

/** Ignore files are read whole; beyond this size they are a mistake, not a list of accepted risks. */
const IGNORE_FILE_LIMIT = 16 * 1024 * 1024;
/** Trivy's JSON for the largest images stays well below this. */
const REPORT_LIMIT = 1024 * 1024 * 1024;

interface LoadedIgnores {
  rules: IgnoreRule[];
  files: string[];
}

/**
 * The default (`.trivyignore`) is optional and also picks up `.trivyignore.yaml`/`.yml` beside it; a file
 * named explicitly must exist.
 */
async function loadIgnores(input: string, workspace: string): Promise<LoadedIgnores> {
  const explicit = input !== DEFAULT_IGNORE_FILE;
  const candidates = explicit ? [input] : [DEFAULT_IGNORE_FILE, '.trivyignore.yaml', '.trivyignore.yml'];
  const loaded: LoadedIgnores = { rules: [], files: [] };
  for (const file of candidates) {
    const content = await readInputFile(resolveIn(workspace, file), file, 'ignore-file', IGNORE_FILE_LIMIT);
    if (content === undefined) {
      if (explicit) {
        throw new ConfigurationError(`no ignore file at '${file}': fix the path, or leave the input out`, {
          input: 'ignore-file',
        });
      }
      continue;
    }
    // One rule at a time: a spread of a six-figure list overflows the call stack.
    for (const rule of await parseIgnoreFile(content, file)) loaded.rules.push(rule);
    loaded.files.push(file);
  }
  return loaded;
}

interface LoadedReport {
  /** Where the report is (the `report` output). */
  path: string;
  /** How the summary and errors name it. */
  label: string;
  content: string;
}

async function readGivenReport(inputs: TrivyGateInputs, workspace: string): Promise<LoadedReport> {
  const path = resolveIn(workspace, inputs.report);
  const content = await readInputFile(path, inputs.report, 'report', REPORT_LIMIT);
  if (content === undefined) {
    throw new ConfigurationError(`no report at '${inputs.report}': give the path of the JSON file Trivy wrote`, {
      input: 'report',
    });
  }
  return { path, label: inputs.report, content };
}

async function scanImage(
  runtime: Runtime,
  inputs: TrivyGateInputs,
  environment: TrivyGateEnvironment,
): Promise<LoadedReport> {
  const version = inputs['trivy-version'];
  const trivy = await runtime.log.group(`Installing Trivy ${version}`, () =>
    installTrivy({
      version,
      baseUrl: inputs['trivy-download-url'],
      sums: environment.sums,
      platform: environment.platform,
      arch: environment.arch,
      tempDir: runtime.tempDir,
      toolCacheDir: runtime.env['RUNNER_TOOL_CACHE'],
      log: runtime.log,
      fetch: environment.fetch,
      clock: runtime.clock,
    }),
  );
  const scanDir = await mkdtemp(join(runtime.tempDir, 'trivy-gate-'));
  const path = join(scanDir, 'report.json');
  const cacheDir = resolveIn(runtime.github.workspace, inputs['cache-dir']);
  await mkdir(cacheDir, { recursive: true });
  const target =
    inputs.image !== '' ? { image: inputs.image } : { input: resolveIn(runtime.github.workspace, inputs.input) };
  await runtime.log.group(`Scanning ${escapeUntrusted(inputs.image || inputs.input)}`, () =>
    runtime.exec(trivy.path, scanArguments({ target, reportPath: path, cacheDir }), { cwd: scanDir }),
  );
  if (!existsSync(path)) throw new Error(`Trivy finished without writing its report to ${path}`);
  const content = await readInputFile(path, path, 'image', REPORT_LIMIT);
  return { path, label: path, content: content ?? '' };
}

/** Checks every path the action will read from or write to before anything happens. */
function checkPaths(runtime: Runtime, inputs: TrivyGateInputs): void {
  const workspace = runtime.github.workspace;
  const roots = [workspace, runtime.tempDir];
  if (inputs.input !== '') checkReadablePath(resolveIn(workspace, inputs.input), inputs.input, 'input', roots);
  const sarif = inputs['sarif-file'];
  if (sarif !== '') checkWritablePath(resolveIn(workspace, sarif), sarif, 'sarif-file', roots, 'file');
  const cache = inputs['cache-dir'];
  if (inputs.report === '') checkWritablePath(resolveIn(workspace, cache), cache, 'cache-dir', roots, 'directory');
}

function describeBlocking(result: GateResult): string {
  const bySeverity = SEVERITIES.filter((severity) => result.blockingCounts[severity] > 0)
    .map((severity) => `${severity}: ${result.blockingCounts[severity]}`)
    .join(', ');
  const ids = [...new Set(result.blocking.map((finding) => escapeUntrusted(finding.id)))];
  const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, and ${ids.length - 5} more` : '');
  return `${result.blocking.length} finding(s) fail the gate (${bySeverity}): ${shown}`;
}

/** One log line per blocking finding; every field comes from the report, so each is escaped. */
function describeFinding(finding: Finding): string {
  const where = finding.pkgPath || finding.target;
  const fix = finding.fixed || 'no fix';
  return escapeUntrusted(
    `  ${finding.severity} ${finding.id} ${finding.pkgName} ${finding.installed} -> ${fix} (${where})`,
  );
}

/** Points at ignore entries that expired or match nothing (IDs come from the repository: escaped). */
function annotateIgnoreFile(runtime: Runtime, result: GateResult): void {
  for (const { rule, matches } of result.expired.slice(0, ANNOTATION_LIMIT)) {
    runtime.log.warning(
      `The ignore entry for ${escapeUntrusted(rule.id)} expired on ${escapeUntrusted(rule.expires)} and no longer applies` +
        (matches > 0 ? ` (it would hide ${matches} finding(s))` : ''),
      { title: 'Expired ignore entry', file: rule.file, startLine: rule.line },
    );
  }
  for (const rule of result.unused.slice(0, ANNOTATION_LIMIT)) {
    runtime.log.notice(`The ignore entry for ${escapeUntrusted(rule.id)} matches no finding of this report`, {
      title: 'Unused ignore entry',
      file: rule.file,
      startLine: rule.line,
    });
  }
}

/** The trivy-gate action: scan (or read a report), apply ignores, decide, write SARIF and the summary. */
export async function runTrivyGate(
  runtime: Runtime,
  environment: TrivyGateEnvironment = runnerEnvironment,
): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  for (const secret of urlCredentials(inputs['trivy-download-url'])) runtime.mask(secret);
  checkPaths(runtime, inputs);
  const workspace = runtime.github.workspace;
  const ignores = await loadIgnores(inputs['ignore-file'], workspace);
  const report =
    inputs.report !== '' ? await readGivenReport(inputs, workspace) : await scanImage(runtime, inputs, environment);
  const parsed = parseReport(report.content, report.label);
  const result = evaluateGate(parsed.findings, ignores.rules, {
    severities: inputs.severity,
    ignoreUnfixed: inputs['ignore-unfixed'],
    now: runtime.clock.now(),
  });

  let sarifPath = '';
  if (inputs['sarif-file'] !== '') {
    sarifPath = resolveIn(workspace, inputs['sarif-file']);
    const kept = [...result.blocking, ...result.others];
    const sarif = buildSarif(kept, parsed.info);
    await writeFileAtomically(sarifPath, JSON.stringify(sarif.log));
    if (sarif.omitted > 0) {
      runtime.log.warning(
        `${sarif.omitted} of ${kept.length} findings were left out of ${inputs['sarif-file']}: GitHub code scanning accepts at most 25000 results per run (the most severe were kept)`,
      );
    }
  }
  annotateIgnoreFile(runtime, result);

  runtime.setOutput('passed', result.passed);
  runtime.setOutput('blocking', result.blocking.length);
  runtime.setOutput('counts', result.counts);
  runtime.setOutput('report', report.path);
  if (sarifPath !== '') runtime.setOutput('sarif-file', sarifPath);

  await runtime.appendSummary(
    renderSummary(result, {
      subject: inputs.image || inputs.input || inputs.report,
      severities: inputs.severity,
      ignoreUnfixed: inputs['ignore-unfixed'],
      fail: inputs.fail,
      reportPath: report.label,
      ignoreFiles: ignores.files,
      trivyVersion: parsed.info.trivyVersion,
    }),
  );

  const counts = SEVERITIES.map((severity) => `${severity} ${result.counts[severity]}`).join(', ');
  runtime.log.info(`Findings after ignores: ${counts}; ${result.ignored.length} ignored`);
  if (result.passed) {
    runtime.log.info('The gate passed: no finding of a gated severity with a fix');
    return;
  }
  for (const finding of result.blocking.slice(0, LOGGED_FINDINGS)) runtime.log.info(describeFinding(finding));
  if (result.blocking.length > LOGGED_FINDINGS) {
    runtime.log.info(`  …and ${result.blocking.length - LOGGED_FINDINGS} more: see the job summary and the report`);
  }
  const message = describeBlocking(result);
  if (inputs.fail) throw new Error(message);
  runtime.log.warning(`${message} (fail: false, so the step succeeds)`);
}
