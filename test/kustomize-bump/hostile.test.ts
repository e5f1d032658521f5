// Hostile repository content and unlucky servers, through the bundled action as the runner runs it: each
// case ends in one error that names its cause, within its bound, with no secret shown and nothing pushed.
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFaultServer,
  type FaultServer,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
} from '@shiprail/testkit';
import { startGitHttpServer, type GitHttpServer } from '@shiprail/rehearsal/servers';
import { git, type GitopsRemote } from '@shiprail/rehearsal';
import { RemoteTemplate } from './remote-template.ts';

const TOKEN = 'ghs_H0stileCaseT0kenValue0123456789';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const SECRETS = [TOKEN, BASIC];

let template: RemoteTemplate;
beforeAll(async () => {
  template = await RemoteTemplate.create();
});
afterAll(() => template.stop());

let remote: GitopsRemote;
let scratch: string;
let outside: string;
beforeEach(async () => {
  remote = await template.copy();
  scratch = await mkdtemp(join(tmpdir(), 'kustomize-hostile-'));
  outside = join(scratch, 'outside.yaml');
  await writeFile(outside, 'images:\n  - name: ghcr.io/acme/api\n    newTag: "0.1.0"\n');
});
afterEach(async () => {
  await remote.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Commits `change` to main of the remote, as a GitOps repository's other writers would. */
async function commitToRemote(change: (clone: string) => Promise<void>): Promise<void> {
  const clone = join(scratch, 'writer');
  await git(scratch, ['clone', '--quiet', remote.path, clone]);
  await change(clone);
  await git(clone, ['add', '--all']);
  await git(clone, ['commit', '--quiet', '-m', 'hostile content']);
  await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
  await rm(clone, { recursive: true, force: true });
}

const headOf = async (repository: string, branch = 'main'): Promise<string> =>
  (await git(repository, ['rev-parse', `refs/heads/${branch}`])).trim();

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...['b', 'c', 'd', 'e', 'f'].map((name, index) => {
    const previous = ['a', 'b', 'c', 'd', 'e'][index] ?? 'a';
    return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]`;
  }),
  'images: []',
  '',
].join('\n');

interface HostileCase {
  name: string;
  /** Prepares the remote or a server; returns the inputs and environment of the step. */
  arrange: () => Promise<{ inputs: Record<string, string>; env?: Record<string, string>; stop?: () => Promise<void> }>;
  error: RegExp;
  withinMs: number;
  /** The bare repository that must be unchanged afterwards (default: the GitOps remote). */
  unchanged?: () => string;
}

let gitServer: GitHttpServer | undefined;
let fault: FaultServer | undefined;
afterEach(async () => {
  await gitServer?.stop();
  await fault?.stop();
  gitServer = undefined;
  fault = undefined;
});

/** The GitOps remote served over HTTP (token required), with the pull request API answering as `fault` does. */
async function pullRequestAgainst(behaviour: Parameters<typeof startFaultServer>[0]) {
  const root = join(scratch, 'served');
  await git(scratch, ['clone', '--quiet', '--bare', remote.path, join(root, 'acme', 'gitops.git')]);
  gitServer = await startGitHttpServer({ root, token: TOKEN });
  fault = await startFaultServer(behaviour);
  return {
    inputs: {
      repository: 'acme/gitops',
      mode: 'pull-request',
      overlays: 'overlays/dev',
      images: 'ghcr.io/acme/api:2.0.0',
    },
    env: { GITHUB_SERVER_URL: gitServer.url, GITHUB_API_URL: fault.url },
  };
}

async function httpRemoteAnswering(behaviour: Parameters<typeof startFaultServer>[0]) {
  fault = await startFaultServer(behaviour);
  return {
    inputs: { repository: `${fault.url}/acme/gitops.git`, overlays: 'overlays/dev', images: 'ghcr.io/acme/api:2.0.0' },
    env: { GIT_HTTP_LOW_SPEED_TIME: '2' },
  };
}

const CASES: HostileCase[] = [
  {
    name: 'an overlay whose kustomization links to a file outside the repository',
    arrange: async () => {
      await commitToRemote(async (clone) => {
        await git(clone, ['mv', 'overlays/dev/kustomization.yaml', 'overlays/dev/original.yaml']);
        await symlink(outside, join(clone, 'overlays', 'dev', 'kustomization.yaml'));
      });
      return { inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:6.6.6' } };
    },
    error: /^input 'overlays': 'overlays\/dev\/kustomization\.yaml' is a symbolic link .* leads out of the repository/,
    withinMs: 10_000,
  },
  {
    name: 'the same in a dry run',
    arrange: async () => {
      await commitToRemote(async (clone) => {
        await git(clone, ['mv', 'overlays/dev/kustomization.yaml', 'overlays/dev/original.yaml']);
        await symlink(outside, join(clone, 'overlays', 'dev', 'kustomization.yaml'));
      });
      return { inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:6.6.6', 'dry-run': 'true' } };
    },
    error: /'overlays\/dev\/kustomization\.yaml' is a symbolic link .* leads out of the repository/,
    withinMs: 10_000,
  },
  {
    name: 'an overlay directory that links outside the repository',
    arrange: async () => {
      await commitToRemote((clone) => symlink(scratch, join(clone, 'overlays', 'evil')));
      await writeFile(join(scratch, 'kustomization.yaml'), await readFile(outside));
      return { inputs: { overlays: 'overlays/evil', images: 'ghcr.io/acme/api:6.6.6' } };
    },
    error: /'overlays\/evil' is a symbolic link .* leads out of the repository/,
    withinMs: 10_000,
  },
  {
    name: 'an overlay named like a kubectl flag',
    arrange: () => Promise.resolve({ inputs: { overlays: '--enable-helm', images: 'ghcr.io/acme/api:1.0.0' } }),
    error: /^input 'overlays': '--enable-helm' is not a directory name/,
    withinMs: 5_000,
  },
  {
    name: 'an overlay named -h',
    arrange: () => Promise.resolve({ inputs: { overlays: '-h', images: 'ghcr.io/acme/api:1.0.0' } }),
    error: /^input 'overlays': '-h' is not a directory name/,
    withinMs: 5_000,
  },
  {
    name: 'a kustomization that is a YAML alias bomb',
    arrange: async () => {
      await commitToRemote((clone) => writeFile(join(clone, 'overlays', 'dev', 'kustomization.yaml'), ALIAS_BOMB));
      return { inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:1.0.0', verify: 'false' } };
    },
    error: /^overlays\/dev\/kustomization\.yaml(:\d+)?: .*alias/i,
    withinMs: 10_000,
  },
  {
    name: 'a pre-receive hook that refuses the push (and prints a workflow command)',
    arrange: async () => {
      const hook = join(remote.path, 'hooks', 'pre-receive');
      await writeFile(
        hook,
        '#!/bin/sh\necho "::warning::INJECTED by the hook"\necho "policy: no deploys on Fridays" >&2\nexit 1\n',
      );
      await chmod(hook, 0o755);
      return { inputs: { overlays: 'overlays/dev', images: 'ghcr.io/acme/api:2.0.0', verify: 'false' } };
    },
    error: /^the remote refused the push to refs\/heads\/main: .*pre-receive hook declined.*no deploys on Fridays/,
    withinMs: 8_000,
  },
  {
    name: 'an HTTP git remote that accepts and never answers',
    arrange: () => httpRemoteAnswering({ kind: 'hang' }),
    error: /^cannot read http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\.git: .*Operation too slow/,
    withinMs: 20_000,
  },
  {
    name: 'an HTTP git remote answering 401',
    arrange: () => httpRemoteAnswering({ kind: 'status', status: 401 }),
    error:
      /^cannot read http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\.git: .*(could not read Username|Authentication failed|401)/,
    withinMs: 3_000,
  },
  {
    name: 'an HTTP git remote answering 403',
    arrange: () => httpRemoteAnswering({ kind: 'status', status: 403 }),
    error: /^cannot read http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\.git: .*403/,
    withinMs: 3_000,
  },
  {
    name: 'an HTTP git remote answering 500, tried three times',
    arrange: () => httpRemoteAnswering({ kind: 'status', status: 500 }),
    error: /^cannot read http:\/\/127\.0\.0\.1:\d+\/acme\/gitops\.git: .*500/,
    withinMs: 12_000,
  },
  {
    name: 'the pull request API answering 401',
    arrange: () => pullRequestAgainst({ kind: 'status', status: 401, body: '{"message":"Bad credentials"}' }),
    error: /^listing the open pull requests failed: .*401/,
    withinMs: 8_000,
    unchanged: () => join(scratch, 'served', 'acme', 'gitops.git'),
  },
  {
    name: 'the pull request API answering 500, tried three times',
    arrange: () => pullRequestAgainst({ kind: 'status', status: 500 }),
    error: /^listing the open pull requests failed: .*500/,
    withinMs: 15_000,
    unchanged: () => join(scratch, 'served', 'acme', 'gitops.git'),
  },
  {
    name: 'the pull request API answering bytes that are not HTTP',
    arrange: () => pullRequestAgainst({ kind: 'garbage' }),
    error: /^listing the open pull requests failed: /,
    withinMs: 15_000,
    unchanged: () => join(scratch, 'served', 'acme', 'gitops.git'),
  },
];

test.each(CASES.map((hostile) => [hostile.name, hostile] as const))(
  '%s',
  async (_name, hostile) => {
    const { inputs, env } = await hostile.arrange();
    const bare = hostile.unchanged?.() ?? remote.path;
    const before = await headOf(bare);
    const run: ActionRun = await runBundledAction('kustomize-bump', {
      inputs: { repository: remote.remoteUrl, token: TOKEN, ...inputs },
      env: env ?? {},
      timeoutMs: hostile.withinMs + 30_000,
    });
    expectContainedFailure(run, { secrets: SECRETS, withinMs: hostile.withinMs });
    expect(run.errors[0]).toMatch(hostile.error);
    expect(run.stdout).not.toMatch(/^::warning::INJECTED/m);
    expect(run.stdout).not.toContain('lost a race');
    expect(await headOf(bare)).toBe(before);
    expect(await readFile(outside, 'utf8')).toContain('newTag: "0.1.0"');
  },
  60_000,
);

test('a tag from the repository cannot smuggle a workflow command into the log', async () => {
  await commitToRemote(async (clone) => {
    const file = join(clone, 'overlays', 'dev', 'kustomization.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text.replace(
        'ghcr.io/acme/api\n    newTag: "0.1.0"',
        'ghcr.io/acme/api\n    newTag: "0.1.0\\n::warning::INJECTED"',
      ),
    );
  });
  const run = await runBundledAction('kustomize-bump', {
    inputs: {
      repository: remote.remoteUrl,
      token: '',
      overlays: 'overlays/dev',
      images: 'ghcr.io/acme/api:2.0.0',
      verify: 'false',
    },
  });
  expect(run.errors).toEqual([]);
  expect(run.outputs['changed']).toBe('true');
  expect(run.warnings).toEqual([]);
  expect(run.stdout).not.toMatch(/^::warning::/m);
  expect(run.stdout).toContain('INJECTED');
});
