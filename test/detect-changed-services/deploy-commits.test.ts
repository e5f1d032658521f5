// A repository that is its own GitOps repository: deploy commits (Shiprail-Deploy trailer) select no service,
// and a push of nothing but deploy commits starts no deploy. Real git, one repository per case.
import { runDetectChangedServices } from '@shiprail/detect-changed-services';
import { createTestRuntime } from '@shiprail/testkit';
import { eventPayload, removeTemporaryDirectories, Repo } from './repo.ts';

afterAll(removeTemporaryDirectories);

const MANIFEST = 'services:\n  api:\n    path: services/api\n  web:\n    path: services/web\n  ops:\n    path: .\n';
const deploy = (environment: string): string =>
  `Deploy ghcr.io/acme/api@sha256:1 to ${environment}\n\nSource-Commit: abc\nEnvironment: ${environment}\nShiprail-Deploy: ${environment}`;

/** The repository: a manifest, then the given commits; the push is of the last `pushed` commits. */
async function detect(commits: Array<[string, Record<string, string>]>, pushed: number, base: 'push' | 'first') {
  const repo = Repo.create();
  const first = repo.commit('layout', {
    '.github/services.yml': MANIFEST,
    'services/api/main.go': 'package main\n',
    'services/web/index.js': '1\n',
    'deploy/overlays/dev/kustomization.yaml': 'resources: []\n',
  });
  const shas = commits.map(([message, files]) => repo.commit(message, files));
  const head = shas[shas.length - 1] ?? first;
  const before = shas.length > pushed ? (shas[shas.length - pushed - 1] ?? first) : first;
  const runtime = createTestRuntime({
    inputs: base === 'first' ? { base: first } : {},
    github: {
      workspace: repo.path,
      eventName: 'push',
      payload: eventPayload('push', { before, after: head }),
      sha: head,
      defaultBranch: 'main',
    },
  });
  await runDetectChangedServices(runtime);
  return { services: JSON.parse(runtime.outputs['services'] ?? '[]') as string[], logs: runtime.logs.join('\n') };
}

const OVERLAY = { 'deploy/overlays/dev/kustomization.yaml': 'images: [{name: api, digest: "sha256:1"}]\n' };
const API = { 'services/api/main.go': 'package main // 2\n' };
const WEB = { 'services/web/index.js': '2\n' };

test.each([
  // The deploy's own push: nothing is selected, though production (the base) lacks the api change.
  [
    'a push of one deploy commit',
    [
      ['api', API],
      ['dev', OVERLAY],
    ],
    1,
    'first',
    [],
    'only deploy commits',
  ],
  [
    'a push of two deploy commits',
    [
      ['api', API],
      ['dev', OVERLAY],
      ['dev2', OVERLAY],
    ],
    2,
    'first',
    [],
    'only deploy',
  ],
  // A developer's push after a deploy: the deploy's overlay selects nothing (not even the service at `.`).
  [
    'a developer push over a deploy',
    [
      ['dev', OVERLAY],
      ['web', WEB],
    ],
    2,
    'push',
    ['ops', 'web'],
    'select no service',
  ],
  [
    'since production, across a deploy',
    [
      ['api', API],
      ['dev', OVERLAY],
      ['web', WEB],
    ],
    1,
    'first',
    ['api', 'ops', 'web'],
    'select no service',
  ],
  // A commit without the trailer is the developer's own edit of the overlays: it selects as any change.
  ['an overlay edit without the trailer', [['hand edit', OVERLAY]], 1, 'push', ['ops'], ''],
] as const)('%s selects %j', async (_, commits, pushed, base, expected, log) => {
  const messages = commits.map(([name, files]): [string, Record<string, string>] => [
    name.startsWith('dev') ? deploy('dev') : name,
    files,
  ]);
  const { services, logs } = await detect(messages, pushed, base);
  expect(services).toEqual(expected);
  expect(logs).toContain(log);
});
