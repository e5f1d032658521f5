// rehearse-repository: `shiprail rehearse` on a repository in a team's shape (the storefront of
// test/fixtures/rehearse, its pipeline written by `shiprail init`, a push changing catalog and checkout),
// from starting its world to removing it, beside the built-in sample's happy path (`npm run demo`), both
// against the floor of the work neither can avoid, measured in the same run: building the storefront's
// two changed images with bare buildah (vfs, chroot isolation) from an empty store, their busybox base
// pulled from a loopback registry that mirrors Docker Hub's name. Rounds interleave the three so that load
// on the machine touches them alike; CPU counts every child process.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vfsStorageConf, worldMirror } from '@shiprail/rehearsal';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { startRegistry } from '@shiprail/rehearsal/servers';
import { median, timeCommand, timeNode, type Timing } from './lib/timing.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? '3');
const env = (extra: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >;

const parent = mkdtempSync(join(tmpdir(), 'bench-rehearse-repository-'));
const repository = join(parent, 'storefront');
const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: repository,
    encoding: 'utf8',
    env: env({
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    }),
  });
cpSync(join(repoRoot, 'test', 'fixtures', 'rehearse', 'storefront'), repository, { recursive: true });
git('init', '--quiet', '--initial-branch=main');
execFileSync(process.execPath, [join(repoRoot, 'packages', 'cli', 'bin', 'shiprail.ts'), 'init', repository], {
  stdio: 'ignore',
});
git('add', '--all');
git('commit', '--quiet', '-m', 'The storefront and its pipeline');
appendFileSync(join(repository, 'catalog', 'www', 'products'), '[]\n');
appendFileSync(join(repository, 'checkout', 'src', 'www', 'ready'), 'yes\n');
git('commit', '--quiet', '--all', '-m', 'catalog and checkout');

/** A vfs store of its own under `root`: buildah's environment for it. */
function emptyStore(root: string): Record<string, string> {
  return { CONTAINERS_STORAGE_CONF: vfsStorageConf(root), HOME: root };
}

// The base the storefront's Dockerfiles name (busybox:stable), where the floor's builds pull it from.
const mirror = await startRegistry();
const mirrorRoot = mkdtempSync(join(tmpdir(), 'bench-rehearse-mirror-'));
const busybox = worldMirror(
  mirrorRoot,
  { host: mirror.host, prefix: `${mirror.host}/acme`, username: 'bench', password: 'bench-secret' },
  emptyStore(mirrorRoot),
);
await busybox.mirror.publishBusybox();
const { registriesConf } = busybox;

/** The two changed images built with bare buildah, from an empty store as a runner's builds start. */
function byHand(): Timing {
  const root = mkdtempSync(join(tmpdir(), 'bench-rehearse-floor-'));
  const options = {
    cwd: repository,
    env: env({ ...emptyStore(root), CONTAINERS_REGISTRIES_CONF: registriesConf }),
  };
  const total: Timing = { wallMs: 0, cpuMs: 0 };
  try {
    for (const [context, dockerfile] of [
      ['catalog', 'catalog/Dockerfile'],
      ['.', 'checkout/Dockerfile'],
    ] as const) {
      const args = ['--storage-driver', 'vfs', 'bud', '--isolation', 'chroot', '--file', dockerfile, context];
      const timing = timeCommand('buildah', args, options);
      total.wallMs += timing.wallMs;
      total.cpuMs += timing.cpuMs;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return total;
}

const floor: Timing[] = [];
const storefront: Timing[] = [];
const happy: Timing[] = [];
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    floor.push(byHand());
    storefront.push(
      timeNode(['packages/cli/bin/shiprail.ts', 'rehearse', repository], { cwd: repoRoot, env: env({}) }),
    );
    happy.push(timeNode(['scripts/demo.ts', '--scenario', 'happy'], { cwd: repoRoot, env: env({}) }));
  }
} finally {
  rmSync(parent, { recursive: true, force: true });
  await mirror.stop();
  rmSync(mirrorRoot, { recursive: true, force: true });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const line = (what: string, timings: Timing[]): string => {
  const wall = median(timings.map((each) => each.wallMs));
  const cpu = median(timings.map((each) => each.cpuMs));
  const floorWall = median(floor.map((each) => each.wallMs));
  const floorCpu = median(floor.map((each) => each.cpuMs));
  return `  ${what}: ${seconds(wall)} wall (${(wall / floorWall).toFixed(1)}×), ${seconds(cpu)} CPU (${(cpu / floorCpu).toFixed(1)}×)`;
};
console.log(`median of ${ROUNDS} rounds`);
console.log(
  `  floor (buildah build of catalog and checkout): ${seconds(median(floor.map((each) => each.wallMs)))} wall, ${seconds(median(floor.map((each) => each.cpuMs)))} CPU`,
);
console.log(line('shiprail rehearse storefront (push, world included)', storefront));
console.log(line('npm run demo (happy, world included)', happy));
