// The scheduler in-process: bounded parallelism, file order, capture dependencies, backoff. The
// transport is a stand-in that answers after a delay, so timings are the scheduler's own.
import {
  parseCheckFile,
  runChecks,
  runScheduled,
  type HttpRequest,
  type HttpResponse,
  type Secrets,
} from '@shiprail/smoke-test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, Redactor, sleep } from '@shiprail/core';

async function checksOf(yaml: string): Promise<Awaited<ReturnType<typeof parseCheckFile>>['checks']> {
  return (await parseCheckFile(yaml, { file: 'checks.yml' }, { baseDirectory: '.', baseUrl: 'http://svc' })).checks;
}

function answer(status: number, body: unknown, latencyMs = 1): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    truncated: false,
    latencyMs,
    url: 'http://svc/',
    redirects: 0,
  };
}

/** The step's secrets as the runtime keeps them, with what was masked recorded. */
function recordingSecrets(masked: string[] = []): Secrets {
  const redactor = new Redactor();
  return {
    mask: (secret) => {
      masked.push(secret);
      redactor.add(secret);
    },
    redact: (text) => redactor.redact(text),
  };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('never more than `concurrency` requests at once; results and log in file order', async () => {
  const checks = await checksOf(
    `checks:\n${[300, 50, 200, 10, 120, 60, 5, 90].map((ms, i) => `  - { name: c${i}, request: { url: "/sleep/${ms}" } }`).join('\n')}\n`,
  );
  let inFlight = 0;
  let peak = 0;
  const finishedOrder: string[] = [];
  const send = async (request: HttpRequest): Promise<HttpResponse> => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    const ms = Number(request.url.split('/').pop());
    await delay(ms);
    inFlight -= 1;
    finishedOrder.push(request.url);
    return answer(200, {}, ms);
  };
  const logged: string[] = [];
  const results = await runChecks(checks, {
    baseUrl: 'http://svc',
    headers: [],
    concurrency: 3,
    timeoutMs: 10_000,
    secrets: recordingSecrets(),
    send,
    onResult: (result) => logged.push(result.name),
  });
  expect(peak).toBe(3);
  expect(results.map((result) => result.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
  expect(logged).toEqual(results.map((result) => result.name));
  expect(finishedOrder[0]).not.toBe('http://svc/sleep/300');
});

test('a check that uses a capture starts after the check that makes it, with its value', async () => {
  const checks = await checksOf(`checks:
  - { name: slow-login, request: { url: /login }, capture: { token: $.token } }
  - { name: independent, request: { url: /other } }
  - { name: uses-token, request: { url: "/me?t={{token}}", headers: { Authorization: "Bearer {{token}}" } } }
`);
  const events: string[] = [];
  const seen: HttpRequest[] = [];
  const send = async (request: HttpRequest): Promise<HttpResponse> => {
    const path = new URL(request.url).pathname;
    events.push(`start ${path}`);
    seen.push(request);
    await delay(path === '/login' ? 100 : 5);
    events.push(`end ${path}`);
    return answer(200, { token: 'tok-secret-99' });
  };
  const masked: string[] = [];
  const results = await runChecks(checks, {
    baseUrl: 'http://svc',
    headers: [['X-Team', 'shop']],
    concurrency: 8,
    timeoutMs: 10_000,
    secrets: recordingSecrets(masked),
    send,
  });
  expect(results.every((result) => result.ok)).toBe(true);
  expect(events.indexOf('start /me')).toBeGreaterThan(events.indexOf('end /login'));
  expect(events.indexOf('start /other')).toBeLessThan(events.indexOf('end /login'));
  const me = seen.find((request) => request.url.includes('/me'));
  expect(me?.url).toBe('http://svc/me?t=tok-secret-99');
  expect(me?.headers).toEqual([
    ['X-Team', 'shop'],
    ['Authorization', 'Bearer tok-secret-99'],
  ]);
  expect(masked).toContain('tok-secret-99');
});

test('retries back off from interval up to max-interval and stop at until', async () => {
  const [check] = await checksOf(
    'checks:\n  - { name: r, request: { url: /x }, retry: { until: 1500ms, interval: 100ms, max-interval: 300ms } }\n',
  );
  if (check === undefined) throw new Error('no check');
  const times: number[] = [];
  const started = Date.now();
  const progress: string[] = [];
  const [result] = await runChecks([check], {
    baseUrl: 'http://svc',
    headers: [],
    concurrency: 1,
    timeoutMs: 10_000,
    secrets: recordingSecrets(),
    send: () => {
      times.push(Date.now() - started);
      return Promise.resolve(answer(503, { state: 'starting' }));
    },
    onProgress: (message) => progress.push(message),
  });
  const gaps = times.slice(1).map((time, index) => time - (times[index] ?? 0));
  // 100, 150, 225, then capped at 300 (jitter takes up to a fifth off).
  expect(gaps[0]).toBeGreaterThanOrEqual(75);
  expect(gaps[0]).toBeLessThan(180);
  expect(gaps[2]).toBeGreaterThanOrEqual(170);
  expect(Math.max(...gaps)).toBeLessThan(400);
  expect(times.at(-1)).toBeLessThanOrEqual(1_700);
  expect(result).toMatchObject({ ok: false, status: 503, attempts: times.length });
  expect(progress[0]).toMatch(/^r: attempt 1 failed \(status: expected 2xx, received 503\); trying again in \d+ms$/);
});

describe('a check that throws cannot stall the run', () => {
  const brokenResponse = (): HttpResponse => {
    const response = answer(200, { token: 'x' });
    Object.defineProperty(response, 'headers', {
      get: () => {
        throw new Error('boom in the response');
      },
    });
    return response;
  };

  test('the throwing check fails with the reason, its dependants are not run, the others finish', async () => {
    const checks = await checksOf(`checks:
  - { name: broken, request: { url: /broken }, expect: { headers: { x: y } }, capture: { token: $.token } }
  - { name: fine, request: { url: /fine } }
  - { name: needs-broken, request: { url: "/me?t={{token}}" } }
`);
    const reported: string[] = [];
    const results = await runChecks(checks, {
      baseUrl: 'http://svc',
      headers: [],
      concurrency: 2,
      timeoutMs: 10_000,
      secrets: recordingSecrets(),
      send: (request) => Promise.resolve(request.url.endsWith('/broken') ? brokenResponse() : answer(200, {})),
      onResult: (result) => reported.push(result.name),
    });
    expect(results.map(({ name, ok }) => [name, ok])).toEqual([
      ['broken', false],
      ['fine', true],
      ['needs-broken', false],
    ]);
    expect(results[0]?.error).toBe('the check could not be completed: boom in the response');
    expect(results[2]?.error).toMatch(/^not run: it uses \{\{token\}\}, captured by 'broken', which failed$/);
    expect(reported).toEqual(['broken', 'fine', 'needs-broken']);
  });

  test('an observer that throws ends the run with its error once every check has settled', async () => {
    const checks = await checksOf(
      'checks:\n  - { name: a, request: { url: /a } }\n  - { name: b, request: { url: /b } }\n',
    );
    const sent: string[] = [];
    const run = runChecks(checks, {
      baseUrl: 'http://svc',
      headers: [],
      concurrency: 1,
      timeoutMs: 10_000,
      secrets: recordingSecrets(),
      send: (request) => {
        sent.push(request.url);
        return Promise.resolve(answer(200, {}));
      },
      onResult: () => {
        throw new Error('observer failed');
      },
    });
    await expect(run).rejects.toThrow('observer failed');
    expect(sent).toEqual(['http://svc/a', 'http://svc/b']);
  });
});

describe('runScheduled', () => {
  type Case = [string, (position: number) => number | Promise<number>, Array<number | string>];
  const cases: Case[] = [
    ['every task resolves', (position) => position * 10, [0, 10, 20]],
    [
      'a task throws synchronously',
      (position) => {
        if (position === 1) throw new Error('sync');
        return position;
      },
      [0, 'sync', 2],
    ],
    [
      'a task rejects',
      (position) => (position === 2 ? Promise.reject(new Error('async')) : Promise.resolve(position)),
      [0, 1, 'async'],
    ],
  ];
  test.each(cases)('%s: every task ends in a result', async (_name, start, expected) => {
    const results = await runScheduled<number | string>(3, {
      limit: 2,
      needs: (position) => (position === 2 ? [0] : []),
      start: (position) => start(position),
      onError: (_position, error) => errorMessage(error),
    });
    expect(results).toEqual(expected);
  });

  test('an onError that throws still ends the run, with that error', async () => {
    const run = runScheduled(2, {
      limit: 1,
      needs: () => [],
      start: () => Promise.reject(new Error('task')),
      onError: () => {
        throw new Error('handler');
      },
    });
    await expect(run).rejects.toThrow('handler');
  });

  test('a task that needs a later one is refused rather than left waiting', async () => {
    const run = runScheduled(2, {
      limit: 1,
      needs: (position) => (position === 0 ? [1] : []),
      start: () => 1,
      onError: () => 0,
    });
    await expect(run).rejects.toThrow('a task can only need tasks before it');
  });
});

describe('waits', () => {
  test('a wait longer than one Node timer does not end at once, and an abort ends it', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    await sleep(30 * 24 * 3_600_000, controller.signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("the overall timeout and retry waits go through the run's own sleep", async () => {
    const [check] = await checksOf(
      'checks:\n  - { name: r, request: { url: /x }, retry: { until: 1h, interval: 1m } }\n',
    );
    if (check === undefined) throw new Error('no check');
    const waits: number[] = [];
    let clock = 0;
    const started = performance.now();
    const [result] = await runChecks([check], {
      baseUrl: 'http://svc',
      headers: [],
      concurrency: 1,
      timeoutMs: 2 * 3_600_000,
      secrets: recordingSecrets(),
      send: () => Promise.resolve(answer(503, {})),
      // A clock of its own: an hour of retries passes without any real waiting.
      sleep: (ms, signal) => {
        waits.push(ms);
        if (waits.length === 1) return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    });
    expect(waits[0]).toBe(2 * 3_600_000);
    expect(clock).toBeGreaterThanOrEqual(3_600_000);
    expect(result).toMatchObject({ ok: false, status: 503 });
    expect(result?.attempts).toBeGreaterThan(10);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('a deadline passed before the abort timer fires is still the overall timeout', async () => {
    const [check] = await checksOf(
      'checks:\n  - { name: r, request: { url: /x }, retry: { until: 1h, interval: 1m } }\n',
    );
    if (check === undefined) throw new Error('no check');
    let clock = 0;
    let sleeps = 0;
    const [result] = await runChecks([check], {
      baseUrl: 'http://svc',
      headers: [],
      concurrency: 1,
      timeoutMs: 10 * 60_000,
      secrets: recordingSecrets(),
      send: () => Promise.resolve(answer(503, {})),
      // The overall timer never fires: only the clock says the deadline has passed.
      sleep: (ms) => {
        sleeps += 1;
        if (sleeps === 1) return new Promise(() => undefined);
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    });
    expect(result?.error).toMatch(/the overall timeout \(10m00s\) was reached/);
    expect(result?.error).not.toMatch(/still failing/);
  });

  test('a check whose turn comes after the deadline is not run, though the overall timer has not fired', async () => {
    const checks = await checksOf(
      'checks:\n  - { name: first, request: { url: /a } }\n  - { name: queued, request: { url: /b } }\n',
    );
    let clock = 0;
    const results = await runChecks(checks, {
      baseUrl: 'http://svc',
      headers: [],
      concurrency: 1,
      timeoutMs: 1_000,
      secrets: recordingSecrets(),
      // The first check's answer comes as the deadline passes; the overall timer is late, as on a busy machine.
      send: () => {
        clock += 1_000;
        return Promise.resolve(answer(200, {}));
      },
      sleep: () => new Promise(() => undefined),
      now: () => clock,
    });
    expect(results.map((result) => [result.name, result.attempts, result.error])).toEqual([
      ['first', 1, null],
      ['queued', 0, 'not run: the overall timeout (1.0s) was reached first'],
    ]);
  });

  test('a request cut short by the overall timeout says so, not that its own timeout passed', async () => {
    // A server that accepts and never answers, reached by the real transport.
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const [check] = await checksOf(
        `checks:\n  - { name: hang, request: { url: "http://127.0.0.1:${port}/a", timeout: 5s }, retry: { until: 1m } }\n`,
      );
      if (check === undefined) throw new Error('no check');
      const [result] = await runChecks([check], {
        baseUrl: 'http://svc',
        headers: [],
        concurrency: 1,
        timeoutMs: 300,
        secrets: recordingSecrets(),
        // The overall timer is late, as on a busy machine: only the deadline ends the request.
        sleep: () => new Promise(() => undefined),
      });
      expect(result?.error).toBe(
        `stopped while waiting for 127.0.0.1:${port}; the overall timeout (300ms) was reached`,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
