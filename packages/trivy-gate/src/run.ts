import { ConfigurationError, type Runtime } from '@shiprail/core';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { evaluateGate, type GateResult } from './gate.ts';
import { parseIgnoreFile, type IgnoreRule } from './ignore.ts';
import { DEFAULT_IGNORE_FILE, parseInputs, type TrivyGateInputs } from './inputs.ts';
import { installTrivy, TRIVY_RELEASE_SHA256, type ReleaseSums } from './install.ts';
import { parseReport } from './report.ts';
import { buildSarif } from './sarif.ts';
import { scanArguments } from './scan.ts';
import { SEVERITIES } from './severity.ts';
import { renderSummary } from './summary.ts';

/** What the action takes from its surroundings besides the Runtime; tests give their own sums. */
export interface TrivyGateEnvironment {
  sums: ReleaseSums;
  platform: string;
  arch: string;
}

export const runnerEnvironment: TrivyGateEnvironment = {
  sums: TRIVY_RELEASE_SHA256,
  platform: process.platform,
  arch: process.arch,
};

/** Annotations per kind: a few point at the ignore file; the summary lists them all. */
const ANNOTATION_LIMIT = 10;
/** Blocking findings listed in the log. */
const LOGGED_FINDINGS = 50;

const resolveIn = (workspace: string, path: string): string => (isAbsolute(path) ? path : join(workspace, path));

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
    const path = resolveIn(workspace, file);
    if (!existsSync(path)) {
      if (explicit) {
        throw new ConfigurationError(`no ignore file at '${file}': fix the path, or leave the input out`, {
          input: 'ignore-file',
        });
      }
      continue;
    }
    loaded.rules.push(...parseIgnoreFile(await readFile(path, 'utf8'), file));
    loaded.files.push(file);
  }
  return loaded;
}

/** Writes a whole file or nothing: a failed step leaves no half-written SARIF behind. */
async function writeFileAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

async function produceReport(
  runtime: Runtime,
  inputs: TrivyGateInputs,
  environment: TrivyGateEnvironment,
): Promise<{ path: string; label: string }> {
  const workspace = runtime.github.workspace;
  if (inputs.report !== '') {
    const path = resolveIn(workspace, inputs.report);
    if (!existsSync(path)) {
      throw new ConfigurationError(`no report at '${inputs.report}': give the path of the JSON file Trivy wrote`, {
        input: 'report',
      });
    }
    return { path, label: inputs.report };
  }
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
    }),
  );
  const scanDir = await mkdtemp(join(runtime.tempDir, 'trivy-gate-'));
  const path = join(scanDir, 'report.json');
  const cacheDir = resolveIn(workspace, inputs['cache-dir']);
  await mkdir(cacheDir, { recursive: true });
  await runtime.log.group(`Scanning ${inputs.image}`, () =>
    runtime.exec(trivy.path, scanArguments({ image: inputs.image, reportPath: path, cacheDir }), { cwd: scanDir }),
  );
  if (!existsSync(path)) throw new Error(`Trivy finished without writing its report to ${path}`);
  return { path, label: path };
}

function describeBlocking(result: GateResult): string {
  const bySeverity = SEVERITIES.filter((severity) => result.blockingCounts[severity] > 0)
    .map((severity) => `${severity}: ${result.blockingCounts[severity]}`)
    .join(', ');
  const ids = [...new Set(result.blocking.map((finding) => finding.id))];
  const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, and ${ids.length - 5} more` : '');
  return `${result.blocking.length} finding(s) fail the gate (${bySeverity}): ${shown}`;
}

/** The trivy-gate action: scan (or read a report), apply ignores, decide, write SARIF and the summary. */
export async function runTrivyGate(
  runtime: Runtime,
  environment: TrivyGateEnvironment = runnerEnvironment,
): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const workspace = runtime.github.workspace;
  const ignores = await loadIgnores(inputs['ignore-file'], workspace);
  const report = await produceReport(runtime, inputs, environment);
  const parsed = parseReport(await readFile(report.path, 'utf8'), report.label);
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

  for (const { rule, matches } of result.expired.slice(0, ANNOTATION_LIMIT)) {
    runtime.log.warning(
      `The ignore entry for ${rule.id} expired on ${rule.expires} and no longer applies` +
        (matches > 0 ? ` (it would hide ${matches} finding(s))` : ''),
      { title: 'Expired ignore entry', file: rule.file, startLine: rule.line },
    );
  }
  for (const rule of result.unused.slice(0, ANNOTATION_LIMIT)) {
    runtime.log.notice(`The ignore entry for ${rule.id} matches no finding of this report`, {
      title: 'Unused ignore entry',
      file: rule.file,
      startLine: rule.line,
    });
  }

  runtime.setOutput('passed', result.passed);
  runtime.setOutput('blocking', result.blocking.length);
  runtime.setOutput('counts', result.counts);
  runtime.setOutput('report', report.path);
  if (sarifPath !== '') runtime.setOutput('sarif-file', sarifPath);

  await runtime.appendSummary(
    renderSummary(result, {
      subject: inputs.image || inputs.report,
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
  for (const finding of result.blocking.slice(0, LOGGED_FINDINGS)) {
    runtime.log.info(
      `  ${finding.severity} ${finding.id} ${finding.pkgName} ${finding.installed} -> ${finding.fixed || 'no fix'} (${finding.pkgPath || finding.target})`,
    );
  }
  if (result.blocking.length > LOGGED_FINDINGS) {
    runtime.log.info(`  …and ${result.blocking.length - LOGGED_FINDINGS} more: see the job summary and the report`);
  }
  const message = describeBlocking(result);
  if (inputs.fail) throw new Error(message);
  runtime.log.warning(`${message} (fail: false, so the step succeeds)`);
}
