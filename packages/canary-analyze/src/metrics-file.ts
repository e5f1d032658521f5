// The metrics definition (a file or inline YAML): a list of named PromQL queries with {{selector}}.
import { parseYamlDocument, type MistakeLocation, type ParsedYaml, type YamlPath } from '@shiprail/core';
import type { Direction } from './judge.ts';

export interface MetricDefinition {
  name: string;
  query: string;
  direction: Direction;
  critical: boolean;
  weight: number;
  max?: number | undefined;
  min?: number | undefined;
  allowedIncrease: number;
  allowedDecrease: number;
}

/** `{{selector}}` or `{{ selector }}`. */
export const SELECTOR_PATTERN = /\{\{\s*selector\s*\}\}/g;

const KEYS = ['name', 'query', 'direction', 'critical', 'weight', 'max', 'min', 'allowedIncrease', 'allowedDecrease'];
const DIRECTIONS: readonly Direction[] = ['increase', 'decrease', 'either'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses the metrics YAML: `metrics:` holding a list (or the list itself). Every mistake names the file
 * (or the `metrics` input) and the line.
 */
export async function parseMetricsDefinition(text: string, where: MistakeLocation): Promise<MetricDefinition[]> {
  const parsed = await parseYamlDocument(text, where);
  const root = parsed.value;
  const listPath: YamlPath = isRecord(root) ? ['metrics'] : [];
  const list = isRecord(root) ? root['metrics'] : root;
  if (isRecord(root)) {
    const unknown = Object.keys(root).filter((key) => key !== 'metrics');
    if (unknown.length > 0)
      throw parsed.mistake([unknown[0] ?? ''], `unknown key '${unknown[0]}': the file holds 'metrics:', a list`);
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw parsed.mistake(
      listPath,
      "expected 'metrics:' with a list of metrics (name, query with {{selector}}, direction, ...)",
    );
  }
  const metrics = list.map((entry: unknown, index) => parseMetric(parsed, [...listPath, index], entry));
  const seen = new Set<string>();
  metrics.forEach((metric, index) => {
    if (seen.has(metric.name))
      throw parsed.mistake([...listPath, index, 'name'], `duplicate metric name '${metric.name}'`);
    seen.add(metric.name);
  });
  return metrics;
}

function parseMetric(parsed: ParsedYaml, path: YamlPath, entry: unknown): MetricDefinition {
  if (!isRecord(entry)) throw parsed.mistake(path, 'expected a metric: a mapping with name and query');
  const unknown = Object.keys(entry).find((key) => !KEYS.includes(key));
  if (unknown !== undefined)
    throw parsed.mistake([...path, unknown], `unknown key '${unknown}' (expected one of ${KEYS.join(', ')})`);

  const text = (key: string): string => {
    const value = entry[key];
    if (typeof value !== 'string' || value.trim() === '')
      throw parsed.mistake([...path, key], `'${key}' must be a non-empty string`);
    return value.trim();
  };
  const number = (key: string, fallback?: number): number | undefined => {
    const value = entry[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw parsed.mistake([...path, key], `'${key}' must be a number`);
    return value;
  };

  const name = text('name');
  const query = text('query');
  if (!new RegExp(SELECTOR_PATTERN.source).test(query)) {
    throw parsed.mistake(
      [...path, 'query'],
      `the query of '${name}' has no {{selector}}: put it inside the braces of each series, e.g. http_requests_total{ {{selector}} }`,
    );
  }
  const direction = entry['direction'] ?? 'either';
  if (typeof direction !== 'string' || !DIRECTIONS.includes(direction as Direction)) {
    throw parsed.mistake([...path, 'direction'], `'direction' must be one of ${DIRECTIONS.join(', ')}`);
  }
  const critical = entry['critical'] ?? false;
  if (typeof critical !== 'boolean') throw parsed.mistake([...path, 'critical'], "'critical' must be true or false");
  const weight = number('weight', 1) ?? 1;
  if (!(weight > 0)) throw parsed.mistake([...path, 'weight'], "'weight' must be greater than 0");
  const max = number('max');
  const min = number('min');
  if (max !== undefined && min !== undefined && min > max)
    throw parsed.mistake([...path, 'min'], "'min' must not exceed 'max'");
  const allowedIncrease = number('allowedIncrease', 1) ?? 1;
  const allowedDecrease = number('allowedDecrease', 1) ?? 1;
  if (allowedIncrease < 0 || allowedDecrease < 0) {
    throw parsed.mistake(
      [...path, allowedIncrease < 0 ? 'allowedIncrease' : 'allowedDecrease'],
      'effect sizes must not be negative',
    );
  }
  return {
    name,
    query,
    direction: direction as Direction,
    critical,
    weight,
    max,
    min,
    allowedIncrease,
    allowedDecrease,
  };
}

/** The query with the selector of one side substituted. */
export const renderQuery = (query: string, selector: string): string => query.replace(SELECTOR_PATTERN, selector);
