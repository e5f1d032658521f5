// rehearsal: the whole happy path on the built-in sample (`npm run demo`, from starting its world to
// removing it), against the floor of the work it cannot avoid, measured in the same run: building the
// images the push changed with bare buildah (vfs, chroot isolation) and pushing them to the world's
// registry. Rounds interleave the two so that load on the machine touches both alike; CPU counts every
// child process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITHUB_TOKEN, startWorld } from '@shiprail/rehearsal';
import { median, timeCommand, timeNode, type Timing } from './lib/timing.ts';

const ROUNDS = 3;
/** The services the happy scenario's push changes. */
const CHANGED = ['api', 'worker'];
const env = (extra: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, value]) => value !== undefined)) as Record<
    string,
    string
  >;

const world = await startWorld({});
/** Each round's builds start from an empty store, as a runner's do. */
function byHand(round: number): Timing {
  const root = mkdtempSync(join(tmpdir(), 'bench-rehearsal-'));
  const storageConf = join(root, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${root}/root"\nrunroot = "${root}/run"\n`);
  const options = { cwd: world.monorepo.path, env: env({ ...world.baseEnv, CONTAINERS_STORAGE_CONF: storageConf }) };
  const total: Timing = { wallMs: 0, cpuMs: 0 };
  for (const service of CHANGED) {
    const image = `${world.imagePrefix}/${service}:floor-${round}`;
    const context = join('services', service);
    for (const args of [
      ['bud', '--isolation', 'chroot', '--tag', image, '--file', join(context, 'Dockerfile'), context],
      ['push', '--tls-verify=false', '--creds', `octocat:${GITHUB_TOKEN}`, image],
    ]) {
      const timing = timeCommand('buildah', ['--storage-driver', 'vfs', ...args], options);
      total.wallMs += timing.wallMs;
      total.cpuMs += timing.cpuMs;
    }
  }
  rmSync(root, { recursive: true, force: true });
  return total;
}

const floor: Timing[] = [];
const happy: Timing[] = [];
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    floor.push(byHand(round));
    happy.push(timeNode(['scripts/demo.ts', '--scenario', 'happy'], { env: env({}) }));
  }
} finally {
  await world.stop();
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const floorWall = median(floor.map((each) => each.wallMs));
const floorCpu = median(floor.map((each) => each.cpuMs));
const happyWall = median(happy.map((each) => each.wallMs));
const happyCpu = median(happy.map((each) => each.cpuMs));
console.log(`median of ${ROUNDS} rounds`);
console.log(
  `  floor (buildah build + push of ${CHANGED.join(' and ')}): ${seconds(floorWall)} wall, ${seconds(floorCpu)} CPU`,
);
console.log(
  `  npm run demo (happy, world included): ${seconds(happyWall)} wall (${(happyWall / floorWall).toFixed(1)}×), ${seconds(happyCpu)} CPU (${(happyCpu / floorCpu).toFixed(1)}×)`,
);
