// Deploy commits: what the pipeline's deploys commit into this repository when it is its own GitOps
// repository (overlays under deploy/overlays/<env>, say). They carry a `Shiprail-Deploy:` trailer. They
// change what runs, never a service: their files select nothing, and a push of nothing but deploy commits
// (the deploy's own push) selects no service, so a deploy never starts another deploy.
import { ZERO_SHA, type GitHistory } from './git.ts';

export const DEPLOY_TRAILER = 'Shiprail-Deploy';

export interface DeployCommits {
  /** How many commits of the range are deploy commits. */
  count: number;
  /** Whether the range holds commits and all of them are deploy commits. */
  all: boolean;
  /** Files that deploy commits changed and no other commit of the range did. */
  onlyTheirs: Set<string>;
}

const NONE: DeployCommits = { count: 0, all: false, onlyTheirs: new Set() };

/** The deploy commits of `base..head` (merges aside: they carry their branch's commits). */
export async function readDeployCommits(git: GitHistory, base: string, head: string): Promise<DeployCommits> {
  const format = `--format=%H%x09%(trailers:key=${DEPLOY_TRAILER},valueonly,separator=%x2C)`;
  const listed = await git.run(['log', '--no-merges', format, `${base}..${head}`]);
  // Commits git cannot list (a shallow clone without them) are not told apart: nothing is ignored.
  if (listed.exitCode !== 0) return NONE;
  const commits = listed.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sha = '', trailer = ''] = line.split('\t');
      return { sha, deploy: trailer.trim() !== '' };
    });
  const deploys = commits.filter((commit) => commit.deploy);
  if (deploys.length === 0) return NONE;
  const all = deploys.length === commits.length;
  if (all) return { count: deploys.length, all, onlyTheirs: new Set() };
  // Which files each commit changed: a file a deploy commit changed counts when another commit changed it too.
  const changed = await git.run([
    'log',
    '--no-merges',
    '--no-renames',
    '--format=%x00%H',
    '--name-only',
    `${base}..${head}`,
  ]);
  if (changed.exitCode !== 0) return NONE;
  const isDeploy = new Set(deploys.map((commit) => commit.sha));
  const theirs = new Set<string>();
  const others = new Set<string>();
  for (const block of changed.stdout.split('\0').slice(1)) {
    const [sha = '', ...files] = block.split('\n').filter((line) => line !== '');
    for (const file of files) (isDeploy.has(sha) ? theirs : others).add(file);
  }
  return { count: deploys.length, all, onlyTheirs: new Set([...theirs].filter((file) => !others.has(file))) };
}

/** The commits a push event brought (`before..after`), when it names them and `before` is not a new branch's. */
export function pushedRange(eventName: string, payload: Record<string, unknown>): [string, string] | undefined {
  if (eventName !== 'push') return undefined;
  const { before, after } = payload;
  if (typeof before !== 'string' || typeof after !== 'string') return undefined;
  if (before === ZERO_SHA || after === ZERO_SHA || before === '' || after === '') return undefined;
  return [before, after];
}
