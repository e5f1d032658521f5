// The check file's validation, in-process: what is accepted, and every mistake with its path and line.
import { ConfigurationError } from '@shiprail/core';
import {
  joinUrl,
  jsonPathProblem,
  loadCheckSource,
  parseCheckFile,
  urlProblem,
  type Check,
} from '@shiprail/smoke-test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const options = { baseDirectory: process.cwd(), baseUrl: 'https://api.example.com' };

async function parse(text: string, baseUrl = options.baseUrl): Promise<Check[]> {
  return (await parseCheckFile(text, { file: 'checks.yml' }, { ...options, baseUrl })).checks;
}

async function mistake(text: string, baseUrl = options.baseUrl): Promise<string> {
  try {
    await parse(text, baseUrl);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.describe();
    throw error;
  }
  throw new Error('no mistake found');
}

describe('a valid check file', () => {
  test('fills in defaults', async () => {
    const [check] = await parse('checks:\n  - request: { url: /healthz }\n');
    expect(check).toEqual({
      index: 0,
      name: 'GET /healthz',
      line: 2,
      request: {
        method: 'GET',
        url: '/healthz',
        headers: [],
        timeoutMs: 10_000,
        followRedirects: true,
        insecure: false,
      },
      expect: { status: [{ hundreds: 2 }], headers: [], body: [], json: [] },
      capture: [],
      needs: [],
    });
  });

  test('reads every key of the reference example', async () => {
    const [login, health] = await parse(`checks:
  - name: login
    request: { method: post, url: https://auth.example.com/token, json: { user: ci }, timeout: 3s }
    capture: { token: "$.token" }
  - name: health
    request:
      url: /healthz
      headers: { Authorization: "Bearer {{token}}", X-Count: 3 }
      body: ping
      follow-redirects: false
      insecure: true
    expect:
      status: [200, 3xx]
      max-latency: 500ms
      headers: { Content-Type: /json/i, x-version: "2" }
      json:
        "$.status": ok
        "$.items": { length: 2 }
        "$.version": { matches: "^2\\\\." }
      body: /ready/
    retry: { until: 60s, interval: 2s }
`);
    expect(login?.request).toMatchObject({
      method: 'POST',
      body: { kind: 'json', value: { user: 'ci' } },
      timeoutMs: 3000,
    });
    expect(login?.capture).toEqual([{ name: 'token', path: '$.token' }]);
    expect(health?.needs).toEqual(['token']);
    expect(health?.request).toMatchObject({
      headers: [
        ['Authorization', 'Bearer {{token}}'],
        ['X-Count', '3'],
      ],
      body: { kind: 'text', text: 'ping' },
      followRedirects: false,
      insecure: true,
    });
    expect(health?.expect.status).toEqual([{ code: 200 }, { hundreds: 3 }]);
    expect(health?.expect.maxLatencyMs).toBe(500);
    expect(health?.expect.headers.map((header) => [header.name, header.matcher.kind])).toEqual([
      ['content-type', 'regex'],
      ['x-version', 'exact'],
    ]);
    expect(health?.expect.json.map((assertion) => assertion.operators.map((operator) => operator.op))).toEqual([
      ['=='],
      ['length'],
      ['matches'],
    ]);
    expect(health?.retry).toEqual({ untilMs: 60_000, intervalMs: 2000, maxIntervalMs: 10_000 });
  });
});

describe('mistakes name the file, line and path', () => {
  test.each([
    ['not a mapping', '- a\n', "checks.yml:1: expected a mapping with a 'checks' list"],
    ['no checks list', 'checks: 3\n', "checks.yml:1: checks: expected a mapping with a 'checks' list"],
    ['empty list', 'checks: []\n', 'checks.yml:1: checks: the list is empty; add at least one check'],
    [
      'unknown top-level key',
      'checks:\n  - request: { url: /a }\nextra: 1\n',
      "checks.yml:3: extra: unknown key 'extra'; expected one of checks",
    ],
    [
      'check not a mapping',
      'checks:\n  - just text\n',
      'checks.yml:2: checks[0]: expected a mapping with request and expect',
    ],
    [
      'unknown check key',
      'checks:\n  - request: { url: /a }\n    expects: {}\n',
      "checks.yml:3: checks[0].expects: unknown key 'expects'",
    ],
    [
      'missing request',
      'checks:\n  - name: a\n',
      'checks.yml:2: checks[0].request: expected a mapping like { method: GET, url: /healthz }',
    ],
    [
      'bad method',
      'checks:\n  - request: { url: /a, method: "GET /" }\n',
      "checks.yml:2: checks[0].request.method: expected an HTTP method like GET or POST, got 'GET /'",
    ],
    [
      'missing url',
      'checks:\n  - request: { method: GET }\n',
      'checks.yml:2: checks[0].request.url: expected a URL (absolute, or a path relative to base-url), got nothing',
    ],
    [
      'bad scheme',
      'checks:\n  - request: { url: "ftp://x/y" }\n',
      "checks.yml:2: checks[0].request.url: 'ftp://x/y' is not an http or https URL",
    ],
    [
      'bad URL',
      'checks:\n  - request: { url: "http://[::1" }\n',
      "checks.yml:2: checks[0].request.url: 'http://[::1' is not a valid URL",
    ],
    [
      'unknown request key',
      'checks:\n  - request: { url: /a, verify: false }\n',
      "checks.yml:2: checks[0].request.verify: unknown request key 'verify'",
    ],
    [
      'body and json',
      'checks:\n  - request: { url: /a, body: x, json: {} }\n',
      'checks.yml:2: checks[0].request.json: give either body (text) or json, not both',
    ],
    [
      'body not text',
      'checks:\n  - request: { url: /a, body: { a: 1 } }\n',
      'checks.yml:2: checks[0].request.body: expected text; to send JSON, use json: instead',
    ],
    [
      'bad timeout',
      'checks:\n  - request: { url: /a, timeout: fast }\n',
      "checks.yml:2: checks[0].request.timeout: expected a duration like 500ms, 10s or 2m, got 'fast'",
    ],
    [
      'zero timeout',
      'checks:\n  - request: { url: /a, timeout: 0s }\n',
      'checks.yml:2: checks[0].request.timeout: must be more than zero',
    ],
    [
      'follow-redirects not boolean',
      'checks:\n  - request: { url: /a, follow-redirects: "no" }\n',
      "checks.yml:2: checks[0].request.follow-redirects: expected true or false, got 'no'",
    ],
    [
      'missing ca file',
      'checks:\n  - request: { url: /a, ca: nowhere.pem }\n',
      "checks.yml:2: checks[0].request.ca: cannot read 'nowhere.pem'",
    ],
    [
      'bad header value',
      'checks:\n  - request: { url: /a, headers: { X-A: [1] } }\n',
      'checks.yml:2: checks[0].request.headers.X-A: expected a text value, got [1]',
    ],
    [
      'expect not a mapping',
      'checks:\n  - request: { url: /a }\n    expect: 200\n',
      'checks.yml:3: checks[0].expect: expected a mapping of assertions',
    ],
    [
      'unknown assertion',
      'checks:\n  - request: { url: /a }\n    expect: { code: 200 }\n',
      "checks.yml:3: checks[0].expect.code: unknown assertion 'code'; expected one of status, headers, body, json, max-latency",
    ],
    [
      'status text',
      'checks:\n  - request: { url: /a }\n  - request: { url: /b }\n  - request: { url: /c }\n    expect:\n      status: ok\n',
      'checks.yml:6: checks[2].expect.status: expected a number, a list or a range like 2xx',
    ],
    [
      'status out of range',
      'checks:\n  - request: { url: /a }\n    expect: { status: 999 }\n',
      'checks.yml:3: checks[0].expect.status: expected a number, a list or a range like 2xx',
    ],
    [
      'status empty list',
      'checks:\n  - request: { url: /a }\n    expect: { status: [] }\n',
      'checks.yml:3: checks[0].expect.status: expected a number, a list or a range like 2xx',
    ],
    [
      'status range 6xx',
      'checks:\n  - request: { url: /a }\n    expect: { status: [200, 6xx] }\n',
      'checks.yml:3: checks[0].expect.status: expected a number, a list or a range like 2xx',
    ],
    [
      'bad header regex',
      'checks:\n  - request: { url: /a }\n    expect: { headers: { x: "/(/" } }\n',
      'checks.yml:3: checks[0].expect.headers.x: invalid regular expression /(/',
    ],
    [
      'headers not a mapping',
      'checks:\n  - request: { url: /a }\n    expect: { headers: [a] }\n',
      'checks.yml:3: checks[0].expect.headers: expected a mapping',
    ],
    [
      'body list item',
      'checks:\n  - request: { url: /a }\n    expect:\n      body: [ok, { a: 1 }]\n',
      'checks.yml:4: checks[0].expect.body[1]: expected text or a /regex/',
    ],
    [
      'json not a mapping',
      'checks:\n  - request: { url: /a }\n    expect: { json: [] }\n',
      'checks.yml:3: checks[0].expect.json: expected a mapping of JSONPath expressions',
    ],
    [
      'json path syntax',
      'checks:\n  - request: { url: /a }\n    expect:\n      json: { "$.a[": 1 }\n',
      'checks.yml:4: checks[0].expect.json.$.a[: invalid JSONPath (RFC 9535): unclosed bracketed selection at character 5',
    ],
    [
      'json path without root',
      'checks:\n  - request: { url: /a }\n    expect:\n      json: { "a.b": 1 }\n',
      "checks.yml:4: checks[0].expect.json.a.b: invalid JSONPath (RFC 9535): expected '$', found 'a' at character 1",
    ],
    [
      'json unknown function',
      'checks:\n  - request: { url: /a }\n    expect:\n      json: { "$[?size(@) > 1]": { exists: true } }\n',
      "invalid JSONPath (RFC 9535): no such function 'size'",
    ],
    [
      'json ill-typed function',
      'checks:\n  - request: { url: /a }\n    expect:\n      json: { "$[?length(@.*) > 1]": { exists: true } }\n',
      'invalid JSONPath (RFC 9535): length() argument 0 must be of ValueType',
    ],
    [
      'unknown operator',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { contains: 1 }\n',
      "checks.yml:5: checks[0].expect.json.$.a.contains: unknown operator 'contains'",
    ],
    [
      'empty operators',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": {}\n',
      'checks.yml:5: checks[0].expect.json.$.a: expected a value or operators',
    ],
    [
      'exists not boolean',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { exists: "yes" }\n',
      "checks.yml:5: checks[0].expect.json.$.a.exists: expected true or false, got 'yes'",
    ],
    [
      'length not a number',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { length: many }\n',
      'checks.yml:5: checks[0].expect.json.$.a.length: expected a whole number or comparisons',
    ],
    [
      'length bad comparison',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { length: { "~": 1 } }\n',
      'checks.yml:5: checks[0].expect.json.$.a.length: expected a whole number or comparisons',
    ],
    [
      'bad matches',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { matches: "(" }\n',
      'checks.yml:5: checks[0].expect.json.$.a.matches: invalid regular expression',
    ],
    [
      'a backreference RE2 cannot run',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { matches: "(a)\\\\1" }\n',
      'checks.yml:5: checks[0].expect.json.$.a.matches: invalid regular expression: invalid escape sequence: `\\1` (RE2 syntax: no backreferences or lookaround, repeat counts up to 1000)',
    ],
    [
      'a lookahead in a header regex',
      'checks:\n  - request: { url: /a }\n    expect: { headers: { x: "/a(?=b)/" } }\n',
      'checks.yml:3: checks[0].expect.headers.x: invalid regular expression /a(?=b)/: invalid or unsupported Perl syntax',
    ],
    [
      'a retry longer than a timer can wait',
      'checks:\n  - request: { url: /a }\n    retry: { until: 597h }\n',
      "checks.yml:3: checks[0].retry.until: '597h' is longer than 24 days",
    ],
    [
      'a request timeout longer than a timer can wait',
      'checks:\n  - request: { url: /a, timeout: 2149200 }\n',
      'checks.yml:2: checks[0].request.timeout: 2149200 is longer than 24 days',
    ],
    [
      'comparison with a list',
      'checks:\n  - request: { url: /a }\n    expect:\n      json:\n        "$.a": { ">": [1] }\n',
      'checks.yml:5: checks[0].expect.json.$.a.>: expected a number or a string, got [1]',
    ],
    [
      'bad max-latency',
      'checks:\n  - request: { url: /a }\n    expect: { max-latency: quick }\n',
      "checks.yml:3: checks[0].expect.max-latency: expected a duration like 500ms, 10s or 2m, got 'quick'",
    ],
    [
      'retry without until',
      'checks:\n  - request: { url: /a }\n    retry: { interval: 1s }\n',
      'checks.yml:3: checks[0].retry.until: is required: how long to keep trying, like 60s',
    ],
    [
      'retry zero interval',
      'checks:\n  - request: { url: /a }\n    retry: { until: 10s, interval: 0 }\n',
      'checks.yml:3: checks[0].retry.interval: must be more than zero',
    ],
    [
      'retry max below interval',
      'checks:\n  - request: { url: /a }\n    retry: { until: 10s, interval: 2s, max-interval: 1s }\n',
      'checks.yml:3: checks[0].retry.max-interval: must be at least interval',
    ],
    [
      'retry unknown key',
      'checks:\n  - request: { url: /a }\n    retry: { until: 10s, tries: 3 }\n',
      "checks.yml:3: checks[0].retry.tries: unknown retry key 'tries'",
    ],
    [
      'capture bad name',
      'checks:\n  - request: { url: /a }\n    capture: { "a b": "$.x" }\n',
      "checks.yml:3: checks[0].capture.a b: 'a b' is not a valid name",
    ],
    [
      'capture bad path',
      'checks:\n  - request: { url: /a }\n    capture: { x: "$[" }\n',
      'checks.yml:3: checks[0].capture.x: invalid JSONPath (RFC 9535)',
    ],
    [
      'duplicate names',
      'checks:\n  - { name: a, request: { url: /a } }\n  - { name: a, request: { url: /b } }\n',
      "checks.yml:3: checks[1].name: the name 'a' is used twice; names must be unique",
    ],
    [
      'empty name',
      'checks:\n  - { name: "", request: { url: /a } }\n',
      'checks.yml:2: checks[0].name: expected a non-empty string',
    ],
    [
      'capture used before',
      'checks:\n  - request: { url: "/a?t={{t}}" }\n',
      'checks.yml:2: checks[0].request: {{t}} is not captured by an earlier check',
    ],
    [
      'duplicate key',
      'checks:\n  - request: { url: /a }\n    request: { url: /b }\n',
      'checks.yml:3: malformed YAML: Map keys must be unique',
    ],
  ])('%s', async (_, text, message) => {
    expect(await mistake(text)).toContain(message);
  });

  test('a relative URL needs base-url', async () => {
    expect(await mistake('checks:\n  - request: { url: /a }\n', '')).toBe(
      "checks.yml:2: checks[0].request.url: '/a' is relative, but the base-url input is not set; set it or give an absolute URL",
    );
  });

  test('every mistake is reported at once, the first one locating the error', async () => {
    let error: unknown;
    try {
      await parse(
        'checks:\n  - request: { url: /a }\n    expect: { status: x }\n  - request: { url: /b, method: 1 }\n',
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).location).toEqual({ file: 'checks.yml', line: 3 });
    expect((error as ConfigurationError).describe()).toBe(
      'checks.yml:3: checks[0].expect.status: expected a number, a list or a range like 2xx; ' +
        'checks.yml:4: checks[1].request.method: expected an HTTP method like GET or POST, got 1',
    );
  });

  test('an inline check file keeps the line in the message', async () => {
    let error: unknown;
    try {
      await parseCheckFile(
        'checks:\n  - request: { url: /a }\n    expect: { status: x }\n',
        { input: 'checks' },
        options,
      );
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigurationError).describe()).toBe(
      "input 'checks': line 3: checks[0].expect.status: expected a number, a list or a range like 2xx",
    );
  });
});

describe('the checks input', () => {
  test.each([
    ['checks:\n  - request: { url: /a }', { input: 'checks' }],
    ['checks: [{ request: { url: /a } }]', { input: 'checks' }],
  ])('inline YAML %#', (text, location) => {
    expect(loadCheckSource(text, '/nowhere')).toEqual({ text, location });
  });

  test('a path is read relative to the working directory', () => {
    const directory = mkdtempSync(join(tmpdir(), 'smoke-checks-'));
    try {
      writeFileSync(join(directory, 'smoke.yml'), 'checks: []\n');
      expect(loadCheckSource('smoke.yml', directory)).toEqual({
        text: 'checks: []\n',
        location: { file: 'smoke.yml' },
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('URLs', () => {
  test.each([
    ['https://api.example.com', '/healthz', 'https://api.example.com/healthz'],
    ['https://api.example.com/', '/healthz', 'https://api.example.com/healthz'],
    ['https://example.com/api', '/healthz', 'https://example.com/api/healthz'],
    ['https://example.com/api/', 'healthz', 'https://example.com/api/healthz'],
    ['https://example.com/api', '?q=1', 'https://example.com/api?q=1'],
    ['https://example.com/api', '', 'https://example.com/api'],
    ['https://example.com/api', 'http://other:8080/x', 'http://other:8080/x'],
  ])('%s + %s', (base, url, joined) => {
    expect(joinUrl(base, url)).toBe(joined);
  });

  test.each([
    ['/a', 'https://x', undefined],
    ['/a/{{id}}', 'https://x', undefined],
    [
      '{{origin}}/a',
      '',
      "'{{origin}}/a' is relative, but the base-url input is not set; set it or give an absolute URL",
    ],
    ['http://{{host}}/a', '', undefined],
    ['mailto:a@b.c', '', "'mailto:a@b.c' is not an http or https URL"],
    ['http://exa mple.com', '', "'http://exa mple.com' is not a valid URL"],
  ])('%s with base %j', (url, base, problem) => {
    expect(urlProblem(url, base)).toBe(problem);
  });
});

describe('JSONPath validation (RFC 9535)', () => {
  test.each([
    ['$', true],
    ['$.store.book[*].author', true],
    ['$..price', true],
    ['$[?@.price < 10].title', true],
    ["$[?match(@.code, '[A-Z]+')]", true],
    ['$[?length(@.items) >= 2]', true],
    ['$.items[-1:]', true],
    ["$['x-trace']", true],
    ['$[?count(@.*) > 1]', true],
    ['store.book', false],
    ['$.items[', false],
    ['$[?@.a ==]', false],
    ['$[?nope(@)]', false],
    ['$[?length(@.*) > 1]', false],
    ['$[01]', false],
    ['$[?@.a]]', false],
  ])('%s valid: %s', (expression, valid) => {
    expect(jsonPathProblem(expression) === undefined).toBe(valid);
  });
});

test('unnamed checks of the same request are told apart by position', async () => {
  expect(
    (await parse('checks:\n  - request: { url: /a }\n  - request: { url: /a }\n')).map((check) => check.name),
  ).toEqual(['GET /a', 'GET /a (#2)']);
});
