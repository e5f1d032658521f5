// Runs the checks: up to `concurrency` at once, each check after the checks whose captures it uses,
// retrying with backoff while its `retry.until` lasts, everything inside one overall deadline.
import { backoffDelay, errorMessage, formatDuration, sleep as coreSleep, type Failure } from '@shiprail/core';
import { evaluate, formatFailure, parseJsonBody, trimForDisplay, type AssertionFailure } from './assertions.ts';
import type { Check } from './check-types.ts';
import { joinUrl } from './urls.ts';
import { compileJsonPath, selectFirst, type JsonPathLimits } from './jsonpath.ts';
import { HttpError, send as sendHttp, type HttpRequest, type HttpResponse } from './http.ts';
import { isSensitiveHeader, maskHeaderValue, type Secrets } from './redact.ts';
import { runScheduled } from './scheduler.ts';
import { fillJsonTemplate, fillTemplate } from './template.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  attempts: number;
  /** Status of the last response; null when none came. */
  status: number | null;
  /** Latency of the last attempt; null when no request was sent. */
  ms: number | null;
  /** Why the check failed (every failed assertion of the last attempt); null when it passed. */
  error: string | null;
  /** The last attempt's failures and what came back, one line each. */
  details: string[];
  /** Wall time the check took, retries included. */
  elapsedMs: number;
}

export interface RunOptions {
  baseUrl: string;
  /** From the headers input; a check's own header of the same name wins. */
  headers: Array<[string, string]>;
  concurrency: number;
  timeoutMs: number;
  /** Masks credentials made from captures; redacts what the results say. */
  secrets: Secrets;
  now?: () => number;
  /** Progress of retries, for the log (already redacted). */
  onProgress?: (message: string) => void;
  /** Called in file order, as soon as a check and every check before it have finished. */
  onResult?: (result: CheckResult, check: Check) => void;
  send?: (request: HttpRequest) => Promise<HttpResponse>;
  /** Waits between attempts and for the overall timeout; ends early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Attempt {
  ok: boolean;
  response?: HttpResponse;
  failures: AssertionFailure[];
  /** Set when no response came (connection refused, timeout, TLS). */
  networkError?: string;
  /** What another attempt would do; `permanent`: the check fails at once, `retry` or not. */
  failure?: Failure;
  latencyMs?: number;
  captured: Map<string, unknown>;
}

/** Checks run with bounded parallelism; results come back in file order. */
export async function runChecks(checks: readonly Check[], options: RunOptions): Promise<CheckResult[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? coreSleep;
  const deadline = now() + options.timeoutMs;
  const controller = new AbortController();
  const finished = new AbortController();
  void sleep(options.timeoutMs, finished.signal).then(() => {
    if (!finished.signal.aborted) controller.abort();
  });
  const dependencies = checks.map((check) => captureSources(checks, check));
  const captured = new Map<number, Map<string, unknown>>();
  const reporter = new FileOrderReporter(checks, options.onResult);
  const context: CheckContext = { options, signal: controller.signal, deadline, now, sleep };

  const start = async (position: number, results: ReadonlyArray<CheckResult | undefined>): Promise<CheckResult> => {
    const check = checks[position];
    if (check === undefined) throw new Error(`no check at position ${position}`);
    const needs = dependencies[position] ?? new Map<string, number>();
    const skipped = skipReason(checks, needs, results, overallTimeoutReached(context), options.timeoutMs);
    if (skipped !== undefined) return notRun(check.name, skipped);
    const values = new Map<string, unknown>();
    for (const [name, source] of needs) values.set(name, captured.get(source)?.get(name));
    const { result, captures } = await runCheck(check, values, context);
    captured.set(position, captures);
    return result;
  };

  try {
    return await runScheduled(checks.length, {
      limit: options.concurrency,
      needs: (position) => [...(dependencies[position]?.values() ?? [])],
      start,
      onError: (position, error) => {
        const check = checks[position];
        const reason = `the check could not be completed: ${errorMessage(error)}`;
        return { ...notRun(check?.name ?? `check ${position + 1}`, options.secrets.redact(reason)), attempts: 1 };
      },
      onSettled: (position, result) => reporter.settle(position, result),
    });
  } finally {
    finished.abort();
  }
}

/** Why a check is not run (a capture it uses failed, or time ran out), or undefined. */
function skipReason(
  checks: readonly Check[],
  needs: ReadonlyMap<string, number>,
  results: ReadonlyArray<CheckResult | undefined>,
  aborted: boolean,
  timeoutMs: number,
): string | undefined {
  if (aborted) return `not run: the overall timeout (${formatDuration(timeoutMs)}) was reached first`;
  const failed = [...needs.entries()].find(([, source]) => results[source]?.ok !== true);
  if (failed === undefined) return undefined;
  const [name, source] = failed;
  return `not run: it uses {{${name}}}, captured by '${checks[source]?.name ?? ''}', which failed`;
}

/** Hands results to `onResult` in file order, each as soon as every check before it has finished. */
class FileOrderReporter {
  private readonly checks: readonly Check[];
  private readonly onResult: RunOptions['onResult'];
  private readonly results: Array<CheckResult | undefined>;
  private reported = 0;

  constructor(checks: readonly Check[], onResult: RunOptions['onResult']) {
    this.checks = checks;
    this.onResult = onResult;
    this.results = checks.map(() => undefined);
  }

  settle(position: number, result: CheckResult): void {
    this.results[position] = result;
    for (let next = this.results[this.reported]; next !== undefined; next = this.results[this.reported]) {
      const check = this.checks[this.reported];
      this.reported += 1;
      if (check !== undefined) this.onResult?.(next, check);
    }
  }
}

/** For each capture name a check uses: the nearest earlier check that captures it. */
function captureSources(checks: readonly Check[], check: Check): Map<string, number> {
  const sources = new Map<string, number>();
  for (const name of check.needs) {
    for (let index = check.index - 1; index >= 0; index -= 1) {
      if (checks[index]?.capture.some((capture) => capture.name === name)) {
        sources.set(name, index);
        break;
      }
    }
  }
  return sources;
}

function notRun(name: string, reason: string): CheckResult {
  return {
    name,
    ok: false,
    attempts: 0,
    status: null,
    ms: null,
    error: reason,
    details: [reason],
    elapsedMs: 0,
  };
}

/** What every check of one run shares. */
interface CheckContext {
  options: RunOptions;
  /** Aborted when the overall timeout is reached. */
  signal: AbortSignal;
  deadline: number;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Whether the overall timeout has been reached: the abort timer fired, or the deadline passed before it
 * fires (a busy machine).
 */
function overallTimeoutReached({ signal, deadline, now }: CheckContext): boolean {
  return signal.aborted || now() >= deadline;
}

async function runCheck(
  check: Check,
  values: Map<string, unknown>,
  context: CheckContext,
): Promise<{ result: CheckResult; captures: Map<string, unknown> }> {
  const { options, signal, deadline, now } = context;
  const started = now();
  let attempts = 0;
  let last: Attempt;
  for (;;) {
    attempts += 1;
    last = await attempt(check, values, context);
    if (last.ok || last.failure === 'permanent' || check.retry === undefined || signal.aborted) break;
    const remaining = Math.min(check.retry.untilMs - (now() - started), deadline - now());
    if (remaining <= 0) break;
    const delay = Math.min(
      backoffDelay(attempts, {
        baseMs: check.retry.intervalMs,
        maxMs: check.retry.maxIntervalMs,
        factor: 1.5,
        jitter: 0.2,
      }),
      remaining,
    );
    options.onProgress?.(
      options.secrets.redact(
        `${check.name}: attempt ${attempts} failed (${attemptSummary(last)}); trying again in ${formatDuration(delay)}`,
      ),
    );
    await context.sleep(delay, signal);
    if (signal.aborted) break;
  }
  const result = describeResult(check, last, attempts, now() - started, overallTimeoutReached(context), options);
  return { result, captures: last.ok ? last.captured : new Map<string, unknown>() };
}

function attemptSummary(attempt: Attempt): string {
  if (attempt.networkError !== undefined) return attempt.networkError;
  const first = attempt.failures[0];
  return first === undefined ? 'failed' : formatFailure(first);
}

async function attempt(check: Check, values: Map<string, unknown>, context: CheckContext): Promise<Attempt> {
  const { options, signal, deadline, now } = context;
  const request = buildRequest(check, values, options, signal, deadline - now());
  if (typeof request === 'string') return { ok: false, failures: [], networkError: request, captured: new Map() };
  let response: HttpResponse;
  try {
    response = await (options.send ?? sendHttp)(request);
  } catch (error) {
    const message = errorMessage(error);
    return {
      ok: false,
      failures: [],
      networkError: message,
      ...(error instanceof HttpError ? { latencyMs: error.latencyMs, failure: error.failure } : {}),
      captured: new Map(),
    };
  }
  const limits = { deadline, now };
  const failures = evaluate(check.expect, response, limits);
  const captured = new Map<string, unknown>();
  if (failures.length === 0 && check.capture.length > 0) {
    const parsed = parseJsonBody(response.body);
    for (const capture of check.capture) {
      const selected = parsed.error === undefined ? captureValue(parsed.value, capture.path, limits) : undefined;
      if (selected === undefined || typeof selected === 'string') {
        failures.push({
          subject: `capture ${capture.name}`,
          expected: `a value at ${capture.path}`,
          received:
            selected ??
            (parsed.error === undefined ? 'nothing' : parsed.error.replace(/^a JSON body, received /, 'not JSON: ')),
        });
      } else captured.set(capture.name, selected.value);
    }
  }
  return { ok: failures.length === 0, response, failures, latencyMs: response.latencyMs, captured };
}

/** The captured value; undefined when nothing was selected, a message when the evaluation stopped. */
function captureValue(
  document: unknown,
  path: string,
  limits: JsonPathLimits,
): { value: unknown } | string | undefined {
  try {
    const first = selectFirst(document, compileJsonPath(path), limits);
    return first.found ? { value: first.value } : undefined;
  } catch (error) {
    return `no answer (${errorMessage(error)})`;
  }
}

/** The request to send, with captures filled in; a message when the filled URL is not usable. */
function buildRequest(
  check: Check,
  values: Map<string, unknown>,
  options: RunOptions,
  signal: AbortSignal,
  overallMs: number,
): HttpRequest | string {
  const url = joinUrl(options.baseUrl, fillTemplate(check.request.url, values));
  try {
    new URL(url);
  } catch {
    return `the URL is not valid once captures are filled in: ${options.secrets.redact(url)}`;
  }
  const headers = new Map<string, [string, string]>();
  for (const [name, value] of options.headers) headers.set(name.toLowerCase(), [name, value]);
  for (const [name, value] of check.request.headers) {
    const filled = fillTemplate(value, values);
    // A credential made from a capture is a secret too.
    if (isSensitiveHeader(name)) maskHeaderValue(options.secrets, filled);
    headers.set(name.toLowerCase(), [name, filled]);
  }
  let body: string | undefined;
  if (check.request.body?.kind === 'text') body = fillTemplate(check.request.body.text, values);
  if (check.request.body?.kind === 'json') {
    body = JSON.stringify(fillJsonTemplate(check.request.body.value, values));
    if (!headers.has('content-type')) headers.set('content-type', ['content-type', 'application/json']);
  }
  return {
    method: check.request.method,
    url,
    headers: [...headers.values()],
    ...(body === undefined ? {} : { body }),
    timeoutMs: check.request.timeoutMs,
    overallMs,
    followRedirects: check.request.followRedirects,
    ...(check.request.ca === undefined ? {} : { ca: check.request.ca }),
    insecure: check.request.insecure,
    signal,
  };
}

function describeResult(
  check: Check,
  last: Attempt,
  attempts: number,
  elapsedMs: number,
  aborted: boolean,
  options: RunOptions,
): CheckResult {
  const redact = (text: string): string => options.secrets.redact(text);
  const base = {
    name: check.name,
    attempts,
    status: last.response?.status ?? null,
    ms: last.latencyMs === undefined ? null : Math.round(last.latencyMs),
    elapsedMs,
  };
  if (last.ok) return { ...base, ok: true, error: null, details: [] };
  const problems = last.networkError !== undefined ? [last.networkError] : last.failures.map(formatFailure);
  if (aborted) problems.push(`the overall timeout (${formatDuration(options.timeoutMs)}) was reached`);
  if (last.failure === 'permanent' && check.retry !== undefined)
    problems.push('not retried: another attempt would meet the same');
  if (check.retry !== undefined && !aborted && attempts > 1) {
    problems.push(
      `still failing after ${attempts} attempts over ${formatDuration(elapsedMs)} (retry until ${formatDuration(check.retry.untilMs)})`,
    );
  }
  const details = [...problems];
  const response = last.response;
  if (response !== undefined) {
    const contentType = response.headers['content-type'];
    const location = response.headers['location'];
    details.push(
      `received: ${response.status}${contentType === undefined ? '' : ` ${contentType}`} in ${formatDuration(response.latencyMs)}` +
        (location === undefined ? '' : `, location: ${location}`) +
        (response.redirects > 0 ? ` from ${response.url} after ${response.redirects} redirect(s)` : ''),
    );
    details.push(
      `body: ${response.body === '' ? '(empty)' : `"${trimForDisplay(response.body)}"`}${response.truncated ? ' (cut at 10 MiB)' : ''}`,
    );
  }
  return { ...base, ok: false, error: redact(problems.join('; ')), details: details.map(redact) };
}
