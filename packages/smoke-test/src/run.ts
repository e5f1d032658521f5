// The step's top function: reads the inputs, runs the checks, writes the outputs, summary and JUnit report.
import {
  ConfigurationError,
  errorMessage,
  escapeUntrusted,
  formatDuration,
  urlCredentials,
  type Runtime,
} from '@shiprail/core';
import { dirname, resolve } from 'node:path';
import { loadCheckSource, parseCheckFile } from './check-file.ts';
import type { Check } from './check-types.ts';
import { parseInputs } from './inputs.ts';
import { renderJUnit } from './junit.ts';
import { basicCredentials, isSensitiveHeader, maskHeaderValue, type Secrets } from './redact.ts';
import { runChecks, type CheckResult } from './check-runner.ts';
import { renderSummary } from './summary.ts';
import { templateNames } from './template.ts';

export async function runSmokeTest(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  for (const [, value] of inputs.headers) maskHeaderValue(runtime, value);
  for (const secret of urlSecrets(inputs['base-url'])) runtime.mask(secret);
  const workingDirectory = runtime.cwd;
  const source = loadCheckSource(inputs.checks, workingDirectory);
  // Credentials written into check URLs, masked before the file is even validated.
  for (const secret of urlSecrets(source.text)) runtime.mask(secret);
  const { checks } = await parseCheckFile(source.text, source.location, {
    baseDirectory: workingDirectory,
    baseUrl: inputs['base-url'],
  });
  maskHeaderSecrets(checks, runtime);

  const log = (message: string): void => runtime.log.info(escapeUntrusted(runtime.redact(message)));
  log(
    `Running ${checks.length} check${checks.length === 1 ? '' : 's'}` +
      `${inputs['base-url'] === '' ? '' : ` against ${inputs['base-url']}`}, ${inputs.concurrency} at a time, ` +
      `within ${formatDuration(inputs.timeout)}`,
  );
  const startedAt = new Date(runtime.clock.now());
  const started = runtime.clock.now();
  // Past reading the inputs: `passed` and `results` are set on every way out from here.
  let results: CheckResult[] = [];
  try {
    results = await runChecks(checks, {
      baseUrl: inputs['base-url'],
      headers: inputs.headers,
      concurrency: inputs.concurrency,
      timeoutMs: inputs.timeout,
      secrets: runtime,
      now: () => runtime.clock.now(),
      sleep: (ms, signal) => runtime.clock.sleep(ms, signal),
      onProgress: log,
      onResult: (result) => {
        log(resultLine(result));
        for (const line of result.details) log(`    ${line}`);
      },
    });
  } finally {
    setResultOutputs(runtime, results, checks.length);
  }
  const elapsedMs = runtime.clock.now() - started;
  await runtime.appendSummary(runtime.redact(renderSummary(results, checks, inputs, elapsedMs)));

  if (inputs['junit-file'] === '') runtime.setOutput('junit-file', '');
  else {
    const xml = renderJUnit(results, {
      suiteName: 'smoke-test',
      timestamp: startedAt.toISOString(),
      elapsedMs,
      source: source.location.file ?? 'checks input',
      lines: checks.map((check) => check.line),
    });
    await writeJUnitReport(
      runtime,
      resolve(workingDirectory, inputs['junit-file']),
      inputs['junit-file'],
      runtime.redact(xml),
    );
    log(`JUnit report written to ${inputs['junit-file']}`);
  }

  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) {
    const shown = failed.slice(0, 5).map((result) => `${result.name} (${result.error ?? 'failed'})`);
    const more = failed.length > shown.length ? `; and ${failed.length - shown.length} more` : '';
    throw new Error(runtime.redact(`${failed.length} of ${results.length} checks failed: ${shown.join('; ')}${more}`));
  }
}

/** Credentials in the URLs of a text, as written and as the Basic credential they are sent as. */
const urlSecrets = (text: string): string[] => [...urlCredentials(text), ...basicCredentials(text)];

/** Credentials written in the file (not built from captures, which are registered when filled in). */
function maskHeaderSecrets(checks: readonly Check[], secrets: Secrets): void {
  for (const check of checks) {
    for (const [name, value] of check.request.headers) {
      if (isSensitiveHeader(name) && templateNames(value).length === 0) maskHeaderValue(secrets, value);
    }
  }
}

/** `passed` and `results`; a run that ended early (no result for some check) has not passed. */
function setResultOutputs(runtime: Runtime, results: readonly CheckResult[], expected: number): void {
  runtime.setOutput('passed', results.length === expected && results.every((result) => result.ok));
  // Names hold URLs as written, which may carry a credential: every text is redacted, field by field.
  const redact = (text: string | null): string | null => (text === null ? null : runtime.redact(text));
  runtime.setOutput(
    'results',
    results.map(({ name, ok, attempts, status, ms, error }) => ({
      name: redact(name),
      ok,
      attempts,
      status,
      ms,
      error: redact(error),
    })),
  );
}

/** Writes the report; a path that cannot be written is the junit-file input's mistake. */
async function writeJUnitReport(runtime: Runtime, path: string, input: string, xml: string): Promise<void> {
  try {
    const { mkdir, writeFile } = process.getBuiltinModule('node:fs/promises');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, xml);
  } catch (error) {
    runtime.setOutput('junit-file', '');
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const reasons: Record<string, string> = {
      EISDIR: 'it is a directory; give the path of a file',
      ENOTDIR: 'a part of the path is a file, not a directory',
      EACCES: 'permission denied',
      EROFS: 'the file system is read-only',
    };
    const reason = reasons[code] ?? errorMessage(error);
    throw new ConfigurationError(`cannot write the JUnit report to '${input}': ${reason}`, { input: 'junit-file' });
  }
  runtime.setOutput('junit-file', input);
}

function resultLine(result: CheckResult): string {
  const status = result.status === null ? 'no response' : String(result.status);
  const latency = result.ms === null ? '' : ` in ${formatDuration(result.ms)}`;
  const attempts = result.attempts === 1 ? '' : ` (${result.attempts} attempts)`;
  return `${result.ok ? '✓' : '✗'} ${result.name}: ${status}${latency}${attempts}`;
}
