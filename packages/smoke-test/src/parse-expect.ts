// The `expect` section of a check: status, headers, body, JSONPath assertions and latency.
import type { YamlPath } from '@shiprail/core';
import { JSONPathError } from 'json-p3';
import {
  COMPARISON_OPERATORS,
  JSON_OPERATORS,
  type ComparisonOperator,
  type Expectations,
  type HeaderExpectation,
  type JsonAssertion,
  type JsonOperator,
} from './check-types.ts';
import { compileJsonPath } from './jsonpath.ts';
import { describeValue, isMapping, parseDurationAt, type Mistakes } from './parse-values.ts';
import { compileRegex } from './regex.ts';
import { parseStatusExpectation } from './status.ts';
import { parseTextMatcher, type TextMatcher } from './text-matcher.ts';

const EXPECT_KEYS = ['status', 'headers', 'body', 'json', 'max-latency'];

export function parseExpect(raw: unknown, path: YamlPath, mistakes: Mistakes): Expectations | undefined {
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
          fail(key, `expected a number or a string, got ${describeValue(value)}`);
        else operators.push({ op: key, value });
        break;
      case 'exists':
        if (typeof value !== 'boolean') fail(key, `expected true or false, got ${describeValue(value)}`);
        else operators.push({ op: 'exists', value });
        break;
      case 'length': {
        const comparisons = parseLength(value);
        if (comparisons === undefined) {
          fail(key, `expected a whole number or comparisons like { ">=": 1 }, got ${describeValue(value)}`);
        } else operators.push({ op: 'length', comparisons });
        break;
      }
      case 'matches': {
        if (typeof value !== 'string') {
          fail(key, `expected a regular expression as text, got ${describeValue(value)}`);
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

function parseLength(value: unknown): Array<{ op: ComparisonOperator; value: number }> | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [{ op: '==', value }];
  if (!isMapping(value) || Object.keys(value).length === 0) return undefined;
  const comparisons: Array<{ op: ComparisonOperator; value: number }> = [];
  for (const [key, bound] of Object.entries(value)) {
    const op = COMPARISON_OPERATORS.find((comparison) => comparison === key);
    if (op === undefined || typeof bound !== 'number') return undefined;
    comparisons.push({ op, value: bound });
  }
  return comparisons;
}
