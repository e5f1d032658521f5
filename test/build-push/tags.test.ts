// The tag table: GitHub contexts and rules -> the tags docker/metadata-action gives for them, run
// through the bundled action in dry-run mode exactly as the runner would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../support/harness.ts';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const MERGE_SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const HEAD_SHA = 'f00dbabe00112233445566778899aabbccddeeff';
const IMAGE = 'ghcr.io/acme/api';
const repository = { name: 'shop', default_branch: 'main', html_url: 'https://github.com/acme/shop' };

interface TagCase {
  name: string;
  eventName?: string;
  ref: string;
  sha?: string;
  event?: Record<string, unknown>;
  tags?: string;
  flavor?: string;
  env?: Record<string, string>;
  expected: string[];
  version?: string;
}

const pullRequest = (number: number): Record<string, unknown> => ({
  number,
  repository,
  pull_request: { number, head: { sha: HEAD_SHA, ref: 'feature/x' }, base: { ref: 'main', sha: SHA } },
});

const SEMVER_RULES =
  'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}';

const cases: TagCase[] = [
  { name: 'push to the default branch', ref: 'refs/heads/main', expected: ['main', 'sha-860c190'], version: 'main' },
  {
    name: 'push to a branch with a slash: sanitized',
    ref: 'refs/heads/feature/login-form',
    expected: ['feature-login-form', 'sha-860c190'],
  },
  {
    name: 'branch with characters tags cannot hold',
    ref: 'refs/heads/fix#12@home',
    expected: ['fix-12-home', 'sha-860c190'],
  },
  {
    name: 'semver tag: version first, latest last',
    ref: 'refs/tags/v1.2.3',
    expected: ['1.2.3', 'sha-860c190', 'latest'],
    version: '1.2.3',
  },
  {
    name: 'semver patterns {{major}}.{{minor}} and {{major}}',
    ref: 'refs/tags/v1.2.3',
    tags: SEMVER_RULES,
    expected: ['1.2.3', '1.2', '1', 'latest'],
  },
  {
    name: 'pre-release: only the full version, no latest',
    ref: 'refs/tags/v2.0.8-beta.67',
    tags: SEMVER_RULES,
    expected: ['2.0.8-beta.67'],
    version: '2.0.8-beta.67',
  },
  {
    name: 'pre-release with build metadata',
    ref: 'refs/tags/v9.5.7-alpha.2+fork.3.1.8',
    tags: SEMVER_RULES,
    expected: ['9.5.7-alpha.2'],
  },
  {
    name: 'pre-release with {{raw}} keeps the raw tag',
    ref: 'refs/tags/v1.2.3-rc.2',
    tags: 'type=semver,pattern={{raw}}',
    expected: ['v1.2.3-rc.2'],
  },
  {
    name: 'semver {{raw}} on a release',
    ref: 'refs/tags/v1.2.3',
    tags: 'type=semver,pattern={{raw}}\ntype=semver,pattern=v{{major}}',
    expected: ['v1.2.3', 'v1', 'latest'],
  },
  {
    name: 'semver from value= on a branch',
    ref: 'refs/heads/main',
    tags: 'type=semver,pattern={{major}}.{{minor}},value=v3.4.5',
    expected: ['3.4', 'latest'],
  },
  {
    name: 'semver match= takes the version out of a service tag',
    ref: 'refs/tags/api/v1.2.3',
    tags: 'type=semver,pattern={{version}},match=^api/v(.*)$\ntype=semver,pattern={{major}}.{{minor}},match=^api/v(.*)$',
    expected: ['1.2.3', '1.2', 'latest'],
  },
  {
    name: 'a tag that is not semver gives no semver tag',
    ref: 'refs/tags/sometag',
    expected: ['sha-860c190'],
    version: 'sha-860c190',
  },
  {
    name: 'pull_request: pr-<n> and the merge commit SHA',
    eventName: 'pull_request',
    ref: 'refs/pull/15/merge',
    sha: MERGE_SHA,
    event: pullRequest(15),
    expected: ['pr-15', 'sha-a1b2c3d'],
    version: 'pr-15',
  },
  {
    name: 'pull_request with DOCKER_METADATA_PR_HEAD_SHA uses the head commit',
    eventName: 'pull_request',
    ref: 'refs/pull/15/merge',
    sha: MERGE_SHA,
    event: pullRequest(15),
    env: { DOCKER_METADATA_PR_HEAD_SHA: 'true' },
    expected: ['pr-15', 'sha-f00dbab'],
  },
  {
    name: 'pull_request_target is treated as the PR, not the base branch',
    eventName: 'pull_request_target',
    ref: 'refs/heads/main',
    event: pullRequest(16),
    expected: ['pr-16', 'sha-860c190'],
  },
  {
    name: 'DOCKER_METADATA_SHORT_SHA_LENGTH and format=long',
    ref: 'refs/heads/main',
    tags: 'type=sha\ntype=sha,format=long,prefix=',
    env: { DOCKER_METADATA_SHORT_SHA_LENGTH: '12' },
    expected: ['sha-860c1904a1ce', SHA],
  },
  {
    name: 'edge on the default branch',
    ref: 'refs/heads/main',
    tags: 'type=edge\ntype=sha',
    expected: ['edge', 'sha-860c190'],
  },
  {
    name: 'no edge on another branch',
    ref: 'refs/heads/dev',
    tags: 'type=edge\ntype=sha',
    expected: ['sha-860c190'],
  },
  { name: 'edge for a named branch', ref: 'refs/heads/dev', tags: 'type=edge,branch=dev', expected: ['edge'] },
  {
    name: 'schedule: nightly by default, and only on schedule',
    eventName: 'schedule',
    ref: 'refs/heads/main',
    event: {},
    tags: 'type=schedule\ntype=ref,event=branch',
    expected: ['nightly', 'main'],
  },
  {
    name: 'schedule rule on a push gives nothing',
    ref: 'refs/heads/main',
    tags: 'type=schedule\ntype=ref,event=branch',
    expected: ['main'],
  },
  {
    name: 'flavor prefix and suffix; type=sha keeps its own prefix; onlatest',
    ref: 'refs/tags/v1.2.3',
    flavor: 'prefix=api-,onlatest=true\nsuffix=-alpine',
    expected: ['api-1.2.3-alpine', 'sha-860c190-alpine', 'api-latest'],
  },
  {
    name: 'a rule prefix overrides the flavor prefix',
    ref: 'refs/heads/main',
    tags: 'type=ref,event=branch,prefix=b-\ntype=raw,value=x',
    flavor: 'prefix=api-',
    expected: ['b-main', 'api-x'],
  },
  {
    name: 'latest=false on a release',
    ref: 'refs/tags/v1.2.3',
    flavor: 'latest=false',
    expected: ['1.2.3', 'sha-860c190'],
  },
  {
    name: 'latest=true on a branch',
    ref: 'refs/heads/dev',
    flavor: 'latest=true',
    expected: ['dev', 'sha-860c190', 'latest'],
  },
  {
    name: 'priority decides the order and the version',
    ref: 'refs/heads/main',
    tags: 'type=ref,event=branch\ntype=raw,value=first,priority=2000\ntype=sha,priority=650',
    expected: ['first', 'sha-860c190', 'main'],
    version: 'first',
  },
  {
    name: 'latest=auto follows the highest-priority rule (a raw tag first: no latest)',
    ref: 'refs/tags/v1.2.3',
    tags: 'type=raw,value=top,priority=2000\ntype=semver,pattern={{version}}',
    expected: ['top', '1.2.3'],
  },
  {
    name: 'enable={{is_default_branch}} on the default branch',
    ref: 'refs/heads/main',
    tags: 'type=raw,value=stable,enable={{is_default_branch}}\ntype=ref,event=branch',
    expected: ['main', 'stable'],
  },
  {
    name: 'enable={{is_default_branch}} elsewhere',
    ref: 'refs/heads/dev',
    tags: 'type=raw,value=stable,enable={{is_default_branch}}\ntype=ref,event=branch',
    expected: ['dev'],
  },
  { name: 'enable=false', ref: 'refs/heads/main', tags: 'type=sha,enable=false\ntype=raw,value=x', expected: ['x'] },
  {
    name: 'expressions in raw values',
    ref: 'refs/heads/main',
    tags: 'type=raw,value={{branch}}-{{sha}}\ntype=raw,value=base-{{base_ref}}-{{tag}}',
    expected: ['main-860c190', 'base--'],
  },
  {
    name: 'type=ref,event=tag: sanitized, and latest',
    ref: 'refs/tags/release/1',
    tags: 'type=ref,event=tag',
    expected: ['release-1', 'latest'],
  },
  {
    name: 'type=match with a group',
    ref: 'refs/tags/p1-v1.0.0',
    tags: 'type=match,pattern=\\d.\\d.\\d\ntype=match,pattern=(p\\d)-v,group=1',
    expected: ['1.0.0', 'p1', 'latest'],
  },
  {
    name: 'duplicates are dropped',
    ref: 'refs/heads/main',
    tags: 'type=ref,event=branch\ntype=raw,value=main\ntype=raw,value={{branch}}',
    expected: ['main'],
  },
  {
    name: 'quoted values keep their commas (CSV)',
    ref: 'refs/heads/main',
    tags: 'type=raw,"value=a,b"',
    expected: ['a-b'],
  },
];

let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'build-push-tags-'));
  writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\n');
});

afterAll(() => rmSync(workspace, { recursive: true, force: true }));

test.each(cases)('$name', async (entry) => {
  const run = await runAction('build-push', {
    inputs: {
      image: IMAGE,
      'dry-run': 'true',
      ...(entry.tags === undefined ? {} : { tags: entry.tags }),
      ...(entry.flavor === undefined ? {} : { flavor: entry.flavor }),
    },
    eventName: entry.eventName ?? 'push',
    event: entry.event ?? { repository },
    ref: entry.ref,
    sha: entry.sha ?? SHA,
    workspace,
    env: entry.env ?? {},
  });
  expect(run.errors).toEqual([]);
  expect(run.exitCode).toBe(0);
  expect(run.outputs['tags']?.split('\n').filter(Boolean)).toEqual(entry.expected.map((tag) => `${IMAGE}:${tag}`));
  expect(run.outputs['version']).toBe(entry.version ?? entry.expected[0]);
  expect(run.outputs['built']).toBe('false');
  expect(run.outputs['digest']).toBeUndefined();
});

test('a dated schedule tag uses today in the given time zone', async () => {
  const run = await runAction('build-push', {
    inputs: { image: IMAGE, 'dry-run': 'true', tags: "type=schedule,pattern={{date 'YYYYMMDD'}}" },
    eventName: 'schedule',
    event: {},
    ref: 'refs/heads/main',
    sha: SHA,
    workspace,
  });
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  expect(run.outputs['tags']).toBe(`${IMAGE}:${today}`);
});

test('OCI labels come from the run and the event, user labels win', async () => {
  const run = await runAction('build-push', {
    inputs: {
      image: IMAGE,
      'dry-run': 'true',
      labels: 'org.opencontainers.image.title=API service\nteam=payments',
    },
    ref: 'refs/tags/v1.2.3',
    sha: SHA,
    event: { repository: { ...repository, description: 'The shop', license: { spdx_id: 'MIT' } } },
    workspace,
  });
  const labels = JSON.parse(run.outputs['labels'] ?? '{}') as Record<string, string>;
  expect(labels).toEqual({
    'org.opencontainers.image.created': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
    'org.opencontainers.image.description': 'The shop',
    'org.opencontainers.image.licenses': 'MIT',
    'org.opencontainers.image.revision': SHA,
    'org.opencontainers.image.source': 'https://github.com/acme/shop',
    'org.opencontainers.image.title': 'API service',
    'org.opencontainers.image.url': 'https://github.com/acme/shop',
    'org.opencontainers.image.version': '1.2.3',
    team: 'payments',
  });
  expect(Object.keys(labels)).toEqual(Object.keys(labels).sort());
  expect(run.summary).toContain('Dry run');
  expect(run.summary).toContain('`ghcr.io/acme/api:1.2.3`');
});

interface ErrorCase {
  name: string;
  inputs: Record<string, string>;
  ref?: string;
  error: RegExp;
}

const errorCases: ErrorCase[] = [
  { name: 'upper-case image', inputs: { image: 'ghcr.io/Acme/api' }, error: /input 'image'.*lower case/ },
  { name: 'bad characters in the image', inputs: { image: 'ghcr.io/acme/a$pi' }, error: /input 'image'.*a\$pi/ },
  { name: 'registry without repository', inputs: { image: 'ghcr.io' }, error: /input 'image'.*no repository/ },
  { name: 'image with a tag', inputs: { image: 'ghcr.io/acme/api:1' }, error: /input 'image'.*tag/ },
  {
    name: 'missing context',
    inputs: { image: IMAGE, context: 'nowhere' },
    error: /input 'context'.*nowhere does not exist/,
  },
  {
    name: 'missing Dockerfile',
    inputs: { image: IMAGE, dockerfile: 'services/api/Dockerfile' },
    error: /input 'dockerfile'.*services\/api\/Dockerfile does not exist/,
  },
  {
    name: 'unknown rule type',
    inputs: { image: IMAGE, tags: 'type=version' },
    error: /input 'tags'.*type=version.*unknown type/,
  },
  {
    name: 'semver without pattern',
    inputs: { image: IMAGE, tags: 'type=semver' },
    error: /input 'tags'.*needs a pattern/,
  },
  {
    name: 'raw without value',
    inputs: { image: IMAGE, tags: 'type=raw,prefix=x' },
    error: /input 'tags'.*needs a value/,
  },
  {
    name: 'enable that is not a boolean',
    inputs: { image: IMAGE, tags: 'type=sha,enable=yes' },
    error: /input 'tags'.*type=sha,enable=yes.*enable='yes'/,
  },
  {
    name: 'unclosed expression',
    inputs: { image: IMAGE, tags: 'type=raw,value={{branch' },
    error: /input 'tags'.*unclosed/,
  },
  {
    name: 'computed tag over 128 characters names the rule',
    inputs: { image: IMAGE, tags: `type=ref,event=branch\ntype=raw,value=${'x'.repeat(129)}` },
    error: /input 'tags': rule 'type=raw,value=x{129}' produced the tag .* 129 characters/,
  },
  {
    name: 'computed tag with a bad first character names the rule',
    inputs: { image: IMAGE, tags: 'type=ref,event=branch,prefix=-' },
    error: /input 'tags': rule 'type=ref,event=branch,prefix=-' produced the tag '-main', which starts with '-'/,
  },
  {
    name: 'unknown flavor key',
    inputs: { image: IMAGE, flavor: 'latest=auto,colour=red' },
    error: /input 'flavor'.*colour/,
  },
  { name: 'bad latest flavor', inputs: { image: IMAGE, flavor: 'latest=maybe' }, error: /input 'flavor'/ },
  { name: 'bad build arg', inputs: { image: IMAGE, 'build-args': 'JUST_A_NAME' }, error: /input 'build-args'/ },
  { name: 'bad platform', inputs: { image: IMAGE, platforms: 'amd64' }, error: /input 'platforms'/ },
  {
    name: 'password without user',
    inputs: { image: IMAGE, 'registry-password': 'hunter22' },
    error: /input 'registry-username'/,
  },
  { name: 'strict booleans', inputs: { image: IMAGE, push: 'yes' }, error: /input 'push'/ },
];

test.each(errorCases)('error before anything is built: $name', async (entry) => {
  const run = await runAction('build-push', {
    // Not a dry run: the error must still come before any build or registry access.
    inputs: { ...entry.inputs, builder: 'buildx' },
    ref: entry.ref ?? 'refs/heads/main',
    sha: SHA,
    event: { repository },
    workspace,
    env: { PATH: '/nonexistent' },
  });
  expect(run.exitCode).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(entry.error);
  expect(run.outputs).toEqual({});
  expect(run.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('hunter22');
});
