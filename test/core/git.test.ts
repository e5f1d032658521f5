import { DeadlineError, Git, writeFileAtomically, type GitOptions, type GitRunOptions } from '@shiprail/core';
import { actionsExec } from '@shiprail/core/action';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'core-git-'));
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '--quiet', '--initial-branch=main');
  mkdirSync(join(repo, 'sub'));
  writeFileSync(join(repo, 'sub', 'é.txt'), 'x\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'first');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

// A git alias that prints variables of the environment git runs with, one per line.
const printenv = (...names: string[]): string[] => ['-c', `alias.env=!printenv ${names.join(' ')}`, 'env'];

interface GitCase {
  name: string;
  options?: Omit<GitOptions, 'exec' | 'cwd'>;
  /** Relative to the repository: the Git is moved there with in(). */
  in?: string;
  args: readonly string[];
  run?: GitRunOptions;
  /** git's standard output, trimmed; or the exit code; or what the promise rejects with. */
  stdout?: string;
  exitCode?: number;
  rejects?: RegExp | typeof DeadlineError;
}

const cases: GitCase[] = [
  { name: 'runs in its working directory', args: ['rev-parse', '--show-prefix'], stdout: '' },
  { name: 'in() moves it to another directory', in: 'sub', args: ['rev-parse', '--show-prefix'], stdout: 'sub/' },
  { name: 'quotes unusual paths by default', args: ['ls-files'], stdout: '"sub/\\303\\251.txt"' },
  {
    name: 'gives its settings to every command with -c',
    options: { config: ['core.quotePath=false'] },
    args: ['ls-files'],
    stdout: 'sub/é.txt',
  },
  { name: 'never waits for a password prompt', args: printenv('GIT_TERMINAL_PROMPT'), stdout: '0' },
  {
    name: 'adds its environment',
    options: { env: { GIT_AUTHOR_NAME: 'bot' } },
    args: printenv('GIT_TERMINAL_PROMPT', 'GIT_AUTHOR_NAME'),
    stdout: '0\nbot',
  },
  {
    name: 'writes its input to git',
    args: ['hash-object', '--stdin'],
    run: { input: 'x\n' },
    stdout: '587be6b4c3f93f93c489c0111bba5596147a26cb',
  },
  { name: 'a failure throws', args: ['rev-parse', '--verify', 'nothing'], rejects: /git exited with code 128/ },
  {
    name: 'or resolves when allowed',
    args: ['rev-parse', '--verify', 'nothing'],
    run: { allowFailure: true },
    exitCode: 128,
  },
  {
    name: 'stops a command at the default deadline',
    options: { deadlineMs: 300, env: { GIT_EDITOR: 'sleep 30 #' } },
    args: ['commit', '--allow-empty'],
    rejects: DeadlineError,
  },
  {
    name: "stops a command at the command's own deadline",
    options: { deadlineMs: 60_000, env: { GIT_EDITOR: 'sleep 30 #' } },
    args: ['commit', '--allow-empty'],
    run: { deadline: { ms: 300, what: 'the editor' } },
    rejects: /the editor did not answer/,
  },
];

describe('Git', () => {
  test.each(cases)('$name', async ({ options, in: directory, args, run, stdout, exitCode, rejects }) => {
    const base = new Git({ exec: actionsExec, cwd: repo, ...options });
    const git = directory === undefined ? base : base.in(join(repo, directory));
    const result = git.run(args, run);
    if (rejects !== undefined) return expect(result).rejects.toThrow(rejects);
    const { stdout: out, exitCode: code } = await result;
    if (stdout !== undefined) expect(out.trim()).toBe(stdout);
    expect(code).toBe(exitCode ?? 0);
  });

  test('output() is the trimmed standard output', async () => {
    await expect(new Git({ exec: actionsExec, cwd: repo }).output(['rev-parse', '--abbrev-ref', 'HEAD'])).resolves.toBe(
      'main',
    );
  });
});

describe('writeFileAtomically', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'core-atomic-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  test('writes the whole file, creating its directory, and leaves nothing else', async () => {
    const path = join(directory, 'a', 'b', 'report.json');
    await writeFileAtomically(path, '{"ok":true}');
    expect(readFileSync(path, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(join(directory, 'a', 'b'))).toEqual(['report.json']);
  });

  test('a write that fails at the rename leaves no temporary file', async () => {
    // A directory in the way: the temporary file is written, the rename over the directory fails.
    mkdirSync(join(directory, 'report.json', 'inside'), { recursive: true });
    await expect(writeFileAtomically(join(directory, 'report.json'), 'x')).rejects.toThrow();
    expect(readdirSync(directory)).toEqual(['report.json']);
  });
});
