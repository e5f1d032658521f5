import {
  DeadlineError,
  escapeUntrusted,
  HttpStatusError,
  InputParser,
  isTransient,
  neutralizeCommandLines,
  parseYamlDocument,
  Redactor,
  stripUrlCredentials,
  urlCredentials,
  withDeadline,
} from '@shiprail/core';
import { freePort } from '@shiprail/rehearsal/servers';
import { startFaultServer, type FaultBehaviour } from '@shiprail/testkit';

describe('escapeUntrusted', () => {
  test.each([
    ['plain', 'services/api/a.ts', 'services/api/a.ts'],
    ['newline then command', 'x\n::warning::INJECTED', 'x\\n::warning::INJECTED'],
    ['carriage return', 'a\r::error::b', 'a\\r::error::b'],
    ['leading command', '::set-output name=x::y', '\\::set-output name=x::y'],
    ['leading blanks then command', '  ::warning::x', '  \\::warning::x'],
    ['old-style command', '##[error]x', '\\##[error]x'],
    ['line separator', 'a\u2028::warning::b', 'a\\u2028::warning::b'],
    ['escape and bell', 'a\u001b[31mb\u0007', 'a\\u001b[31mb\\u0007'],
    ['tab', 'a\tb', 'a\\tb'],
    ['colons inside', 'image: a::b', 'image: a::b'],
  ])('%s', (_name, input, expected) => {
    expect(escapeUntrusted(input)).toBe(expected);
    expect(escapeUntrusted(input)).not.toMatch(/[\n\r]/);
  });
});

describe('neutralizeCommandLines', () => {
  test.each([
    ['ordinary lines', 'a\nb', 'a\nb'],
    ['a command on the second line', 'changed:\n::warning::INJECTED', 'changed:\n\\::warning::INJECTED'],
    ['indented command', 'x\n   ::error::y', 'x\n   \\::error::y'],
    ['old-style command', '##[group]x', '\\##[group]x'],
  ])('%s', (_name, input, expected) => {
    expect(neutralizeCommandLines(input)).toBe(expected);
  });
});

describe('URL credentials', () => {
  test.each([
    ['user and password', 'http://admin:s3cret@127.0.0.1:9/x', ['admin', 's3cret'], 'http://***@127.0.0.1:9/x'],
    ['encoded password', 'https://u:p%40ss@h/', ['u', 'p%40ss', 'p@ss'], 'https://***@h/'],
    ['token only', 'https://ghp_abcdef@github.com/a/b.git', ['ghp_abcdef'], 'https://***@github.com/a/b.git'],
    ['none', 'https://h/a?x=y@z', [], 'https://h/a?x=y@z'],
    ['inside a sentence', 'fetch https://a:b1@h/ failed', ['a', 'b1'], 'fetch https://***@h/ failed'],
    [
      'an image short name by digest',
      `docker://golang@sha256:${'0a'.repeat(32)}: unknown`,
      [],
      `docker://golang@sha256:${'0a'.repeat(32)}: unknown`,
    ],
    [
      'a password that looks like a digest',
      `https://u:sha256:${'0a'.repeat(32)}@h/`,
      ['u', `sha256:${'0a'.repeat(32)}`],
      'https://***@h/',
    ],
  ])('%s', (_name, url, credentials, stripped) => {
    expect(urlCredentials(url)).toEqual(credentials);
    expect(stripUrlCredentials(url)).toBe(stripped);
  });
});

describe('Redactor', () => {
  const redactor = new Redactor();
  redactor.add('Bearer tok-123"x');
  redactor.add('tok');
  redactor.add('p@ss word');
  test.each([
    ['as given', 'header Bearer tok-123"x sent', 'header *** sent'],
    ['JSON-escaped in an echo', '{"authorization":"Bearer tok-123\\"x"}', '{"authorization":"***"}'],
    ['URL-encoded', 'q=p%40ss%20word', 'q=***'],
    ['a URL credential never added', 'https://u:other@h/', 'https://***@h/'],
    ['short values are kept out', 'ab', 'ab'],
  ])('%s', (_name, text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
  });
});

describe('isTransient', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  test.each<[string, unknown, boolean]>([
    ['500', new HttpStatusError(500, 'http://h/'), true],
    ['503', new HttpStatusError(503, 'http://h/'), true],
    ['429', new HttpStatusError(429, 'http://h/'), true],
    ['408', new HttpStatusError(408, 'http://h/'), true],
    ['401', new HttpStatusError(401, 'http://h/'), false],
    ['403', new HttpStatusError(403, 'http://h/'), false],
    ['404', new HttpStatusError(404, 'http://h/'), false],
    ['deadline', new DeadlineError('registry', 1000), true],
    ['connection reset', withCode('ECONNRESET'), true],
    ['refused, as a cause', new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), true],
    ['bad certificate', withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), false],
    ['unknown host', withCode('ENOTFOUND'), false],
    ['plain error', new Error('boom'), false],
    ['not an error', 'text', false],
  ])('%s', (_name, error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });

  test('HttpStatusError never shows URL credentials', () => {
    const error = new HttpStatusError(401, 'https://bot:hunter22@registry.example/v2/');
    expect(error.message).toBe('https://***@registry.example/v2/ answered 401');
    expect(error.url).not.toContain('hunter22');
  });
});

describe('real failures of fetch are classified', () => {
  test.each<[string, FaultBehaviour, boolean]>([
    ['a server that hangs up', { kind: 'close' }, true],
    ['a server that answers garbage', { kind: 'garbage' }, false],
  ])('%s', async (_name, behaviour, transient) => {
    const server = await startFaultServer(behaviour);
    try {
      const error = await withDeadline((signal) => fetch(server.url, { signal }), 5000, 'server').catch(
        (e: unknown) => e,
      );
      expect(isTransient(error)).toBe(transient);
    } finally {
      await server.stop();
    }
  });

  test('nothing listening', async () => {
    const port = await freePort();
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(true);
  });
});

describe('withDeadline', () => {
  test('a server that accepts and never answers fails at the deadline', async () => {
    const server = await startFaultServer({ kind: 'hang' });
    const started = Date.now();
    try {
      const result = withDeadline((signal) => fetch(server.url, { signal }), 300, `Prometheus at ${server.url}`);
      await expect(result).rejects.toThrow(`Prometheus at ${server.url} did not answer within 300ms`);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await server.stop();
    }
  });

  test('an operation that ignores its signal still ends at the deadline', async () => {
    await expect(withDeadline(() => new Promise<never>(() => undefined), 50, 'x')).rejects.toBeInstanceOf(
      DeadlineError,
    );
  });

  test('the answer passes through', async () => {
    await expect(withDeadline(() => Promise.resolve(42), 1000, 'x')).resolves.toBe(42);
  });
});

describe('limits on what users write', () => {
  const parser = (value: string): InputParser =>
    new InputParser(
      () => value,
      () => undefined,
    );
  test.each([
    ['24 days fits', '576h', 576 * 3_600_000],
    ['597h is refused', '597h', "input 'timeout': '597h' is longer than 24 days, the longest a step can wait"],
    ['a year of seconds is refused', '31536000', "input 'timeout': '31536000' is longer than 24 days"],
  ])('%s', (_name, value, expected) => {
    const read = (): number => parser(value).duration('timeout', '10m');
    if (typeof expected === 'number') expect(read()).toBe(expected);
    else expect(read).toThrow(expected.replace("input 'timeout': ", ''));
  });

  test('a YAML alias bomb is a mistake in the named file', async () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      ...['b', 'c', 'd', 'e'].map((key, index) => {
        const previous = 'abcd'[index];
        return `${key}: &${key} [${Array(9).fill(`*${previous}`).join(',')}]`;
      }),
    ].join('\n');
    let thrown: unknown;
    try {
      await parseYamlDocument(bomb, { file: '.github/services.yml' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'ConfigurationError', location: { file: '.github/services.yml' } });
    expect((thrown as Error).message).toMatch(/too many YAML alias expansions/);
  });
});
