// Hostile input and faulty Prometheus servers, each run through the bundled action as the runner runs it:
// one ::error, exit code 1, an end within the analysis' time, no secret anywhere (log, summary, outputs,
// report), and a `decision` of `inconclusive` whenever the step got past its inputs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFaultServer,
  type FaultBehaviour,
  type FaultServer,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
} from '@shiprail/testkit';
import { SYNTHETIC_METRICS_YAML } from '@shiprail/rehearsal/servers';

const TOKEN = 'Bearer s3cr3t-t0ken-value';
const API_KEY = 'k3y-9f8e7d6c5b4a';
const URL_PASSWORD = 'pa55-w0rd-in-url';
const SECRETS = [TOKEN, 's3cr3t-t0ken-value', API_KEY, URL_PASSWORD];
const HEADERS = `Authorization: ${TOKEN}\nX-Api-Key: ${API_KEY}`;

const matrix = (values: unknown, resultType = 'matrix'): string =>
  JSON.stringify({ status: 'success', data: { resultType, result: [{ metric: {}, values }] } });
const json = { 'content-type': 'application/json' };

interface HostileCase {
  name: string;
  /** The server Prometheus is, or none (the input alone is hostile). */
  server?: FaultBehaviour;
  inputs?: Record<string, string>;
  /** Basic credentials put into prometheus-url. */
  urlCredentials?: boolean;
  error: RegExp;
  /** The `decision` output: set (inconclusive) once the step is past its inputs, absent before. */
  decision: 'inconclusive' | 'fail' | undefined;
  withinMs: number;
  /** Requests the server may see at most (no retries where another attempt cannot help). */
  maxHits?: number;
  plantedCommand?: string;
}

const CASES: HostileCase[] = [
  {
    name: 'values that are not [time, "number"] pairs: inconclusive with the reason, no decision made up',
    server: {
      kind: 'status',
      status: 200,
      headers: json,
      body: matrix([
        ['x', '1'],
        ['y', '2'],
      ]),
    },
    error:
      /inconclusive.*malformed query_range result: result\[0\]\.values\[0\] \(expected \[unix seconds, "number"\]\) is \["x","1"\]/,
    decision: 'inconclusive',
    withinMs: 15_000,
    maxHits: 4,
  },
  {
    name: 'a value that is not a number',
    server: { kind: 'status', status: 200, headers: json, body: matrix([[1_700_000_000, 'lots']]) },
    error: /malformed query_range result: .*is \[1700000000,"lots"\]/,
    decision: 'inconclusive',
    withinMs: 15_000,
    maxHits: 4,
  },
  {
    name: 'a vector where a matrix belongs',
    server: { kind: 'status', status: 200, headers: json, body: matrix([], 'vector') },
    error: /malformed query_range result: resultType \(expected "matrix"\) is "vector"/,
    decision: 'inconclusive',
    withinMs: 15_000,
    maxHits: 4,
  },
  {
    name: 'a 500 that echoes the request headers (and the basic credentials of the URL)',
    server: { kind: 'echo', status: 500 },
    urlCredentials: true,
    error: /inconclusive.*Prometheus answered HTTP 500/,
    decision: 'inconclusive',
    withinMs: 20_000,
  },
  {
    name: 'a 400 that echoes the request headers fails at once, whatever the duration',
    server: { kind: 'echo', status: 400 },
    inputs: { duration: '10m' },
    error: /Prometheus answered HTTP 400/,
    decision: 'inconclusive',
    withinMs: 6_000,
    maxHits: 4,
  },
  {
    name: '401 fails at once with the cause, whatever the duration',
    server: { kind: 'status', status: 401, body: 'unauthorized' },
    inputs: { duration: '10m' },
    error: /Prometheus refused access \(HTTP 401\): check prometheus-headers/,
    decision: 'inconclusive',
    withinMs: 6_000,
    maxHits: 4,
  },
  {
    name: '403 fails at once with the cause, whatever the duration',
    server: { kind: 'status', status: 403, body: 'forbidden' },
    inputs: { duration: '1h' },
    error: /Prometheus refused access \(HTTP 403\)/,
    decision: 'inconclusive',
    withinMs: 6_000,
    maxHits: 4,
  },
  {
    name: 'a server that accepts and never answers, duration 0: the query deadline ends it',
    server: { kind: 'hang' },
    error: /inconclusive.*did not answer within/,
    decision: 'inconclusive',
    withinMs: 30_000,
  },
  {
    name: 'a server that never answers, duration 5s: the analysis ends by its duration plus one query time',
    server: { kind: 'hang' },
    inputs: { duration: '5s', interval: '5s', step: '1s' },
    error: /inconclusive.*did not answer within/,
    decision: 'inconclusive',
    withinMs: 35_000,
  },
  {
    name: 'bytes that are not HTTP',
    server: { kind: 'garbage' },
    error: /inconclusive.*could not reach Prometheus/,
    decision: 'inconclusive',
    withinMs: 15_000,
  },
  {
    name: 'a server that hangs up at once is retried, then inconclusive',
    server: { kind: 'close' },
    error: /inconclusive.*could not reach Prometheus/,
    decision: 'inconclusive',
    withinMs: 20_000,
  },
  {
    name: 'a 500 whose body plants a workflow command',
    server: { kind: 'status', status: 500, body: '\n::warning::INJECTED by the server' },
    error: /Prometheus answered HTTP 500: \\::warning::INJECTED/,
    decision: 'inconclusive',
    withinMs: 20_000,
    plantedCommand: '::warning::INJECTED',
  },
  {
    name: 'a metric name that plants a workflow command',
    server: { kind: 'status', status: 200, headers: json, body: matrix([[1_700_000_000, '1']]) },
    inputs: {
      metrics: `metrics:\n  - name: "x\\n::warning::INJECTED"\n    critical: true\n    max: 0.5\n    query: sum(rate(a{ {{selector}} }[1m]))\n`,
    },
    error: /canary analysis: fail, score 0: critical metric x\n::warning::INJECTED failed/,
    decision: 'fail',
    withinMs: 15_000,
    plantedCommand: '::warning::INJECTED',
  },
  {
    name: 'a duration too long for any timer',
    inputs: { duration: '597h' },
    error: /^input 'duration': /,
    decision: undefined,
    withinMs: 10_000,
  },
  {
    name: 'an interval too long for any timer',
    inputs: { duration: '0', interval: '600h' },
    error: /^input 'interval': /,
    decision: undefined,
    withinMs: 10_000,
  },
];

describe('hostile input and faulty servers', () => {
  let server: FaultServer | undefined;
  // RUNNER_TEMP of the step, kept until the report has been read.
  let runnerTemp = '';
  beforeEach(() => {
    runnerTemp = mkdtempSync(join(tmpdir(), 'canary-hostile-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(runnerTemp, { recursive: true, force: true });
  });

  test.each(CASES.map((hostile) => [hostile.name, hostile] as const))('%s', async (_name, hostile) => {
    server = hostile.server ? await startFaultServer(hostile.server) : undefined;
    const base = server?.url ?? 'http://127.0.0.1:9';
    const url = hostile.urlCredentials ? base.replace('http://', `http://reader:${URL_PASSWORD}@`) : base;
    const run: ActionRun = await runBundledAction('canary-analyze', {
      inputs: {
        'prometheus-url': url,
        'prometheus-headers': HEADERS,
        metrics: SYNTHETIC_METRICS_YAML,
        baseline: 'app="web",track="stable"',
        canary: 'app="web",track="canary"',
        duration: '0',
        interval: '10m',
        ...hostile.inputs,
      },
      env: { RUNNER_TEMP: runnerTemp },
    });
    // The credentials sent as basic auth are a secret too, in every form a server may echo.
    const basic = Buffer.from(`reader:${URL_PASSWORD}`).toString('base64');
    expectContainedFailure(run, {
      secrets: hostile.urlCredentials ? [...SECRETS, basic] : SECRETS,
      withinMs: hostile.withinMs,
      ...(hostile.plantedCommand === undefined ? {} : { plantedCommand: hostile.plantedCommand }),
    });
    expect(run.errors[0]).toMatch(hostile.error);
    expect(run.outputs['decision']).toBe(hostile.decision);
    if (hostile.maxHits !== undefined) expect(server?.hits).toBeLessThanOrEqual(hostile.maxHits);
    // Nothing in RUNNER_TEMP but the report the `report` output names.
    const report = run.outputs['report'];
    const left = readdirSync(runnerTemp, { recursive: true, encoding: 'utf8' }).map((path) => join(runnerTemp, path));
    expect(left.filter((path) => path !== report && path !== join(report ?? '', '..'))).toEqual([]);
    if (report !== undefined) {
      const written = readFileSync(report, 'utf8');
      for (const secret of SECRETS) expect(written).not.toContain(secret);
      expect((JSON.parse(written) as { decision: string }).decision).toBe(hostile.decision);
    }
  });
});
