// The tag tables: GitHub contexts and rules -> the tags docker/metadata-action gives for them. The
// first runs through the bundled action in dry-run mode exactly as the runner would; the second runs
// the same pure functions at a fixed time over the situations docker/metadata-action's own tests use.
import { computeTags, parseFlavor, parseTagRules, tagContext } from '@shiprail/build-push';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction } from '@shiprail/testkit';

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
  {
    name: 'enable={{is_not_default_branch}} elsewhere',
    ref: 'refs/heads/dev',
    tags: 'type=raw,value=notdefbranch,enable={{is_not_default_branch}}\ntype=sha,format=long',
    expected: ['notdefbranch', `sha-${SHA}`],
  },
  {
    name: 'enable={{is_not_default_branch}} on the default branch',
    ref: 'refs/heads/main',
    tags: 'type=raw,value=notdefbranch,enable={{is_not_default_branch}}\ntype=sha',
    expected: ['sha-860c190'],
  },
  {
    name: "{{commit_date}} is the pushed commit's date from the event, in the given zone",
    ref: 'refs/heads/main',
    event: { repository, head_commit: { id: SHA, timestamp: '2022-04-19T11:27:24+02:00' } },
    tags: "type=raw,value=src-{{commit_date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}\ntype=raw,value={{commit_date 'X'}}",
    expected: ['src-20220419-182724', '1650360444'],
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
  const run = await runBundledAction('build-push', {
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
  const run = await runBundledAction('build-push', {
    inputs: { image: IMAGE, 'dry-run': 'true', tags: "type=schedule,pattern={{date 'YYYYMMDD' tz='Asia/Tokyo'}}" },
    eventName: 'schedule',
    event: {},
    ref: 'refs/heads/main',
    sha: SHA,
    workspace,
  });
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date()).replace(/-/g, '');
  expect(run.outputs['tags']).toBe(`${IMAGE}:${today}`);
});

test('OCI labels come from the run and the event, user labels win and may use expressions', async () => {
  const run = await runBundledAction('build-push', {
    inputs: {
      image: IMAGE,
      'dry-run': 'true',
      labels: 'org.opencontainers.image.title=API service\nteam=payments\nbuilt-from={{tag}}@{{sha}}',
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
    'built-from': 'v1.2.3@860c190',
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
  const run = await runBundledAction('build-push', {
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

// The situations of docker/metadata-action's own test suite, at its fixed time 2020-01-10T00:30:00Z
// (its commit dates are that time too). Rows are named after its cases; without tags it uses its
// own defaults, written out here. `latest` is listed where it is expected, last.
const NOW = Date.parse('2020-01-10T00:30:00Z');
const MA_DEFAULTS = ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'];
const MA_SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const MASTER_SHA = '266574110acf203503badf966df2ea24b5d732d7';
const PR_SHA = 'a9c8c5828b91be19d9728548b24759e352367ef1';
const PR_HEAD_SHA = '3370e228f2209994d57af4427fe64e71bb79ac96';

interface Situation {
  eventName: string;
  ref: string;
  sha: string;
  payload: Record<string, unknown>;
}

const maRepository = { name: 'test-docker-action', default_branch: 'master' };
const maPullRequest = {
  number: 15,
  repository: maRepository,
  pull_request: { number: 15, head: { sha: PR_HEAD_SHA, ref: 'test-pr' }, base: { ref: 'master' } },
};
const push = (ref: string, sha = MA_SHA, payload: Record<string, unknown> = {}): Situation => ({
  eventName: 'push',
  ref,
  sha,
  payload: { repository: maRepository, ...payload },
});
const situations = {
  pushDev: push('refs/heads/dev'),
  pushMaster: push('refs/heads/master', MASTER_SHA),
  pushInvalidChars: push('refs/heads/my/feature#1245', '983315b5e8d46e46fc4c49869e85e7ee5fb289ba'),
  workflowDispatch: { ...push('refs/heads/master'), eventName: 'workflow_dispatch' },
  tagV111: push('refs/tags/v1.1.1', MA_SHA, { base_ref: 'refs/heads/master' }),
  tagRelease1: push('refs/tags/release1'),
  tagRc2: push('refs/tags/20200110-RC2'),
  tagBeta: push('refs/tags/v2.0.8-beta.67'),
  tagSometag: push('refs/tags/sometag'),
  tagP1: push('refs/tags/p1/v1.0.0'),
  pullRequest: { eventName: 'pull_request', ref: 'refs/pull/15/merge', sha: PR_SHA, payload: maPullRequest },
  pullRequestTarget: {
    eventName: 'pull_request_target',
    ref: 'refs/heads/master',
    sha: MASTER_SHA,
    payload: maPullRequest,
  },
  schedule: { eventName: 'schedule', ref: 'refs/heads/master', sha: MA_SHA, payload: {} },
  release: { eventName: 'release', ref: 'refs/tags/v1.1.1', sha: MA_SHA, payload: { action: 'created' } },
  empty: { eventName: '', ref: '', sha: '', payload: {} },
} satisfies Record<string, Situation>;

type ParityCase = [
  name: string,
  situation: keyof typeof situations,
  tags: string[],
  flavor: string[],
  expected: string[],
  env?: Record<string, string>,
];

const RAW3 = ['type=raw,my', 'type=raw,custom', 'type=raw,tags'];
const SEMVER3 = [
  'type=semver,pattern={{version}}',
  'type=semver,pattern={{major}}.{{minor}}',
  'type=semver,pattern={{major}}',
];
const GLOBAL_AFFIXES = ['prefix=glo-', 'suffix=-bal'];
const HEAD_SHA_ENV = { DOCKER_METADATA_PR_HEAD_SHA: 'true' };
const DATED = [
  'type=raw,value=mytag-{{branch}}',
  "type=raw,value=mytag-{{date 'YYYYMMDD'}}",
  "type=raw,value=mytag-cd-{{commit_date 'YYYYMMDD'}}",
  "type=raw,value=mytag-{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
  'type=raw,value=mytag-tag-{{tag}}',
  'type=raw,value=mytag-baseref-{{base_ref}}',
  'type=raw,value=mytag-defbranch,enable={{is_default_branch}}',
];

const parityCases: ParityCase[] = [
  ['null02: no event, no commit', 'empty', ['type=sha', 'type=raw,{{branch}}'], [], []],
  ['push01', 'pushDev', MA_DEFAULTS, [], ['dev']],
  ['push02: edge on the default branch', 'pushMaster', ['type=edge'], [], ['edge']],
  ['push03', 'pushMaster', MA_DEFAULTS, [], ['master']],
  ['push04: edge on workflow_dispatch', 'workflowDispatch', ['type=edge'], [], ['edge']],
  ['push07', 'pushDev', ['type=ref,event=branch', 'type=sha'], [], ['dev', 'sha-860c190']],
  ['push08', 'pushMaster', ['type=edge', 'type=sha'], [], ['edge', 'sha-2665741']],
  ['push09: edge,branch=dev', 'pushDev', ['type=edge,branch=dev', 'type=sha'], [], ['edge', 'sha-860c190']],
  ['push10: edge for another branch', 'pushMaster', ['type=edge,branch=dev', 'type=sha'], [], ['sha-2665741']],
  ['push11: invalid characters', 'pushInvalidChars', ['type=edge', 'type=sha'], [], ['sha-983315b']],
  ['push12: semver on a branch', 'pushInvalidChars', ['type=semver,pattern={{version}}', 'type=edge'], [], []],
  ['push13: priority', 'pushMaster', ['type=ref,priority=2000,event=branch', 'type=edge'], [], ['master', 'edge']],
  [
    'push14: semver value=',
    'pushMaster',
    ['type=semver,pattern={{version}},value=v1.2.3', 'type=edge'],
    [],
    ['1.2.3', 'edge', 'latest'],
  ],
  [
    'push15: match value=',
    'pushMaster',
    ['type=match,pattern=v(.*),group=1,value=v1.2.3', 'type=edge'],
    [],
    ['1.2.3', 'edge', 'latest'],
  ],
  [
    'push16: match enable=false',
    'pushMaster',
    ['type=match,enable=false,pattern=v(.*),group=1,value=v1.2.3', 'type=edge'],
    [],
    ['edge'],
  ],
  [
    'push17: every expression',
    'pushMaster',
    DATED,
    [],
    [
      'mytag-master',
      'mytag-20200110',
      'mytag-cd-20200110',
      'mytag-20200110-093000',
      'mytag-tag-',
      'mytag-baseref-',
      'mytag-defbranch',
    ],
  ],
  [
    'push18: sha format=long',
    'pushDev',
    ['type=ref,event=branch', 'type=sha,format=long'],
    [],
    ['dev', `sha-${MA_SHA}`],
  ],
  [
    'push19: is_default_branch elsewhere',
    'pushDev',
    [
      'type=edge,branch=master',
      'type=ref,event=branch,enable=false',
      'type=sha,format=long',
      'type=raw,value=defbranch,enable={{is_default_branch}}',
    ],
    [],
    [`sha-${MA_SHA}`],
  ],
  [
    'push22: is_not_default_branch elsewhere',
    'pushDev',
    ['type=edge,branch=master', 'type=sha,format=long', 'type=raw,value=notdefbranch,enable={{is_not_default_branch}}'],
    [],
    ['notdefbranch', `sha-${MA_SHA}`],
  ],
  [
    'push35: semver value= and match=',
    'pushMaster',
    ['type=semver,pattern={{version}},value=p1/v1.2.3,"match=v(\\d.\\d.\\d)$"', 'type=edge'],
    [],
    ['1.2.3', 'edge', 'latest'],
  ],
  ['tag01', 'tagRelease1', MA_DEFAULTS, [], ['release1', 'latest']],
  ['tag02', 'tagRc2', MA_DEFAULTS, [], ['20200110-RC2', 'latest']],
  ['tag03: match, latest=false', 'tagRc2', ['type=match,pattern=\\d{8}'], ['latest=false'], ['20200110']],
  ['tag04: match group', 'tagRc2', ['type=match,pattern=(.*)-RC,group=1'], ['latest=false'], ['20200110']],
  ['tag05: quoted pattern', 'tagV111', ['type=match,"pattern=\\d.\\d.\\d"'], [], ['1.1.1', 'latest']],
  ['tag06: anchored group', 'tagV111', ['type=match,"pattern=^v(\\d.\\d.\\d)$",group=1'], [], ['1.1.1', 'latest']],
  [
    'tag07: alternation',
    'tagBeta',
    ['type=match,"pattern=\\d.\\d.\\d-(alpha|beta).\\d+"'],
    [],
    ['2.0.8-beta.67', 'latest'],
  ],
  ['tag08: match on a pre-release moves latest', 'tagBeta', ['type=match,"pattern=\\d.\\d"'], [], ['2.0', 'latest']],
  [
    'tag09: two groups',
    'tagBeta',
    ['type=match,"pattern=v(.*)-beta.(.*)",group=1', 'type=match,"pattern=v(.*)-beta.(.*)",group=2'],
    [],
    ['2.0.8', '67', 'latest'],
  ],
  ['tag10: no match', 'tagSometag', ['type=match,"pattern=\\d.\\d"'], [], []],
  ['tag11', 'tagV111', SEMVER3, [], ['1.1.1', '1.1', '1', 'latest']],
  [
    'tag12: equal results once',
    'tagV111',
    ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}.{{patch}}'],
    [],
    ['1.1.1', 'latest'],
  ],
  [
    'tag13: pre-release',
    'tagBeta',
    ['type=semver,pattern={{major}}.{{minor}}', 'type=semver,pattern={{major}}'],
    [],
    ['2.0.8-beta.67'],
  ],
  ['tag14: not semver', 'tagSometag', ['type=ref,event=tag', ...SEMVER3], ['latest=false'], ['sometag']],
  [
    'tag15: raw first, no latest',
    'tagBeta',
    ['type=raw,priority=2000,foo', 'type=semver,pattern={{version}}', 'type=match,"pattern=\\d.\\d"'],
    [],
    ['foo', '2.0.8-beta.67', '2.0'],
  ],
  [
    'tag16: raw first, ref tag',
    'tagV111',
    ['type=raw,priority=2000,foo', 'type=ref,event=tag', 'type=edge'],
    [],
    ['foo', 'v1.1.1'],
  ],
  [
    'tag17: /regex/flags',
    'tagP1',
    [
      'type=match,"pattern=/^v(\\d.\\d.\\d)$/ig",group=1',
      'type=match,pattern=\\d.\\d.\\d',
      'type=match,pattern=\\d.\\d',
      'type=ref,event=pr',
      'type=sha',
    ],
    [],
    ['1.0.0', '1.0', 'sha-860c190', 'latest'],
  ],
  [
    'tag18: a group that does not exist',
    'tagP1',
    [
      'type=match,pattern=p1/v(\\d.\\d.\\d),group=1',
      'type=match,pattern=p1/v(\\d.\\d),group=1',
      'type=match,pattern=p1/v(\\d.\\d),group=3',
      'type=ref,event=pr',
      'type=sha',
    ],
    [],
    ['1.0.0', '1.0', 'sha-860c190', 'latest'],
  ],
  [
    'tag19: an empty rule suffix overrides the flavor',
    'tagP1',
    [
      'type=match,pattern=p1/v(\\d.\\d.\\d),group=1',
      'type=match,pattern=p1/v(\\d.\\d),group=1,suffix=',
      'type=ref,event=pr',
      'type=sha',
    ],
    ['suffix=-dev'],
    ['1.0.0-dev', '1.0', 'sha-860c190-dev', 'latest'],
  ],
  [
    'tag20: {{tag}}, {{sha}}, {{base_ref}} of a tag push',
    'tagV111',
    [
      'type=raw,{{tag}}-{{sha}}-foo',
      'type=raw,{{base_ref}}-foo',
      'type=raw,defbranch-foo,enable={{is_default_branch}}',
    ],
    [],
    ['v1.1.1-860c190-foo', 'master-foo'],
  ],
  [
    'tag21: suffix onlatest',
    'tagV111',
    ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}.{{patch}}'],
    ['suffix=-dev,onlatest=true'],
    ['1.1.1-dev', 'latest-dev'],
  ],
  [
    'tag22: prefix and suffix onlatest',
    'tagV111',
    ['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}.{{patch}}'],
    ['prefix=foo-,onlatest=true', 'suffix=-dev,onlatest=true'],
    ['foo-1.1.1-dev', 'foo-latest-dev'],
  ],
  ['tag31: {{raw}} of a pre-release', 'tagBeta', ['type=semver,pattern={{raw}}'], [], ['v2.0.8-beta.67']],
  [
    'tag34: semver match= on a prefixed tag',
    'tagP1',
    ['type=semver,pattern={{version}},"match=v(\\d.\\d.\\d)$"'],
    [],
    ['1.0.0', 'latest'],
  ],
  ['latest01', 'tagRelease1', ['type=match,"pattern=^release\\d{1,2}"'], [], ['release1', 'latest']],
  ['latest02', 'tagRc2', ['type=match,"pattern=^\\d+-RC\\d{1,2}"'], [], ['20200110-RC2', 'latest']],
  ['latest03', 'tagRc2', ['type=match,pattern=\\d{8}'], [], ['20200110', 'latest']],
  ['latest05', 'tagV111', MA_DEFAULTS, [], ['v1.1.1', 'latest']],
  ['latest06', 'tagBeta', ['type=match,"pattern=\\d.\\d.\\d"'], [], ['2.0.8', 'latest']],
  ['latest07', 'tagV111', ['type=ref,event=tag'], ['latest=false'], ['v1.1.1']],
  ['pr01', 'pullRequest', MA_DEFAULTS, [], ['pr-15']],
  ['pr03', 'pullRequest', ['type=ref,event=pr', 'type=sha'], [], ['pr-15', 'sha-a9c8c58']],
  ['pr04', 'pullRequest', ['type=sha,priority=2000', 'type=ref,event=pr'], [], ['sha-a9c8c58', 'pr-15']],
  ['pr05: the pr- prefix beats the flavor', 'pullRequest', ['type=ref,event=pr'], GLOBAL_AFFIXES, ['pr-15-bal']],
  ['pr06: prefix= removes it', 'pullRequest', ['type=ref,event=pr,prefix='], GLOBAL_AFFIXES, ['15-bal']],
  ['pr07', 'pullRequestTarget', ['type=sha,priority=2000', 'type=ref,event=pr'], [], ['sha-2665741', 'pr-15']],
  ['pr08', 'pullRequestTarget', ['type=ref,event=pr,prefix='], GLOBAL_AFFIXES, ['15-bal']],
  [
    'pr09',
    'pullRequestTarget',
    ['type=ref,event=tag', 'type=ref,event=pr', 'type=ref,event=branch', 'type=sha', 'type=sha,format=long'],
    [],
    ['pr-15', 'sha-2665741', `sha-${MASTER_SHA}`],
  ],
  [
    'pr10: {{base_ref}} of pull_request_target',
    'pullRequestTarget',
    ['type=raw,value=mytag-{{base_ref}}', 'type=raw,mytag-defbranch,enable={{is_default_branch}}'],
    [],
    ['mytag-master'],
  ],
  [
    'pr11: {{base_ref}} of pull_request',
    'pullRequest',
    ['type=raw,value=mytag-{{base_ref}}', 'type=raw,mytag-defbranch,enable={{is_default_branch}}'],
    [],
    ['mytag-master'],
  ],
  [
    'pr12: an unquoted date format is a lookup: ISO 8601, sanitized',
    'pullRequest',
    ['type=raw,value={{commit_date YYYY-MM-DD-HHmmSS}}'],
    [],
    ['2020-01-10T00-30-00Z'],
  ],
  ['pr-head-sha pr03', 'pullRequest', ['type=ref,event=pr', 'type=sha'], [], ['pr-15', 'sha-3370e22'], HEAD_SHA_ENV],
  [
    'pr-head-sha pr09',
    'pullRequestTarget',
    ['type=ref,event=tag', 'type=ref,event=pr', 'type=ref,event=branch', 'type=sha', 'type=sha,format=long'],
    [],
    ['pr-15', 'sha-3370e22', `sha-${PR_HEAD_SHA}`],
    HEAD_SHA_ENV,
  ],
  ['schedule01', 'schedule', MA_DEFAULTS, [], ['nightly', 'master']],
  [
    'schedule02: dated patterns',
    'schedule',
    ["type=schedule,pattern={{date 'YYYYMMDD'}}", "type=schedule,pattern=source-date-{{commit_date 'YYYY-MM-DD'}}"],
    [],
    ['20200110', 'source-date-2020-01-10'],
  ],
  ['schedule03', 'schedule', ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss'}}"], [], ['20200110-003000']],
  ['schedule05', 'schedule', ['type=schedule', 'type=sha'], [], ['nightly', 'sha-860c190']],
  [
    'schedule06: a scheduled run is on the default branch',
    'schedule',
    ['type=schedule', 'type=sha,priority=2000', 'type=raw,value=defbranch,enable={{is_default_branch}}'],
    [],
    ['sha-860c190', 'nightly', 'defbranch'],
  ],
  ['schedule07: flavor affixes', 'schedule', ['type=schedule'], GLOBAL_AFFIXES, ['glo-nightly-bal']],
  [
    'schedule08: time zones',
    'schedule',
    [
      "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
      "type=schedule,pattern=src-{{commit_date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
    ],
    [],
    ['20200110-093000', 'src-20200110-093000'],
  ],
  ['release01', 'release', MA_DEFAULTS, [], ['v1.1.1', 'latest']],
  [
    'release02: no base_ref on a release',
    'release',
    [
      'type=ref,event=tag',
      'type=raw,value=baseref-{{base_ref}}',
      'type=raw,value=defbranch,enable={{is_default_branch}}',
    ],
    [],
    ['v1.1.1', 'baseref-', 'latest'],
  ],
  [
    'release03',
    'release',
    ["type=raw,value=src-{{commit_date 'YYYYMMDD-HHmmss'}}", "type=raw,value={{date 'YYYYMMDD-HHmmss'}}"],
    [],
    ['src-20200110-003000', '20200110-003000'],
  ],
  ['raw01: bare values', 'pushDev', ['type=ref,event=branch', ...RAW3], [], ['dev', 'my', 'custom', 'tags']],
  ['raw03', 'tagRelease1', ['type=ref,event=tag', ...RAW3], [], ['release1', 'my', 'custom', 'tags', 'latest']],
  ['raw04', 'tagRc2', ['type=match,pattern=\\d{8}', ...RAW3], ['latest=false'], ['20200110', 'my', 'custom', 'tags']],
  ['raw05', 'tagV111', [...SEMVER3, ...RAW3], [], ['1.1.1', '1.1', '1', 'my', 'custom', 'tags', 'latest']],
  ['raw06', 'tagV111', RAW3, [], ['my', 'custom', 'tags']],
  [
    'raw07: latest=true and a low priority',
    'pushDev',
    ['type=ref,priority=90,event=branch', ...RAW3],
    ['latest=true'],
    ['my', 'custom', 'tags', 'dev', 'latest'],
  ],
  ['raw08', 'pushDev', ['type=match,pattern=\\d{8}', ...RAW3], ['latest=false'], ['my', 'custom', 'tags']],
  [
    'raw09: rule affixes beat the flavor',
    'pushDev',
    ['type=match,pattern=\\d{8}', 'type=raw,my,prefix=foo-,suffix=-bar', 'type=raw,custom', 'type=raw,tags'],
    ['latest=false', ...GLOBAL_AFFIXES],
    ['foo-my-bar', 'glo-custom-bal', 'glo-tags-bal'],
  ],
  [
    'raw10: enable',
    'pushDev',
    ['type=raw,foo', 'type=raw,bar,enable=false', 'type=raw,baz,enable=true'],
    ['latest=false'],
    ['foo', 'baz'],
  ],
];

test.each(parityCases)('as docker/metadata-action: %s', (_name, situation, tags, flavor, expected, env = {}) => {
  const { eventName, ref, sha, payload } = situations[situation];
  // Its repository's default branch (from the GitHub API there) is master in every situation.
  const context = tagContext({ eventName, ref, sha, payload, defaultBranch: 'master' }, env, NOW);
  const plan = computeTags(parseTagRules(tags), parseFlavor(flavor), context);
  expect(plan.tags.map(({ tag }) => tag)).toEqual(expected);
  expect(plan.version).toBe(expected[0] ?? '');
});
