// A repository's caller of the deploy workflow, read as the rehearsal reads it: which file and job call
// it, the world's plan from its inputs, and the caller as the rehearsal runs it (its inputs pointed at the
// world, everything else as written). Pure: no world is started.
import { ConfigurationError } from '@shiprail/core';
import { findCaller, planCaller, rehearsalCaller, worldImagePrefix } from '@shiprail/rehearsal';
import { parse } from 'yaml';

const callerText = (uses: string, extra = ''): string =>
  `name: deploy\non: [push, pull_request]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n  ship:\n    uses: ${uses}\n${extra}`;

describe('findCaller', () => {
  test.each<[string, Array<{ path: string; text: string }>, { file: string; job: string } | RegExp]>([
    [
      'the job whose uses: names another repository’s deploy.yml',
      [
        {
          path: '.github/workflows/ci.yml',
          text: 'on: push\njobs:\n  test:\n    runs-on: x\n    steps: [{run: "true"}]\n',
        },
        { path: '.github/workflows/release.yml', text: callerText('acme/shiprail/.github/workflows/deploy.yml@v1') },
      ],
      { file: '.github/workflows/release.yml', job: 'ship' },
    ],
    [
      'the first file in name order when two call it',
      [
        { path: '.github/workflows/z.yaml', text: callerText('acme/shiprail/.github/workflows/deploy.yaml@main') },
        {
          path: '.github/workflows/b.yml',
          text: callerText(`shiprail/shiprail/.github/workflows/deploy.yml@${'a'.repeat(40)}`),
        },
      ],
      { file: '.github/workflows/b.yml', job: 'ship' },
    ],
    [
      'a local reusable workflow is not the suite’s; unparsable YAML is passed over',
      [
        { path: '.github/workflows/a.yml', text: callerText('./.github/workflows/deploy.yml') },
        { path: '.github/workflows/broken.yml', text: 'jobs: [\n' },
      ],
      /none of \.github\/workflows\/a\.yml, \.github\/workflows\/broken\.yml does\. Run `shiprail init` first/,
    ],
    ['no workflow at all', [], /there is no \.github\/workflows\/\*\.yml\. Run `shiprail init` first/],
  ])('%s', (_what, files, expected) => {
    if (expected instanceof RegExp) {
      expect(() => findCaller(files)).toThrow(ConfigurationError);
      expect(() => findCaller(files)).toThrow(expected);
    } else expect(findCaller(files)).toMatchObject(expected);
  });
});

describe('planCaller', () => {
  test('the defaults of deploy.yml where the caller gives nothing', () => {
    expect(planCaller({ 'gitops-repository': 'acme/gitops', 'image-prefix': 'ghcr.io/acme' }, 'deploy.yml')).toEqual({
      environments: ['dev', 'staging', 'production'],
      canaryEnvironment: 'canary',
      overlays: 'overlays/{environment}',
      gitopsRepository: 'acme/gitops',
      gitopsBranch: '',
      imagePrefix: 'ghcr.io/acme',
      servicesConfig: '.github/services.yml',
      smokeChecks: '.github/smoke.yml',
      canaryMetrics: '.github/canary.yml',
    });
  });

  test('the caller’s own names and paths; an empty smoke-checks turns smoke tests off', () => {
    const plan = planCaller(
      {
        'gitops-repository': 'acme/shop',
        environments: 'qa,\nuat, live',
        overlays: 'deploy/overlays/{environment}/',
        'canary-environment': 'live-canary',
        'smoke-checks': '',
        'canary-metrics': 'ops/canary.yaml',
      },
      'deploy.yml',
    );
    expect(plan).toMatchObject({
      environments: ['qa', 'uat', 'live'],
      canaryEnvironment: 'live-canary',
      overlays: 'deploy/overlays/{environment}/',
      smokeChecks: '',
      canaryMetrics: 'ops/canary.yaml',
    });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['one environment', { environments: 'prod' }, /environments: 2 to 8 names, got 1 \(prod\)/],
    ['nine environments', { environments: 'a,b,c,d,e,f,g,h,i' }, /environments: 2 to 8 names, got 9/],
    ['a name GitHub refuses', { environments: 'dev, pre prod' }, /"pre prod" is not an environment name/],
    [
      'overlays per service',
      { overlays: 'apps/{service}/overlays/{environment}' },
      /one overlay folder per environment/,
    ],
    ['no GitOps repository', { 'gitops-repository': '' }, /gitops-repository: "" is not owner\/name/],
    ['a GitOps repository of dots', { 'gitops-repository': '../..' }, /gitops-repository: "..\/.." is not owner\/name/],
    [
      'overlays above the repository',
      { overlays: '../elsewhere/{environment}' },
      /overlays: ..\/elsewhere\/\{environment\} leads outside/,
    ],
    [
      'overlays at an absolute folder',
      { overlays: '/etc/{environment}' },
      /overlays: \/etc\/\{environment\} leads outside/,
    ],
  ])('%s is refused naming the caller', (_what, inputs, message) => {
    const given = { 'gitops-repository': 'acme/shop', ...inputs };
    expect(() => planCaller(given, '.github/workflows/deploy.yml')).toThrow(message);
    try {
      planCaller(given, '.github/workflows/deploy.yml');
    } catch (error) {
      expect((error as ConfigurationError).describe()).toMatch(/^\.github\/workflows\/deploy\.yml: /);
    }
  });
});

test.each([
  ['ghcr.io/acme', 'acme'],
  ['registry.example.com/storefront/team', 'storefront/team'],
  ['localhost:5000/acme', 'acme'],
  ['acme', 'acme'],
  ['registry.example.com', 'library'],
])('the image prefix %s keeps its path %s in the world’s registry', (prefix, path) => {
  expect(worldImagePrefix(prefix, '127.0.0.1:5000')).toBe(`127.0.0.1:5000/${path}`);
});

test('the rehearsal’s caller: the world’s registry, base URLs and Prometheus, waits it can afford, the rest as written', () => {
  const text = callerText(
    'acme/shiprail/.github/workflows/deploy.yml@v1',
    [
      '    with:',
      '      image-prefix: ghcr.io/acme # where production pulls from',
      '      environments: dev, prod',
      '      base-url-dev: https://dev.example.com',
      '      base-urls: |',
      '        prod: ${{ vars.BASE_URL_PROD }}',
      '      prometheus-url: ${{ vars.PROMETHEUS_URL }}',
      '      canary-duration: 30m',
      '    secrets: inherit',
      '',
    ].join('\n'),
  );
  const rewritten = rehearsalCaller(text, 'ship', {
    imagePrefix: '127.0.0.1:5000/acme',
    baseUrls: { dev: 'http://127.0.0.1:8001' },
    prometheusUrl: 'http://127.0.0.1:9090',
    canaryTraffic: false,
  });
  const workflow = parse(rewritten) as { jobs: Record<string, Record<string, unknown>> };
  expect(workflow.jobs['ship']).toEqual({
    uses: 'acme/shiprail/.github/workflows/deploy.yml@v1',
    with: {
      'image-prefix': '127.0.0.1:5000/acme',
      environments: 'dev, prod',
      'base-urls': 'dev: http://127.0.0.1:8001',
      'prometheus-url': 'http://127.0.0.1:9090',
      'canary-duration': '0',
      'rollout-timeout': '2m',
    },
    secrets: 'inherit',
  });
  expect(workflow.jobs['lint']).toEqual((parse(text) as typeof workflow).jobs['lint']);
  expect(rewritten).toContain('# where production pulls from');
  // Without metrics no canary is judged: Prometheus is left out and the canary's duration as written.
  const plain = parse(
    rehearsalCaller(callerText('acme/shiprail/.github/workflows/deploy.yml@v1'), 'ship', {
      imagePrefix: '127.0.0.1:5000/acme',
      baseUrls: {},
      prometheusUrl: '',
      canaryTraffic: false,
    }),
  ) as { jobs: Record<string, { with?: Record<string, unknown> }> };
  expect(plain.jobs['ship']?.with).toEqual({
    'image-prefix': '127.0.0.1:5000/acme',
    'base-urls': '',
    'prometheus-url': '',
    'rollout-timeout': '2m',
  });
  // A canary whose pods draw traffic is judged on its first 15 s of it, a sample a second.
  const onTraffic = parse(
    rehearsalCaller(text, 'ship', { imagePrefix: '', baseUrls: {}, prometheusUrl: 'http://p', canaryTraffic: true }),
  ) as typeof workflow;
  expect(onTraffic.jobs['ship']?.['with']).toMatchObject({
    'canary-duration': '15s',
    'canary-interval': '15s',
    'canary-step': '1s',
  });
});
