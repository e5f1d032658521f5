// The `retry` and `capture` sections of a check.
import type { YamlPath } from '@shiprail/core';
import { DEFAULT_RETRY_INTERVAL_MS, type CheckRetry } from './check-types.ts';
import { jsonPathProblem } from './parse-expect.ts';
import { describeValue, isMapping, parseDurationAt, type Mistakes } from './parse-values.ts';

const RETRY_KEYS = ['until', 'interval', 'max-interval'];
const CAPTURE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseRetry(raw: unknown, path: YamlPath, mistakes: Mistakes): CheckRetry | undefined {
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

export function parseCapture(raw: unknown, path: YamlPath, mistakes: Mistakes): Array<{ name: string; path: string }> {
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
      mistakes.add([...path, name], `expected a JSONPath expression, got ${describeValue(expression)}`);
    else {
      const problem = jsonPathProblem(expression);
      if (problem !== undefined) mistakes.add([...path, name], problem);
      else captures.push({ name, path: expression });
    }
  }
  return captures;
}
