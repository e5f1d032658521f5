// The check file: its types and its validation. Everything a user can get wrong is found here, before
// any request is sent, and reported with its path (`checks[2].expect.status`) and line.
import {
  ConfigurationError,
  parseDuration,
  parseYamlDocument,
  type MistakeLocation,
  type YamlPath,
} from '@shiprail/core';
import { JSONPathError } from 'json-p3';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileJsonPath } from './jsonpath.ts';
import { compileRegex, type Regex } from './regex.ts';
import { parseStatusExpectation, type StatusExpectation } from './status.ts';
import { TEMPLATE, templateNames } from './template.ts';
import { parseTextMatcher, type TextMatcher } from './text-matcher.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1_000;

export type RequestBody = { kind: 'text'; text: string } | { kind: 'json'; value: unknown };

export interface CheckRequest {
  method: string;
  /** As written: may hold `{{capture}}` placeholders and be relative to base-url. */
  url: string;
  headers: Array<[string, string]>;
  body?: RequestBody;
  timeoutMs: number;
  followRedirects: boolean;
  /** PEM text of extra certificate authorities to trust. */
  ca?: string;
  insecure: boolean;
}

export const COMPARISONS = ['==', '!=', '>', '>=', '<', '<='] as const;
export type Comparison = (typeof COMPARISONS)[number];
export const JSON_OPERATORS = [...COMPARISONS, 'exists', 'length', 'matches'] as const;

export type JsonOperator =
  | { op: Comparison; value: unknown }
  | { op: 'exists'; value: boolean }
  | { op: 'length'; comparisons: Array<{ op: Comparison; value: number }> }
  | { op: 'matches'; pattern: string; regex: Regex };

export interface JsonAssertion {
  path: string;
  operators: JsonOperator[];
}

export interface HeaderExpectation {
  name: string;
  matcher: TextMatcher;
}

export interface Expectations {
  status: StatusExpectation;
  headers: HeaderExpectation[];
  body: TextMatcher[];
  json: JsonAssertion[];
  maxLatencyMs?: number;
}

export interface RetryPolicy {
  untilMs: number;
  intervalMs: number;
  maxIntervalMs: number;
}

export interface Check {
  /** Position in the file (0-based): results are reported in this order. */
  index: number;
  name: string;
  line?: number;
  request: CheckRequest;
  expect: Expectations;
  retry?: RetryPolicy;
  /** Values taken from this check's JSON response: `{{name}}` in later checks. */
  capture: Array<{ name: string; path: string }>;
  /** Capture names this check's request uses. */
  needs: string[];
}

export interface CheckFile {
  checks: Check[];
  /** Where mistakes found later (none expected) would point. */
  location: MistakeLocation;
}

const CHECK_KEYS = ['name', 'request', 'expect', 'retry', 'capture'];
const REQUEST_KEYS = ['method', 'url', 'headers', 'body', 'json', 'timeout', 'follow-redirects', 'ca', 'insecure'];
const EXPECT_KEYS = ['status', 'headers', 'body', 'json', 'max-latency'];
const RETRY_KEYS = ['until', 'interval', 'max-interval'];
const METHOD = /^[A-Z]+$/;
const CAPTURE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A plain mapping (not a list, not a scalar). */
const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Collects every mistake in the file, each with its path and line, so that one run tells the user
 * everything to fix; the first one's line is where the annotation points.
 */
class Mistakes {
  readonly found: ConfigurationError[] = [];
  private readonly make: (path: YamlPath, message: string) => ConfigurationError;

  constructor(make: (path: YamlPath, message: string) => ConfigurationError) {
    this.make = make;
  }

  add(path: YamlPath, message: string): undefined {
    this.found.push(this.make(path, message));
    return undefined;
  }

  unknownKeys(value: Record<string, unknown>, path: YamlPath, allowed: readonly string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.add([...path, key], `unknown ${what} '${key}'; expected one of ${allowed.join(', ')}`);
    }
  }
}

export interface LoadOptions {
  /** Directory that relative `ca` paths are resolved against. */
  baseDirectory: string;
  /** base-url input ('' when not given): relative request URLs need it. */
  baseUrl: string;
}

/** Reads the `checks` input: a path to a YAML file, or the YAML itself. */
export function loadCheckSource(checks: string, baseDirectory: string): { text: string; location: MistakeLocation } {
  if (/\n/.test(checks) || /^\s*checks\s*:/.test(checks)) return { text: checks, location: { input: 'checks' } };
  const path = resolve(baseDirectory, checks);
  try {
    return { text: readFileSync(path, 'utf8'), location: { file: checks } };
  } catch (error) {
    const reason =
      error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigurationError(`cannot read the check file '${checks}' (${reason}); give a path or the YAML itself`, {
      input: 'checks',
    });
  }
}

/** Parses and validates a check file. Throws one ConfigurationError naming every mistake. */
export function parseCheckFile(text: string, location: MistakeLocation, options: LoadOptions): CheckFile {
  const parsed = parseYamlDocument(text, location);
  const mistakes = new Mistakes((path, message) => {
    const error = parsed.mistake(path, message);
    // An inline input has no file to point at: keep the line in the message.
    if (location.input !== undefined && error.location.line !== undefined) {
      return new ConfigurationError(`line ${error.location.line}: ${error.message}`, error.location);
    }
    return error;
  });
  const root = parsed.value;
  const checks: Check[] = [];
  if (!isMapping(root) || !Array.isArray(root['checks'])) {
    mistakes.add(isMapping(root) ? ['checks'] : [], "expected a mapping with a 'checks' list");
  } else {
    mistakes.unknownKeys(root, [], ['checks'], 'key');
    const names = new Set<string>();
    const captured = new Set<string>();
    root['checks'].forEach((raw: unknown, index: number) => {
      const check = parseCheck(raw, index, mistakes, options, parsed.lineOf(['checks', index]));
      if (check === undefined) return;
      const named = isMapping(raw) && raw['name'] !== undefined;
      if (names.has(check.name) && named) {
        mistakes.add(['checks', index, 'name'], `the name '${check.name}' is used twice; names must be unique`);
      } else if (names.has(check.name)) {
        // Two unnamed checks of the same URL: tell them apart by position rather than refuse the file.
        check.name = `${check.name} (#${index + 1})`;
      }
      names.add(check.name);
      for (const name of check.needs) {
        if (!captured.has(name)) {
          mistakes.add(
            ['checks', index, 'request'],
            `{{${name}}} is not captured by an earlier check; add capture: { ${name}: "$.path" } to one above`,
          );
        }
      }
      for (const { name } of check.capture) captured.add(name);
      checks.push(check);
    });
    if (root['checks'].length === 0) mistakes.add(['checks'], 'the list is empty; add at least one check');
  }
  const [first, ...rest] = mistakes.found;
  if (first !== undefined) {
    const message = rest.length === 0 ? first.message : [first.message, ...rest.map((e) => e.describe())].join('; ');
    throw new ConfigurationError(message, first.location);
  }
  return { checks, location };
}

function parseCheck(
  raw: unknown,
  index: number,
  mistakes: Mistakes,
  options: LoadOptions,
  line: number | undefined,
): Check | undefined {
  const path: YamlPath = ['checks', index];
  if (!isMapping(raw)) return mistakes.add(path, 'expected a mapping with request and expect');
  mistakes.unknownKeys(raw, path, CHECK_KEYS, 'key');
  const request = parseRequest(raw['request'], [...path, 'request'], mistakes, options);
  const expect = parseExpect(raw['expect'], [...path, 'expect'], mistakes);
  const retry = raw['retry'] === undefined ? undefined : parseRetry(raw['retry'], [...path, 'retry'], mistakes);
  const capture = parseCapture(raw['capture'], [...path, 'capture'], mistakes);
  let name = request === undefined ? `check ${index + 1}` : `${request.method} ${request.url}`;
  if (raw['name'] !== undefined) {
    if (typeof raw['name'] !== 'string' || raw['name'].trim() === '')
      mistakes.add([...path, 'name'], 'expected a non-empty string');
    else name = raw['name'].trim();
  }
  if (request === undefined || expect === undefined) return undefined;
  return {
    index,
    name,
    ...(line === undefined ? {} : { line }),
    request,
    expect,
    ...(retry === undefined ? {} : { retry }),
    capture,
    needs: requestTemplateNames(request),
  };
}

function requestTemplateNames(request: CheckRequest): string[] {
  const texts = [request.url, ...request.headers.map(([, value]) => value)];
  if (request.body?.kind === 'text') texts.push(request.body.text);
  if (request.body?.kind === 'json') texts.push(JSON.stringify(request.body.value));
  return [...new Set(texts.flatMap(templateNames))];
}

function parseDurationAt(value: unknown, path: YamlPath, mistakes: Mistakes): number | undefined {
  const ms =
    typeof value === 'number' && value >= 0
      ? value * 1000
      : typeof value === 'string'
        ? parseDuration(value)
        : undefined;
  if (ms === undefined) return mistakes.add(path, `expected a duration like 500ms, 10s or 2m, got ${describe(value)}`);
  return ms;
}

function parseBoolean(value: unknown, path: YamlPath, mistakes: Mistakes): boolean | undefined {
  if (typeof value !== 'boolean') return mistakes.add(path, `expected true or false, got ${describe(value)}`);
  return value;
}

/** How a value reads in an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value) ?? typeof value;
}

function parseRequest(
  raw: unknown,
  path: YamlPath,
  mistakes: Mistakes,
  options: LoadOptions,
): CheckRequest | undefined {
  if (!isMapping(raw)) return mistakes.add(path, 'expected a mapping like { method: GET, url: /healthz }');
  mistakes.unknownKeys(raw, path, REQUEST_KEYS, 'request key');
  let ok = true;
  const fail = (at: string, message: string): void => {
    ok = false;
    mistakes.add([...path, at], message);
  };

  let method = 'GET';
  if (raw['method'] !== undefined) {
    if (typeof raw['method'] === 'string' && METHOD.test(raw['method'].toUpperCase()))
      method = raw['method'].toUpperCase();
    else fail('method', `expected an HTTP method like GET or POST, got ${describe(raw['method'])}`);
  }

  const url = raw['url'];
  if (typeof url !== 'string' || url.trim() === '') {
    fail('url', `expected a URL (absolute, or a path relative to base-url), got ${describe(url)}`);
  } else {
    const problem = urlProblem(url.trim(), options.baseUrl);
    if (problem !== undefined) fail('url', problem);
  }

  const headers: Array<[string, string]> = [];
  if (raw['headers'] !== undefined) {
    if (!isMapping(raw['headers'])) fail('headers', 'expected a mapping of header names to values');
    else {
      for (const [name, value] of Object.entries(raw['headers'])) {
        if (!HEADER_NAME.test(name)) fail('headers', `'${name}' is not a valid header name`);
        else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          ok = false;
          mistakes.add([...path, 'headers', name], `expected a text value, got ${describe(value)}`);
        } else headers.push([name, String(value)]);
      }
    }
  }

  let body: RequestBody | undefined;
  if (raw['body'] !== undefined && raw['json'] !== undefined) fail('json', 'give either body (text) or json, not both');
  else if (raw['body'] !== undefined) {
    if (typeof raw['body'] !== 'string') fail('body', 'expected text; to send JSON, use json: instead');
    else body = { kind: 'text', text: raw['body'] };
  } else if (raw['json'] !== undefined) body = { kind: 'json', value: raw['json'] };

  let timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  if (raw['timeout'] !== undefined) {
    const parsed = parseDurationAt(raw['timeout'], [...path, 'timeout'], mistakes);
    if (parsed === undefined) ok = false;
    else if (parsed <= 0) fail('timeout', 'must be more than zero');
    else timeoutMs = parsed;
  }

  const flag = (key: string, fallback: boolean): boolean => {
    if (raw[key] === undefined) return fallback;
    const parsed = parseBoolean(raw[key], [...path, key], mistakes);
    if (parsed === undefined) ok = false;
    return parsed ?? fallback;
  };
  const followRedirects = flag('follow-redirects', true);
  const insecure = flag('insecure', false);

  let ca: string | undefined;
  if (raw['ca'] !== undefined) {
    if (typeof raw['ca'] !== 'string' || raw['ca'].trim() === '') fail('ca', 'expected the path of a PEM file');
    else {
      try {
        ca = readFileSync(resolve(options.baseDirectory, raw['ca'].trim()), 'utf8');
        if (!ca.includes('-----BEGIN CERTIFICATE-----')) fail('ca', `'${raw['ca']}' holds no PEM certificate`);
      } catch {
        fail('ca', `cannot read '${raw['ca']}'; give the path of a PEM file, relative to the working directory`);
      }
    }
  }

  if (!ok || typeof url !== 'string') return undefined;
  return {
    method,
    url: url.trim(),
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutMs,
    followRedirects,
    ...(ca === undefined ? {} : { ca }),
    insecure,
  };
}

/** Why a request URL cannot work, or undefined. Placeholders stand in for a value here. */
export function urlProblem(url: string, baseUrl: string): string | undefined {
  const sample = url.replace(TEMPLATE, 'x');
  if (/^[a-z][a-z0-9+.-]*:/i.test(sample)) {
    let parsed: URL;
    try {
      parsed = new URL(sample);
    } catch {
      return `'${url}' is not a valid URL`;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `'${url}' is not an http or https URL`;
    return undefined;
  }
  if (baseUrl === '') return `'${url}' is relative, but the base-url input is not set; set it or give an absolute URL`;
  try {
    new URL(joinUrl(baseUrl, sample));
  } catch {
    return `'${url}' does not make a valid URL with base-url`;
  }
  return undefined;
}

/**
 * Resolves a request URL: absolute URLs stay; others are appended to base-url, so that a base-url with
 * a path prefix (`https://host/api`) keeps it, as a user of a curl loop would expect.
 */
export function joinUrl(baseUrl: string, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  if (url === '') return baseUrl;
  const base = baseUrl.replace(/\/+$/, '');
  return url.startsWith('/') || url.startsWith('?') ? `${base}${url}` : `${base}/${url}`;
}

function parseExpect(raw: unknown, path: YamlPath, mistakes: Mistakes): Expectations | undefined {
  if (raw === undefined) return { status: parseStatusExpectation('2xx') ?? [], headers: [], body: [], json: [] };
  if (!isMapping(raw))
    return mistakes.add(path, 'expected a mapping of assertions (status, headers, body, json, max-latency)');
  mistakes.unknownKeys(raw, path, EXPECT_KEYS, 'assertion');
  let ok = true;
  const fail = (at: YamlPath, message: string): void => {
    ok = false;
    mistakes.add([...path, ...at], message);
  };

  let status = parseStatusExpectation('2xx') ?? [];
  if (raw['status'] !== undefined) {
    const parsed = parseStatusExpectation(raw['status']);
    if (parsed === undefined) fail(['status'], 'expected a number, a list or a range like 2xx');
    else status = parsed;
  }

  const headers: HeaderExpectation[] = [];
  if (raw['headers'] !== undefined) {
    if (!isMapping(raw['headers'])) fail(['headers'], 'expected a mapping of header names to values or /regex/');
    else {
      for (const [name, value] of Object.entries(raw['headers'])) {
        const matcher = parseTextMatcher(value, 'exact');
        if (typeof matcher === 'string') fail(['headers', name], matcher);
        else headers.push({ name: name.toLowerCase(), matcher });
      }
    }
  }

  const body: TextMatcher[] = [];
  if (raw['body'] !== undefined) {
    const items = Array.isArray(raw['body']) ? raw['body'] : [raw['body']];
    items.forEach((item: unknown, index: number) => {
      const matcher = parseTextMatcher(item, 'substring');
      if (typeof matcher === 'string') fail(Array.isArray(raw['body']) ? ['body', index] : ['body'], matcher);
      else body.push(matcher);
    });
  }

  const json: JsonAssertion[] = [];
  if (raw['json'] !== undefined) {
    if (!isMapping(raw['json'])) fail(['json'], 'expected a mapping of JSONPath expressions to expected values');
    else {
      for (const [expression, expected] of Object.entries(raw['json'])) {
        const at: YamlPath = [...path, 'json', expression];
        const pathProblem = jsonPathProblem(expression);
        if (pathProblem !== undefined) {
          fail(['json', expression], pathProblem);
          continue;
        }
        const operators = parseJsonOperators(expected, at, mistakes);
        if (operators === undefined) ok = false;
        else json.push({ path: expression, operators });
      }
    }
  }

  let maxLatencyMs: number | undefined;
  if (raw['max-latency'] !== undefined) {
    maxLatencyMs = parseDurationAt(raw['max-latency'], [...path, 'max-latency'], mistakes);
    if (maxLatencyMs === undefined) ok = false;
  }

  if (!ok) return undefined;
  return { status, headers, body, json, ...(maxLatencyMs === undefined ? {} : { maxLatencyMs }) };
}

/** Why an expression is not RFC 9535 JSONPath (syntax, unknown function, ill-typed argument), or undefined. */
export function jsonPathProblem(expression: string): string | undefined {
  try {
    compileJsonPath(expression);
    return undefined;
  } catch (error) {
    if (!(error instanceof JSONPathError)) throw error;
    // The library appends the expression and offset in parentheses: say it in words instead.
    const reason = error.message.replace(/\s*\('(?:[^']|'(?!:\d+\)$))*':\d+\)$/, '');
    return `invalid JSONPath (RFC 9535): ${reason} at character ${error.token.index + 1}`;
  }
}

/**
 * A plain value means deep equality; a mapping holds operators. Deep equality with an object is
 * spelled `{ "==": {...} }`, so that a misspelt operator is reported instead of silently compared.
 */
function parseJsonOperators(expected: unknown, path: YamlPath, mistakes: Mistakes): JsonOperator[] | undefined {
  if (!isMapping(expected)) return [{ op: '==', value: expected }];
  const operators: JsonOperator[] = [];
  let ok = true;
  const fail = (key: string, message: string): void => {
    ok = false;
    mistakes.add([...path, key], message);
  };
  if (Object.keys(expected).length === 0) {
    mistakes.add(
      path,
      `expected a value or operators (${JSON_OPERATORS.join(', ')}); to compare with {}, write { "==": {} }`,
    );
    return undefined;
  }
  for (const [key, value] of Object.entries(expected)) {
    switch (key) {
      case '==':
      case '!=':
        operators.push({ op: key, value });
        break;
      case '>':
      case '>=':
      case '<':
      case '<=':
        if (typeof value !== 'number' && typeof value !== 'string')
          fail(key, `expected a number or a string, got ${describe(value)}`);
        else operators.push({ op: key, value });
        break;
      case 'exists':
        if (typeof value !== 'boolean') fail(key, `expected true or false, got ${describe(value)}`);
        else operators.push({ op: 'exists', value });
        break;
      case 'length': {
        const comparisons = parseLength(value);
        if (comparisons === undefined) {
          fail(key, `expected a whole number or comparisons like { ">=": 1 }, got ${describe(value)}`);
        } else operators.push({ op: 'length', comparisons });
        break;
      }
      case 'matches': {
        if (typeof value !== 'string') {
          fail(key, `expected a regular expression as text, got ${describe(value)}`);
          break;
        }
        const pattern = value.replace(/^\/(.*)\/$/s, '$1');
        const regex = compileRegex(pattern);
        if (typeof regex === 'string') fail(key, `invalid regular expression: ${regex}`);
        else operators.push({ op: 'matches', pattern, regex });
        break;
      }
      default:
        fail(
          key,
          `unknown operator '${key}'; expected one of ${JSON_OPERATORS.join(', ')} (to compare with an object, write { "==": {...} })`,
        );
    }
  }
  return ok ? operators : undefined;
}

function parseLength(value: unknown): Array<{ op: Comparison; value: number }> | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [{ op: '==', value }];
  if (!isMapping(value) || Object.keys(value).length === 0) return undefined;
  const comparisons: Array<{ op: Comparison; value: number }> = [];
  for (const [key, bound] of Object.entries(value)) {
    const op = COMPARISONS.find((comparison) => comparison === key);
    if (op === undefined || typeof bound !== 'number') return undefined;
    comparisons.push({ op, value: bound });
  }
  return comparisons;
}

function parseRetry(raw: unknown, path: YamlPath, mistakes: Mistakes): RetryPolicy | undefined {
  if (!isMapping(raw)) return mistakes.add(path, 'expected a mapping like { until: 60s, interval: 2s }');
  mistakes.unknownKeys(raw, path, RETRY_KEYS, 'retry key');
  if (raw['until'] === undefined)
    return mistakes.add([...path, 'until'], 'is required: how long to keep trying, like 60s');
  const untilMs = parseDurationAt(raw['until'], [...path, 'until'], mistakes);
  const intervalMs =
    raw['interval'] === undefined
      ? DEFAULT_RETRY_INTERVAL_MS
      : parseDurationAt(raw['interval'], [...path, 'interval'], mistakes);
  if (untilMs === undefined || intervalMs === undefined) return undefined;
  if (intervalMs <= 0) return mistakes.add([...path, 'interval'], 'must be more than zero');
  const maxIntervalMs =
    raw['max-interval'] === undefined
      ? intervalMs * 5
      : parseDurationAt(raw['max-interval'], [...path, 'max-interval'], mistakes);
  if (maxIntervalMs === undefined) return undefined;
  if (maxIntervalMs < intervalMs) return mistakes.add([...path, 'max-interval'], 'must be at least interval');
  return { untilMs, intervalMs, maxIntervalMs };
}

function parseCapture(raw: unknown, path: YamlPath, mistakes: Mistakes): Array<{ name: string; path: string }> {
  if (raw === undefined) return [];
  if (!isMapping(raw)) {
    mistakes.add(path, 'expected a mapping of names to JSONPath expressions, like { token: "$.token" }');
    return [];
  }
  const captures: Array<{ name: string; path: string }> = [];
  for (const [name, expression] of Object.entries(raw)) {
    if (!CAPTURE_NAME.test(name))
      mistakes.add([...path, name], `'${name}' is not a valid name; use letters, digits, _ . -`);
    else if (typeof expression !== 'string')
      mistakes.add([...path, name], `expected a JSONPath expression, got ${describe(expression)}`);
    else {
      const problem = jsonPathProblem(expression);
      if (problem !== undefined) mistakes.add([...path, name], problem);
      else captures.push({ name, path: expression });
    }
  }
  return captures;
}
