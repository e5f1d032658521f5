import { ConfigurationError, InputParser, parseDuration, parseHeaderLines, parseList } from '@shiprail/core';

function parserFor(values: Record<string, string>, masked: string[] = []): InputParser {
  return new InputParser(
    (name) => values[name] ?? '',
    (secret) => masked.push(secret),
  );
}

function mistakeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.describe();
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseDuration', () => {
  test.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['45', 45_000],
    ['1.5', 1_500],
    ['2m30s', 150_000],
    [' 15s ', 15_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'ten', '10 m', '-5s', '5d', 'm5', '1h 30m'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('InputParser', () => {
  test.each([
    ['true', true],
    ['false', false],
    ['', true],
  ])('boolean %j', (raw, expected) => expect(parserFor({ flag: raw }).boolean('flag', true)).toBe(expected));

  test.each(['True', 'yes', '1', 'on'])('boolean refuses %j, naming the input', (raw) =>
    expect(mistakeOf(() => parserFor({ flag: raw }).boolean('flag', false))).toBe(
      `input 'flag': expected true or false, got '${raw}'`,
    ),
  );

  test('duration names the input and the accepted forms', () =>
    expect(mistakeOf(() => parserFor({ timeout: 'soon' }).duration('timeout', '10m'))).toMatch(
      /^input 'timeout': expected a duration like 90s/,
    ));

  test('default applies when the input is empty', () => expect(parserFor({}).duration('timeout', '10m')).toBe(600_000));

  test('required refuses an empty input', () =>
    expect(mistakeOf(() => parserFor({ image: '  ' }).required('image'))).toBe(
      "input 'image': is required but was not given",
    ));

  test.each([
    ['5', 5],
    ['0', 0],
  ])('integer %s', (raw, expected) => expect(parserFor({ n: raw }).integer('n', 3, { min: 0 })).toBe(expected));

  test.each([
    ['x', "input 'n': expected a number, got 'x'"],
    ['1.5', "input 'n': expected a whole number, got '1.5'"],
    ['-1', "input 'n': must be at least 0, got -1"],
    ['11', "input 'n': must be at most 10, got 11"],
  ])('integer refuses %s', (raw, message) =>
    expect(mistakeOf(() => parserFor({ n: raw }).integer('n', 3, { min: 0, max: 10 }))).toBe(message),
  );

  test('choice', () => {
    expect(parserFor({ mode: 'pull-request' }).choice('mode', ['push', 'pull-request'] as const, 'push')).toBe(
      'pull-request',
    );
    expect(
      mistakeOf(() => parserFor({ mode: 'merge' }).choice('mode', ['push', 'pull-request'] as const, 'push')),
    ).toBe("input 'mode': expected one of push, pull-request, got 'merge'");
  });

  test('list drops blank lines and comments', () =>
    expect(parserFor({ items: 'a\n\n  # note\n b \r\nc' }).list('items')).toEqual(['a', 'b', 'c']));

  test('json and yaml name the input', async () => {
    expect(parserFor({ data: '{"a":1}' }).json('data')).toEqual({ a: 1 });
    expect(mistakeOf(() => parserFor({ data: '{a' }).json('data'))).toMatch(/^input 'data': is not valid JSON/);
    expect(await parserFor({ doc: 'a: [1, 2]' }).yaml('doc')).toEqual({ a: [1, 2] });
    const malformed: unknown = await parserFor({ doc: 'a: [1, 2' })
      .yaml('doc')
      .catch((error: unknown) => error);
    expect(malformed instanceof ConfigurationError && malformed.describe()).toMatch(/^input 'doc': malformed YAML/);
  });

  test('secrets are masked as a whole and line by line, before they are returned', () => {
    const masked: string[] = [];
    const value = parserFor({ kubeconfig: 'token: abcdef\nkey: 123456\n' }, masked).secret('kubeconfig');
    expect(value).toBe('token: abcdef\nkey: 123456');
    expect(masked).toEqual(['token: abcdef\nkey: 123456', 'token: abcdef', 'key: 123456']);
  });

  test('every read is observed with the default the code applies', () => {
    const seen: Array<[string, string | undefined]> = [];
    const parser = new InputParser(
      () => '',
      () => undefined,
      (name, fallback) => seen.push([name, fallback]),
    );
    parser.string('config', '.github/services.yml');
    parser.boolean('force-all', false);
    parser.list('images');
    parser.secret('token');
    expect(seen).toEqual([
      ['config', '.github/services.yml'],
      ['force-all', 'false'],
      ['images', undefined],
      ['token', undefined],
    ]);
  });
});

describe('parseList and parseHeaderLines', () => {
  test('headers keep colons in values', () =>
    expect(parseHeaderLines(parseList('Authorization: Bearer a:b\nX-Org:  acme'), 'headers')).toEqual([
      ['Authorization', 'Bearer a:b'],
      ['X-Org', 'acme'],
    ]));

  test.each(['no colon here', ': empty name', 'Bad Name: x'])('refuses %j without echoing it', (line) => {
    const message = mistakeOf(() => parseHeaderLines([line], 'headers'));
    expect(message).toBe("input 'headers': expected header lines like 'Name: value'");
  });
});
