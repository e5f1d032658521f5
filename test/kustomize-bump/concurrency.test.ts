// Six workflow runs bump six different images of the same overlays at the same moment: every
// push that loses the race fetches, re-applies its edit on the new head and tries again.
import { commitsOf, createGitopsRemote, git, showFile, type GitopsRemote } from '@shiprail/rehearsal';
import { runBundledAction } from '@shiprail/testkit';

const SERVICES = Array.from({ length: 6 }, (_, index) => `svc${String(index + 1).padStart(2, '0')}`);

let remote: GitopsRemote;
beforeAll(async () => {
  remote = await createGitopsRemote({ images: SERVICES, overlays: ['dev', 'staging'] });
});
afterAll(async () => {
  await remote.stop();
});

test('6 concurrent bumps of 6 images all land, every edit present, history linear', async () => {
  const runs = await Promise.all(
    SERVICES.map((service, index) =>
      runBundledAction('kustomize-bump', {
        inputs: {
          repository: remote.remoteUrl,
          token: '',
          overlays: 'overlays/dev\noverlays/staging',
          images: `ghcr.io/acme/${service}:2.0.${index}`,
          'max-attempts': '30',
          verify: 'false',
        },
        timeoutMs: 280_000,
      }),
    ),
  );
  for (const run of runs) {
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['changed']).toBe('true');
  }
  const history = await commitsOf(remote.path, 'main');
  expect(history).toHaveLength(SERVICES.length + 1);
  expect(new Set(runs.map((run) => run.outputs['commit'])).size).toBe(SERVICES.length);
  for (const run of runs) expect(history).toContain(run.outputs['commit']);
  expect(await git(remote.path, ['rev-list', '--min-parents=2', 'main'])).toBe('');
  for (const overlay of ['dev', 'staging']) {
    const file = await showFile(remote.path, 'main', `overlays/${overlay}/kustomization.yaml`);
    SERVICES.forEach((service, index) => {
      expect(file).toContain(`  - name: ghcr.io/acme/${service}\n    newTag: "2.0.${index}"\n`);
    });
  }
  // Some pushes lost the race and were retried: the retry path ran, not just twelve lucky pushes.
  const retried = runs.filter((run) => /on attempt ([2-9]|\d\d) of 30/.test(run.stdout));
  expect(retried.length).toBeGreaterThan(0);
}, 300_000);
