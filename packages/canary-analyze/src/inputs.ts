// canary-analyze's inputs, read once and checked, and the metrics file they name.
import { ConfigurationError, parseHeaderLines, parseList, type InputParser } from '@shiprail/core';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseMetricsDefinition, type MetricDefinition } from './metrics-file.ts';

export interface CanaryAnalyzeInputs {
  'prometheus-url': string;
  'prometheus-headers': Array<[string, string]>;
  /** A path, or the YAML itself. */
  metrics: string;
  baseline: string;
  canary: string;
  /** Milliseconds. */
  duration: number;
  interval: number;
  step: number;
  'pass-score': number;
  'marginal-score': number;
}

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;

export function parseInputs(parser: InputParser): CanaryAnalyzeInputs {
  const inputs: CanaryAnalyzeInputs = {
    'prometheus-url': parser.required('prometheus-url'),
    'prometheus-headers': parseHeaderLines(parseList(parser.secret('prometheus-headers')), 'prometheus-headers'),
    metrics: parser.required('metrics'),
    baseline: parser.required('baseline'),
    canary: parser.required('canary'),
    duration: parser.duration('duration', '20m'),
    interval: parser.duration('interval', '1m'),
    step: parser.duration('step', '15s'),
    'pass-score': parser.number('pass-score', 95, { min: 0, max: 100 }),
    'marginal-score': parser.number('marginal-score', 75, { min: 0, max: 100 }),
  };
  validateInputs(inputs);
  return inputs;
}

function validateInputs(inputs: CanaryAnalyzeInputs): void {
  let url: URL | undefined;
  try {
    url = new URL(inputs['prometheus-url']);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigurationError('expected the http(s) URL of the Prometheus server, e.g. http://prometheus:9090', {
      input: 'prometheus-url',
    });
  }
  if (inputs['marginal-score'] > inputs['pass-score']) {
    throw new ConfigurationError(
      `must not exceed pass-score (${inputs['pass-score']}), got ${inputs['marginal-score']}`,
      { input: 'marginal-score' },
    );
  }
  if (inputs.interval <= 0) throw new ConfigurationError('must be longer than 0', { input: 'interval' });
  if (inputs.step <= 0) throw new ConfigurationError('must be longer than 0', { input: 'step' });
  if (inputs.step > inputs.interval) {
    throw new ConfigurationError('must not be longer than interval: each round needs several samples', {
      input: 'step',
    });
  }
  const window = Math.max(inputs.duration, inputs.interval);
  if (window / inputs.step > MAX_POINTS) {
    throw new ConfigurationError(
      `gives ${Math.ceil(window / inputs.step)} samples per series over ${window / 1000}s; Prometheus allows ${MAX_POINTS}: use a longer step`,
      { input: 'step' },
    );
  }
  for (const side of ['baseline', 'canary'] as const) {
    if (/\{\{|\}\}/.test(inputs[side])) {
      throw new ConfigurationError('expected label matchers such as app="web",track="canary"', { input: side });
    }
  }
}

/**
 * The metrics definition: `metrics` is YAML when it spans lines (or starts with `metrics:` / `-`),
 * otherwise a path relative to the workspace.
 */
export async function loadMetrics(value: string, workspace: string): Promise<MetricDefinition[]> {
  const inline = value.includes('\n') || /^(metrics\s*:|-\s)/.test(value);
  if (inline) return parseMetricsDefinition(value, { input: 'metrics' });
  const path = isAbsolute(value) ? value : resolve(workspace, value);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigurationError(
      `no file '${value}' in the workspace: give a path to the metrics YAML, or the YAML itself`,
      {
        input: 'metrics',
      },
    );
  }
  const shown = isAbsolute(value) ? relative(workspace, path) || value : value;
  return parseMetricsDefinition(readFileSync(path, 'utf8'), { file: shown.startsWith('..') ? path : shown });
}
