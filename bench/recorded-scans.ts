// recorded-scans: the rehearsal's recorded-reports scanner run as trivy-gate runs it (`trivy image --input`
// through the runner's tool cache) on an OCI layout of two gzip layers (Alpine's package database, and
// 2000 files of 16 KiB), against the floor measured in the same run: Node starting and reading the layers
// once (gunzip of each, nothing kept). Rounds interleave the two.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PINNED_TRIVY_VERSION, scanArguments } from '@shiprail/trivy-gate';
import { installScanner } from '../packages/rehearsal/src/scanner/install.ts';
import { median, timeCommand, timeNode, type Timing } from './lib/timing.ts';

const ROUNDS = 5;
const root = mkdtempSync(join(tmpdir(), 'bench-recorded-scans-'));
const layout = join(root, 'layout');
const blobs = join(layout, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });

const blob = (content: Buffer): string => {
  const hex = createHash('sha256').update(content).digest('hex');
  writeFileSync(join(blobs, hex), content);
  return hex;
};

/** A gzip layer of `files` (path → content), tarred by GNU tar as a build would. */
function layer(name: string, files: Record<string, Buffer | string>): { hex: string; diffId: string; size: number } {
  const folder = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  const tar = execFileSync('tar', ['-C', folder, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  const gzip = gzipSync(tar);
  return { hex: blob(gzip), diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`, size: gzip.length };
}

const base = layer('base', {
  'etc/alpine-release': '3.9.4\n',
  'lib/apk/db/installed': 'P:musl\nV:1.1.20-r4\nA:x86_64\n\nP:libssl1.1\nV:1.1.1b-r1\nA:x86_64\n',
});
// Half random (incompressible), half text: what an application layer holds.
const app = layer(
  'app',
  Object.fromEntries(
    Array.from({ length: 2000 }, (_, index) => [
      `app/lib/module-${index}.bin`,
      index % 2 === 0 ? randomBytes(16 * 1024) : 'x'.repeat(16 * 1024),
    ]),
  ),
);
const layers = [base, app];
const config = Buffer.from(
  JSON.stringify({
    os: 'linux',
    architecture: 'amd64',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  }),
);
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${blob(config)}`,
      size: config.length,
    },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: `sha256:${l.hex}`,
      size: l.size,
    })),
  }),
);
writeFileSync(
  join(layout, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${blob(manifest)}`,
        size: manifest.length,
      },
    ],
  }),
);

const toolCache = join(root, 'tool-cache');
installScanner(toolCache, { kind: 'recorded' });
const trivy = join(toolCache, 'trivy', PINNED_TRIVY_VERSION, process.arch, 'trivy');
// As a step runs it: the runner's compile cache for Node, kept between starts.
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_COMPILE_CACHE: join(root, 'compile-cache') };
const args = scanArguments({
  target: { input: layout },
  reportPath: join(root, 'report.json'),
  cacheDir: join(root, 'cache'),
});
/** The floor's program: every layer read and decompressed once, nothing kept. */
const readOnce = `import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
for (const path of ${JSON.stringify(layers.map((l) => join(blobs, l.hex)))}) {
  await pipeline(createReadStream(path), createGunzip(), new Writable({ write: (_chunk, _encoding, done) => done() }));
}`;

const floor: Timing[] = [];
const scan: Timing[] = [];
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    floor.push(timeNode(['--input-type=module', '-e', readOnce], { env }));
    scan.push(timeCommand(trivy, args, { env }));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const floorWall = median(floor.map((each) => each.wallMs));
const floorCpu = median(floor.map((each) => each.cpuMs));
const scanWall = median(scan.map((each) => each.wallMs));
const scanCpu = median(scan.map((each) => each.cpuMs));
const megabytes = (app.size / 1024 / 1024).toFixed(1);
console.log(`median of ${ROUNDS} rounds, an image of two gzip layers (${megabytes} MB compressed)`);
console.log(`  floor (Node starts and gunzips the layers once): ${ms(floorWall)} wall, ${ms(floorCpu)} CPU`);
console.log(
  `  recorded-reports scan as trivy-gate runs it: ${ms(scanWall)} wall (${(scanWall / floorWall).toFixed(1)}×), ${ms(scanCpu)} CPU (${(scanCpu / floorCpu).toFixed(1)}×)`,
);
