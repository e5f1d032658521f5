// The shell scripts the deploy workflow runs, run for real: overlay expansion, the GitOps revert that
// rolls an environment back (against a bare remote), finding the commit production runs, the team's
// notification and the pull request comment (against local HTTP servers).
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { GitHubApi, listenOnLoopback } from '@shiprail/rehearsal/servers';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { parseRunnerFile, startFaultServer } from '@shiprail/testkit';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const script = (name: string): string => join(repoRoot, '.github', 'scripts', name);
let dir = '';
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'workflow-scripts-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface ScriptRun {
  status: number;
  stdout: string;
  outputs: Record<string, string>;
}

/** Runs a script as a `run:` step would, without blocking: some talk to a server in this process. */
function runScript(name: string, env: Record<string, string>, cwd?: string): Promise<ScriptRun> {
  const output = join(dir, 'output');
  writeFileSync(output, '');
  return new Promise((resolve) => {
    execFile(
      'bash',
      [script(name)],
      { env: { PATH: process.env['PATH'] ?? '', HOME: dir, GITHUB_OUTPUT: output, ...env }, cwd, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout: stdout + stderr,
          outputs: parseRunnerFile(readFileSync(output, 'utf8')),
        }),
    );
  });
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

describe('overlays.sh', () => {
  test.each([
    ['overlays/{environment}', '["api","worker"]', 'dev', 'overlays/dev'],
    [
      'apps/{service}/overlays/{environment}',
      '["api","worker"]',
      'staging',
      'apps/api/overlays/staging\napps/worker/overlays/staging',
    ],
    [
      '# comment\n  clusters/{environment}/apps  \n\nshared/{environment}\nshared/{environment}',
      '["api"]',
      'production',
      'clusters/production/apps\nshared/production',
    ],
  ])('%j with %s in %s', async (templates, services, target, expected) => {
    const run = await runScript('overlays.sh', { TEMPLATES: templates, SERVICES: services, TARGET: target });
    expect(run.status).toBe(0);
    expect(run.outputs['overlays']).toBe(expected);
  });

  test('an input that expands to nothing is an error', async () => {
    const run = await runScript('overlays.sh', { TEMPLATES: '# nothing\n', SERVICES: '[]', TARGET: 'dev' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error title=No overlays::/);
  });
});

describe('revert-gitops-commit.sh', () => {
  test('reverts the canary commit beneath later commits, and prints the token nowhere', async () => {
    const server = join(dir, 'server');
    const bare = join(server, 'acme', 'gitops.git');
    const work = join(dir, 'work');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    execFileSync('git', ['clone', '--quiet', bare, work]);
    writeFileSync(join(work, 'canary.yaml'), 'image: api:1\n');
    writeFileSync(join(work, 'other.yaml'), 'image: web:1\n');
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'initial');
    writeFileSync(join(work, 'canary.yaml'), 'image: api:2\n');
    git(work, 'commit', '--quiet', '-am', 'canary: api 2');
    const canaryCommit = git(work, 'rev-parse', 'HEAD');
    writeFileSync(join(work, 'other.yaml'), 'image: web:2\n');
    git(work, 'commit', '--quiet', '-am', 'web 2, after the canary');
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');

    const token = 'ghs_secretsecretsecret';
    const run = await runScript('revert-gitops-commit.sh', {
      GITOPS_REPOSITORY: 'acme/gitops',
      GITOPS_BRANCH: 'main',
      GITOPS_TOKEN: token,
      COMMIT: canaryCommit,
      SERVER_URL: pathToFileURL(server).href,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/::add-mask::ghs_secret/);
    expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(token);
    expect(git(bare, 'show', 'main:canary.yaml')).toBe('image: api:1');
    expect(git(bare, 'show', 'main:other.yaml')).toBe('image: web:2');
    expect(git(bare, 'log', '-1', '--format=%s', 'main')).toBe('Revert "canary: api 2"');
    // A deploy commit: when the GitOps repository is the monorepo itself, detect starts no deploy for it.
    expect(git(bare, 'log', '-1', '--format=%(trailers:key=Shiprail-Deploy,valueonly)', 'main')).toBe('revert');
  });
});

describe('deployed-commit.sh', () => {
  /** A caller repository with commits `first` and `second`, and a GitOps repository whose history is `deploys`. */
  function setUp(deploys: ReadonlyArray<string | { revert: number }>): {
    caller: string;
    gitops: string;
    shas: string[];
  } {
    const caller = join(dir, 'shop');
    const gitops = join(dir, 'gitops');
    execFileSync('git', ['init', '--quiet', caller]);
    execFileSync('git', ['init', '--quiet', gitops]);
    const shas: string[] = [];
    for (const name of ['first', 'second']) {
      writeFileSync(join(caller, 'file'), name);
      git(caller, 'add', 'file');
      git(caller, 'commit', '--quiet', '-m', name);
      shas.push(git(caller, 'rev-parse', 'HEAD'));
    }
    const gitopsCommits: string[] = [];
    deploys.forEach((deploy, index) => {
      if (typeof deploy === 'string') {
        writeFileSync(join(gitops, 'overlay'), String(index));
        git(gitops, 'add', 'overlay');
        const message = deploy.replace('{first}', shas[0] ?? '').replace('{second}', shas[1] ?? '');
        git(gitops, 'commit', '--quiet', '-m', message);
      } else {
        git(gitops, 'revert', '--no-edit', gitopsCommits[deploy.revert] ?? '');
      }
      gitopsCommits.push(git(gitops, 'rev-parse', 'HEAD'));
    });
    return { caller, gitops, shas };
  }

  const deployOf = (commit: string, environment: string): string =>
    `Deploy api to ${environment}\n\nSource: x\nSource-Commit: ${commit}\nEnvironment: ${environment}`;

  test.each([
    ['no deploy recorded: empty', ['Initial layout'], ''],
    ['the newest production deploy', [deployOf('{first}', 'production'), deployOf('{second}', 'production')], 'second'],
    [
      'deploys to other environments do not count',
      [deployOf('{first}', 'production'), deployOf('{second}', 'dev')],
      'first',
    ],
    [
      'a reverted deploy does not count',
      [deployOf('{first}', 'production'), deployOf('{second}', 'production'), { revert: 1 }],
      'first',
    ],
    [
      'one commit for several environments',
      ['Initial layout\n\nSource-Commit: {first}\nEnvironment: dev, staging, canary, production'],
      'first',
    ],
  ] as Array<[string, Array<string | { revert: number }>, string]>)('%s', async (_, deploys, expected) => {
    const { caller, gitops, shas } = setUp(deploys);
    const run = await runScript('deployed-commit.sh', { GITOPS_PATH: gitops, ENVIRONMENT: 'production' }, caller);
    expect(run.status).toBe(0);
    const wanted = expected === 'first' ? shas[0] : expected === 'second' ? shas[1] : '';
    expect(run.outputs['commit']).toBe(wanted);
  });

  test('a source commit this repository does not have is a warning, and the event decides', async () => {
    const { caller, gitops } = setUp([deployOf('0123456789abcdef0123456789abcdef01234567', 'production')]);
    const run = await runScript('deployed-commit.sh', { GITOPS_PATH: gitops, ENVIRONMENT: 'production' }, caller);
    expect(run.status).toBe(0);
    expect(run.outputs['commit']).toBe('');
    expect(run.stdout).toMatch(/^::warning title=Unknown deployed commit::/m);
  });
});

/** The rehearsal's GitHub API (pull request comments and the team's webhook) on 127.0.0.1. */
async function withApi(token: string, run: (api: GitHubApi, url: string) => Promise<void>): Promise<void> {
  const api = new GitHubApi(token);
  const listener = await listenOnLoopback(
    createServer((request, response) => void api.serve(request, response, new URL(request.url ?? '/', 'http://x'))),
  );
  try {
    await run(api, listener.url);
  } finally {
    await listener.stop();
  }
}

describe('notify.sh', () => {
  const results = { DEV: 'success', MIDDLE: 'success', CANARY: 'success', PRODUCTION: 'success' };
  const base = {
    REPOSITORY: 'acme/shop',
    RUN_URL: 'https://github.com/acme/shop/actions/runs/1',
    IMAGES: 'r/api@sha256:aa\nr/worker@sha256:bb',
    CANARY_DECISION: 'pass',
  };

  test.each([
    ['production updated', {}, ['acme/shop: Production updated: r/api@sha256:aa r/worker@sha256:bb']],
    [
      'a canary that failed its analysis',
      { CANARY: 'failure', CANARY_DECISION: 'fail', PRODUCTION: 'skipped' },
      ['acme/shop: Canary fail: production is not promoted.', 'Deploy to canary failed.'],
    ],
    [
      'a rejected staging',
      { MIDDLE: 'failure', MIDDLE_NAMES: '["staging"]', CANARY: 'skipped', PRODUCTION: 'skipped', CANARY_DECISION: '' },
      ['acme/shop: Deploy to staging failed.'],
    ],
    [
      'a failure among several environments between the first and the last',
      { MIDDLE: 'failure', MIDDLE_NAMES: '["qa","staging","preprod"]', PRODUCTION: 'skipped', CANARY_DECISION: '' },
      ['acme/shop: Deploy to one of qa, staging, preprod failed.'],
    ],
    [
      'a marginal canary',
      { PRODUCTION: 'skipped', CANARY_DECISION: 'marginal', CANARY: 'success' },
      ['Canary marginal'],
    ],
  ] as Array<[string, Record<string, string>, string[]]>)('%s', (_, overrides, lines) =>
    withApi('', async (api, server) => {
      const url = `${server}/hooks/notify?secretpart`;
      const run = await runScript('notify.sh', { ...base, ...results, ...overrides, NOTIFY_WEBHOOK_URL: url });
      expect(run.status).toBe(0);
      expect(api.notifications).toHaveLength(1);
      const [text = ''] = api.notificationTexts();
      for (const line of lines) expect(text).toContain(line);
      expect(text).toContain(base.RUN_URL);
      expect(run.stdout).not.toContain('secretpart');
    }),
  );

  test('no webhook, or nothing happened: nothing is sent', () =>
    withApi('', async (api, server) => {
      const none = await runScript('notify.sh', { ...base, ...results, NOTIFY_WEBHOOK_URL: '' });
      const quiet = await runScript('notify.sh', {
        ...base,
        DEV: 'success',
        MIDDLE: 'skipped',
        MIDDLE_NAMES: '[]',
        CANARY: 'skipped',
        PRODUCTION: 'skipped',
        CANARY_DECISION: '',
        NOTIFY_WEBHOOK_URL: `${server}/hooks/notify`,
      });
      expect([none.status, quiet.status]).toEqual([0, 0]);
      expect(quiet.stdout).toContain('Nothing to notify.');
      expect(api.notifications).toEqual([]);
    }));

  test('a webhook that keeps failing is retried, then a warning; the deploy result stands', async () => {
    const webhook = await startFaultServer({ kind: 'status', status: 503 });
    try {
      const run = await runScript('notify.sh', {
        ...base,
        ...results,
        NOTIFY_WEBHOOK_URL: `${webhook.url}/hook-token`,
      });
      expect(run.status).toBe(0);
      expect(webhook.hits).toBe(4);
      expect(run.stdout).toMatch(/^::warning title=Notification not delivered::/m);
      expect(run.stdout).not.toContain('hook-token');
    } finally {
      await webhook.stop();
    }
  }, 30_000);
});

describe('pull-request-comment.sh', () => {
  const token = 'ghs_commentTokenSecret';
  const matrix = JSON.stringify({ include: [{ service: 'api' }, { service: 'worker' }] });

  function records(): void {
    const tests = join(dir, 'tests');
    const release = join(dir, 'release');
    mkdirSync(tests, { recursive: true });
    mkdirSync(release, { recursive: true });
    const test = (service: string, outcome: string, tests: string, failures: string, coverage: string): string =>
      JSON.stringify({ service, outcome, tests, failures, errors: '0', coverage });
    writeFileSync(join(tests, 'api.json'), test('api', 'success', '12', '0', '91.5'));
    writeFileSync(join(tests, 'worker.json'), test('worker', 'failure', '4', '1', ''));
    writeFileSync(
      join(release, 'api.json'),
      JSON.stringify({
        service: 'api',
        digest: `sha256:${'ab'.repeat(32)}`,
        scan: { passed: 'false', counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 0 } },
      }),
    );
  }

  const env = (url: string): Record<string, string> => ({
    GITHUB_TOKEN: token,
    GITHUB_API_URL: `${url}/api/v3`,
    REPOSITORY: 'acme/shop',
    PULL_REQUEST: '7',
    HEAD_SHA: 'c0ffee0000000000000000000000000000000001',
    MATRIX: matrix,
    RUN_URL: 'https://github.com/acme/shop/actions/runs/9',
  });

  test('one comment with a row per service, updated in place on the next run, the token shown nowhere', () =>
    withApi(token, async (api, url) => {
      records();
      // Someone else's comments come first, over more than one page.
      api.comments.set(
        7,
        Array.from({ length: 120 }, (_, index) => ({ id: 1000 + index, body: `review note ${index}` })),
      );
      const first = await runScript('pull-request-comment.sh', env(url), dir);
      expect(first.status).toBe(0);
      const comment = api.comments.get(7)?.[120];
      expect(comment?.body).toContain('<!-- shiprail:pipeline -->\n### Pipeline for c0ffee0');
      expect(comment?.body).toContain(
        `| api | ✅ 12 passed | 91.5 % | \`sha256:${'ab'.repeat(6)}…\` | ❌ 1 critical, 2 high |`,
      );
      expect(comment?.body).toContain('| worker | ❌ 1 failed of 4 | – | not built | not scanned |');
      const second = await runScript('pull-request-comment.sh', { ...env(url), HEAD_SHA: 'beef000000' }, dir);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('Updated the pipeline comment on #7.');
      expect(api.comments.get(7)).toHaveLength(121);
      expect(api.comments.get(7)?.[120]?.body).toContain('### Pipeline for beef000');
      expect(first.stdout + second.stdout).not.toContain(token);
    }));

  test("what the pull request's own code wrote into the records cannot shape the comment", () =>
    withApi(token, async (api, url) => {
      records();
      const hostile = {
        service: 'api',
        outcome: 'success',
        tests: '1 | <img src=x> | `x`',
        coverage: '9\n| injected |',
      };
      writeFileSync(join(dir, 'tests', 'api.json'), JSON.stringify(hostile));
      const run = await runScript('pull-request-comment.sh', env(url), dir);
      expect(run.status).toBe(0);
      const body = api.comments.get(7)?.[0]?.body ?? '';
      expect(body).not.toMatch(/<img|^\| injected/m);
      expect(body).toMatch(/^\| api \| ✅ 1 +img src=x +x +passed \| 9 +injected +% \|/m);
    }));

  test.each([
    ['a pull request number that is not one', { PULL_REQUEST: '7; rm -rf /' }],
    ['a wrong token', { GITHUB_TOKEN: 'ghs_wrong' }],
  ])('%s fails the step', (_, overrides) =>
    withApi(token, async (api, url) => {
      records();
      const run = await runScript('pull-request-comment.sh', { ...env(url), ...overrides }, dir);
      expect(run.status).not.toBe(0);
      expect(api.comments.get(7) ?? []).toEqual([]);
    }),
  );
});

describe('plan-environments.mjs', () => {
  const plan = (env: Record<string, string>): Promise<ScriptRun> => {
    const output = join(dir, 'output');
    writeFileSync(output, '');
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [script('plan-environments.mjs')],
        { env: { PATH: process.env['PATH'] ?? '', GITHUB_OUTPUT: output, ...env }, cwd: dir, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({
            status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
            stdout: stdout + stderr,
            outputs: parseRunnerFile(readFileSync(output, 'utf8')),
          }),
      );
    });
  };

  // Two to eight environments: the first and the last have jobs of their own, those between are the
  // matrix legs in promotion order, and every environment has a base URL entry ('' for none).
  const CHAIN = ['dev', 'qa', 'uat', 'staging', 'preprod', 'perf', 'sandbox', 'production'];
  test.each([2, 3, 4, 5, 6, 7, 8])('%i environments: first, the ones between in order, last', async (count) => {
    const names = [...CHAIN.slice(0, count - 1), 'production'];
    const run = await plan({ ENVIRONMENTS: names.join(count % 2 === 0 ? ', ' : '\n') });
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({
      first: 'dev',
      last: 'production',
      middle: JSON.stringify(names.slice(1, -1)),
      'first-url': '',
      'last-url': '',
      'base-urls': JSON.stringify(Object.fromEntries(names.map((name) => [name, '']))),
      canary: 'false',
      environments: JSON.stringify(names),
    });
    expect(run.stdout).toContain(`Environments: ${names.join(' → ')}. No canary judged this release`);
  });

  test.each<{ given: Record<string, string>; expected: Record<string, string> }>([
    {
      given: {
        ENVIRONMENTS: 'dev\nproduction',
        BASE_URLS: 'dev: https://dev.acme.test\nproduction: https://acme.test',
      },
      expected: {
        middle: '[]',
        'first-url': 'https://dev.acme.test',
        'last-url': 'https://acme.test',
        'base-urls': '{"dev":"https://dev.acme.test","production":"https://acme.test"}',
      },
    },
    {
      given: { ENVIRONMENTS: 'qa, prod', BASE_URLS: '# urls\n"qa": "http://127.0.0.1:8080"  # local' },
      expected: { first: 'qa', last: 'prod', 'first-url': 'http://127.0.0.1:8080', 'last-url': '' },
    },
    {
      given: {
        ENVIRONMENTS: 'dev, qa, staging, preprod, production',
        BASE_URL_STAGING: 'https://old.test',
        BASE_URLS: 'production: https://new.test\npreprod: https://pre.test',
      },
      expected: {
        middle: '["qa","staging","preprod"]',
        'base-urls':
          '{"dev":"","qa":"","staging":"https://old.test","preprod":"https://pre.test","production":"https://new.test"}',
      },
    },
    {
      given: { ENVIRONMENTS: 'dev, staging, production', KUBECONFIG_STAGING_SET: 'true' },
      expected: { middle: '["staging"]' },
    },
    {
      given: {
        ENVIRONMENTS: 'dev, qa, staging, production',
        GITOPS_CONTROLLERS: '{"qa":"argocd","production":"flux","canary":"argocd"}',
      },
      expected: { middle: '["qa","staging"]' },
    },
  ])('$given.ENVIRONMENTS: $expected', async ({ given, expected }) => {
    const run = await plan(given);
    expect(run.status).toBe(0);
    expect(run.outputs).toMatchObject(expected);
    expect(run.stdout).toContain('No canary judged this release');
  });

  test('a canary when Prometheus is given and the metrics file exists, in the environment named for it', async () => {
    mkdirSync(join(dir, '.github'));
    writeFileSync(join(dir, '.github', 'canary.yml'), 'metrics: []\n');
    const run = await plan({
      ENVIRONMENTS: 'test, live',
      PROMETHEUS_URL: 'http://127.0.0.1:9090',
      CANARY_METRICS: '.github/canary.yml',
      CANARY_ENVIRONMENT: 'live-canary',
      GITOPS_CONTROLLERS: '{"live-canary":"flux"}',
    });
    expect(run.outputs).toMatchObject({ canary: 'true', last: 'live' });
    expect(run.stdout).toContain('A canary in live-canary, judged on Prometheus (.github/canary.yml)');
  });

  test.each<[Record<string, string>, string, string]>([
    [{ ENVIRONMENTS: 'production' }, 'environments', 'at least two'],
    [{ ENVIRONMENTS: 'a, b, c, d, e, f, g, h, i' }, 'environments', 'at most 8 environments are supported, got 9'],
    [{ ENVIRONMENTS: 'dev, dev' }, 'environments', '"dev" is named twice'],
    [{ ENVIRONMENTS: 'dev, qa, staging, qa, prod' }, 'environments', '"qa" is named twice'],
    [{ ENVIRONMENTS: 'dev, ::stop-commands::x' }, 'environments', 'not a GitHub environment name'],
    [{ ENVIRONMENTS: 'dev, prod', BASE_URLS: 'staging: https://s.test' }, 'base-urls', 'not one of the environments'],
    [{ ENVIRONMENTS: 'dev, prod', BASE_URLS: 'dev: ftp://s.test' }, 'base-urls', 'not an http(s) URL'],
    [{ ENVIRONMENTS: 'dev, prod', BASE_URLS: '- dev' }, 'base-urls', 'expected "environment: url"'],
    [
      { ENVIRONMENTS: 'dev, qa, prod', BASE_URLS: 'qa: https://a.test\nqa: https://b.test' },
      'base-urls',
      'line 2: "qa" is given twice',
    ],
    [
      { ENVIRONMENTS: 'dev, prod', PROMETHEUS_URL: 'http://p', CANARY_METRICS: '../canary.yml' },
      'canary-metrics',
      'does not exist',
    ],
    [
      { ENVIRONMENTS: 'dev, qa, staging, prod', KUBECONFIG_STAGING_SET: 'true' },
      'secrets',
      "qa, staging each take their environment's KUBECONFIG secret",
    ],
    [
      { ENVIRONMENTS: 'dev, prod', GITOPS_CONTROLLERS: '{"staging":"argocd"}' },
      'gitops-controllers',
      '"staging" is not one of the environments (dev, prod, canary)',
    ],
    [{ ENVIRONMENTS: 'dev, prod', GITOPS_CONTROLLERS: '{"dev":"fluxcd"}' }, 'gitops-controllers', 'not a controller'],
    [{ ENVIRONMENTS: 'dev, prod', GITOPS_CONTROLLERS: '["dev"]' }, 'gitops-controllers', 'expected a JSON object'],
  ])('%j is refused on %s: %s', async (given, input, message) => {
    const run = await plan(given);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`::error title=deploy input ${input}::`);
    expect(run.stdout).toContain(message);
    expect(run.outputs).toEqual({});
  });

  test.each([
    ['prod', 'is also one of the environments'],
    ['prod canary', 'is not a GitHub environment name'],
  ])('a canary environment %j is refused: %s', async (canary, message) => {
    mkdirSync(join(dir, '.github'));
    writeFileSync(join(dir, '.github', 'canary.yml'), 'metrics: []\n');
    const run = await plan({
      ENVIRONMENTS: 'dev, prod',
      PROMETHEUS_URL: 'http://127.0.0.1:9090',
      CANARY_METRICS: '.github/canary.yml',
      CANARY_ENVIRONMENT: canary,
    });
    expect(run.stdout).toContain('::error title=deploy input canary-environment::');
    expect(run.stdout).toContain(message);
  });
});

describe('integration-tests.sh', () => {
  const entry = (service: string, command: string) => ({
    service,
    path: `services/${service}`,
    'integration-test': command,
    'test-reports': command === '' ? '' : `services/${service}/it/*.xml`,
  });
  const run = (include: object[], services: string[]): Promise<ScriptRun> => {
    for (const { path } of include as { path: string }[]) mkdirSync(join(dir, path), { recursive: true });
    return runScript(
      'integration-tests.sh',
      {
        MATRIX: JSON.stringify({ include }),
        SERVICES: JSON.stringify(services),
        BASE_URL: 'http://127.0.0.1:8080',
        ENVIRONMENT: 'qa',
      },
      dir,
    );
  };

  test("each released service's command runs in its directory with BASE_URL; reports are its test-reports", async () => {
    const result = await run(
      [
        entry('api', 'echo "$BASE_URL $SHIPRAIL_ENVIRONMENT" > seen'),
        entry('web', ''),
        entry('unreleased', 'touch seen'),
      ],
      ['api', 'web'],
    );
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'services/api/seen'), 'utf8')).toBe('http://127.0.0.1:8080 qa\n');
    expect(result.outputs).toEqual({ ran: '1', reports: 'services/api/it/*.xml' });
    expect(() => readFileSync(join(dir, 'services/unreleased/seen'))).toThrow();
  });

  test('every service runs even after one fails, and the step fails', async () => {
    const result = await run([entry('api', 'exit 3'), entry('web', 'touch seen')], ['api', 'web']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('::error title=Integration tests failed::api in qa');
    expect(readFileSync(join(dir, 'services/web/seen'), 'utf8')).toBe('');
    expect(result.outputs['ran']).toBe('2');
  });

  test('nothing to run: passes with no reports', async () => {
    const result = await run([entry('api', '')], ['api']);
    expect(result).toMatchObject({ status: 0, outputs: { ran: '0', reports: '' } });
  });
});

describe('build-command.sh', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  // The files a build tool writes into an OCI image layout (blobs are not read here: build-push and
  // trivy-gate read them).
  const LAYOUT = `mkdir -p "$1/blobs/sha256" && echo '{"imageLayoutVersion":"1.0.0"}' > "$1/oci-layout" && echo '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${DIGEST}","size":2}]}' > "$1/index.json"`;
  const build = (command: string): Promise<ScriptRun> => {
    mkdirSync(join(dir, 'services', 'orders'), { recursive: true });
    writeFileSync(join(dir, 'services', 'orders', 'write-layout.sh'), LAYOUT);
    return runScript(
      'build-command.sh',
      {
        BUILD_COMMAND: command,
        IMAGE_OUTPUT: join(dir, 'oci', 'orders'),
        SERVICE_PATH: 'services/orders',
      },
      dir,
    );
  };

  test.each([
    ['an OCI layout at IMAGE_OUTPUT', 'bash write-layout.sh "$IMAGE_OUTPUT"', 'oci/orders'],
    ['an OCI archive at IMAGE_OUTPUT', 'bash write-layout.sh l && tar -cf "$IMAGE_OUTPUT" -C l .', 'oci/orders.layout'],
  ])('%s becomes the layout that is scanned and pushed', async (_, command, layout) => {
    const result = await build(command);
    expect(result.status).toBe(0);
    expect(result.outputs).toEqual({ 'oci-layout': join(dir, layout), digest: DIGEST });
  });

  test.each([
    ['true', 'wrote nothing at $IMAGE_OUTPUT'],
    ['mkdir "$IMAGE_OUTPUT"', 'is not an OCI image layout'],
    ['exit 4', ''],
  ])('%s fails the build', async (command, message) => {
    const result = await build(command);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(message);
    expect(result.outputs).toEqual({});
  });
});
