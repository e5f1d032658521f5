// The scheduler in-process: bounded parallelism, file order, capture dependencies, backoff. The
// transport is a stand-in that answers after a delay, so timings are the scheduler's own.
import { Redactor, parseCheckFile, runChecks, type HttpRequest, type HttpResponse } from '@shiprail/smoke-test';

function checksOf(yaml: string): ReturnType<typeof parseCheckFile>['checks'] {
  return parseCheckFile(yaml, { file: 'checks.yml' }, { baseDirectory: '.', baseUrl: 'http://svc' }).checks;
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

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('never more than `concurrency` requests at once; results and log in file order', async () => {
  const checks = checksOf(
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
    redactor: new Redactor(),
    send,
    onResult: (result) => logged.push(result.name),
  });
  expect(peak).toBe(3);
  expect(results.map((result) => result.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
  expect(logged).toEqual(results.map((result) => result.name));
  expect(finishedOrder[0]).not.toBe('http://svc/sleep/300');
});

test('a check that uses a capture starts after the check that makes it, with its value', async () => {
  const checks = checksOf(`checks:
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
    redactor: new Redactor((secret) => masked.push(secret)),
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
  const [check] = checksOf(
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
    redactor: new Redactor(),
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
