import { ConfigurationError, InputParser } from '@shiprail/core';
import { loadMetrics, parseInputs, parseMetricsDefinition } from '@shiprail/canary-analyze';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const required = {
  'prometheus-url': 'http://127.0.0.1:9090',
  metrics: 'canary.yml',
  baseline: 'app="web",track="stable"',
  canary: 'app="web",track="canary"',
};

function parse(inputs: Record<string, string>, masked: string[] = []): ReturnType<typeof parseInputs> {
  const values: Record<string, string> = { ...required, ...inputs };
  return parseInputs(
    new InputParser(
      (name) => values[name] ?? '',
      (secret) => masked.push(secret),
    ),
  );
}

function mistake(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

async function rejection(promise: Promise<unknown>): Promise<ConfigurationError> {
  const settled = await promise.then(
    () => ({ rejected: false, error: undefined }),
    (error: unknown) => ({ rejected: true, error }),
  );
  if (settled.error instanceof ConfigurationError) return settled.error;
  throw settled.rejected ? settled.error : new Error('expected a ConfigurationError');
}

describe('parseInputs', () => {
  test('defaults as in action.yml', () => {
    expect(parse({})).toMatchObject({
      duration: 1_200_000,
      interval: 60_000,
      step: 15_000,
      'pass-score': 95,
      'marginal-score': 75,
      'prometheus-headers': [],
    });
  });

  test('headers are parsed and masked before use', () => {
    const masked: string[] = [];
    const inputs = parse({ 'prometheus-headers': 'Authorization: Bearer abc.def\nX-Scope-OrgID: tenant-1' }, masked);
    expect(inputs['prometheus-headers']).toEqual([
      ['Authorization', 'Bearer abc.def'],
      ['X-Scope-OrgID', 'tenant-1'],
    ]);
    expect(masked).toContain('Authorization: Bearer abc.def');
  });

  test.each([
    [{ 'pass-score': '120' }, 'pass-score', /at most 100/],
    [{ 'pass-score': '-1' }, 'pass-score', /at least 0/],
    [{ 'marginal-score': 'high' }, 'marginal-score', /expected a number/],
    [{ 'pass-score': '70', 'marginal-score': '80' }, 'marginal-score', /must not exceed pass-score/],
    [{ 'prometheus-url': 'prometheus:9090' }, 'prometheus-url', /http\(s\) URL/],
    [{ 'prometheus-url': 'ftp://prometheus' }, 'prometheus-url', /http\(s\) URL/],
    [{ 'prometheus-url': '' }, 'prometheus-url', /required/],
    [{ canary: '' }, 'canary', /required/],
    [{ baseline: '{{selector}}' }, 'baseline', /label matchers/],
    [{ duration: '10 minutes' }, 'duration', /duration/],
    [{ interval: '0' }, 'interval', /longer than 0/],
    [{ step: '2m' }, 'step', /not be longer than interval/],
    [{ duration: '24h', step: '1s', interval: '1m' }, 'step', /Prometheus allows 11000/],
    [{ 'prometheus-headers': 'no colon here' }, 'prometheus-headers', /Name: value/],
  ])('%p is refused', (inputs, input, message) => {
    const error = mistake(() => parse(inputs));
    expect(error.location.input).toBe(input);
    expect(error.message).toMatch(message);
  });

  test('a header value never appears in the error about a malformed header', () => {
    const error = mistake(() => parse({ 'prometheus-headers': 'Authorization Bearer s3cr3t' }));
    expect(error.describe()).not.toContain('s3cr3t');
  });
});

const validMetric = `metrics:
  - name: error-rate
    query: sum(rate(errors_total{ {{selector}} }[1m]))
    direction: increase
    critical: true
    max: 0.05
    weight: 2
  - name: latency
    query: avg(latency{ {{ selector }} })
`;

describe('the metrics file', () => {
  test('parses with defaults like Kayenta (direction either, effect sizes 1.0, weight 1)', async () => {
    expect(await parseMetricsDefinition(validMetric, { file: 'canary.yml' })).toEqual([
      {
        name: 'error-rate',
        query: 'sum(rate(errors_total{ {{selector}} }[1m]))',
        direction: 'increase',
        critical: true,
        weight: 2,
        max: 0.05,
        min: undefined,
        allowedIncrease: 1,
        allowedDecrease: 1,
      },
      {
        name: 'latency',
        query: 'avg(latency{ {{ selector }} })',
        direction: 'either',
        critical: false,
        weight: 1,
        max: undefined,
        min: undefined,
        allowedIncrease: 1,
        allowedDecrease: 1,
      },
    ]);
  });

  test('a bare list is accepted too', async () => {
    expect(await parseMetricsDefinition('- name: a\n  query: x{ {{selector}} }\n', { file: 'm.yml' })).toHaveLength(1);
  });

  test.each([
    ['malformed YAML', 'metrics:\n  - name: a\n    query: x: y: z\n', 3, /malformed YAML/],
    ['a key twice', 'metrics:\n  - name: a\n    name: b\n', 3, /unique/],
    ['no selector', 'metrics:\n  - name: a\n    query: sum(rate(x[1m]))\n', 3, /no \{\{selector\}\}/],
    [
      'unknown key',
      'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    critcal: true\n',
      4,
      /unknown key 'critcal'/,
    ],
    [
      'bad direction',
      'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    direction: up\n',
      4,
      /increase, decrease, either/,
    ],
    [
      'critical not boolean',
      'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    critical: "yes"\n',
      4,
      /true or false/,
    ],
    ['weight 0', 'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    weight: 0\n', 4, /greater than 0/],
    ['max not a number', 'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    max: lots\n', 4, /must be a number/],
    [
      'min above max',
      'metrics:\n  - name: a\n    query: x{ {{selector}} }\n    max: 1\n    min: 2\n',
      5,
      /must not exceed 'max'/,
    ],
    ['no name', 'metrics:\n  - query: x{ {{selector}} }\n', 2, /'name' must be a non-empty string/],
    [
      'duplicate names',
      'metrics:\n  - name: a\n    query: x{ {{selector}} }\n  - name: a\n    query: y{ {{selector}} }\n',
      4,
      /duplicate/,
    ],
    ['empty list', 'metrics: []\n', 1, /expected 'metrics:'/],
    ['other top-level key', 'metric: []\n', 1, /unknown key 'metric'/],
  ])('%s: file and line in the error', async (_name, text, line, message) => {
    const error = await rejection(parseMetricsDefinition(text, { file: '.github/canary.yml' }));
    expect(error.location).toMatchObject({ file: '.github/canary.yml', line });
    expect(error.message).toMatch(message);
    expect(error.describe()).toMatch(new RegExp(`^\\.github/canary\\.yml:${line}: `));
  });
});

describe('loadMetrics', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'canary-inputs-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  test('reads a path relative to the workspace and names it in errors', async () => {
    writeFileSync(join(workspace, 'good.yml'), validMetric);
    writeFileSync(join(workspace, 'bad.yml'), 'metrics:\n  - name: a\n    query: up\n');
    expect(await loadMetrics('good.yml', workspace)).toHaveLength(2);
    expect((await rejection(loadMetrics('bad.yml', workspace))).location).toEqual({ file: 'bad.yml', line: 3 });
  });

  test('takes inline YAML and names the input', async () => {
    expect(await loadMetrics(validMetric, workspace)).toHaveLength(2);
    const error = await rejection(loadMetrics('metrics:\n  - name: a\n    query: up\n', workspace));
    expect(error.location).toMatchObject({ input: 'metrics', line: 3 });
  });

  test('a missing file says what to give', async () => {
    const error = await rejection(loadMetrics('missing.yml', workspace));
    expect(error.location).toEqual({ input: 'metrics' });
    expect(error.message).toMatch(/no file 'missing.yml'/);
  });
});
