// Judges one response against a check's expectations. Every failed assertion says what was expected
// and what came back, so the last attempt's output is enough to diagnose a failed deploy.
import { errorMessage, formatDuration } from '@shiprail/core';
import { isDeepStrictEqual } from 'node:util';
import type { ComparisonOperator, Expectations, JsonAssertion, JsonOperator } from './check-types.ts';
import type { HttpResponse } from './http.ts';
import { compileJsonPath, selectFirst, type JsonPathLimits } from './jsonpath.ts';
import { isSensitiveHeader } from './redact.ts';
import { formatStatusExpectation, statusMatches } from './status.ts';
import { formatTextMatcher, textMatches } from './text-matcher.ts';

export interface AssertionFailure {
  /** What was checked: `status`, `header content-type`, `body`, `$.items`, `latency`. */
  subject: string;
  expected: string;
  received: string;
}

/** Longest received value shown in a failure: enough to recognise an error page, short enough to scan. */
export const SHOWN_VALUE_LIMIT = 300;

export function trimForDisplay(text: string, limit = SHOWN_VALUE_LIMIT): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit)}… (${text.length} characters)`;
}

export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return trimForDisplay(JSON.stringify(value) ?? typeof value);
}

export function formatFailure(failure: AssertionFailure): string {
  return `${failure.subject}: expected ${failure.expected}, received ${failure.received}`;
}

/** Parses a JSON body once; undefined with `error` set when it is not JSON. */
export function parseJsonBody(body: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(body) as unknown };
  } catch {
    return {
      error: `a JSON body, received ${body.trim() === '' ? 'an empty body' : `"${trimForDisplay(body, 120)}"`}`,
    };
  }
}

/** Judges a response; never throws: what cannot be judged is a failure that says why. */
export function evaluate(
  expect: Expectations,
  response: HttpResponse,
  limits: JsonPathLimits = {},
): AssertionFailure[] {
  const failures: AssertionFailure[] = [];
  if (!statusMatches(expect.status, response.status)) {
    failures.push({
      subject: 'status',
      expected: formatStatusExpectation(expect.status),
      received: String(response.status),
    });
  }
  for (const { name, matcher } of expect.headers) {
    const value = response.headers[name];
    if (value === undefined || !textMatches(matcher, value)) {
      failures.push({
        subject: `header ${name}`,
        expected: formatTextMatcher(matcher),
        received:
          value === undefined
            ? 'no such header'
            : isSensitiveHeader(name)
              ? 'a value (hidden)'
              : `"${trimForDisplay(value)}"`,
      });
    }
  }
  for (const matcher of expect.body) {
    if (!textMatches(matcher, response.body)) {
      failures.push({
        subject: 'body',
        expected: formatTextMatcher(matcher),
        received: `"${trimForDisplay(response.body)}"`,
      });
    }
  }
  if (expect.json.length > 0) {
    const parsed = parseJsonBody(response.body);
    if (parsed.error !== undefined)
      failures.push({
        subject: 'json',
        expected: 'a JSON body',
        received: parsed.error.replace(/^a JSON body, received /, ''),
      });
    else for (const assertion of expect.json) failures.push(...evaluateJson(assertion, parsed.value, limits));
  }
  if (expect.maxLatencyMs !== undefined && response.latencyMs > expect.maxLatencyMs) {
    failures.push({
      subject: 'latency',
      expected: `at most ${formatDuration(expect.maxLatencyMs)}`,
      received: formatDuration(response.latencyMs),
    });
  }
  return failures;
}

/** The first node an RFC 9535 query selects, as a list of at most one value. */
export function selectNodes(document: unknown, path: string, limits: JsonPathLimits = {}): unknown[] {
  const first = selectFirst(document, compileJsonPath(path), limits);
  return first.found ? [first.value] : [];
}

export function evaluateJson(
  assertion: JsonAssertion,
  document: unknown,
  limits: JsonPathLimits = {},
): AssertionFailure[] {
  try {
    const nodes = selectNodes(document, assertion.path, limits);
    const failures: AssertionFailure[] = [];
    for (const operator of assertion.operators) {
      const failure = evaluateOperator(operator, nodes);
      if (failure !== undefined) failures.push({ subject: assertion.path, ...failure });
    }
    return failures;
  } catch (error) {
    // Past the evaluation limits, or a value too deep to compare or show: the assertion fails, the run goes on.
    const reason = error instanceof RangeError ? 'the value nests too deeply' : errorMessage(error);
    const expected = assertion.operators.map(expectedText).join(' and ');
    return [{ subject: assertion.path, expected, received: `no answer (${reason})` }];
  }
}

type Outcome = { expected: string; received: string } | undefined;

function evaluateOperator(operator: JsonOperator, nodes: unknown[]): Outcome {
  if (operator.op === 'exists') {
    const exists = nodes.length > 0;
    if (exists === operator.value) return undefined;
    return operator.value
      ? { expected: 'a value', received: 'nothing' }
      : { expected: 'nothing', received: showValue(nodes[0]) };
  }
  if (nodes.length === 0) return { expected: expectedText(operator), received: 'nothing (no node matched)' };
  const value = nodes[0];
  switch (operator.op) {
    case 'length': {
      const length = lengthOf(value);
      if (length === undefined)
        return { expected: `something with a length (${expectedText(operator)})`, received: showValue(value) };
      const ok = operator.comparisons.every((comparison) => compare(comparison.op, length, comparison.value) === true);
      return ok ? undefined : { expected: expectedText(operator), received: `length ${length}` };
    }
    case 'matches': {
      if (typeof value === 'object' && value !== null)
        return { expected: expectedText(operator), received: showValue(value) };
      return operator.regex.test(String(value))
        ? undefined
        : { expected: expectedText(operator), received: showValue(value) };
    }
    default: {
      const result = compare(operator.op, value, operator.value);
      if (result === true) return undefined;
      const received = result === undefined ? `${showValue(value)} (not comparable)` : showValue(value);
      return { expected: expectedText(operator), received };
    }
  }
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length;
  return undefined;
}

/** true/false, or undefined when the two values cannot be ordered (a number and a string). */
export function compare(op: ComparisonOperator, actual: unknown, expected: unknown): boolean | undefined {
  if (op === '==') return isDeepStrictEqual(actual, expected);
  if (op === '!=') return !isDeepStrictEqual(actual, expected);
  const comparable =
    (typeof actual === 'number' && typeof expected === 'number') ||
    (typeof actual === 'string' && typeof expected === 'string');
  if (!comparable) return undefined;
  switch (op) {
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
  }
}

function expectedText(operator: JsonOperator): string {
  switch (operator.op) {
    case 'exists':
      return operator.value ? 'a value' : 'nothing';
    case 'length':
      return `length ${operator.comparisons.map((c) => (c.op === '==' ? String(c.value) : `${c.op} ${c.value}`)).join(' and ')}`;
    case 'matches':
      return `to match /${operator.pattern}/`;
    case '==':
      return showValue(operator.value);
    default:
      return `${operator.op} ${showValue(operator.value)}`;
  }
}
