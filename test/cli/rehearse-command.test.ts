// `shiprail rehearse`'s command line and the mistakes it stops at before any world starts: options parsed
// into one object, wrong ones refused with exit status 2, a repository it cannot rehearse named with what
// to do (exit status 1). What the pipeline promises for each event is judged from tables of reports.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRehearsal, parseRehearseOptions, runCli, type RehearseArguments } from '@shiprail/cli';
import { repositoryPromises, type Report } from '@shiprail/rehearsal';
import { directRoute, type ListeningWorkload } from '../../packages/rehearsal/src/servers/ingress-routes.ts';
import {
  followedInside,
  PriorImageBuilder,
  priorServices,
  priorTags,
  type PriorService,
} from '../../packages/rehearsal/src/prior-images.ts';
import { recordingSystem } from './system.ts';

const parent = mkdtempSync(join(tmpdir(), 'rehearse-command-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('parseRehearseOptions', () => {
  test.each<[string, RehearseArguments, ReturnType<typeof parseRehearseOptions>]>([
    [
      'nothing: a push of the current folder',
      { positionals: [] },
      { target: { kind: 'repository', directory: '/work/shop', event: 'push' } },
    ],
    [
      'a folder, a base, an event and a report',
      { positionals: ['../api'], base: 'v1.2.0', event: 'merge_group', report: 'out/report.json' },
      {
        target: { kind: 'repository', directory: '/work/api', event: 'merge_group', base: 'v1.2.0' },
        report: '/work/shop/out/report.json',
      },
    ],
    [
      'a scenario of the built-in sample',
      { positionals: [], scenario: 'bad-canary' },
      { target: { kind: 'sample', scenario: 'bad-canary' } },
    ],
    [
      'an event GitHub does not deliver here',
      { positionals: [], event: 'release' },
      { error: expect.stringMatching(/^--event 'release' is none of push, pull_request, merge_group$/) as string },
    ],
    ['two folders', { positionals: ['a', 'b'] }, { error: 'one directory at most, got a b' }],
    [
      'a scenario with a folder and an event',
      { positionals: ['shop'], scenario: 'happy', event: 'push' },
      { error: '--scenario plays the built-in sample with the events of the scenario: drop DIR, --event' },
    ],
    [
      'a base that reads as an option',
      { positionals: [], base: '--all' },
      { error: "--base '--all' is not a commit or branch name" },
    ],
    ['an empty report name', { positionals: [], report: '' }, { error: '--report needs a file name' }],
  ])('%s', (_what, args, expected) => {
    expect(parseRehearseOptions(args, '/work/shop')).toEqual(expected);
  });
});

describe('the command line', () => {
  test.each<[string, string[], RegExp]>([
    ["init's options", ['rehearse', '--force'], /^shiprail rehearse: --force is not an option of rehearse/],
    [
      "rehearse's options given to init",
      ['init', '--event', 'push'],
      /^shiprail init: --event is not an option of init/,
    ],
    [
      'an unknown event',
      ['rehearse', '--event', 'deploy'],
      /--event 'deploy' is none of push, pull_request, merge_group/,
    ],
    ['an unknown scenario', ['rehearse', '--scenario', 'sunny'], /--scenario 'sunny' is none of happy, failing-test/],
    ['a folder that is not there', ['rehearse', 'nowhere'], /nowhere is not a directory/],
  ])('%s: exit status 2', async (_what, argv, message) => {
    const system = recordingSystem(parent);
    expect(await runCli(argv, system)).toBe(2);
    expect(system.errors.join('')).toMatch(message);
  });

  test('the rehearsal loads from the checkout; where it cannot, what to do', async () => {
    const loaded = await loadRehearsal();
    expect('module' in loaded && typeof loaded.module.runRehearse).toBe('function');
    expect(await loadRehearsal('@shiprail/cli/no-such-entry')).toEqual({
      unavailable: expect.stringMatching(/from a checkout of it, on Node 24 \(.*\): .*no-such-entry/) as unknown,
    });
  });

  test('the bundled command line run outside a checkout: one line saying what to do, exit status 2', () => {
    // The bundle alone, as a copy of dist/cli would be, with no package around it to load the rehearsal from.
    const copy = join(parent, 'cli-alone');
    cpSync(fileURLToPath(new URL('../../dist/cli/', import.meta.url)), copy, { recursive: true });
    const run = spawnSync(process.execPath, [join(copy, 'index.js'), 'rehearse', parent], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^shiprail rehearse: it runs the suite's own workflow and actions from a checkout of it/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'a',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'a',
      GIT_COMMITTER_EMAIL: 'a@example.com',
    },
  });

/** A repository in a new folder with one commit per entry (path → content). */
function repositoryWith(name: string, commits: Array<Record<string, string>>): string {
  const directory = join(parent, name);
  mkdirSync(directory, { recursive: true });
  git(directory, 'init', '--quiet', '--initial-branch=main');
  for (const [index, files] of commits.entries()) {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(directory, path, '..'), { recursive: true });
      writeFileSync(join(directory, path), content);
    }
    git(directory, 'add', '--all');
    git(directory, 'commit', '--quiet', '-m', `commit ${index}`);
  }
  return directory;
}

const CALLER = `on:
  push:
    branches: [main]
jobs:
  deploy:
    uses: acme/shiprail/.github/workflows/deploy.yml@v1
    with:
      image-prefix: ghcr.io/acme
      gitops-repository: \${{ github.repository }}
    secrets: inherit
`;

describe('a repository the rehearsal cannot run, said before any server starts', () => {
  test.each<[string, () => string, string[], RegExp]>([
    [
      'not a git repository',
      () => (mkdirSync(join(parent, 'plain')), join(parent, 'plain')),
      [],
      /not a git repository: the rehearsal runs its last commit/,
    ],
    [
      'a single commit and no --base',
      () => repositoryWith('single', [{ 'README.md': 'x\n' }]),
      [],
      /HEAD has no parent: name the commit the push starts from with --base/,
    ],
    [
      'a --base it does not have',
      () => repositoryWith('based', [{ 'a.txt': '1\n' }, { 'a.txt': '2\n' }]),
      ['--base', 'v9'],
      /--base v9 is not a commit of this repository/,
    ],
    [
      'no caller workflow',
      () =>
        repositoryWith('uncalled', [
          { 'a.txt': '1\n' },
          { '.github/workflows/ci.yml': 'on: push\njobs:\n  t:\n    runs-on: x\n    steps: [{run: "true"}]\n' },
        ]),
      [],
      /^shiprail rehearse: \.github\/workflows: no workflow calls the deploy workflow .*none of \.github\/workflows\/ci\.yml does\. Run `shiprail init` first/,
    ],
    [
      'an event its on: does not name',
      () => repositoryWith('push-only', [{ 'a.txt': '1\n' }, { '.github/workflows/deploy.yml': CALLER }]),
      ['--event', 'merge_group'],
      /^shiprail rehearse: \.github\/workflows\/deploy\.yml: its `on:` has no merge_group \(it has push\): GitHub would not run it for this event/,
    ],
    [
      'an overlay of its caller it does not have',
      () =>
        repositoryWith('no-overlays', [
          { 'a.txt': '1\n' },
          { '.github/workflows/deploy.yml': CALLER.replace('${{ github.repository }}', 'acme/gitops') },
        ]),
      [],
      /^shiprail rehearse: \.github\/workflows\/deploy\.yml: overlays\/dev: no such folder, where the caller's overlays \(overlays\/\{environment\}\) put dev/,
    ],
    [
      'an overlay that does not render, in kustomize’s words',
      () =>
        repositoryWith('broken-overlay', [
          { 'a.txt': '1\n' },
          {
            '.github/workflows/deploy.yml': CALLER.replace(
              'gitops-repository',
              'environments: dev, prod\n      gitops-repository',
            ),
            'overlays/dev/kustomization.yaml': 'resources:\n  - ../../base\n',
            'overlays/prod/kustomization.yaml': 'resources: []\n',
          },
        ]),
      [],
      /^shiprail rehearse: overlays\/dev: overlays\/dev does not render: .*base/,
    ],
  ])('%s: exit status 1, what to do', async (_what, make, args, message) => {
    const directory = make();
    const system = recordingSystem(directory);
    expect(await runCli(['rehearse', ...args], system)).toBe(1);
    expect(system.errors.join('')).toMatch(message);
    expect(system.output).toEqual([]);
  });
});

describe('what the pipeline promises, judged from the report', () => {
  const pushed = '127.0.0.1:5000/acme/api@sha256:1111';
  const report = (changes: Partial<Report>): Report => ({
    scenario: 'push',
    commit: 'c',
    jobs: { deploy: 'success', 'deploy / canary': 'skipped' },
    environments: { dev: { api: pushed, web: 'ghcr.io/acme/web:1' }, prod: { api: pushed } },
    pushed: [pushed],
    tags: {},
    scan: 'recorded reports',
    gitops: ['Deploy api to dev', 'Deploy api to prod'],
    comment: null,
    summaries: {},
    permissions: {},
    clusters: {},
    steps: {},
    ...changes,
  });
  test.each<[string, 'push' | 'pull_request' | 'merge_group', Partial<Report>, string[]]>([
    ['a push promoted everywhere', 'push', {}, []],
    [
      'a job failed',
      'push',
      { jobs: { 'deploy / prod': 'failure' } },
      ['job deploy / prod should succeed or be skipped, it is failure'],
    ],
    [
      'an environment still on the old image',
      'push',
      { environments: { dev: { api: pushed }, prod: { api: 'ghcr.io/acme/api:1' } } },
      [`prod should run ${pushed}; it runs ghcr.io/acme/api:1`],
    ],
    [
      'a push that pushed nothing',
      'push',
      { pushed: [] },
      ['the push should build and push its changed services; nothing was pushed'],
    ],
    ['a pull request: nothing pushed, no deploy', 'pull_request', { pushed: [], gitops: [] }, []],
    [
      'a merge queue that deployed',
      'merge_group',
      {},
      [
        'nothing should be pushed, 1 images were',
        'Git should record no deploy, it recorded: Deploy api to dev; Deploy api to prod',
      ],
    ],
  ])('%s', (_what, event, changes, broken) => {
    expect(repositoryPromises(report(changes), event, ['dev', 'prod'])).toEqual(broken);
  });
});

describe("where an environment's base URL sends a request when it renders no Ingress", () => {
  const catalog: ListeningWorkload = {
    workload: 'catalog',
    names: ['catalog', 'catalog-http'],
    probePaths: ['/healthz'],
  };
  const checkout: ListeningWorkload = { workload: 'checkout', names: ['checkout'], probePaths: ['/ready'] };
  const both = [catalog, checkout];
  test.each<[string, ListeningWorkload[], string, ReturnType<typeof directRoute>]>([
    ['the only workload that listens gets every path', [checkout], '/basket', { workload: 'checkout' }],
    [
      'a path under a workload’s name, prefix taken off',
      both,
      '/catalog/products',
      { workload: 'catalog', path: '/products' },
    ],
    ['a path under a Service’s name', both, '/catalog-http/healthz', { workload: 'catalog', path: '/healthz' }],
    ['the name alone', both, '/checkout', { workload: 'checkout', path: '/' }],
    ['a path one workload probes (the smoke checks init writes)', both, '/ready', { workload: 'checkout' }],
    [
      'a path two workloads probe',
      [catalog, { ...checkout, probePaths: ['/healthz'] }],
      '/healthz',
      {
        status: 404,
        message:
          'storefront renders no Ingress and 2 workloads listen (catalog, checkout): start the path with the one it is for (/catalog/healthz)',
      },
    ],
    [
      'a path no workload probes',
      both,
      '/products',
      {
        status: 404,
        message:
          'storefront renders no Ingress and 2 workloads listen (catalog, checkout): start the path with the one it is for (/catalog/products)',
      },
    ],
    [
      'nothing listens',
      [],
      '/healthz',
      { status: 404, message: 'storefront renders no Ingress and none of its workloads declares a port' },
    ],
  ])('%s', (_what, workloads, path, route) => {
    expect(directRoute(workloads, path, 'storefront')).toEqual(route);
  });
});

describe('what the environments ran before, built from the commit before the rehearsed one', () => {
  const config = `services:
  catalog: { path: catalog }
  checkout: { path: checkout, context: ".", dockerfile: checkout/Dockerfile, image: shop-checkout }
  search: { path: search, build: ./gradlew jib }
  escape: { path: x, context: ../outside }
`;
  test('the services built from a Dockerfile, inside the repository, with the repository each pushes to', () => {
    expect(priorServices(config, 'registry.example.com/storefront')).toEqual([
      {
        name: 'catalog',
        context: 'catalog',
        dockerfile: 'catalog/Dockerfile',
        repository: 'registry.example.com/storefront/catalog',
      },
      {
        name: 'checkout',
        context: '.',
        dockerfile: 'checkout/Dockerfile',
        repository: 'registry.example.com/storefront/shop-checkout',
      },
    ]);
    expect(priorServices('services: [', 'acme')).toEqual([]);
  });
  const catalog: PriorService = {
    name: 'catalog',
    context: 'catalog',
    dockerfile: 'catalog/Dockerfile',
    repository: 'registry.example.com/storefront/catalog',
  };
  test.each<[string, string[], string[]]>([
    [
      'one tag in every environment, built once',
      ['registry.example.com/storefront/catalog:1.3.0', 'registry.example.com/storefront/catalog:1.3.0'],
      ['1.3.0'],
    ],
    [
      'two tags',
      ['registry.example.com/storefront/catalog:1.4.0', 'registry.example.com/storefront/catalog:1.3.0'],
      ['1.3.0', '1.4.0'],
    ],
    ['a digest cannot be rebuilt', ['registry.example.com/storefront/catalog@sha256:aa'], []],
    ['another repository whose name starts alike', ['registry.example.com/storefront/catalog-admin:1.0.0'], []],
  ])('%s', (_what, images, tags) => {
    expect(priorTags(catalog, images)).toEqual(tags);
  });

  test.each<[string, string, string | undefined]>([
    ['a folder of the checkout', 'catalog', 'catalog'],
    ['a file reached through a link inside it', 'linked/Dockerfile', 'catalog/Dockerfile'],
    ['a path not there yet, as named', 'missing/Dockerfile', 'missing/Dockerfile'],
    ['a committed link to the machine’s root', 'escape', undefined],
    ['a file through a link that leads out', 'escape/etc/passwd', undefined],
  ])('what a build reads: %s', (_what, path, expected) => {
    const checkout = join(parent, 'followed');
    mkdirSync(join(checkout, 'catalog'), { recursive: true });
    writeFileSync(join(checkout, 'catalog', 'Dockerfile'), 'FROM busybox\n');
    if (!existsSync(join(checkout, 'linked'))) symlinkSync('catalog', join(checkout, 'linked'));
    if (!existsSync(join(checkout, 'escape'))) symlinkSync('/', join(checkout, 'escape'));
    const root = realpathSync(checkout);
    expect(followedInside(root, path)).toBe(expected === undefined ? undefined : join(root, expected));
  });

  /** A builder over a fake mirror recording each build (one that names `broken` fails), and its checkout's making. */
  function priorBuilder(): { builder: PriorImageBuilder; builds: string[][]; checkouts: number; busiest: number } {
    const checkout = join(parent, 'prior-checkout');
    mkdirSync(join(checkout, 'catalog'), { recursive: true });
    const record = { builds: [] as string[][], checkouts: 0, busiest: 0 };
    let running = 0;
    const builder = new PriorImageBuilder({
      mirror: {
        buildAndPush: async (_context, tags) => {
          running += 1;
          record.busiest = Math.max(record.busiest, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          record.builds.push([...tags]);
          if (tags.some((tag) => tag.includes('broken'))) throw new Error('COPY failed: no such file');
        },
      },
      checkout: () => {
        record.checkouts += 1;
        return Promise.resolve(checkout);
      },
      services: priorServices(
        'services:\n  catalog: { path: catalog }\n  checkout: { path: checkout }\n  broken: { path: broken }\n',
        'registry.example.com/storefront',
      ),
      images: ['1.3.0', '1.4.0'].flatMap((tag) =>
        ['catalog', 'checkout', 'broken'].map((name) => `registry.example.com/storefront/${name}:${tag}`),
      ),
      imagePrefix: 'registry.example.com/storefront',
      worldPrefix: '127.0.0.1:5000/storefront',
      registryHost: '127.0.0.1:5000',
      published: new Set(),
    });
    return Object.assign(record, { builder });
  }

  test('built on first need: nothing before a pod asks, then each service once with all its tags, one build at a time', async () => {
    const prior = priorBuilder();
    expect(prior.builder.candidates).toHaveLength(6);
    expect(prior.checkouts).toBe(0);
    const answers = await Promise.all([
      prior.builder.runs('registry.example.com/storefront/catalog:1.3.0'),
      prior.builder.runs('registry.example.com/storefront/catalog:1.4.0'),
      prior.builder.runs('registry.example.com/storefront/checkout:1.4.0'),
      prior.builder.runs('registry.example.com/storefront/catalog@sha256:aa'),
      prior.builder.runs('ghcr.io/other/catalog:1.3.0'),
    ]);
    expect(answers).toEqual([true, true, true, false, false]);
    expect(prior.builds).toEqual([
      ['127.0.0.1:5000/storefront/catalog:1.3.0', '127.0.0.1:5000/storefront/catalog:1.4.0'],
      ['127.0.0.1:5000/storefront/checkout:1.3.0', '127.0.0.1:5000/storefront/checkout:1.4.0'],
    ]);
    expect(prior.busiest).toBe(1);
    expect(prior.checkouts).toBe(1);
  });

  test('a service that does not build is taken as running, says why, and is not built again', async () => {
    const prior = priorBuilder();
    expect(await prior.builder.runs('registry.example.com/storefront/broken:1.3.0')).toBe(false);
    expect(await prior.builder.runs('registry.example.com/storefront/broken:1.4.0')).toBe(false);
    expect(prior.builds).toHaveLength(1);
    expect(prior.builder.failed).toEqual(['broken: COPY failed: no such file']);
    // The next service still builds.
    expect(await prior.builder.runs('registry.example.com/storefront/catalog:1.3.0')).toBe(true);
  });
});
