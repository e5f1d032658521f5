// Assertion logic and the small parts around it, in-process: status patterns, text matchers, JSON
// operators, templates, redaction and the JUnit writer.
import {
  compare,
  escapeXml,
  evaluate,
  fillJsonTemplate,
  fillTemplate,
  formatFailure,
  headerSecrets,
  parseCheckFile,
  parseStatusExpectation,
  parseTextMatcher,
  renderJUnit,
  statusMatches,
  textMatches,
  type CheckResult,
  type HttpResponse,
} from '@shiprail/smoke-test';
import { XMLParser } from 'fast-xml-parser';

describe('status', () => {
  test.each([
    [200, 200, true],
    [200, 201, false],
    ['200', 200, true],
    ['2xx', 204, true],
    ['2XX', 299, true],
    ['2xx', 301, false],
    [[200, 204], 204, true],
    [[200, 204], 202, false],
    [['2xx', 301], 301, true],
    [['2xx', 301], 302, false],
    [['4xx', '5xx'], 503, true],
  ])('%j accepts %d: %s', (expected, status, accepted) => {
    const parsed = parseStatusExpectation(expected);
    expect(parsed).toBeDefined();
    expect(statusMatches(parsed ?? [], status)).toBe(accepted);
  });

  test.each([['ok'], [99], [600], ['20x'], [[]], [[200, 'x']], [{ code: 200 }], [null], [true], [200.5]])(
    '%j is refused',
    (value) => {
      expect(parseStatusExpectation(value)).toBeUndefined();
    },
  );
});

describe('text matchers', () => {
  test.each([
    ['application/json', 'exact', 'application/json', true],
    ['application/json', 'exact', 'application/json; charset=utf-8', false],
    ['/json/', 'exact', 'application/json; charset=utf-8', true],
    ['/^JSON$/i', 'exact', 'json', true],
    ['ready', 'substring', 'service is ready', true],
    ['ready', 'substring', 'service is starting', false],
    ['/re+ady/', 'substring', 'reeeady', true],
    ['/a.b/s', 'substring', 'a\nb', true],
    ['/', 'substring', 'a/b', true],
    [2, 'exact', '2', true],
  ] as const)('%j (%s) against %j: %s', (matcher, plain, text, matches) => {
    const parsed = parseTextMatcher(matcher, plain);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(textMatches(parsed, text)).toBe(matches);
  });

  test('an invalid regular expression is a message, not a throw', () => {
    expect(parseTextMatcher('/[/', 'exact')).toMatch(/^invalid regular expression \/\[\/: /);
    expect(parseTextMatcher({}, 'exact')).toBe('expected text or a /regex/');
  });
});

describe('comparisons', () => {
  test.each([
    ['==', { a: [1, 2] }, { a: [1, 2] }, true],
    ['==', 1, '1', false],
    ['!=', 'a', 'b', true],
    ['>', 3, 2, true],
    ['>', 2, 2, false],
    ['>=', 2, 2, true],
    ['<', 'abc', 'abd', true],
    ['<=', 5, 4, false],
    ['>', '3', 2, undefined],
    ['<', null, 1, undefined],
  ] as const)('%s %j %j', (op, actual, expected, result) => {
    expect(compare(op, actual, expected)).toBe(result);
  });
});

function response(body: unknown, overrides: Partial<HttpResponse> = {}): HttpResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    truncated: false,
    latencyMs: 20,
    url: 'http://x/',
    redirects: 0,
    ...overrides,
  };
}

async function expectations(yaml: string): Promise<Parameters<typeof evaluate>[0]> {
  const file = await parseCheckFile(
    `checks:\n  - request: { url: http://x/ }\n    expect:\n${yaml}`,
    { file: 't.yml' },
    {
      baseDirectory: '.',
      baseUrl: '',
    },
  );
  const check = file.checks[0];
  if (check === undefined) throw new Error('no check');
  return check.expect;
}

describe('JSON assertions', () => {
  const document = {
    items: [
      { id: 1, tags: ['a'] },
      { id: 2, tags: [] },
    ],
    name: 'shop',
    count: 2,
    ok: true,
    version: '2.3.0',
    none: null,
  };

  test.each([
    ['"$.name": shop', []],
    ['"$.name": shops', ['$.name: expected "shops", received "shop"']],
    ['"$.items[0]": { "==": { id: 1, tags: [a] } }', []],
    ['"$.items[*].id": 1', []],
    ['"$.items[?@.id > 1].id": 2', []],
    ['"$.count": { ">": 1, "<=": 2 }', []],
    ['"$.count": { ">": 2 }', ['$.count: expected > 2, received 2']],
    ['"$.version": { ">=": "2.0" }', []],
    ['"$.version": { ">": 2 }', ['$.version: expected > 2, received "2.3.0" (not comparable)']],
    ['"$.ok": true', []],
    ['"$.none": null', []],
    ['"$.none": { exists: true }', []],
    ['"$.absent": { exists: false }', []],
    ['"$.absent": { exists: true }', ['$.absent: expected a value, received nothing']],
    ['"$.name": { exists: false }', ['$.name: expected nothing, received "shop"']],
    ['"$.absent": 1', ['$.absent: expected 1, received nothing (no node matched)']],
    ['"$.items": { length: 2 }', []],
    ['"$.name": { length: 4 }', []],
    ['"$": { length: { ">=": 6 } }', []],
    ['"$.items": { length: { ">": 5 } }', ['$.items: expected length > 5, received length 2']],
    ['"$.count": { length: 1 }', ['$.count: expected something with a length (length 1), received 2']],
    ['"$.version": { matches: "^2\\\\.3" }', []],
    ['"$.version": { matches: "/^3/" }', ['$.version: expected to match /^3/, received "2.3.0"']],
    ['"$.count": { matches: "^\\\\d+$" }', []],
    [
      '"$.items": { matches: "a" }',
      ['$.items: expected to match /a/, received [{"id":1,"tags":["a"]},{"id":2,"tags":[]}]'],
    ],
    ['"$.name": { "!=": shop }', ['$.name: expected != "shop", received "shop"']],
  ])('%s', async (assertion, failures) => {
    expect(
      evaluate(await expectations(`      json:\n        ${assertion}\n`), response(document)).map(formatFailure),
    ).toEqual(failures);
  });

  test('a body that is not JSON fails every JSON assertion at once', async () => {
    const result = evaluate(await expectations('      json: { "$.a": 1, "$.b": 2 }\n'), response('<html>down</html>'));
    expect(result.map(formatFailure)).toEqual(['json: expected a JSON body, received "<html>down</html>"']);
  });
});

describe('hostile patterns and expressions end quickly, with an answer', () => {
  const nested = (depth: number): unknown =>
    depth === 0 ? [0, 1, 2, 3, 4, 5, 6, 7] : Array.from({ length: 8 }, () => nested(depth - 1));
  // JSON.parse takes any depth; the walk and the comparisons must not overflow on it.
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const body = JSON.stringify({ word: `${'a'.repeat(40)}!`, items: nested(5) }).replace(/}$/, `,"deep":${deep}}`);

  test.each([
    [
      'a catastrophic matches',
      '      json:\n        "$.word": { matches: "^(a+)+$" }\n',
      ['$.word: expected to match /^(a+)+$/, received "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"'],
    ],
    [
      'a catastrophic body regex',
      '      body: "/^.*(a+)+$/"\n',
      [/^body: expected to match \/\^\.\*\(a\+\)\+\$\/, received /],
    ],
    [
      'a catastrophic header regex',
      '      headers: { x-word: "/^(a+)+$/" }\n',
      ['header x-word: expected to match /^(a+)+$/, received "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"'],
    ],
    [
      'a catastrophic match() in a filter',
      '      json:\n        "$[?match(@.word, \'(a+)+$\')]": { exists: true }\n',
      ["$[?match(@.word, '(a+)+$')]: expected a value, received nothing"],
    ],
    [
      'an exploding descendant query, first node only',
      '      json:\n        "$.items..*..*..*": { exists: false }\n',
      [/^\$\.items\.\.\*\.\.\*\.\.\*: expected nothing, received \[/],
    ],
    [
      'an exploding query that selects nothing',
      '      json:\n        "$.items..*..*..*[?@ == \'none\']": { exists: true }\n',
      [
        "$.items..*..*..*[?@ == 'none']: expected a value, received no answer (evaluation stopped after reading 1000000 values)",
      ],
    ],
    [
      'a document deeper than the walk allows',
      '      json:\n        "$.deep..*[?@ == 1]": { exists: true }\n',
      ['$.deep..*[?@ == 1]: expected a value, received no answer (evaluation stopped: recursion limit reached)'],
    ],
    [
      'a value too deep to compare',
      '      json:\n        "$.deep": [1]\n',
      ['$.deep: expected [1], received no answer (the value nests too deeply)'],
    ],
  ] as Array<[string, string, Array<string | RegExp>]>)('%s', async (_name, yaml, failures) => {
    const started = performance.now();
    const result = evaluate(
      await expectations(yaml),
      response(body, { headers: { 'x-word': `${'a'.repeat(40)}!`, 'content-type': 'application/json' } }),
    ).map(formatFailure);
    expect(result).toHaveLength(failures.length);
    failures.forEach((failure, index) =>
      typeof failure === 'string' ? expect(result[index]).toBe(failure) : expect(result[index]).toMatch(failure),
    );
    // The budget of values read is what ends it (the message says so); the time only catches a runaway on a loaded machine.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  test('an evaluation stops at the deadline it is given', async () => {
    const started = performance.now();
    const result = evaluate(
      await expectations('      json:\n        "$.items..*..*..*[?@ == \'none\']": { exists: true }\n'),
      response(body),
      { deadline: Date.now() + 200 },
    ).map(formatFailure);
    expect(result).toEqual([
      "$.items..*..*..*[?@ == 'none']: expected a value, received no answer (evaluation stopped at the overall timeout)",
    ]);
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});

describe('other assertions', () => {
  test('status, headers, body and latency each report expected and received', async () => {
    const failures = evaluate(
      await expectations(
        '      status: 200\n      headers: { content-type: /html/, x-id: abc, set-cookie: /Secure/ }\n      body: [ready, \"/^\\\\{/\"]\n      max-latency: 10ms\n',
      ),
      response('{"state":"starting"}', {
        status: 503,
        latencyMs: 1234,
        headers: { 'content-type': 'application/json', 'set-cookie': 's=secret' },
      }),
    );
    expect(failures.map(formatFailure)).toEqual([
      'status: expected 200, received 503',
      'header content-type: expected to match /html/, received "application/json"',
      'header x-id: expected "abc", received no such header',
      'header set-cookie: expected to match /Secure/, received a value (hidden)',
      'body: expected to contain "ready", received "{"state":"starting"}"',
      'latency: expected at most 10ms, received 1.2s',
    ]);
  });

  test('long bodies are trimmed with their full length said', async () => {
    const [failure] = evaluate(await expectations('      body: needle\n'), response('x'.repeat(5000)));
    expect(failure?.received).toBe(`"${'x'.repeat(300)}… (5000 characters)"`);
  });
});

describe('templates', () => {
  const values = new Map<string, unknown>([
    ['token', 'abc'],
    ['id', 42],
    ['user', { name: 'ada' }],
  ]);
  test.each([
    ['/users/{{id}}', '/users/42'],
    ['Bearer {{ token }}', 'Bearer abc'],
    ['{{user}}', '{"name":"ada"}'],
    ['{{unknown}}', '{{unknown}}'],
    ['no placeholders', 'no placeholders'],
  ])('%s', (text, filled) => {
    expect(fillTemplate(text, values)).toBe(filled);
  });

  test('in JSON bodies, a lone placeholder keeps the value type', () => {
    expect(
      fillJsonTemplate({ id: '{{id}}', label: 'user {{id}}', list: ['{{token}}'], user: '{{user}}', n: 1 }, values),
    ).toEqual({
      id: 42,
      label: 'user 42',
      list: ['abc'],
      user: { name: 'ada' },
      n: 1,
    });
  });
});

describe('header secrets', () => {
  test.each([
    ['Bearer tok-123456', ['Bearer tok-123456', 'tok-123456']],
    ['session=cookie-abcdef; theme=dark', ['session=cookie-abcdef; theme=dark', 'cookie-abcdef', 'dark']],
    ['no', []],
    ['plain-token-value', ['plain-token-value']],
  ])('%s', (value, secrets) => {
    expect(headerSecrets(value)).toEqual(secrets);
  });
});

describe('JUnit', () => {
  const results: CheckResult[] = [
    { name: 'ok <1>', ok: true, attempts: 1, status: 200, ms: 12, error: null, details: [], elapsedMs: 15 },
    {
      name: 'broken "2"',
      ok: false,
      attempts: 3,
      status: 503,
      ms: 40,
      error: 'status: expected 200, received 503',
      details: ['status: expected 200, received 503', 'body: "<h1>down & out</h1>\u0007"'],
      elapsedMs: 2500,
    },
  ];

  test('escapes text and attributes and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c"'\u0000\u0007d`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d');
  });

  test('parses back to the same names, counts, times and failures', () => {
    const xml = renderJUnit(results, {
      suiteName: 'smoke-test',
      timestamp: '2026-01-02T03:04:05.000Z',
      elapsedMs: 2600,
      source: 'smoke.yml',
      lines: [3, 9],
    });
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        time: string;
        testsuite: { testcase: Array<Record<string, unknown>> };
      };
    };
    expect(parsed.testsuites).toMatchObject({ tests: '2', failures: '1', time: '2.600' });
    const [first, second] = parsed.testsuites.testsuite.testcase;
    expect(first).toMatchObject({ name: 'ok <1>', time: '0.015', file: 'smoke.yml', line: '3' });
    expect(first?.['failure']).toBeUndefined();
    expect(second).toMatchObject({
      name: 'broken "2"',
      time: '2.500',
      failure: { message: 'status: expected 200, received 503', type: 'SmokeCheckFailure' },
    });
    expect(xml).toContain('body: &quot;&lt;h1&gt;down &amp; out&lt;/h1&gt;&quot;</failure>');
  });
});
