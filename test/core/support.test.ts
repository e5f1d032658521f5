import {
  ConfigurationError,
  backoffDelay,
  capSummary,
  code,
  errorMessage,
  execWithDeadline,
  formatDuration,
  parseYamlDocument,
  retry,
  table,
  raw,
  withPrivateFile,
} from '@shiprail/core';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

describe('backoff and retry', () => {
  test.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 500],
  ])('attempt %d waits %d ms (capped)', (attempt, delay) =>
    expect(backoffDelay(attempt, { baseMs: 100, maxMs: 500 })).toBe(delay),
  );

  test('jitter stays within the share it is given', () => {
    expect(backoffDelay(1, { baseMs: 1000, jitter: 0.5 }, () => 0)).toBe(500);
    expect(backoffDelay(1, { baseMs: 1000, jitter: 0.5 }, () => 0.99)).toBe(995);
  });

  test('retries until success, sleeping between attempts', async () => {
    const delays: number[] = [];
    const result = await retry(
      (attempt) => (attempt < 3 ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve(attempt)),
      { attempts: 5, baseMs: 10, sleep: (ms) => Promise.resolve(void delays.push(ms)) },
    );
    expect(result).toBe(3);
    expect(delays).toEqual([10, 20]);
  });

  test('stops at once on an error that is not retryable, and after the last attempt', async () => {
    let calls = 0;
    const failing = (): Promise<never> => {
      calls += 1;
      return Promise.reject(new ConfigurationError('bad'));
    };
    await expect(
      retry(failing, { attempts: 5, baseMs: 1, retryIf: (e) => !(e instanceof ConfigurationError) }),
    ).rejects.toThrow('bad');
    expect(calls).toBe(1);
    calls = 0;
    await expect(retry(failing, { attempts: 3, baseMs: 1, sleep: () => Promise.resolve() })).rejects.toThrow('bad');
    expect(calls).toBe(3);
  });
});

describe('YAML with positions', () => {
  const text = 'services:\n  api:\n    path: services/api\n    dependsOn: [auth]\n';

  test('finds the line of a node, or of its nearest parent', async () => {
    const parsed = await parseYamlDocument(text, { file: 'services.yml' });
    expect(parsed.lineOf(['services', 'api', 'dependsOn', 0])).toBe(4);
    expect(parsed.lineOf(['services', 'api', 'missing'])).toBe(3);
    const mistake = parsed.mistake(['services', 'api', 'dependsOn', 0], "unknown name 'auth'");
    expect(mistake.describe()).toBe("services.yml:4: services.api.dependsOn[0]: unknown name 'auth'");
  });

  test.each([
    ['a: [1, 2', 1],
    ['a: 1\nb:\n  - x\n - y', 4],
    ['a: 1\na: 2', 2],
  ])('syntax errors carry the line: %j', async (source, line) => {
    try {
      await parseYamlDocument(source, { file: 'f.yml' });
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).location).toEqual({ file: 'f.yml', line });
    }
  });
});

describe('Markdown', () => {
  test('tables escape cells unless they are raw', () =>
    expect(table(['a', 'b'], [['x|y', raw('[link](u)')]])).toBe('| a | b |\n| --- | --- |\n| x\\|y | [link](u) |'));

  test('code survives backticks', () => expect(code('a`b')).toBe('``a`b``'));

  test('the summary is capped with a note', () => {
    const capped = capSummary('line\n'.repeat(1000), 1000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(1000);
    expect(capped).toMatch(/cut here/);
  });

  test.each([
    [850, '850ms'],
    [12_340, '12.3s'],
    [245_000, '4m05s'],
    [3_720_000, '1h02m'],
  ])('formatDuration(%d) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('errors', () => {
  test.each([
    [new ConfigurationError('bad', { input: 'image' }), "input 'image': bad"],
    [new ConfigurationError('bad', { file: 'a.yml', line: 3 }), 'a.yml:3: bad'],
    [new Error('outer', { cause: new Error('inner') }), 'outer (inner)'],
    ['text', 'text'],
  ])('errorMessage %#', (error, message) => expect(errorMessage(error)).toBe(message));
});

test('private files are 0600 and gone afterwards', async () => {
  let seen = '';
  await withPrivateFile(tmpdir(), 'auth.json', 'secret', async (path) => {
    seen = path;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('secret');
    await Promise.resolve();
  });
  expect(existsSync(seen)).toBe(false);
});

describe('programs under a deadline', () => {
  it('kills the program and what it started when the caller aborts, and says so', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = execWithDeadline('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      deadline: { ms: 60_000, what: 'sleeping' },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toThrow('sleeping: stopped');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('stops at once a program whose caller has aborted already', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      execWithDeadline('sleep', ['30'], { deadline: { ms: 60_000, what: 'sleeping' }, signal: controller.signal }),
    ).rejects.toThrow('sleeping: stopped');
  });
});
