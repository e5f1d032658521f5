// Each tag rule type is one pure function: a rule and a run in, a tag (and whether latest=auto
// follows it) or none out. One table per function, and one for the expression values they share.
import {
  edgeTag,
  expressionValues,
  isEnabled,
  matchTag,
  parseFlavor,
  parseTagRule,
  rawTag,
  refTag,
  scheduleTag,
  semverTag,
  shaTag,
  tagContext,
  type RuleFunction,
  type RuleOutcome,
  type RuleScope,
  type TagContext,
} from '@shiprail/build-push';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const NOW = Date.parse('2020-01-10T00:30:00Z');

interface Run {
  eventName?: string;
  ref: string;
  payload?: Record<string, unknown>;
  defaultBranch?: string;
  sha?: string;
}

function contextOf(run: Run): TagContext {
  return tagContext(
    {
      eventName: run.eventName ?? 'push',
      ref: run.ref,
      sha: run.sha ?? SHA,
      payload: run.payload ?? {},
      defaultBranch: 'defaultBranch' in run ? run.defaultBranch : 'main',
    },
    {},
    NOW,
  );
}

function scopeOf(run: Run, flavor: string[] = []): RuleScope {
  const context = contextOf(run);
  return { context, flavor: parseFlavor(flavor), values: expressionValues(context) };
}

const branch = (name: string): Run => ({ ref: `refs/heads/${name}` });
const tag = (name: string): Run => ({ ref: `refs/tags/${name}` });
const pr: Run = {
  eventName: 'pull_request',
  ref: 'refs/pull/7/merge',
  payload: { pull_request: { base: { ref: 'main' } } },
};
const scheduled: Run = { eventName: 'schedule', ref: 'refs/heads/main' };
const given = (value: string, latest = false): RuleOutcome => ({ tag: { value, latest } });
const none: RuleOutcome = {};

type RuleCase = [rule: string, run: Run, expected: RuleOutcome, flavor?: string[]];

const tables: Array<[name: string, fn: RuleFunction, cases: RuleCase[]]> = [
  [
    'scheduleTag',
    scheduleTag,
    [
      ['type=schedule', scheduled, given('nightly')],
      ['type=schedule', branch('main'), none],
      [
        "type=schedule,pattern={{date 'YYYY-MM-DD HH:mm Z' tz='America/New_York'}}",
        scheduled,
        given('2020-01-09 19:30 -05:00'),
      ],
      ['type=schedule,pattern=at-{{branch}}', scheduled, given('at-')],
      ['type=schedule', scheduled, given('glo-nightly'), ['prefix=glo-']],
    ],
  ],
  [
    'semverTag',
    semverTag,
    [
      ['type=semver,pattern={{major}}.{{minor}}', tag('v1.2.3'), given('1.2', true)],
      ['type=semver,pattern={{version}}', tag('1.2.3+build.5'), given('1.2.3', true)],
      ['type=semver,pattern={{major}}', tag('v2.0.0-rc.1'), given('2.0.0-rc.1')],
      ['type=semver,pattern={{ raw }}', tag('v2.0.0-rc.1'), given('v2.0.0-rc.1')],
      ['type=semver,pattern={{version}}', branch('main'), none],
      ['type=semver,pattern={{version}},value={{branch}}', branch('v4.5.6'), given('4.5.6', true)],
      [
        'type=semver,pattern={{version}}',
        tag('v1'),
        { warning: "v1 is not a valid semver, so rule 'type=semver,pattern={{version}}' gives no tag" },
      ],
      [
        'type=semver,pattern={{version}},match=^api/v(.*)$',
        tag('web/v1.0.0'),
        {
          warning:
            "^api/v(.*)$ does not match web/v1.0.0; web-v1.0.0 is not a valid semver, so rule 'type=semver,pattern={{version}},match=^api/v(.*)$' gives no tag",
        },
      ],
      ['type=semver,pattern={{version}},match=^api/v(.*)$', tag('api/v1.0.0'), given('1.0.0', true)],
      ['type=semver,pattern={{version}}', tag('v1.0.0'), given('x-1.0.0', true), ['prefix=x-']],
    ],
  ],
  [
    'matchTag',
    matchTag,
    [
      ['type=match,pattern=\\d+\\.\\d+', tag('v10.20.3'), given('10.20', true)],
      ['type=match,pattern=(\\w+)-v,group=1', tag('api-v1'), given('api', true)],
      ['type=match,pattern=/^API-(\\d)$/i,group=1', tag('api-7'), given('7', true)],
      ['type=match,pattern=x', branch('main'), none],
      ['type=match,pattern=x,value={{branch}}', branch('xyz'), given('x', true)],
      [
        'type=match,pattern=\\d',
        tag('abc'),
        { warning: "\\d does not match abc, so rule 'type=match,pattern=\\d' gives no tag" },
      ],
      [
        'type=match,pattern=(a)b,group=2',
        tag('ab'),
        { warning: "group 2 does not exist in (a)b, so rule 'type=match,pattern=(a)b,group=2' gives no tag" },
      ],
    ],
  ],
  [
    'refTag',
    refTag,
    [
      ['type=ref,event=branch', branch('feature/x'), given('feature/x')],
      ['type=ref,event=branch', tag('v1'), none],
      ['type=ref,event=tag', tag('v1'), given('v1', true)],
      ['type=ref,event=tag,prefix=release-', tag('v1'), given('release-v1', true)],
      ['type=ref,event=tag', tag('v1'), given('v1-slim', true), ['suffix=-slim']],
      ['type=ref,event=pr', pr, given('pr-7')],
      ['type=ref,event=pr,prefix={{base_ref}}-', pr, given('main-7')],
      ['type=ref,event=pr', branch('main'), none],
    ],
  ],
  [
    'edgeTag',
    edgeTag,
    [
      ['type=edge', branch('main'), given('edge')],
      ['type=edge', branch('dev'), none],
      ['type=edge,branch=dev', branch('dev'), given('edge')],
      ['type=edge', tag('v1'), none],
      [
        'type=edge',
        { ref: 'refs/heads/main', defaultBranch: undefined },
        {
          warning:
            "rule 'type=edge' gives no tag: the event payload does not name the default branch (add branch=<name>)",
        },
      ],
    ],
  ],
  [
    'rawTag',
    rawTag,
    [
      ['type=raw,value=stable', branch('main'), given('stable')],
      ['type=raw,value={{branch}}-{{sha}}', branch('dev'), given('dev-860c190')],
      ['type=raw,value={{tag}}', branch('dev'), given('')],
      ["type=raw,value={{date 'YYYYMMDD'}}", branch('dev'), given('20200110')],
      ['type=raw,value={{{branch}}}', branch('a&b'), given('a&b')],
      ['type=raw,value={{branch}}', branch('a&b'), given('a&amp;b')],
      ['type=raw,value=x', branch('dev'), given('p-x-s'), ['prefix=p-', 'suffix=-s']],
    ],
  ],
  [
    'shaTag',
    shaTag,
    [
      ['type=sha', branch('main'), given('sha-860c190')],
      ['type=sha,format=long,prefix=', branch('main'), given(SHA)],
      ['type=sha,prefix=git-,suffix=-x', branch('main'), given('git-860c190-x')],
      ['type=sha', { ref: 'refs/heads/main', sha: '' }, none],
    ],
  ],
];

describe.each(tables)('%s', (_name, fn, cases) => {
  // Every row gets its flavor (Jest would pass its done callback in place of a missing one).
  const rows = cases.map(([line, run, expected, flavor = []]) => [line, run, expected, flavor] as const);
  test.each(rows)('%s', (line, run, expected, flavor) => {
    expect(fn(parseTagRule(line), scopeOf(run, flavor))).toEqual(expected);
  });
});

test.each([
  ['push to the default branch', branch('main'), { is_default_branch: 'true', is_not_default_branch: 'false' }],
  ['push elsewhere', branch('dev'), { is_default_branch: 'false', is_not_default_branch: 'true' }],
  ['a tag', tag('v1'), { is_default_branch: 'false', is_not_default_branch: 'true', tag: 'v1', branch: '' }],
  [
    'a tag with its base_ref',
    { ...tag('v1'), payload: { base_ref: 'refs/heads/main' } },
    { base_ref: 'main', is_default_branch: 'false' },
  ],
  ['a pull request', pr, { base_ref: 'main', branch: '', is_not_default_branch: 'true' }],
  ['a scheduled run', scheduled, { is_default_branch: 'true', is_not_default_branch: 'false' }],
  ['a created branch', { eventName: 'create', ref: 'refs/heads/new' }, { is_default_branch: 'true' }],
  [
    'no ref',
    { eventName: 'workflow_dispatch', ref: '' },
    { is_default_branch: 'false', is_not_default_branch: 'true' },
  ],
] satisfies Array<[string, Run, Record<string, string>]>)('expression values: %s', (_name, run, expected) => {
  expect(expressionValues(contextOf(run))).toMatchObject(expected);
});

test.each([
  ['type=sha', true],
  ['type=sha,enable=false', false],
  ['type=sha,enable={{is_default_branch}}', true],
  ['type=sha,enable={{is_not_default_branch}}', false],
])('enable: %s -> %s', (line, expected) => {
  expect(isEnabled(parseTagRule(line), scopeOf(branch('main')))).toBe(expected);
});

test.each([
  ['type=sha,enable={{branch}}', "rule 'type=sha,enable={{branch}}' has enable='main' (expected true or false)"],
  [
    'type=sha,enable={{is_not_default}}',
    "rule 'type=sha,enable={{is_not_default}}' has enable='' (expected true or false)",
  ],
])('enable that is not a boolean names the rule: %s', (line, message) => {
  expect(() => isEnabled(parseTagRule(line), scopeOf(branch('main')))).toThrow(message);
});
