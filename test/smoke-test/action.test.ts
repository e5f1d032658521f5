// smoke-test through the runner harness: the committed bundle, run as the GitHub runner runs it,
// against real HTTP and HTTPS servers on 127.0.0.1.
import { parseDuration } from '@shiprail/core';
import type { CheckResult } from '@shiprail/smoke-test';
import { XMLParser } from 'fast-xml-parser';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction, type ActionRun } from '@shiprail/testkit';
import { startSampleService } from '@shiprail/rehearsal/servers';
import {
  LOGIN_TOKEN,
  makeCertificateFromPrivateCa,
  makeSelfSignedCertificate,
  startHttpsScenarioServer,
  startScenarioServer,
  type Certificate,
  type TestServer,
} from './servers.ts';

/** One entry of the `results` output. */
type Result = Pick<CheckResult, 'name' | 'ok' | 'attempts' | 'status' | 'ms' | 'error'>;

interface SmokeRun {
  run: ActionRun;
  results: Result[];
  workspace: string;
  elapsedMs: number;
}

const workspaces: string[] = [];
afterAll(() => {
  for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true });
});

async function smoke(checks: string, inputs: Record<string, string> = {}, timeoutMs?: number): Promise<SmokeRun> {
  const workspace = mkdtempSync(join(tmpdir(), 'smoke-ws-'));
  workspaces.push(workspace);
  writeFileSync(join(workspace, 'checks.yml'), checks);
  const started = Date.now();
  const run = await runBundledAction('smoke-test', {
    inputs: { checks: 'checks.yml', ...inputs },
    workspace,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const results = JSON.parse(run.outputs['results'] ?? '[]') as Result[];
  return { run, results, workspace, elapsedMs: Date.now() - started };
}

const byName = (results: Result[], name: string): Result => {
  const found = results.find((result) => result.name === name);
  if (found === undefined) throw new Error(`no result named ${name} in ${JSON.stringify(results)}`);
  return found;
};

describe('against the sample service', () => {
  test('the demo check file passes, with outputs, summary and log in file order', async () => {
    const service = await startSampleService({ version: '3.2.1' });
    try {
      const fixture = readFileSync(new URL('../fixtures/smoke/checks.yml', import.meta.url), 'utf8');
      const { run, results } = await smoke(fixture, { 'base-url': service.url });
      expect(run.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['passed']).toBe('true');
      expect(run.outputs['junit-file']).toBe('');
      expect(results.map((result) => [result.name, result.ok, result.attempts])).toEqual([
        ['health', true, 1],
        ['version', true, 1],
        ['items', true, 1],
        ['unknown path is 404', true, 1],
      ]);
      expect(results[3]?.status).toBe(404);
      expect(results.every((result) => typeof result.ms === 'number' && result.error === null)).toBe(true);
      expect(run.summary).toContain('all 4 checks passed');
      expect(run.summary).toMatch(/\| health \| ✅ pass \| 200 \|/);
      const order = ['✓ health', '✓ version', '✓ items', '✓ unknown path is 404'].map((line) =>
        run.stdout.indexOf(line),
      );
      expect(
        order.every((position, index) => position >= 0 && (index === 0 || position > (order[index - 1] ?? 0))),
      ).toBe(true);
    } finally {
      await service.stop();
    }
  });
});

describe('assertions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startScenarioServer();
  });
  afterAll(() => server.stop());

  test('every assertion kind passes when the response matches', async () => {
    const { run, results } = await smoke(
      `checks:
  - name: status number
    request: { url: /account }
    expect: { status: 200 }
  - name: status list
    request: { url: /nothing }
    expect: { status: [200, 404] }
  - name: status range
    request: { url: /account }
    expect: { status: 2xx }
  - name: status list of ranges
    request: { url: /nothing }
    expect: { status: [2xx, 4xx] }
  - name: headers exact and regex
    request: { url: /account }
    expect:
      headers: { X-Request-Id: req-123, content-type: /^application\\/json/, cache-control: "/no-(store|cache)/" }
  - name: body substring and regex
    request: { url: /html }
    expect: { body: [Service ready, "/<h1>.*ready</h1>/i"] }
  - name: json operators
    request: { url: /account }
    expect:
      max-latency: 5s
      json:
        "$.name": Ada
        "$.limits": { "==": { requests: 1000, burst: 50 }, length: { ">=": 2, "<": 3 } }
        "$.tags": { "==": [admin, beta], length: 2 }
        "$.deleted": null
        "$.active": true
        "$.plan": { "!=": free }
        "$.score": { ">": 80, "<": 90 }
        "$.id": { ">=": 42, "<=": 42 }
        "$.tags[0]": { length: 5 }
        "$.version": { matches: "^2\\\\.4\\\\." }
        "$.missing": { exists: false }
        "$.tags[?@ == 'beta']": { exists: true }
        "$..burst": 50
  - name: compressed body
    request: { url: /gzip }
    expect: { json: { "$.compressed": true } }
  - name: text body default status
    request: { url: /html }
`,
      { 'base-url': server.url },
    );
    expect(run.errors).toEqual([]);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results).toHaveLength(9);
    expect(run.outputs['passed']).toBe('true');
  });

  test('failures say what was expected and what came back, for each assertion kind', async () => {
    const { run, results } = await smoke(
      `checks:
  - name: status
    request: { url: /error-page }
    expect: { status: 2xx }
  - name: header
    request: { url: /account }
    expect: { headers: { content-type: /xml/, x-missing: yes } }
  - name: body
    request: { url: /html }
    expect: { body: /maintenance/ }
  - name: json
    request: { url: /account }
    expect:
      json:
        "$.name": Bob
        "$.tags": { length: 3 }
        "$.score": { "<": 50 }
        "$.version": { matches: "^3" }
        "$.plan": { exists: false }
        "$.nothing": { "==": 1 }
  - name: latency
    request: { url: "/slow?ms=400" }
    expect: { max-latency: 100ms }
  - name: not json
    request: { url: /html }
    expect: { json: { "$.a": 1 } }
`,
      { 'base-url': server.url },
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs['passed']).toBe('false');
    expect(results.every((result) => !result.ok && result.attempts === 1)).toBe(true);
    expect(byName(results, 'status').error).toBe('status: expected 2xx, received 500');
    expect(byName(results, 'header').error).toBe(
      'header content-type: expected to match /xml/, received "application/json"; header x-missing: expected "yes", received no such header',
    );
    expect(byName(results, 'body').error).toBe(
      'body: expected to match /maintenance/, received "<html><body><h1>Service ready</h1></body></html>"',
    );
    const jsonError = byName(results, 'json').error ?? '';
    expect(jsonError.split('; ')).toEqual([
      '$.name: expected "Bob", received "Ada"',
      '$.tags: expected length 3, received length 2',
      '$.score: expected < 50, received 87.5',
      '$.version: expected to match /^3/, received "2.4.1"',
      '$.plan: expected nothing, received "pro"',
      '$.nothing: expected 1, received nothing (no node matched)',
    ]);
    expect(byName(results, 'latency').error).toMatch(/^latency: expected at most 100ms, received (\d{3}ms|\d+\.\ds)$/);
    expect(byName(results, 'not json').error).toMatch(/^json: expected a JSON body, received "<html>/);
    // The log of the last attempt shows the trimmed body of an error page.
    expect(run.stdout).toContain('✗ status: 500');
    expect(run.stdout).toMatch(
      /body: "<html><body>Internal error: database unreachable( padding)+ ?[a-z]*… \(\d+ characters\)"/,
    );
    expect(run.summary).toContain('6 of 6 checks failed');
    expect(run.summary).toContain('<details><summary>status: status: expected 2xx, received 500</summary>');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^6 of 6 checks failed: status \(status: expected 2xx, received 500\); header/);
  });
});

describe('retries', () => {
  test('a service that becomes ready after 3 s passes within retry.until', async () => {
    const server = await startScenarioServer({ readyAfterMs: 3_000 });
    try {
      const { run, results, elapsedMs } = await smoke(
        `checks:
  - name: late
    request: { url: /late }
    expect: { status: 200, json: { "$.status": ok } }
    retry: { until: 20s, interval: 200ms, max-interval: 500ms }
`,
        { 'base-url': server.url },
      );
      expect(run.errors).toEqual([]);
      const late = byName(results, 'late');
      expect(late.ok).toBe(true);
      // How many attempts fit in 3 s depends on the machine's load; that it took more than one does not.
      expect(late.attempts).toBeGreaterThan(1);
      expect(elapsedMs).toBeGreaterThanOrEqual(2_900);
      expect(elapsedMs).toBeLessThan(15_000);
      expect(run.stdout).toContain('late: attempt 1 failed (status: expected 200, received 503');
    } finally {
      await server.stop();
    }
  }, 30_000);

  test('a flapping service passes with retry and fails with one attempt', async () => {
    const server = await startScenarioServer();
    try {
      const once = await smoke(`checks:\n  - { name: once, request: { url: /flap } }\n`, { 'base-url': server.url });
      expect(byName(once.results, 'once')).toMatchObject({ ok: false, attempts: 1, status: 503 });
      const retried = await smoke(
        `checks:\n  - { name: retried, request: { url: /flap }, retry: { until: 10s, interval: 100ms } }\n`,
        { 'base-url': server.url },
      );
      // Hits 2 and 3 of /flap: the third of every three answers.
      expect(byName(retried.results, 'retried')).toMatchObject({ ok: true, attempts: 2, status: 200 });
      expect(server.hits.get('/flap')).toBe(3);
    } finally {
      await server.stop();
    }
  });

  test('retry gives up when until has passed, and reports the last attempt', async () => {
    const server = await startScenarioServer({ readyAfterMs: 60_000 });
    try {
      const { results, run, elapsedMs } = await smoke(
        `checks:\n  - { name: never, request: { url: /late }, expect: { status: 200 }, retry: { until: 1500ms, interval: 200ms } }\n`,
        { 'base-url': server.url },
      );
      const never = byName(results, 'never');
      expect(never.ok).toBe(false);
      expect(never.attempts).toBeGreaterThanOrEqual(4);
      expect(never.error).toMatch(
        /^status: expected 200, received 503; still failing after \d+ attempts over \d+\.\ds \(retry until 1\.5s\)$/,
      );
      expect(run.stdout).toContain('body: "{"status":"starting"}"');
      expect(elapsedMs).toBeLessThan(10_000);
    } finally {
      await server.stop();
    }
  });

  test('a refused connection is retried like a failed assertion', async () => {
    const server = await startScenarioServer();
    const url = server.url;
    await server.stop();
    const { results } = await smoke(
      `checks:\n  - { name: down, request: { url: ${url}/healthz }, retry: { until: 600ms, interval: 100ms } }\n`,
    );
    const down = byName(results, 'down');
    expect(down).toMatchObject({ ok: false, status: null });
    expect(down.attempts).toBeGreaterThan(1);
    expect(down.error).toMatch(/^connection refused by 127\.0\.0\.1:\d+/);
  });
});

describe('timeouts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startScenarioServer();
  });
  afterAll(() => server.stop());

  test('a slow response fails at the per-request timeout', async () => {
    const { results } = await smoke(
      `checks:
  - { name: slow, request: { url: "/slow?ms=2000", timeout: 300ms } }
  - { name: quick, request: { url: "/slow?ms=50", timeout: 1s } }
  - { name: slow body, request: { url: /drip, timeout: 400ms } }
  - { name: whole body in time, request: { url: /drip, timeout: 5s }, expect: { body: piece 9 } }
`,
      { 'base-url': server.url },
    );
    expect(byName(results, 'slow').error).toMatch(/^no complete response within 300ms \(request timeout\)/);
    expect(byName(results, 'quick').ok).toBe(true);
    expect(byName(results, 'slow body').error).toMatch(/^no complete response within 400ms \(request timeout\)/);
    expect(byName(results, 'whole body in time').ok).toBe(true);
  });

  test('the overall timeout stops running checks and skips the rest', async () => {
    const { results, elapsedMs, run } = await smoke(
      `checks:
  - { name: waits, request: { url: "/slow?ms=5000" } }
  - { name: retries, request: { url: /late }, retry: { until: 1m } }
  - { name: queued, request: { url: /healthz } }
`,
      { 'base-url': server.url, timeout: '1s', concurrency: '2' },
    );
    expect(elapsedMs).toBeLessThan(5_000);
    expect(byName(results, 'waits').error).toMatch(/overall timeout/);
    expect(byName(results, 'retries').error).toMatch(/overall timeout \(1\.0s\) was reached/);
    expect(byName(results, 'queued')).toMatchObject({
      ok: false,
      attempts: 0,
      error: expect.stringMatching(/^not run: the overall timeout/) as unknown,
    });
    expect(run.summary).toContain('⏭️ not run');
  });
});

describe('concurrency', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startScenarioServer();
  });
  afterAll(() => server.stop());

  const sixSlowChecks = Array.from(
    { length: 6 },
    (_, index) => `  - { name: slow ${index + 1}, request: { url: "/slow?ms=${700 - index * 100}" } }`,
  ).join('\n');

  test('checks run in parallel and are reported in file order', async () => {
    const parallel = await smoke(`checks:\n${sixSlowChecks}\n`, { 'base-url': server.url, concurrency: '6' });
    const serial = await smoke(`checks:\n${sixSlowChecks}\n`, { 'base-url': server.url, concurrency: '1' });
    expect(parallel.results.map((result) => result.name)).toEqual([
      'slow 1',
      'slow 2',
      'slow 3',
      'slow 4',
      'slow 5',
      'slow 6',
    ]);
    expect(parallel.results.every((result) => result.ok)).toBe(true);
    // 2.7 s of sleeping in all: in parallel the longest (0.7 s) sets the pace.
    const runtime = (run: SmokeRun): number =>
      parseDuration(/ in (\S+)\.\n/.exec(run.run.summary)?.[1] ?? '') ?? Number.NaN;
    expect(runtime(parallel)).toBeLessThan(2_100);
    expect(runtime(parallel) * 1.8).toBeLessThan(runtime(serial));
    expect(runtime(serial)).toBeGreaterThanOrEqual(2_700);
    // Finished shortest first, logged in file order all the same.
    const positions = parallel.results.map((result) => parallel.run.stdout.indexOf(`✓ ${result.name}:`));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

describe('captures', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startScenarioServer();
  });
  afterAll(() => server.stop());

  test('a later check uses a captured value, and waits for the check that captures it', async () => {
    const { run, results } = await smoke(
      `checks:
  - name: login
    request: { method: POST, url: /login, json: { user: ada } }
    expect: { status: 200 }
    capture: { token: "$.token", user-id: "$.id" }
  - name: me
    request: { url: /me, headers: { Authorization: "Bearer {{token}}" } }
    expect: { json: { "$.name": Ada } }
  - name: user by captured id
    request: { url: "/users/{{ user-id }}" }
    expect: { json: { "$.id": 42 } }
  - name: echo captured number in a JSON body
    request: { method: PUT, url: /echo, json: { id: "{{user-id}}", label: "user {{user-id}}" } }
    expect: { json: { "$.method": PUT, "$.body": '{"id":42,"label":"user 42"}' } }
`,
      { 'base-url': server.url, concurrency: '4' },
    );
    expect(run.errors).toEqual([]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true]);
    expect(run.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(LOGIN_TOKEN);
    expect(run.masked).toContain(LOGIN_TOKEN);
  });

  test('when the capturing check fails, the checks that use its value are not run', async () => {
    const { results } = await smoke(
      `checks:
  - name: login
    request: { method: POST, url: /login, json: { user: eve } }
    expect: { status: 200 }
    capture: { token: "$.token" }
  - name: me
    request: { url: /me, headers: { Authorization: "Bearer {{token}}" } }
  - name: independent
    request: { url: /healthz }
`,
      { 'base-url': server.url },
    );
    expect(results.map((result) => [result.name, result.ok, result.attempts])).toEqual([
      ['login', false, 1],
      ['me', false, 0],
      ['independent', true, 1],
    ]);
    expect(byName(results, 'me').error).toBe("not run: it uses {{token}}, captured by 'login', which failed");
  });

  test('a capture that matches nothing fails its check', async () => {
    const { results } = await smoke(
      `checks:\n  - { name: c, request: { url: /account }, capture: { x: "$.nope" } }\n`,
      { 'base-url': server.url },
    );
    expect(byName(results, 'c').error).toBe('capture x: expected a value at $.nope, received nothing');
  });
});

describe('redirects', () => {
  let server: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    other = await startScenarioServer();
    server = await startScenarioServer({ elsewhere: other.url });
  });
  afterAll(async () => {
    await server.stop();
    await other.stop();
  });

  test('followed by default, kept when follow-redirects is false, bounded, and credentials stay on their origin', async () => {
    const { results, run } = await smoke(
      `checks:
  - name: followed
    request: { url: /redirect }
    expect: { status: 200, json: { "$.status": ok } }
  - name: not followed
    request: { url: /redirect, follow-redirects: false }
    expect: { status: 302, headers: { location: /healthz } }
  - name: loop
    request: { url: /loop }
  - name: cross origin
    request: { url: /elsewhere, headers: { Authorization: Bearer cross-origin-secret, X-Trace: kept } }
    expect:
      json:
        "$.headers.authorization": { exists: false }
        "$.headers['x-trace']": kept
`,
      { 'base-url': server.url },
    );
    expect(byName(results, 'followed').ok).toBe(true);
    expect(byName(results, 'not followed')).toMatchObject({ ok: true, status: 302 });
    expect(byName(results, 'loop').error).toBe('more than 10 redirects');
    expect(byName(results, 'cross origin').ok).toBe(true);
    expect(other.hits.get('/echo')).toBe(1);
    expect(run.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('cross-origin-secret');
    expect(run.masked).toContain('cross-origin-secret');
  });
});

describe('TLS', () => {
  let certificate: Certificate;
  let server: TestServer;
  beforeAll(async () => {
    certificate = makeSelfSignedCertificate();
    server = await startHttpsScenarioServer(certificate);
  });
  afterAll(async () => {
    await server.stop();
    certificate.remove();
  });

  test('a self-signed certificate fails unless its CA is trusted or insecure is set', async () => {
    const { results, workspace } = await smoke(
      `checks:
  - name: untrusted
    request: { url: /healthz }
  - name: trusted ca
    request: { url: /healthz, ca: ${certificate.certFile} }
    expect: { json: { "$.status": ok } }
  - name: insecure
    request: { url: /healthz, insecure: true }
`,
      { 'base-url': server.url },
    );
    expect(byName(results, 'untrusted').error).toMatch(
      /^TLS certificate of 127\.0\.0\.1:\d+ not trusted \(self[- ]signed certificate\); trust its CA with ca: <file>, or set insecure: true/,
    );
    expect(byName(results, 'trusted ca').ok).toBe(true);
    expect(byName(results, 'insecure').ok).toBe(true);
    expect(existsSync(workspace)).toBe(true);
  });

  test('an untrusted certificate fails at once, retry or not: another attempt would meet the same', async () => {
    const { results, elapsedMs } = await smoke(
      'checks:\n  - { name: untrusted, request: { url: /healthz }, retry: { until: 30s, interval: 200ms } }\n',
      { 'base-url': server.url },
    );
    expect(byName(results, 'untrusted')).toMatchObject({ ok: false, attempts: 1, status: null });
    expect(byName(results, 'untrusted').error).toMatch(
      /not trusted .*; not retried: another attempt would meet the same$/,
    );
    expect(elapsedMs).toBeLessThan(5_000);
  });

  test('a certificate from a private CA is trusted through that CA, and only then', async () => {
    const issued = makeCertificateFromPrivateCa();
    const internal = await startHttpsScenarioServer(issued);
    try {
      const { results } = await smoke(
        `checks:
  - { name: without ca, request: { url: /healthz } }
  - { name: with the private ca, request: { url: /healthz, ca: ${issued.caFile} }, expect: { json: { "$.status": ok } } }
  - { name: another ca, request: { url: /healthz, ca: ${certificate.certFile} } }
`,
        { 'base-url': internal.url },
      );
      expect(byName(results, 'without ca').error).toMatch(
        /^TLS certificate of 127\.0\.0\.1:\d+ not trusted \(unable to (verify the first certificate|get local issuer certificate)\)/,
      );
      expect(byName(results, 'with the private ca').ok).toBe(true);
      expect(byName(results, 'another ca').ok).toBe(false);
    } finally {
      await internal.stop();
      issued.remove();
    }
  });

  test('a ca path is read relative to the working directory and must hold a certificate', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'smoke-ws-'));
    workspaces.push(workspace);
    writeFileSync(join(workspace, 'ca.pem'), certificate.cert);
    writeFileSync(join(workspace, 'checks.yml'), `checks:\n  - { name: ca, request: { url: /healthz, ca: ca.pem } }\n`);
    const ok = await runBundledAction('smoke-test', {
      inputs: { checks: 'checks.yml', 'base-url': server.url },
      workspace,
    });
    expect(ok.outputs['passed']).toBe('true');
    writeFileSync(
      join(workspace, 'checks.yml'),
      `checks:\n  - { name: ca, request: { url: /healthz, ca: checks.yml } }\n`,
    );
    const bad = await runBundledAction('smoke-test', {
      inputs: { checks: 'checks.yml', 'base-url': server.url },
      workspace,
    });
    expect(bad.errors).toEqual(["checks.yml:2: checks[0].request.ca: 'checks.yml' holds no PEM certificate"]);
  });
});

describe('JUnit report', () => {
  test('one testcase per check, failures with message and details, readable back', async () => {
    const server = await startScenarioServer();
    try {
      const { run, workspace } = await smoke(
        `checks:
  - { name: "health <ok> & \\"fine\\"", request: { url: /healthz } }
  - { name: broken, request: { url: /error-page }, expect: { status: 200 } }
  - { name: html, request: { url: /html }, expect: { body: ready } }
`,
        { 'base-url': server.url, 'junit-file': 'reports/smoke.xml' },
      );
      expect(run.outputs['junit-file']).toBe('reports/smoke.xml');
      const xml = readFileSync(join(workspace, 'reports/smoke.xml'), 'utf8');
      const parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '',
        isArray: (name) => name === 'testcase',
      });
      const report = parser.parse(xml) as {
        testsuites: {
          tests: string;
          failures: string;
          testsuite: {
            name: string;
            tests: string;
            failures: string;
            time: string;
            timestamp: string;
            testcase: Array<{
              name: string;
              classname: string;
              time: string;
              line?: string;
              failure?: { message: string; '#text': string };
            }>;
          };
        };
      };
      const suite = report.testsuites.testsuite;
      expect(report.testsuites).toMatchObject({ tests: '3', failures: '1' });
      expect(suite).toMatchObject({ name: 'smoke-test', tests: '3', failures: '1' });
      expect(Number.isFinite(Number(suite.time))).toBe(true);
      expect(Number.isNaN(Date.parse(suite.timestamp))).toBe(false);
      expect(suite.testcase.map((testcase) => testcase.name)).toEqual(
        ['health &lt;ok&gt; &amp; &quot;fine&quot;', 'broken', 'html'].map(decode),
      );
      expect(suite.testcase.map((testcase) => testcase.line)).toEqual(['2', '3', '4']);
      expect(suite.testcase[0]?.failure).toBeUndefined();
      expect(suite.testcase[1]?.failure?.message).toBe('status: expected 200, received 500');
      expect(suite.testcase[1]?.failure?.['#text']).toContain('received: 500 text/html');
      expect(
        suite.testcase.every((testcase) => Number(testcase.time) >= 0 && testcase.classname === 'smoke-test'),
      ).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

describe('secrets', () => {
  test('headers input values and Authorization/Cookie headers never reach logs, summary, outputs or the report', async () => {
    const server = await startScenarioServer();
    try {
      const secrets = ['s3cr3t-input-token', 'api-key-0f9e8d7c', 'cookie-value-1a2b3c', 'basic-credential-xyz'];
      const { run, workspace } = await smoke(
        `checks:
  - name: echo fails on purpose
    request:
      url: /echo
      headers: { Cookie: "session=cookie-value-1a2b3c", Proxy-Authorization: "Basic basic-credential-xyz" }
    expect: { body: /never-there/, headers: { x-api-key: api-key-0f9e8d7c } }
  - name: set-cookie is hidden
    request: { url: /cookie }
    expect: { headers: { set-cookie: /Secure/ } }
`,
        {
          'base-url': server.url,
          headers: 'Authorization: Bearer s3cr3t-input-token\nX-Api-Key: api-key-0f9e8d7c',
          'junit-file': 'junit.xml',
        },
      );
      expect(run.exitCode).toBe(1);
      // The server saw them: they were sent.
      expect(run.stdout).toContain('***');
      const junit = readFileSync(join(workspace, 'junit.xml'), 'utf8');
      const visible = [
        run.stdout.replace(/^::add-mask::.*$/gm, ''),
        run.stderr,
        run.summary,
        JSON.stringify(run.outputs),
        junit,
        ...run.errors,
      ].join('\n');
      for (const secret of [...secrets, 'srv-cookie-9d8e7f']) expect(visible).not.toContain(secret);
      for (const secret of secrets) expect(run.masked).toContain(secret);
      expect(run.outputs['results']).toContain(
        'header set-cookie: expected to match /Secure/, received a value (hidden)',
      );
    } finally {
      await server.stop();
    }
  });
});

describe('inputs', () => {
  test('the check file may be given inline', async () => {
    const service = await startSampleService();
    try {
      const run = await runBundledAction('smoke-test', {
        inputs: {
          checks: 'checks:\n  - request: { url: /api/version }\n    expect: { json: { "$.version": 1.0.0 } }\n',
          'base-url': service.url,
        },
      });
      expect(run.errors).toEqual([]);
      expect(JSON.parse(run.outputs['results'] ?? '') as Result[]).toMatchObject([
        { name: 'GET /api/version', ok: true },
      ]);
    } finally {
      await service.stop();
    }
  });

  test.each([
    ['malformed YAML', 'checks:\n  - name: a\n    request: { url: /x\n', /^checks\.yml:\d: malformed YAML: /],
    [
      'an unknown assertion',
      'checks:\n  - name: a\n    request: { url: /x }\n    expect:\n      statuss: 200\n',
      /^checks\.yml:5: checks\[0\]\.expect\.statuss: unknown assertion 'statuss'; expected one of status, headers, body, json, max-latency$/,
    ],
    [
      'a bad status',
      'checks:\n  - request: { url: /a }\n  - request: { url: /b }\n  - request: { url: /c }\n    expect:\n      status: two hundred\n',
      /^checks\.yml:6: checks\[2\]\.expect\.status: expected a number, a list or a range like 2xx$/,
    ],
    [
      'an invalid URL',
      'checks:\n  - request: { url: "http://exa mple.com/" }\n',
      /^checks\.yml:2: checks\[0\]\.request\.url: 'http:\/\/exa mple\.com\/' is not a valid URL$/,
    ],
    [
      'an invalid JSONPath',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.items[": 1\n',
      /^checks\.yml:5: checks\[0\]\.expect\.json\.\$\.items\[: invalid JSONPath \(RFC 9535\): /,
    ],
    [
      'an unknown JSON operator',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.items": { lenght: 2 }\n',
      /^checks\.yml:5: checks\[0\]\.expect\.json\.\$\.items\.lenght: unknown operator 'lenght'/,
    ],
    [
      'a capture used before it is made',
      'checks:\n  - request: { url: "/a/{{id}}" }\n  - request: { url: /b }\n    capture: { id: $.id }\n',
      /^checks\.yml:2: checks\[0\]\.request: \{\{id\}\} is not captured by an earlier check/,
    ],
    [
      'several mistakes at once',
      'checks:\n  - request: { url: /a, timeout: soon }\n  - request: { url: /b }\n    retry: { interval: 1s }\n',
      /^checks\.yml:2: checks\[0\]\.request\.timeout: expected a duration like 500ms, 10s or 2m, got 'soon'; checks\.yml:4: checks\[1\]\.retry\.until: is required/,
    ],
  ])('%s is one error with the file, line and path, and nothing is run or written', async (_, checks, message) => {
    const server = await startScenarioServer();
    try {
      const { run, workspace } = await smoke(checks, { 'base-url': server.url, 'junit-file': 'junit.xml' });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(message);
      expect(run.stdout).toContain('title=Configuration error');
      expect(run.outputs).toEqual({});
      expect(server.hits.size).toBe(0);
      expect(existsSync(join(workspace, 'junit.xml'))).toBe(false);
    } finally {
      await server.stop();
    }
  });

  test.each([
    [
      { checks: 'missing.yml' },
      "input 'checks': cannot read the check file 'missing.yml' (no such file); give a path or the YAML itself",
    ],
    [{ 'base-url': 'ftp://x' }, "input 'base-url': expected an http:// or https:// URL, got 'ftp://x'"],
    [{ concurrency: '0' }, "input 'concurrency': must be at least 1, got 0"],
    [{ timeout: 'soon' }, "input 'timeout': expected a duration like 90s, 10m, 1h30m or plain seconds, got 'soon'"],
    [{ headers: 'not a header' }, "input 'headers': expected header lines like 'Name: value'"],
    [
      { 'base-url': '' },
      "checks.yml:2: checks[0].request.url: '/a' is relative, but the base-url input is not set; set it or give an absolute URL",
    ],
  ])('input mistake %j', async (inputs, message) => {
    const { run } = await smoke('checks:\n  - request: { url: /a }\n', { 'base-url': 'http://127.0.0.1:9', ...inputs });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([message]);
  });
});
