// build-push: time to build and push a small image through the action (as the runner runs it), the
// time of a reuse-existing re-run, and as the baseline the same build and push with bare buildah.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction } from '@shiprail/rehearsal/workflow';
import { startRegistry } from '@shiprail/rehearsal/servers';
import { createWorkspace } from '../test/build-push/fixtures.ts';
import { median } from './lib/timing.ts';

const ROUNDS = 5;

const registry = await startRegistry();
const workspace = createWorkspace();
const image = `${registry.host}/bench/hello`;
const context = join(workspace.root, 'services', 'hello');
const sha = (round: number): string => `abcdef${round}`.padEnd(40, '0');

try {
  const bare: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const temp = mkdtempSync(join(tmpdir(), 'bench-buildah-'));
    const started = performance.now();
    const options = { env: { ...process.env, ...workspace.env }, stdio: 'ignore' as const };
    const global = ['--storage-driver', 'vfs'];
    execFileSync(
      'buildah',
      [
        ...global,
        'bud',
        '--isolation',
        'chroot',
        '--tag',
        `${image}:bare-${round}`,
        '--file',
        join(context, 'Dockerfile'),
        context,
      ],
      options,
    );
    execFileSync(
      'buildah',
      [
        ...global,
        'push',
        '--tls-verify=false',
        '--digestfile',
        join(temp, 'digest'),
        `${image}:bare-${round}`,
        `docker://${image}:bare-${round}`,
      ],
      options,
    );
    bare.push(performance.now() - started);
    rmSync(temp, { recursive: true, force: true });
  }

  const built: number[] = [];
  const reused: number[] = [];
  const dryRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const common = {
      sha: sha(round),
      event: { repository: { name: 'shop', default_branch: 'main' } },
      workspace: workspace.root,
      env: workspace.env,
    };
    let started = performance.now();
    const build = await runBundledAction('build-push', {
      ...common,
      inputs: { image, context: 'services/hello', builder: 'buildah' },
      ref: 'refs/heads/main',
    });
    built.push(performance.now() - started);
    if (build.outputs['built'] !== 'true') throw new Error(`round ${round}: expected a build\n${build.stdout}`);

    started = performance.now();
    const reuse = await runBundledAction('build-push', {
      ...common,
      inputs: { image, context: 'services/hello', builder: 'buildah' },
      ref: `refs/tags/v1.${round}.0`,
    });
    reused.push(performance.now() - started);
    if (reuse.outputs['built'] !== 'false') throw new Error(`round ${round}: expected reuse\n${reuse.stdout}`);

    started = performance.now();
    await runBundledAction('build-push', {
      ...common,
      inputs: { image, context: 'services/hello', 'dry-run': 'true' },
      ref: 'refs/heads/main',
    });
    dryRuns.push(performance.now() - started);
  }

  const row = (name: string, values: number[]): string =>
    `${name.padEnd(44)} median ${median(values).toFixed(0).padStart(5)} ms  (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`;
  console.log(`small image (scratch + one file), ${ROUNDS} rounds, registry on loopback, buildah vfs + chroot`);
  console.log(row('baseline: bare buildah bud + push', bare));
  console.log(row('action: build + push (new commit)', built));
  console.log(row('action: reuse-existing re-run (release tag)', reused));
  console.log(row('action: dry run (process start + tag rules)', dryRuns));
  console.log(`action build / bare buildah: ${(median(built) / median(bare)).toFixed(2)}x`);
  console.log(`reuse re-run / build: ${(median(reused) / median(built)).toFixed(2)}x`);
} finally {
  await registry.stop();
  rmSync(workspace.root, { recursive: true, force: true });
}
