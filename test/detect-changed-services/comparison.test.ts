import { ConfigurationError } from '@shiprail/core';
import { actionsExec } from '@shiprail/core/action';
import {
  buildMatcher,
  changedPaths,
  GitHistory,
  likelyComparison,
  parseManifest,
  planComparison,
  resolveComparison,
  selectServices,
  serviceOfTag,
  ZERO_SHA,
  type Comparison,
  type ComparisonPlan,
  type EventContext,
} from '@shiprail/detect-changed-services';
import { createMonorepo, eventPayload, MANIFEST, removeTemporaryDirectories, Repo } from './repo.ts';

afterAll(removeTemporaryDirectories);

const SERVICES = new Set(['api', 'web', 'worker']);
const NO_INPUTS = { base: '', head: 'HEAD', forceAll: false };

function eventContext(
  eventName: string,
  payloadName: string,
  replacements: Record<string, unknown> = {},
): EventContext {
  const payload = eventPayload(payloadName, replacements);
  return {
    eventName,
    payload,
    ref: typeof payload['ref'] === 'string' ? payload['ref'] : 'refs/heads/main',
    sha: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5',
    defaultBranch: 'main',
  };
}

describe('planComparison', () => {
  test.each<[string, EventContext, Partial<typeof NO_INPUTS>, Partial<ComparisonPlan>]>([
    [
      'push of a branch: before..after',
      eventContext('push', 'push'),
      {},
      {
        kind: 'push',
        before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        after: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5',
        branch: 'main',
        defaultBranch: 'main',
      },
    ],
    [
      'pull_request: three-dot between base and head',
      eventContext('pull_request', 'pull_request'),
      {},
      {
        kind: 'merge-base',
        base: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        head: 'b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0',
        explicit: false,
        label: 'pull request #42 into main',
      },
    ],
    [
      'pull_request_target: the same',
      eventContext('pull_request_target', 'pull_request'),
      {},
      { kind: 'merge-base', base: '6113728f27ae82c7b1a177c8d03f9e96e0adf246' },
    ],
    [
      'merge_group: base_sha..head_sha',
      eventContext('merge_group', 'merge_group'),
      {},
      {
        kind: 'range',
        base: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        head: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        label: 'merge queue into main',
      },
    ],
    ['a service tag <service>/v*', eventContext('push', 'push-tag'), {}, { kind: 'tag', tag: 'api/v1.2.0' }],
    [
      'a service tag <service>@*',
      eventContext('push', 'push-tag', { ref: 'refs/tags/worker@2.0.0' }),
      {},
      { kind: 'tag', tag: 'worker@2.0.0' },
    ],
    [
      'another tag',
      eventContext('push', 'push-tag', { ref: 'refs/tags/v3.0.0' }),
      {},
      { kind: 'tag', tag: 'v3.0.0', head: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5' },
    ],
    [
      'a tag for a name that is no service',
      eventContext('push', 'push-tag', { ref: 'refs/tags/docs/v1' }),
      {},
      { kind: 'tag', tag: 'docs/v1' },
    ],
    [
      'workflow_dispatch',
      eventContext('workflow_dispatch', 'workflow_dispatch'),
      {},
      { kind: 'all', reason: 'manual run (workflow_dispatch)', warn: false },
    ],
    ['schedule', eventContext('schedule', 'schedule'), {}, { kind: 'all', reason: 'scheduled run', warn: false }],
    ['force-all wins over the event', eventContext('push', 'push'), { forceAll: true }, { kind: 'all', warn: false }],
    [
      'an explicit base wins over the event',
      eventContext('pull_request', 'pull_request'),
      { base: 'release/1.x' },
      { kind: 'merge-base', base: 'release/1.x', head: 'HEAD', explicit: true },
    ],
    [
      'an explicit head replaces the event head',
      eventContext('push', 'push'),
      { head: 'abc123' },
      { kind: 'push', after: 'abc123' },
    ],
    ['an event that names no commits', eventContext('release', 'workflow_dispatch'), {}, { kind: 'all', warn: true }],
    [
      'a pull_request payload without SHAs',
      eventContext('pull_request', 'pull_request', { pull_request: {} }),
      {},
      { kind: 'all', warn: true },
    ],
  ])('%s', (_, event, inputs, expected) => {
    expect(planComparison({ ...NO_INPUTS, ...inputs }, event)).toMatchObject(expected);
  });

  test.each([
    ['api/v1.0.0', 'api'],
    ['api@1.0.0', 'api'],
    ['api/1.0.0', undefined],
    ['apis/v1', undefined],
    ['v1.0.0', undefined],
    ['web/v2-rc.1', 'web'],
  ])('serviceOfTag(%s) = %s', (tag, service) => {
    expect(serviceOfTag(tag, SERVICES)).toBe(service);
  });
});

const manifest = await parseManifest(MANIFEST, '.github/services.yml');
const matcher = buildMatcher(manifest);

type PushPlan = Extract<ComparisonPlan, { kind: 'push' }>;

const push = (before: string, after: string, branch = 'main'): PushPlan => ({
  kind: 'push',
  before,
  after,
  branch,
  defaultBranch: 'main',
});

/**
 * What a case below arranges, built by whichever of the two variants runs it first and reused by the other:
 * a case resolves in a clone of its repository or only reads the repository, so both see the same history.
 */
const arranged = new Map<string, unknown>();
function arrangeOnce<T>(name: string, arrange: () => T): T {
  if (!arranged.has(name)) arranged.set(name, arrange());
  return arranged.get(name) as T;
}

describe.each([
  ['as each step asks', false],
  ['with the likely comparison prefetched', true],
])('resolveComparison on real repositories, git %s', (_, prefetch) => {
  /**
   * Resolves a plan in `cwd` and, when it compares commits, the services the diff selects; with the
   * likely comparison prefetched as the action does, or without, which must come to the same.
   */
  async function resolve(
    cwd: string,
    plan: ComparisonPlan,
    deepenSteps?: number[],
  ): Promise<{ comparison: Comparison; services: string[] }> {
    const git = new GitHistory({ cwd, exec: actionsExec, ...(deepenSteps ? { deepenSteps } : {}) });
    const likely = likelyComparison(plan);
    if (prefetch && likely !== undefined) git.prefetch(...likely);
    const comparison = await resolveComparison(plan, git, SERVICES);
    if (comparison.kind !== 'diff') return { comparison, services: [] };
    const paths = changedPaths(await git.changedFiles(comparison.base, comparison.head));
    const selection = selectServices(manifest, matcher, paths, { includeDependents: true });
    return { comparison, services: selection.selected.map(({ service }) => service.name) };
  }

  test('push: before..after in a shallow clone, fetching and deepening as needed', async () => {
    const { repo, base, after } = arrangeOnce('push', () => {
      const { repo, base } = createMonorepo();
      repo.commit('worker: retry', { 'services/worker/src/worker.ts': 'export const worker = 2;\n' });
      return { repo, base, after: repo.commit('readme', { 'README.md': '# shop!\n' }) };
    });
    const clone = repo.shallowClone('main');
    const result = await resolve(clone, push(base, after));
    expect(result).toEqual({
      comparison: { kind: 'diff', base, head: after, label: 'push to main' },
      services: ['worker'],
    });
  });

  test('push of a new branch: compared with where it left the default branch', async () => {
    const { repo, forkPoint, after } = arrangeOnce('new branch', () => {
      const { repo } = createMonorepo();
      const forkPoint = repo.commit('auth: tokens', { 'libs/auth/index.ts': 'export const auth = 2;\n' });
      repo.git('checkout', '--quiet', '-b', 'feature/web');
      repo.commit('web: page', { 'services/web/src/page.ts': 'export const page = 1;\n' });
      const after = repo.commit('web: more', { 'services/web/src/more.ts': 'export const more = 1;\n' });
      repo.git('checkout', '--quiet', 'main');
      repo.commit('worker: later on main', { 'services/worker/src/worker.ts': 'export const worker = 3;\n' });
      return { repo, forkPoint, after };
    });
    const clone = repo.shallowClone('feature/web');
    const result = await resolve(clone, push(ZERO_SHA, after, 'feature/web'));
    expect(result.comparison).toMatchObject({ kind: 'diff', base: forkPoint, head: after });
    expect(result.comparison.kind === 'diff' && result.comparison.label).toMatch(/feature\/web is a new branch/);
    expect(result.services).toEqual(['web']);
  });

  test('force push: the old tip is no ancestor, so the branch is compared with the default branch', async () => {
    const { repo, base, before, after } = arrangeOnce('force push', () => {
      const { repo, base } = createMonorepo();
      repo.git('checkout', '--quiet', '-b', 'topic');
      const before = repo.commit('api: first try', { 'services/api/src/a.ts': 'export const a = 1;\n' });
      repo.git('reset', '--quiet', '--hard', base);
      const after = repo.commit('worker: second try', { 'services/worker/src/b.ts': 'export const b = 1;\n' });
      return { repo, base, before, after };
    });
    const result = await resolve(repo.clone(), push(before, after, 'topic'));
    expect(result.comparison).toMatchObject({ kind: 'diff', base, head: after });
    expect(result.comparison.kind === 'diff' && result.comparison.label).toMatch(/was forced/);
    expect(result.services).toEqual(['worker']);
  });

  test('force push of the default branch itself selects every service, with a warning', async () => {
    const { repo, before, after } = arrangeOnce('force push of main', () => {
      const { repo, base } = createMonorepo();
      const before = repo.commit('api', { 'services/api/src/a.ts': '1\n' });
      repo.git('reset', '--quiet', '--hard', base);
      return { repo, before, after: repo.commit('web', { 'services/web/src/a.ts': '1\n' }) };
    });
    const { comparison } = await resolve(repo.clone(), push(before, after));
    expect(comparison).toMatchObject({ kind: 'all', head: after });
    expect(comparison.kind === 'all' && comparison.warning).toMatch(/forced .* it is the default branch itself/);
  });

  test('a new branch without a default branch to compare with selects every service', async () => {
    const { repo, base } = arrangeOnce('monorepo', createMonorepo);
    const { comparison } = await resolve(repo.path, { ...push(ZERO_SHA, base, 'x'), defaultBranch: undefined });
    expect(comparison.kind === 'all' && comparison.warning).toMatch(/new branch and the event names no default branch/);
  });

  test('pull request: three-dot, from a depth-1 clone of the head', async () => {
    const { repo, forkPoint, head, baseTip } = arrangeOnce('pull request', () => {
      const { repo } = createMonorepo();
      const forkPoint = repo.commit('users', { 'libs/users/index.ts': 'export const users = 2;\n' });
      repo.git('checkout', '--quiet', '-b', 'pr');
      const head = repo.commit('web: feature', { 'services/web/src/feature.ts': '1\n' });
      repo.git('checkout', '--quiet', 'main');
      const baseTip = repo.commit('api on main meanwhile', { 'services/api/src/later.ts': '1\n' });
      return { repo, forkPoint, head, baseTip };
    });
    const clone = repo.shallowClone('pr');
    const plan: ComparisonPlan = { kind: 'merge-base', base: baseTip, head, explicit: false, label: 'pull request #1' };
    const result = await resolve(clone, plan);
    expect(result.comparison).toMatchObject({ kind: 'diff', base: forkPoint, head });
    // api changed on main after the fork: not part of the pull request.
    expect(result.services).toEqual(['web']);
  });

  test('pull request whose branches crossed: two merge bases, and git merge-base picks one', async () => {
    const { repo, prSide, mainSide, baseTip, head } = arrangeOnce('crossed branches', () => {
      const { repo } = createMonorepo();
      repo.git('checkout', '--quiet', '-b', 'pr');
      const prSide = repo.commit('web on the branch', { 'services/web/src/b.ts': '1\n' });
      repo.git('checkout', '--quiet', 'main');
      const mainSide = repo.commit('api on main', { 'services/api/src/m.ts': '1\n' });
      repo.git('merge', '--quiet', '--no-edit', 'pr');
      const baseTip = repo.commit('worker on main', { 'services/worker/src/w.ts': '1\n' });
      repo.git('checkout', '--quiet', 'pr');
      repo.git('merge', '--quiet', '--no-edit', mainSide);
      return { repo, prSide, mainSide, baseTip, head: repo.commit('web again', { 'services/web/src/c.ts': '1\n' }) };
    });
    const bases = repo.git('merge-base', '--all', baseTip, head).split('\n').sort();
    expect(bases).toEqual([mainSide, prSide].sort());
    const plan: ComparisonPlan = { kind: 'merge-base', base: baseTip, head, explicit: false, label: 'pull request #2' };
    const result = await resolve(repo.path, plan);
    expect(result.comparison).toMatchObject({ kind: 'diff', base: repo.git('merge-base', baseTip, head), head });
  });

  test('merge queue: base_sha..head_sha', async () => {
    const { repo, base, head } = arrangeOnce('merge queue', () => {
      const { repo, base } = createMonorepo();
      return {
        repo,
        base,
        head: repo.commit('queue', { 'services/worker/src/q.ts': '1\n', 'libs/users/u.ts': '1\n' }),
      };
    });
    const plan: ComparisonPlan = { kind: 'range', base, head, label: 'merge queue' };
    const result = await resolve(repo.shallowClone('main'), plan);
    expect(result).toEqual({
      comparison: { kind: 'diff', base, head, label: 'merge queue' },
      services: ['api', 'web', 'worker'],
    });
  });

  test('a rename across services counts at both paths', async () => {
    const { repo, base, head } = arrangeOnce('rename', () => {
      const { repo, base } = createMonorepo();
      repo.git('mv', 'services/api/src/server.ts', 'services/worker/src/server.ts');
      return { repo, base, head: repo.commit('move the server') };
    });
    const git = new GitHistory({ cwd: repo.path, exec: actionsExec });
    expect(await git.changedFiles(base, head)).toEqual([
      { status: 'R', from: 'services/api/src/server.ts', path: 'services/worker/src/server.ts' },
    ]);
    const result = await resolve(repo.path, push(base, head));
    expect(result.services).toEqual(['api', 'web', 'worker']);
  });

  describe('tags', () => {
    const taggedRepo = (): { repo: Repo; v1: string; tip: string } => arrangeOnce('tags', tagRepo);
    function tagRepo(): { repo: Repo; v1: string; tip: string } {
      const { repo } = createMonorepo();
      repo.git('tag', 'v1.0.0');
      const v1 = repo.head();
      repo.commit('worker', { 'services/worker/src/w.ts': '1\n' });
      repo.git('tag', '-a', '-m', 'api release', 'api/v1.0.0');
      const tip = repo.commit('web', { 'services/web/src/w.ts': '1\n' });
      repo.git('tag', '-a', '-m', 'release 1.1', 'v1.1.0');
      return { repo, v1, tip };
    }

    test('a service tag selects that service alone', async () => {
      const { repo } = taggedRepo();
      const plan: ComparisonPlan = { kind: 'tag', tag: 'api/v1.0.0', head: 'api/v1.0.0' };
      const { comparison } = await resolve(repo.path, plan);
      expect(comparison).toEqual({
        kind: 'service',
        service: 'api',
        head: repo.git('rev-parse', 'api/v1.0.0^{commit}'),
        reason: 'tag api/v1.0.0',
      });
    });

    test('another tag: since the previous tag, skipping service tags, in a shallow clone', async () => {
      const { repo, v1, tip } = taggedRepo();
      const clone = repo.shallowClone('v1.1.0');
      const plan: ComparisonPlan = { kind: 'tag', tag: 'v1.1.0', head: 'v1.1.0' };
      const result = await resolve(clone, plan);
      expect(result).toEqual({
        comparison: { kind: 'diff', base: v1, head: tip, label: 'tag v1.1.0 since v1.0.0' },
        services: ['web', 'worker'],
      });
    });

    test('the first tag selects every service', async () => {
      const { repo, v1 } = taggedRepo();
      const plan: ComparisonPlan = { kind: 'tag', tag: 'v1.0.0', head: 'v1.0.0' };
      const { comparison } = await resolve(repo.path, plan);
      expect(comparison).toEqual({
        kind: 'all',
        head: v1,
        reason: 'tag v1.0.0: no earlier tag to compare with',
        warning: undefined,
      });
    });
  });

  describe('shallow clones and failing open', () => {
    const longBranch = (): { repo: Repo; base: string; head: string } => arrangeOnce('long branch', branchOff);
    function branchOff(): { repo: Repo; base: string; head: string } {
      const { repo, base } = createMonorepo();
      repo.git('checkout', '--quiet', '-b', 'long');
      for (let index = 0; index < 8; index += 1)
        repo.commit(`step ${index}`, { 'services/web/src/n.ts': `${index}\n` });
      const head = repo.head();
      repo.git('checkout', '--quiet', 'main');
      repo.commit('main moves', { 'services/api/src/m.ts': '1\n' });
      return { repo, base, head };
    }

    test('deepening stops after the bounded number of steps and every service is selected', async () => {
      const { repo, head } = longBranch();
      const clone = repo.shallowClone('long');
      const plan: ComparisonPlan = { kind: 'merge-base', base: 'main', head, explicit: true, label: 'base main' };
      const { comparison } = await resolve(clone, plan, [1, 2]);
      expect(comparison.kind).toBe('all');
      expect(comparison.kind === 'all' && comparison.warning).toMatch(
        /^Selected every service: no merge base of \w{7} and \w{7} in the shallow clone after deepening it 2 times \(3 commits\)/,
      );
    });

    test('with enough steps the merge base is found', async () => {
      const { repo, base, head } = longBranch();
      const clone = repo.shallowClone('long');
      const plan: ComparisonPlan = { kind: 'merge-base', base: 'main', head, explicit: true, label: 'base main' };
      const { comparison, services } = await resolve(clone, plan, [2, 4, 8]);
      expect(comparison).toMatchObject({ kind: 'diff', base, head });
      expect(services).toEqual(['web']);
    });

    test('unrelated histories fail open, saying why', async () => {
      const { repo, base, other } = arrangeOnce('unrelated', () => {
        const { repo, base } = createMonorepo();
        repo.git('checkout', '--quiet', '--orphan', 'other');
        return { repo, base, other: repo.commit('unrelated', { 'x.txt': '1\n' }) };
      });
      const plan: ComparisonPlan = { kind: 'merge-base', base, head: other, explicit: false, label: 'pr' };
      const { comparison } = await resolve(repo.path, plan);
      expect(comparison.kind === 'all' && comparison.warning).toMatch(/have no common ancestor/);
    });

    test('a base that does not exist is the user’s mistake', async () => {
      const { repo } = arrangeOnce('monorepo', createMonorepo);
      const plan: ComparisonPlan = {
        kind: 'merge-base',
        base: 'no-such-branch',
        head: 'HEAD',
        explicit: true,
        label: 'x',
      };
      const failure = resolve(repo.clone(), plan);
      await expect(failure).rejects.toThrow(ConfigurationError);
      await expect(resolve(repo.clone(), plan)).rejects.toThrow(/'no-such-branch' is not a commit, branch or tag/);
    });

    test('an explicit base names a branch that only origin has', async () => {
      const { repo, base, head } = arrangeOnce('release branch', () => {
        const { repo, base } = createMonorepo();
        repo.git('checkout', '--quiet', '-b', 'release');
        const head = repo.commit('web', { 'services/web/src/r.ts': '1\n' });
        repo.git('checkout', '--quiet', 'main');
        return { repo, base, head };
      });
      const clone = repo.shallowClone('release');
      const plan: ComparisonPlan = {
        kind: 'merge-base',
        base: 'main',
        head: 'HEAD',
        explicit: true,
        label: 'base main',
      };
      const result = await resolve(clone, plan);
      expect(result).toMatchObject({ comparison: { kind: 'diff', base, head }, services: ['web'] });
    });
  });
});
