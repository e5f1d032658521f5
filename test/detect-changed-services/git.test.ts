import type { Exec } from '@shiprail/core';
import { actionsExec } from '@shiprail/core/action';
import { fetchFailureReason, GitHistory } from '@shiprail/detect-changed-services';
import { realpathSync } from 'node:fs';
import { createMonorepo, removeTemporaryDirectories, Repo, temporaryDirectory } from './repo.ts';

describe('fetchFailureReason', () => {
  test.each([
    ['', 'no output'],
    ['warning: a\nfatal: b\n', 'warning: a fatal: b'],
    ["fatal: unable to access 'https://user:s3cret@x/': 500", "fatal: unable to access 'https://***@x/': 500"],
    ['fatal: x\n::warning::INJECTED', 'fatal: x ::warning::INJECTED'],
    ['::error::planted', '\\::error::planted'],
  ])('%j -> %j', (stderr, reason) => {
    expect(fetchFailureReason(stderr)).toBe(reason);
  });
});

describe('GitHistory.prefetch', () => {
  afterAll(removeTemporaryDirectories);

  /** GitHistory over real git, recording each call's arguments (without the `-c` settings) as it starts. */
  function recordingHistory(cwd: string): { history: GitHistory; calls: string[] } {
    const calls: string[] = [];
    const exec: Exec = (program, args, options) => {
      calls.push(args.filter((arg, index) => arg !== '-c' && args[index - 1] !== '-c').join(' '));
      return actionsExec(program, args, options);
    };
    return { history: new GitHistory({ cwd, exec }), calls };
  }

  function pushedRepo(): { repo: Repo; before: string; after: string } {
    const { repo, base } = createMonorepo();
    const after = repo.commit('worker', { 'services/worker/src/w.ts': '1\n', 'README.md': '# shop!\n' });
    return { repo, before: base, after };
  }

  test('a push whose commits the clone holds: two git calls, both started before either answers', async () => {
    const { repo, before, after } = pushedRepo();
    const { history, calls } = recordingHistory(repo.path);
    history.prefetch(before, after);
    expect(calls).toEqual([
      `rev-parse --is-shallow-repository --show-toplevel ${before}...${after}`,
      `diff --no-ext-diff --no-textconv --name-status -z -M ${before}...${after}`,
    ]);
    expect(await history.topLevel()).toBe(realpathSync(repo.path));
    expect(await history.localMergeBase(before, after)).toBe(before);
    expect(await history.changedFiles(before, after)).toEqual([
      { status: 'M', path: 'README.md' },
      { status: 'A', path: 'services/worker/src/w.ts' },
    ]);
    expect(calls).toHaveLength(2);
  });

  test.each<[string, (repo: Repo, before: string, after: string) => [string, string]]>([
    ['another pair than the prefetched one', (_, before, after) => [after, before]],
    ['a base that is not the merge base', (repo, before, after) => [repo.git('rev-parse', `${after}~1`), after]],
  ])('answers nothing it was not asked: %s', async (_, pair) => {
    const { repo, before } = pushedRepo();
    const head = repo.commit('more', { 'services/api/src/x.ts': '1\n' });
    const { history, calls } = recordingHistory(repo.path);
    history.prefetch(before, head);
    const [base, tip] = pair(repo, before, head);
    const plain = new GitHistory({ cwd: repo.path, exec: actionsExec });
    expect(await history.changedFiles(base, tip)).toEqual(await plain.changedFiles(base, tip));
    expect(calls.at(-1)).toBe(`diff --no-ext-diff --no-textconv --name-status -z -M ${base} ${tip}`);
  });

  test('commits the clone lacks: the probe still tells the top level, and the steps ask git again', async () => {
    const { repo, before, after } = pushedRepo();
    const clone = repo.shallowClone('main');
    const { history, calls } = recordingHistory(clone);
    history.prefetch(before, after);
    expect(await history.topLevel()).toBe(realpathSync(clone));
    expect(await history.isShallow()).toBe(true);
    expect(await history.localMergeBase(before, after)).toBeUndefined();
    expect(calls.slice(2)).toEqual([`merge-base ${before} ${after}`]);
  });

  test('outside a repository: no top level, as without the prefetch', async () => {
    const { history } = recordingHistory(temporaryDirectory());
    history.prefetch('1'.repeat(40), '2'.repeat(40));
    expect(await history.topLevel()).toBeUndefined();
  });

  test.each([
    ['an abbreviated SHA', 'abc1234'],
    ['a branch name', 'main'],
    ['an option', '--output=/tmp/x'],
  ])('only full SHAs are prefetched: %s', (_, before) => {
    const { history, calls } = recordingHistory(temporaryDirectory());
    history.prefetch(before, '2'.repeat(40));
    expect(calls).toEqual([]);
  });
});
