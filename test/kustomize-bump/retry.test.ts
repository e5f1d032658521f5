// A push that loses the race is retried on the new head: another writer commits to the branch right
// before each of our pushes, for as many attempts as the test decides.
import type { Exec } from '@shiprail/core';
import { bumpImages, parseInputs } from '@shiprail/kustomize-bump';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitsOf, git, showFile, type GitopsRemote } from '@shiprail/rehearsal';
import { RemoteTemplate } from './remote-template.ts';
import { createTestRuntime, type RecordingRuntime } from '@shiprail/testkit';

let template: RemoteTemplate;
beforeAll(async () => {
  template = await RemoteTemplate.create();
});
afterAll(() => template.stop());

let remote: GitopsRemote;
let other: string;
beforeEach(async () => {
  remote = await template.copy();
  other = await mkdtemp(join(tmpdir(), 'other-writer-'));
  await git(other, ['clone', '--quiet', remote.path, 'clone']);
});
afterEach(async () => {
  await remote.stop();
  await rm(other, { recursive: true, force: true });
});

/** Another writer's commit to main: a new file, so it never conflicts with the bump. */
async function competingCommit(index: number): Promise<void> {
  const clone = join(other, 'clone');
  await git(clone, ['pull', '--quiet', '--ff-only']);
  await writeFile(join(clone, `other-${index}.txt`), `${index}\n`);
  await git(clone, ['add', '.']);
  await git(clone, ['commit', '--quiet', '-m', `other writer ${index}`]);
  await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
}

/** A runtime whose clock does not wait and whose git pushes race `losses` competing commits. */
function racingRuntime(losses: number, inputs: Record<string, string>): RecordingRuntime & { sleeps: number[] } {
  const sleeps: number[] = [];
  const runtime = createTestRuntime({
    inputs: { repository: remote.remoteUrl, token: '', verify: 'false', ...inputs },
  });
  const realExec = runtime.exec;
  let pushes = 0;
  const exec: Exec = async (program, args, options) => {
    if (program === 'git' && args[0] === 'push' && pushes < losses) {
      pushes += 1;
      await competingCommit(pushes);
    }
    return realExec(program, args, options);
  };
  runtime.exec = exec;
  runtime.clock = { now: () => Date.now(), sleep: (ms) => Promise.resolve(void sleeps.push(ms)) };
  return Object.assign(runtime, { sleeps });
}

test('a rejected push is fetched, re-applied on the new head and pushed again, with jittered backoff', async () => {
  const runtime = racingRuntime(3, { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:9.0.0', 'max-attempts': '5' });
  const result = await bumpImages(runtime, parseInputs(runtime.inputs));
  expect(result.attempts).toBe(4);
  expect(runtime.sleeps).toHaveLength(3);
  // Full jitter: each delay is somewhere below its exponential ceiling (500 ms, 1 s, 2 s).
  runtime.sleeps.forEach((delay, index) => expect(delay).toBeLessThanOrEqual(500 * 2 ** index));
  const history = await commitsOf(remote.path, 'main');
  expect(history).toHaveLength(5);
  expect(history[0]).toBe(result.commit);
  expect(await git(remote.path, ['rev-list', '--min-parents=2', 'main'])).toBe('');
  expect(await showFile(remote.path, 'main', 'other-3.txt')).toBe('3\n');
  expect(await showFile(remote.path, 'main', 'overlays/dev/kustomization.yaml')).toContain('newTag: "9.0.0"');
  expect(runtime.logs.filter((line) => line.includes('lost a race'))).toHaveLength(3);
});

test('when every attempt loses, the error says so and suggests a concurrency group', async () => {
  const runtime = racingRuntime(10, {
    overlays: 'overlays/dev',
    images: 'ghcr.io/acme/api:9.0.0',
    'max-attempts': '3',
  });
  await expect(bumpImages(runtime, parseInputs(runtime.inputs))).rejects.toThrow(
    /main kept moving: the push was rejected 3 times .*concurrency group/,
  );
  const history = await commitsOf(remote.path, 'main');
  expect(history).toHaveLength(4);
  expect(await showFile(remote.path, 'main', 'overlays/dev/kustomization.yaml')).not.toContain('9.0.0');
});

test('a competing commit that already made the same edit leaves nothing to commit', async () => {
  const runtime = createTestRuntime({
    inputs: {
      repository: remote.remoteUrl,
      token: '',
      verify: 'false',
      overlays: 'overlays/dev',
      images: 'ghcr.io/acme/web:4.0.0',
    },
  });
  const realExec = runtime.exec;
  let raced = false;
  runtime.exec = async (program, args, options) => {
    if (program === 'git' && args[0] === 'push' && !raced) {
      raced = true;
      const clone = join(other, 'clone');
      await git(clone, ['pull', '--quiet', '--ff-only']);
      const path = join(clone, 'overlays/dev/kustomization.yaml');
      const text = await showFile(remote.path, 'main', 'overlays/dev/kustomization.yaml');
      await writeFile(
        path,
        text.replace('ghcr.io/acme/web\n    newTag: "0.1.0"', 'ghcr.io/acme/web\n    newTag: "4.0.0"'),
      );
      await git(clone, ['commit', '--quiet', '-am', 'same bump by someone else']);
      await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
    }
    return realExec(program, args, options);
  };
  runtime.clock = { now: () => Date.now(), sleep: () => Promise.resolve() };
  const result = await bumpImages(runtime, parseInputs(runtime.inputs));
  expect(result).toMatchObject({ changed: false, commit: '', attempts: 2 });
  expect(await commitsOf(remote.path, 'main')).toHaveLength(2);
});
