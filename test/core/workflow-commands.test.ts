// The runner protocol written by packages/core must read, to the runner, exactly as @actions/core's does:
// each case runs both and compares what reached standard output and the runner's files.
import * as actionsCore from '@actions/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as commands from '../../packages/core/src/workflow-commands.ts';
import { parseRunnerFile } from '@shiprail/testkit';

/** What `body` writes to standard output. */
async function stdoutOf(body: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    chunks.push(String(chunk));
    return true;
  };
  try {
    await body();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

const hostile = 'line 1\nline 2\r::warning::INJECTED 100% done, a:b';

type Issue = (
  log: Pick<typeof commands, 'info' | 'debug' | 'warning' | 'error' | 'notice' | 'setSecret' | 'group'>,
) => unknown;

describe('workflow commands on standard output', () => {
  test.each<[string, Issue]>([
    ['info', (log) => log.info('plain line')],
    ['debug with line breaks and %', (log) => log.debug(hostile)],
    ['warning without properties', (log) => log.warning(hostile)],
    ['warning with every property', (log) => log.warning('w', { title: hostile, file: 'a,b:c.yml', startLine: 3 })],
    ['error at a column', (log) => log.error('e', { title: 'Configuration error', startLine: 12, startColumn: 5 })],
    ['error at line 0 (left out)', (log) => log.error('e', { file: 'x.yml', startLine: 0 })],
    ['notice', (log) => log.notice(hostile, { file: 'services.yml' })],
    ['add-mask', (log) => log.setSecret('hunter2%\nsecond line')],
    ['group', (log) => log.group(hostile, () => Promise.resolve(log.info('inside')))],
  ])('%s', async (_name, issue) => {
    const ours = await stdoutOf(() => issue(commands));
    expect(ours).toBe(await stdoutOf(() => issue(actionsCore)));
    expect(ours.split('\n').filter((line) => line.includes('INJECTED'))).not.toContainEqual(
      expect.stringMatching(/^::warning::INJECTED/),
    );
  });
});

describe('the runner files', () => {
  let directory: string;
  const saved = { ...process.env };
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'workflow-commands-'));
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(directory, { recursive: true, force: true });
  });

  test.each([
    ['one line', 'services', '["api","web"]'],
    ['several lines', 'matrix', 'a\nb\n\nc'],
    ['empty', 'base', ''],
    ['the delimiter prefix in the value', 'x', 'ghadelimiter_\nghadelimiter_\ninjected<<EOF\nEOF'],
  ])('GITHUB_OUTPUT: %s', (_name, name, value) => {
    const written = (setOutput: (name: string, value: string) => void): Record<string, string> => {
      const file = join(directory, `output-${Math.random()}`);
      writeFileSync(file, '');
      process.env['GITHUB_OUTPUT'] = file;
      setOutput(name, value);
      setOutput('after', 'last');
      return parseRunnerFile(readFileSync(file, 'utf8'));
    };
    const ours = written(commands.setOutput);
    expect(ours).toEqual({ [name]: value, after: 'last' });
    expect(ours).toEqual(written(actionsCore.setOutput));
  });

  test('an output without GITHUB_OUTPUT is a set-output command', async () => {
    delete process.env['GITHUB_OUTPUT'];
    const ours = await stdoutOf(() => commands.setOutput('a', 'x\ny'));
    expect(ours).toBe(await stdoutOf(() => actionsCore.setOutput('a', 'x\ny')));
  });

  test('an output file that is missing is an error', () => {
    process.env['GITHUB_OUTPUT'] = join(directory, 'missing');
    expect(() => commands.setOutput('a', 'b')).toThrow(/Missing file/);
  });

  test('the job summary gets the Markdown and a line end, appended', async () => {
    const summary = (name: string): string => {
      const file = join(directory, name);
      writeFileSync(file, 'before\n');
      process.env['GITHUB_STEP_SUMMARY'] = file;
      return file;
    };
    const ours = summary('ours.md');
    await commands.appendSummary('### Title\n\n| a |');
    const theirs = summary('theirs.md');
    await actionsCore.summary.addRaw('### Title\n\n| a |', true).write();
    actionsCore.summary.emptyBuffer();
    expect(readFileSync(ours, 'utf8')).toBe(readFileSync(theirs, 'utf8'));
  });

  test.each([
    ['dry-run', 'INPUT_DRY-RUN', '  true \n', 'true'],
    ['registry password', 'INPUT_REGISTRY_PASSWORD', 'p4ss', 'p4ss'],
    ['not set', 'INPUT_OTHER', undefined, ''],
  ])('input %s is read from %s, trimmed', (name, variable, raw, expected) => {
    if (raw !== undefined) process.env[variable] = raw;
    expect(commands.getInput(name)).toBe(expected);
    expect(commands.getInput(name)).toBe(actionsCore.getInput(name));
  });
});

describe('reading commands back', () => {
  test.each<[string, Issue, string, string[]]>([
    ['errors with properties', (log) => log.error(hostile, { file: 'a.yml', startLine: 2 }), 'error', [hostile]],
    [
      'warnings among other lines',
      (log) => (log.info('x'), log.warning('w1'), log.warning('w2')),
      'warning',
      ['w1', 'w2'],
    ],
    ['masks', (log) => log.setSecret('s3cr%t'), 'add-mask', ['s3cr%t']],
    ['none of that name', (log) => log.notice('n'), 'error', []],
  ])('%s: what @actions/core wrote reads back as it was given', async (_name, issue, command, data) => {
    const written = await stdoutOf(() => issue(actionsCore));
    expect(commands.commandData(written, command)).toEqual(data);
  });
});
