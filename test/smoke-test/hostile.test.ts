// Hostile check files and faulty servers, run through the bundle as the runner runs it: every case ends
// in one `::error` within its bound, shows no secret, plants no workflow command and leaves nothing behind.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const PASSWORD = 'S3cret-Pass-77';
const BASIC = Buffer.from(`admin:${PASSWORD}`).toString('base64');
const HEADER_SECRET = 'k3y-value-4242';
const WORD = `${'a'.repeat(40)}!`;

/** A nested array of about 4 MB: 8 wide, 7 deep. */
const nested = (depth: number): unknown =>
  depth === 0 ? [0, 1, 2, 3, 4, 5, 6, 7] : Array.from({ length: 8 }, () => nested(depth - 1));
const NESTED_BODY = JSON.stringify(nested(6));

const json = (body: string): FaultBehaviour => ({
  kind: 'status',
  status: 200,
  headers: { 'content-type': 'application/json', 'x-word': WORD },
  body,
});

interface HostileCase {
  name: string;
  server: FaultBehaviour;
  /** The check file; `HOST` stands for the fault server's host and port. */
  checks: string;
  inputs?: (url: string) => Record<string, string>;
  /** What the one `::error` says. */
  error: RegExp;
  withinMs: number;
  secrets?: string[];
  plantedCommand?: string;
  /** The case's own promise, on the run and its workspace. */
  also?: (run: ActionRun, workspace: string) => void;
}

const cases: HostileCase[] = [
  {
    name: 'a catastrophic matches regex',
    server: json(JSON.stringify({ word: WORD })),
    checks:
      'checks:\n  - name: word\n    request: { url: /w }\n    expect: { json: { "$.word": { matches: "^(a+)+$" } } }\n',
    inputs: () => ({ timeout: '5s' }),
    error: /^1 of 1 checks failed: word \(\$\.word: expected to match \/\^\(a\+\)\+\$\/, received "a+!"\)$/,
    withinMs: 8_000,
  },
  {
    name: 'a catastrophic body regex',
    server: json(`${'a'.repeat(200_000)}!`),
    checks: 'checks:\n  - name: body\n    request: { url: /b }\n    expect: { body: "/^.*(a+)+$/" }\n',
    inputs: () => ({ timeout: '5s' }),
    error: /^1 of 1 checks failed: body \(body: expected to match \/\^\.\*\(a\+\)\+\$\/, received "a+…/,
    withinMs: 8_000,
  },
  {
    name: 'a catastrophic header regex',
    server: json('{}'),
    checks: 'checks:\n  - name: header\n    request: { url: /h }\n    expect: { headers: { x-word: "/^(a+)+$/" } }\n',
    inputs: () => ({ timeout: '5s' }),
    error: /^1 of 1 checks failed: header \(header x-word: expected to match \/\^\(a\+\)\+\$\/, received "a+!"\)$/,
    withinMs: 8_000,
  },
  {
    name: 'a regex RE2 cannot run',
    server: json('{}'),
    checks: 'checks:\n  - name: backreference\n    request: { url: /r }\n    expect: { body: "/(a)\\\\1/" }\n',
    error:
      /^checks\.yml:4: checks\[0\]\.expect\.body: invalid regular expression \/\(a\)\\1\/: invalid escape sequence/,
    withinMs: 5_000,
    also: (run) => expect(run.outputs).toEqual({}),
  },
  {
    name: 'an exploding JSONPath on a 4 MB nested array',
    server: json(NESTED_BODY),
    checks:
      'checks:\n  - name: explode\n    request: { url: /n }\n    expect: { json: { "$..*..*..*": { exists: false } } }\n',
    error: /^1 of 1 checks failed: explode \(\$\.\.\*\.\.\*\.\.\*: expected nothing, received \[/,
    withinMs: 15_000,
  },
  {
    name: 'an exploding JSONPath that selects nothing',
    server: json(NESTED_BODY),
    checks:
      'checks:\n  - name: explode\n    request: { url: /n }\n    expect: { json: { "$..*..*..*[?@ == \'x\']": { exists: true } } }\n',
    error:
      /^1 of 1 checks failed: explode \(\$\.\.\*\.\.\*\.\.\*\[\?@ == 'x'\]: expected a value, received no answer \(evaluation stopped (after reading 1000000 values|at the overall timeout)\)\)$/,
    withinMs: 20_000,
  },
  {
    name: 'a timeout input beyond what a timer can wait',
    server: json('{}'),
    checks: 'checks:\n  - request: { url: /a }\n',
    inputs: () => ({ timeout: '597h' }),
    error: /^input 'timeout': '597h' is longer than 24 days/,
    withinMs: 5_000,
  },
  {
    name: 'a retry beyond what a timer can wait',
    server: json('{}'),
    checks: 'checks:\n  - request: { url: /a }\n    retry: { until: 597h }\n',
    error: /^checks\.yml:3: checks\[0\]\.retry\.until: '597h' is longer than 24 days$/,
    withinMs: 5_000,
  },
  {
    name: 'a password in base-url, echoed back by the server',
    server: { kind: 'echo', status: 500 },
    checks: 'checks:\n  - request: { url: /echo }\n',
    inputs: (url) => ({ 'base-url': url.replace('http://', `http://admin:${PASSWORD}@`) }),
    error: /^1 of 1 checks failed: GET \/echo \(status: expected 2xx, received 500\)$/,
    withinMs: 5_000,
    secrets: [PASSWORD, BASIC],
    also: (run) => expect(run.stdout).toContain('against http://***@127.0.0.1:'),
  },
  {
    name: 'a password in a check URL',
    server: { kind: 'echo', status: 500 },
    checks: `checks:\n  - request: { url: "http://admin:${PASSWORD}@HOST/echo" }\n`,
    error: /^1 of 1 checks failed: GET http:\/\/\*\*\*@127\.0\.0\.1:\d+\/echo \(status: expected 2xx, received 500\)$/,
    withinMs: 5_000,
    secrets: [PASSWORD, BASIC],
  },
  {
    name: 'a headers value that also appears in a URL',
    server: { kind: 'echo', status: 503 },
    checks: `checks:\n  - request: { url: "/items?key=${HEADER_SECRET}" }\n`,
    inputs: () => ({ headers: `X-Api-Key: ${HEADER_SECRET}` }),
    error: /^1 of 1 checks failed: GET \/items\?key=\*\*\* \(status: expected 2xx, received 503\)$/,
    withinMs: 5_000,
    secrets: [HEADER_SECRET],
    also: (run) => expect(JSON.parse(run.outputs['results'] ?? '')).toMatchObject([{ name: 'GET /items?key=***' }]),
  },
  {
    name: 'a check name that tries to start a workflow command',
    server: { kind: 'status', status: 500 },
    checks: 'checks:\n  - name: "x\\n::warning::INJECTED"\n    request: { url: /a }\n',
    error: /^1 of 1 checks failed: x\n::warning::INJECTED \(status: expected 2xx, received 500\)$/,
    withinMs: 5_000,
    plantedCommand: '::warning::INJECTED',
  },
  {
    name: 'a directory as junit-file',
    server: json('{}'),
    checks: 'checks:\n  - request: { url: /a }\n',
    inputs: () => ({ 'junit-file': 'reports' }),
    error:
      /^input 'junit-file': cannot write the JUnit report to 'reports': it is a directory; give the path of a file$/,
    withinMs: 5_000,
    also: (run) => {
      expect(run.outputs['passed']).toBe('true');
      expect(JSON.parse(run.outputs['results'] ?? '')).toMatchObject([{ name: 'GET /a', ok: true }]);
      expect(run.outputs['junit-file']).toBe('');
    },
  },
  {
    name: 'a server that accepts and never answers',
    server: { kind: 'hang' },
    checks: 'checks:\n  - name: hang\n    request: { url: /a, timeout: 1s }\n    retry: { until: 1m }\n',
    inputs: () => ({ timeout: '3s' }),
    error:
      /^1 of 1 checks failed: hang \((stopped while waiting for|no complete response within 1\.0s \(request timeout\) from) 127\.0\.0\.1:\d+; the overall timeout \(3\.0s\) was reached\)$/,
    withinMs: 9_000,
  },
  {
    name: 'a server that answers 500',
    server: { kind: 'status', status: 500, body: 'internal error' },
    checks: 'checks:\n  - name: five-hundred\n    request: { url: /a }\n',
    error: /^1 of 1 checks failed: five-hundred \(status: expected 2xx, received 500\)$/,
    withinMs: 5_000,
  },
  {
    name: 'a server that sends bytes that are not HTTP',
    server: { kind: 'garbage' },
    checks: 'checks:\n  - name: garbage\n    request: { url: /a }\n',
    error: /^1 of 1 checks failed: garbage \(.*\(127\.0\.0\.1:\d+\)\)$/,
    withinMs: 5_000,
  },
  {
    name: 'a server that hangs up at once',
    server: { kind: 'close' },
    checks: 'checks:\n  - name: closed\n    request: { url: /a }\n',
    error: /^1 of 1 checks failed: closed \((connection reset by|socket hang up) /,
    withinMs: 5_000,
  },
  {
    name: 'a server that echoes the Authorization header',
    server: { kind: 'echo', status: 500 },
    checks: 'checks:\n  - name: echo\n    request: { url: /a }\n',
    inputs: () => ({ headers: `Authorization: Bearer ${HEADER_SECRET}` }),
    error: /^1 of 1 checks failed: echo \(status: expected 2xx, received 500\)$/,
    withinMs: 5_000,
    secrets: [HEADER_SECRET],
  },
  {
    name: 'a redirect to a scheme that is not HTTP, under retry',
    server: { kind: 'status', status: 302, headers: { location: 'ftp://127.0.0.1/file' } },
    checks: 'checks:\n  - name: ftp\n    request: { url: /a }\n    retry: { until: 30s, interval: 100ms }\n',
    error:
      /^1 of 1 checks failed: ftp \(redirected to a ftp: URL, which is not http or https; not retried: another attempt would meet the same\)$/,
    withinMs: 5_000,
  },
];

describe('hostile input and faulty servers', () => {
  const workspaces: string[] = [];
  let server: FaultServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => {
    for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true });
  });

  test.each(cases.map((hostile) => [hostile.name, hostile] as const))('%s', async (_name, hostile) => {
    server = await startFaultServer(hostile.server);
    const url = server.url;
    const workspace = mkdtempSync(join(tmpdir(), 'smoke-hostile-'));
    workspaces.push(workspace);
    mkdirSync(join(workspace, 'reports'));
    writeFileSync(join(workspace, 'checks.yml'), hostile.checks.replaceAll('HOST', new URL(url).host));
    const run = await runBundledAction('smoke-test', {
      inputs: { checks: 'checks.yml', 'base-url': url, ...hostile.inputs?.(url) },
      workspace,
      timeoutMs: hostile.withinMs + 10_000,
    });
    expectContainedFailure(run, {
      withinMs: hostile.withinMs,
      ...(hostile.secrets === undefined ? {} : { secrets: hostile.secrets }),
      ...(hostile.plantedCommand === undefined ? {} : { plantedCommand: hostile.plantedCommand }),
    });
    expect(run.errors[0]).toMatch(hostile.error);
    hostile.also?.(run, workspace);
  });
});
