// The GitOps repository's history as rollout-wait reads it: from a clone at a path (fetched from its
// origin when a commit is missing) or fetched from a URL into an empty directory the first time.
import { GitHistory, NO_HISTORY } from '@shiprail/rollout-wait';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRuntime } from '@shiprail/testkit';

let root: string;
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    encoding: 'utf8',
  }).trim();

/** A bare remote with ours, a later commit, and an unrelated branch. */
function remote(): { bare: string; work: string; ours: string; later: string; unrelated: string } {
  const work = join(root, 'work');
  const bare = join(root, 'remote.git');
  execFileSync('git', ['init', '--quiet', '-b', 'main', work]);
  writeFileSync(join(work, 'kustomization.yaml'), 'resources: []\n');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'ours');
  const ours = git(work, 'rev-parse', 'HEAD');
  writeFileSync(join(work, 'kustomization.yaml'), 'resources: [a.yaml]\n');
  git(work, 'commit', '--quiet', '-am', 'later');
  const later = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '--quiet', '--orphan', 'other');
  git(work, 'commit', '--quiet', '-m', 'unrelated');
  const unrelated = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '--quiet', 'main');
  execFileSync('git', ['clone', '--quiet', '--bare', work, bare]);
  return { bare, work, ours, later, unrelated };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'commit-history-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const options = { exec: createTestRuntime().exec, env: { GIT_TERMINAL_PROMPT: '0' }, deadlineMs: 30_000 };

test('fetched from a URL into an empty directory: later commits contain ours, others do not', async () => {
  const { bare, ours, later, unrelated } = remote();
  const directory = mkdtempSync(join(root, 'fetched-'));
  const history = new GitHistory({ ...options, directory, url: `file://${bare}`, branch: 'main' });
  expect(await history.contains(later, ours)).toBe(true);
  expect(await history.contains(ours, later)).toBe(false);
  // A chart version's `+<sha>` carries 12 characters.
  expect(await history.contains(later.slice(0, 12), ours)).toBe(true);
  // Not on the branch fetched: the history cannot say.
  expect(await history.contains(unrelated, ours)).toBeUndefined();
  expect(await history.contains('f'.repeat(40), ours)).toBeUndefined();
});

test('a clone at a path: a commit pushed after the clone is fetched from its origin', async () => {
  const { bare, work, ours } = remote();
  const clone = join(root, 'clone');
  execFileSync('git', ['clone', '--quiet', bare, clone]);
  writeFileSync(join(work, 'kustomization.yaml'), 'resources: [b.yaml]\n');
  git(work, 'commit', '--quiet', '-am', 'pushed after the clone');
  const newest = git(work, 'rev-parse', 'HEAD');
  git(work, 'push', '--quiet', bare, 'main');
  const history = new GitHistory({ ...options, directory: clone, url: undefined, branch: 'main' });
  expect(await history.contains(newest, ours)).toBe(true);
});

test('without a repository, no history: only our commit itself counts', async () => {
  expect(await NO_HISTORY.contains('b'.repeat(40), 'a'.repeat(40))).toBeUndefined();
});
