// The scenarios a rehearsal of deploy.yml plays, and what the pipeline promises for each
// (docs/rehearsal.md). A scenario says how the world behaves (a commit that slows the api down, a broken
// service, a vulnerable image, a reviewer's answer), which events reach the workflow, and checks the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { meshSelector } from './canary-traffic.ts';
import type { EventName } from './event-names.ts';
import { showFile } from './gitops-repo.ts';
import type { Report } from './report.ts';
import { vulnerableRuntimeCommit } from './scanner/vulnerable-dependency.ts';
import type { World, WorldOptions } from './world.ts';

export const SCENARIO_NAMES = [
  'happy',
  'failing-test',
  'vulnerable-image',
  'rejected-approval',
  'bad-canary',
  'failed-production-smoke',
  'crashing-image',
  'superseded-run',
  'pull-request',
  'argocd-refuses',
  'two-environments',
  'failed-integration-test',
  'invalid-manifest',
  'five-environments',
  'custom-canary',
  'toolchains',
  'build-command',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioEvent {
  name: EventName;
  /** Commit the event is about: the sample monorepo's head, or a new commit the scenario makes. */
  sha: string;
  before: string;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  world: WorldOptions;
  /** Environments whose reviewer rejects the deployment. */
  rejects: string[];
  /** The controller that applies each environment, as the caller tells deploy.yml (default none). */
  controllers?: Record<string, 'argocd' | 'flux'>;
  /** The events, in order; a second one starts when the first run waits at `holdUntilNext`. */
  events(world: World): Promise<ScenarioEvent[]>;
  /** The environment whose approval in the first run waits until the next run reaches it. */
  holdUntilNext?: string;
  /** What this caller passes over the default inputs (`deployInputs`); '' clears an input. */
  inputs?: (world: World) => Record<string, string>;
  /** What the pipeline promises: each broken promise as a sentence (empty: the scenario ended as promised). */
  promises(report: Report, world: World): string[];
  /** Programs the scenario's services need beyond the rehearsal's own (see prerequisites.ts). */
  programs?: string[];
}

const push = (world: World): Promise<ScenarioEvent[]> =>
  Promise.resolve([{ name: 'push', sha: world.monorepo.head, before: world.monorepo.base }]);

const API_SERVER = 'services/api/src/server.sh';
const ITEMS_READ = /^items\(\) \{\n(.*)\n\}$/m;
/**
 * The bad canary's change to the api: item reads go one at a time over a single store connection (a lock
 * each read takes for 0.1 s), so each waits for those before it and responses slow down as concurrent
 * requests grow. One request at a time, as its tests send them, nothing changes.
 */
export function serializeItemReads(server: string): string {
  const read = ITEMS_READ.exec(server);
  if (!read) throw new Error(`${API_SERVER} no longer has the items() function this scenario edits`);
  return server.replace(
    ITEMS_READ,
    [
      '# Items are read over the one store connection: each read waits for the reads before it.',
      'items() {',
      '  until mkdir /tmp/store-connection 2>/dev/null; do usleep 5000; done',
      '  usleep 100000',
      read[1] ?? '',
      '  rmdir /tmp/store-connection',
      '}',
    ].join('\n'),
  );
}
const ITEMS_ROUTE = `  "GET /api/items") respond '200 OK' "$(items)" ;;\n`;
/**
 * api lists prices in a regional storefront's currency, read from a file per region the image was to ship
 * and does not: its tests and every environment without a region pass, the EU storefronts (production's and
 * preprod's overlays set CATALOG_REGION=eu) answer 500 on /api/items.
 */
const REGIONAL_ITEMS = [
  '  "GET /api/items")',
  '    # Regional storefronts list prices in their own currency, from the file the image ships per region.',
  '    region=${CATALOG_REGION:-us}',
  '    if [ "$region" = us ]; then',
  `      respond '200 OK' "$(items)"`,
  '    elif currency=$(cat "/app/currency/$region" 2>/dev/null); then',
  `      respond '200 OK' "{\\"currency\\":\\"$currency\\",\\"items\\":$(items)}"`,
  '    else',
  `      respond '500 Internal Server Error' "{\\"error\\":\\"no currency for region $region\\"}"`,
  '    fi ;;',
  '',
].join('\n');

/** `text` of `file` with `from` replaced by `to`; a sample that no longer has `from` stops the scenario. */
function editOnce(file: string, text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`${file} no longer has what this scenario edits: ${from.split('\n')[0]}`);
  return text.replace(from, to);
}

/** A file of the sample's monorepo as it is now, edited by `editOnce`. */
const editedFile = (world: World, file: string, from: string, to: string): string =>
  editOnce(file, readFileSync(join(world.monorepo.path, file), 'utf8'), from, to);

/** The push of the sample's change to libs/common with api's regional prices on top of it. */
async function pushRegionalPrices(world: World): Promise<ScenarioEvent[]> {
  const server = editedFile(world, API_SERVER, ITEMS_ROUTE, REGIONAL_ITEMS);
  const sha = await world.commit({ [API_SERVER]: server }, 'api: regional prices');
  return [{ name: 'push', sha, before: world.monorepo.base }];
}

/**
 * A push of one commit right after the one production runs (the sample's base), editing files of the
 * monorepo (path → edit of its text): only the services those files belong to are selected.
 */
async function pushAfterProduction(
  world: World,
  edits: Record<string, (text: string) => string>,
  message: string,
): Promise<ScenarioEvent[]> {
  const files = Object.fromEntries(
    Object.entries(edits).map(([path, edit]) => [path, edit(readFileSync(join(world.monorepo.path, path), 'utf8'))]),
  );
  const sha = await world.commit(files, message, world.monorepo.base);
  return [{ name: 'push', sha, before: world.monorepo.base }];
}

/**
 * worker's script installed as a command on the image's PATH, without its execute bit (the file is 0644 in
 * Git, and COPY keeps modes): the tests pass, the image builds, its process cannot start.
 */
const pushWorkerAsCommand = (world: World): Promise<ScenarioEvent[]> =>
  pushAfterProduction(
    world,
    {
      'services/worker/Dockerfile': (text) =>
        editOnce(
          'services/worker/Dockerfile',
          editOnce(
            'services/worker/Dockerfile',
            text,
            'COPY src/worker.sh /app/worker.sh',
            'COPY src/worker.sh /usr/local/bin/worker',
          ),
          'CMD ["sh", "/app/worker.sh", "run", "/var/queue"]',
          'CMD ["worker", "run", "/var/queue"]',
        ),
    },
    'worker: install the worker as a command',
  );

/** The caller of two environments without canary metrics: dev, then production after its approval. */
const twoEnvironments = (world: World): Record<string, string> => ({
  environments: 'dev, production',
  'prometheus-url': '',
  'base-url-dev': '',
  'base-url-staging': '',
  'base-url-production': '',
  'base-urls': `dev: ${world.services.dev.url}\nproduction: ${world.services.production.url}`,
});

const CHANGED = ['api', 'worker'];

/** Promise checks shared by scenarios. */
export const expectations = {
  jobs(report: Report, wanted: Record<string, string>): string[] {
    return Object.entries(wanted)
      .filter(([job, result]) => report.jobs[job] !== result)
      .map(([job, result]) => `job ${job} should be ${result}, it is ${report.jobs[job] ?? 'absent'}`);
  },
  /** Environments running the release (every changed service at a pushed digest), or untouched. */
  environments(report: Report, world: World, released: string[], untouched: string[]): string[] {
    const broken: string[] = [];
    for (const environment of released) {
      for (const service of CHANGED) {
        const image = report.environments[environment]?.[service] ?? '';
        if (!report.pushed.includes(image))
          broken.push(`${environment} should run the pushed ${service}, it runs ${image}`);
      }
    }
    for (const environment of untouched) {
      for (const [service, image] of Object.entries(report.environments[environment] ?? {})) {
        if (image !== `${world.imagePrefix}/${service}:0.1.0`)
          broken.push(`${environment} should still run ${service}:0.1.0, it runs ${image}`);
      }
    }
    return broken;
  },
  nothingPushed(report: Report): string[] {
    return report.pushed.length === 0 ? [] : [`nothing should be pushed, ${report.pushed.length} images were`];
  },
  /** No image of `service` in the registry. */
  notPushed(report: Report, world: World, service: string): string[] {
    const pushed = report.pushed.filter((image) => image.startsWith(`${world.imagePrefix}/${service}@`));
    return pushed.length === 0 ? [] : [`${service} should never be pushed, the registry holds ${pushed.join(', ')}`];
  },
  /** The environment's deploy commit was reverted in Git. */
  reverted(report: Report, environment: string): string[] {
    const revert = new RegExp(`^Revert ".* to ${environment}"$`);
    return report.gitops.some((subject) => revert.test(subject))
      ? []
      : [`${environment}'s GitOps commit should be reverted`];
  },
  /** The job's summary says `text`. */
  summarized(report: Report, job: string, text: string): string[] {
    const summary = report.summaries[job] ?? '';
    return summary.includes(text) ? [] : [`${job}'s summary should say "${text}"; it says ${JSON.stringify(summary)}`];
  },
  /** The GitOps deploy commits (reverts aside) went to these environments, in this order. */
  promotedInOrder(report: Report, environments: string[]): string[] {
    const deployed = report.gitops
      .filter((subject) => subject.startsWith('Deploy '))
      .map((subject) => / to ([\w.-]+)$/.exec(subject)?.[1] ?? '?');
    return JSON.stringify(deployed) === JSON.stringify(environments)
      ? []
      : [`the release should be promoted to ${environments.join(', ')} in order; Git shows ${deployed.join(', ')}`];
  },
  /** The environment's cluster did not apply the GitOps branch's last commit, saying `text`. */
  clusterRefused(report: Report, environment: string, text: string): string[] {
    const said = report.clusters[environment] ?? '';
    return said.includes(text)
      ? []
      : [`${environment}'s cluster should refuse the last commit saying "${text}"; it says ${JSON.stringify(said)}`];
  },
  /** These services run the sample's first images in every environment. */
  servicesUntouched(report: Report, world: World, services: string[]): string[] {
    return Object.entries(report.environments).flatMap(([environment, images]) =>
      services
        .filter((service) => images[service] !== `${world.imagePrefix}/${service}:0.1.0`)
        .map((service) => `${environment} should still run ${service}:0.1.0, it runs ${images[service] ?? 'nothing'}`),
    );
  },
  /** The services the run selected (those with a build job) are exactly these. */
  selected(report: Report, services: string[]): string[] {
    const built = Object.keys(report.jobs)
      .map((job) => /^build \((.+)\)$/.exec(job)?.[1])
      .filter((service) => service !== undefined)
      .sort();
    const wanted = [...services].sort();
    return JSON.stringify(built) === JSON.stringify(wanted)
      ? []
      : [`the run should select ${wanted.join(', ')} alone; it built ${built.join(', ') || 'nothing'}`];
  },
  /** The job's toolchain set-up steps that ran are exactly `setups` (by name, e.g. "Set up Go 1.19"), all passed. */
  toolchains(report: Report, job: string, setups: string[]): string[] {
    const ran = (report.steps[job] ?? [])
      .filter((step) => step.name.startsWith('Set up ') && step.conclusion !== 'skipped')
      .map((step) => (step.conclusion === 'success' ? step.name : `${step.name} (${step.conclusion})`));
    return JSON.stringify(ran) === JSON.stringify(setups)
      ? []
      : [`${job} should run ${setups.join(', ')}; it ran ${ran.join(', ') || 'no set-up step'}`];
  },
  /** These steps of the job ran in this order, each with this conclusion (other steps may come between). */
  stepsInOrder(report: Report, job: string, wanted: Array<[string, string]>): string[] {
    const steps = report.steps[job] ?? [];
    let from = 0;
    for (const [name, conclusion] of wanted) {
      const index = steps.findIndex((step, at) => at >= from && step.name === name);
      if (index < 0 || steps[index]?.conclusion !== conclusion) {
        const shown = steps.map((step) => `${step.name}: ${step.conclusion}`).join('; ');
        return [
          `${job} should run ${wanted.map(([step, result]) => `${step} (${result})`).join(', then ')}; its steps: ${shown}`,
        ];
      }
      from = index + 1;
    }
    return [];
  },
  /**
   * The service's image was pushed by digest under the tags the default rules give a push to main (the
   * commit's `sha-<7>` and the branch), and that digest is what the environments run.
   */
  taggedAndPromoted(report: Report, world: World, service: string, environments: string[]): string[] {
    const repository = `${world.imagePrefix}/${service}`;
    const digests = new Set(environments.map((environment) => report.environments[environment]?.[service] ?? ''));
    const [image = ''] = digests;
    const digest = image.startsWith(`${repository}@sha256:`) ? image.slice(repository.length + 1) : '';
    const broken =
      digests.size === 1 && digest !== '' && report.pushed.includes(image)
        ? []
        : [
            `${environments.join(' and ')} should run one pushed ${service} by digest; they run ${[...digests].join(', ')}`,
          ];
    const wanted = { main: digest, [`sha-${report.commit.slice(0, 7)}`]: digest };
    const tags = report.tags[repository] ?? {};
    if (JSON.stringify(Object.entries(tags).sort()) !== JSON.stringify(Object.entries(wanted).sort())) {
      broken.push(`${repository} should be tagged ${JSON.stringify(wanted)}; the registry has ${JSON.stringify(tags)}`);
    }
    return broken;
  },
  /** The team's webhook got a message containing `text`. */
  notified(world: World, text: string): string[] {
    const texts = world.github.notificationTexts();
    return texts.some((message) => message.includes(text))
      ? []
      : [`the team should be told "${text}"; the webhook got ${JSON.stringify(texts)}`];
  },
};

const ALL = ['dev', 'staging', 'canary', 'production'];
/**
 * For scenarios whose point is not what the images do (approvals, concurrency, controllers, callers'
 * chains, canary metrics): no pod runs, rollouts are ready at once and each environment's URL answers from
 * the world's sample service, which keeps the suite's cost down.
 */
const CHEAP_ROLLOUTS: WorldOptions = { runPods: false };
/** The job of the environments between the first and the last: one leg per environment, or skipped whole. */
const middle = (environment?: string): string => (environment === undefined ? 'middle' : `middle (${environment})`);

/** A teammate's patch of dev's overlay that Kubernetes refuses: replicas as a string. */
const INVALID_PATCH =
  'patches:\n  - target: {kind: Deployment, name: api}\n    patch: |-\n      - op: replace\n' +
  '        path: /spec/replicas\n        value: "2"\n';
const INVALID_SUBJECT = 'dev: two api replicas';

/** The api's ServiceMonitor a teammate adds to dev's and staging's overlays (the Service's port is `http`). */
const API_MONITOR = `# Prometheus scrapes the api through the Prometheus Operator.
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: api
spec:
  selector:
    matchLabels:
      app: api
  endpoints:
    - port: http
      path: /metrics
      interval: 30s
`;
const OVERLAY_BASE = '  - ../../base # every service\n';
/** Argo CD's words on staging's ServiceMonitor: only dev's cluster runs the Prometheus Operator. */
const NO_SERVICE_MONITOR =
  'ServiceMonitor/api SyncFailed: The Kubernetes API could not find monitoring.coreos.com/ServiceMonitor for requested resource shop-staging/api. Make sure the "ServiceMonitor" CRD is installed on the destination cluster.';

/** A teammate's commit adding the api's ServiceMonitor to dev's and staging's overlays, then the push. */
async function pushAfterMonitorCommit(world: World): Promise<ScenarioEvent[]> {
  const files: Record<string, string> = {};
  for (const environment of ['dev', 'staging']) {
    const file = `overlays/${environment}/kustomization.yaml`;
    const overlay = await showFile(world.gitops.bare, world.gitops.branch, file);
    files[file] = editOnce(file, overlay, OVERLAY_BASE, `${OVERLAY_BASE}  - api-monitor.yaml\n`);
    files[`overlays/${environment}/api-monitor.yaml`] = API_MONITOR;
  }
  await world.commitGitops(files, 'dev, staging: scrape the api with a ServiceMonitor');
  return push(world);
}
/** What the kubelet says of a container whose process cannot be started. */
const CRASH_REASON = 'exec: "worker": executable file not found in $PATH';
const FIVE = ['dev', 'qa', 'staging', 'preprod', 'production'] as const;
const TESTS_PASS = { 'test (api)': 'success', 'test (worker)': 'success' };
const BUILDS_PASS = { 'build (api)': 'success', 'build (worker)': 'success' };

/** The tests each toolchain service runs: inventory's three Go tests and three subtests, cart's three Node tests. */
const INVENTORY_TESTS = '### inventory: ✅ 6 passed of 6 tests';
const CART_TESTS = '### cart: ✅ 3 passed of 3 tests';
const INVENTORY_MAIN = 'services/inventory/main.go';
/** The stages of a two-environment release of services that all pass. */
const TWO_ENVIRONMENTS_PASS = {
  detect: 'success',
  release: 'success',
  dev: 'success',
  [middle()]: 'skipped',
  canary: 'skipped',
  production: 'success',
};

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  happy: {
    name: 'happy',
    description:
      'libs/common changes: api and worker are tested, built once, scanned, pushed and promoted through every environment',
    world: {},
    rejects: [],
    events: push,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        detect: 'success',
        ...TESTS_PASS,
        ...BUILDS_PASS,
        release: 'success',
        dev: 'success',
        [middle('staging')]: 'success',
        canary: 'success',
        production: 'success',
        notify: 'success',
        comment: 'skipped',
      }),
      ...expectations.environments(report, world, ALL, []),
      ...expectations.notified(world, 'Production updated'),
    ],
  },
  'rejected-approval': {
    name: 'rejected-approval',
    description: "staging's reviewer rejects the deployment: dev runs the release, nothing after it changes",
    world: CHEAP_ROLLOUTS,
    rejects: ['staging'],
    events: push,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        dev: 'success',
        [middle('staging')]: 'failure',
        canary: 'skipped',
        production: 'skipped',
      }),
      ...expectations.environments(report, world, ['dev'], ['staging', 'canary', 'production']),
      ...expectations.notified(world, 'Deploy to staging failed'),
    ],
  },
  'bad-canary': {
    name: 'bad-canary',
    description:
      "a change makes the api's item reads wait for each other: under the canary's traffic it answers slower than the baseline, is reverted in Git, production is not promoted",
    world: {},
    rejects: [],
    events: async (world) => {
      const server = readFileSync(join(world.monorepo.path, API_SERVER), 'utf8');
      const sha = await world.commit(
        { [API_SERVER]: serializeItemReads(server) },
        'api: read items over one store connection',
      );
      return [{ name: 'push', sha, before: world.monorepo.base }];
    },
    promises: (report, world) => [
      ...expectations.jobs(report, { [middle('staging')]: 'success', canary: 'failure', production: 'skipped' }),
      ...expectations.environments(report, world, ['dev', 'staging'], ['canary', 'production']),
      ...expectations.reverted(report, 'canary'),
      // Slower, not erring: a latency metric is what failed it.
      ...expectations.summarized(report, 'canary', 'canary higher: shift interval'),
      ...expectations.notified(world, 'Canary fail'),
    ],
  },
  'failed-production-smoke': {
    name: 'failed-production-smoke',
    description:
      "production's smoke test fails: production's GitOps commit is reverted, the previous images run again, the job ends red",
    world: {},
    rejects: [],
    events: pushRegionalPrices,
    promises: (report, world) => [
      ...expectations.jobs(report, { canary: 'success', production: 'failure' }),
      ...expectations.environments(report, world, ['dev', 'staging', 'canary'], ['production']),
      ...expectations.reverted(report, 'production'),
      ...expectations.notified(world, 'Deploy to production failed'),
    ],
  },
  'crashing-image': {
    name: 'crashing-image',
    description:
      "worker's image cannot start its process (a script installed without its execute bit): dev's rollout fails with the kubelet's reason, dev's GitOps commit is reverted, nothing after it changes",
    world: {},
    rejects: [],
    events: pushWorkerAsCommand,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        'test (worker)': 'success',
        'build (worker)': 'success',
        release: 'success',
        dev: 'failure',
        [middle()]: 'skipped',
        canary: 'skipped',
        production: 'skipped',
      }),
      ...expectations.selected(report, ['worker']),
      ...expectations.environments(report, world, [], ALL),
      ...expectations.reverted(report, 'dev'),
      ...expectations.summarized(report, 'dev', CRASH_REASON),
      ...expectations.notified(world, 'Deploy to dev failed'),
    ],
  },
  'failing-test': {
    name: 'failing-test',
    description: "a change breaks api's test: the release stops before any image is built or any environment changes",
    // Nothing is built or deployed: a world of its own runs no images.
    world: { runImages: false },
    rejects: [],
    events: async (world) => {
      const server = editedFile(world, API_SERVER, '{"status":"ok"}', '{"status":"degraded"}');
      const sha = await world.commit({ [API_SERVER]: server }, 'api: report degraded health');
      return [{ name: 'push', sha, before: world.monorepo.head }];
    },
    promises: (report, world) => [
      ...expectations.jobs(report, {
        detect: 'success',
        'test (api)': 'failure',
        'test (worker)': 'success',
        build: 'skipped',
        release: 'skipped',
        dev: 'skipped',
      }),
      ...expectations.nothingPushed(report),
      ...expectations.environments(report, world, [], ALL),
    ],
  },
  'vulnerable-image': {
    name: 'vulnerable-image',
    description:
      "a commit gives api's image Alpine 3.9's musl 1.1.20-r4 (CVE-2019-14697, critical): the scan finds it, api is never pushed, and the release stops",
    world: {},
    rejects: [],
    events: async (world) => {
      const files = vulnerableRuntimeCommit(world.monorepo.path, {
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
      });
      const sha = await world.commit(files, 'api: ship the musl runtime with the image');
      return [{ name: 'push', sha, before: world.monorepo.base }];
    },
    promises: (report, world) => [
      ...expectations.jobs(report, { ...TESTS_PASS, 'build (api)': 'failure', release: 'skipped', dev: 'skipped' }),
      ...((report.summaries['build (api)'] ?? '').includes('CVE-2019-14697')
        ? []
        : ["api's build summary should name CVE-2019-14697, the scan's finding"]),
      ...expectations.notPushed(report, world, 'api'),
      ...expectations.environments(report, world, [], ALL),
    ],
  },
  'superseded-run': {
    name: 'superseded-run',
    description:
      "two pushes: the first run's dev deployment waits for approval and is superseded; the second deploys both changes",
    world: CHEAP_ROLLOUTS,
    rejects: [],
    holdUntilNext: 'dev',
    events: async (world) => {
      const first = { name: 'push' as const, sha: world.monorepo.head, before: world.monorepo.base };
      const sha = await world.commit(
        { 'services/web/src/index.html': '<h1>shop, second push</h1>\n' },
        'web: new front page',
      );
      return [first, { name: 'push', sha, before: world.monorepo.head }];
    },
    promises: (report, world) => [
      ...expectations.jobs(report, { production: 'success' }),
      ...expectations.environments(report, world, ALL, []),
      ...ALL.filter((environment) => !report.pushed.includes(report.environments[environment]?.['web'] ?? '')).map(
        (environment) => `${environment} should run the second push's web`,
      ),
    ],
  },
  'argocd-refuses': {
    name: 'argocd-refuses',
    description:
      "the clusters act as Argo CD; a teammate's commit adds the api's ServiceMonitor to dev's and staging's overlays, and only dev runs the Prometheus Operator: Argo CD refuses staging's sync, the job ends with Argo CD's message, staging's commit is reverted, nothing after it changes",
    world: { ...CHEAP_ROLLOUTS, argoCd: true },
    rejects: [],
    controllers: { dev: 'argocd', staging: 'argocd', canary: 'argocd', production: 'argocd' },
    events: pushAfterMonitorCommit,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        dev: 'success',
        [middle('staging')]: 'failure',
        canary: 'skipped',
        production: 'skipped',
      }),
      ...expectations.environments(report, world, ['dev'], ['staging', 'canary', 'production']),
      ...expectations.reverted(report, 'staging'),
      ...expectations.summarized(report, middle('staging'), 'one or more synchronization tasks are not valid'),
      ...expectations.summarized(report, middle('staging'), NO_SERVICE_MONITOR),
      ...expectations.clusterRefused(report, 'staging', 'no matches for kind "ServiceMonitor"'),
      ...expectations.summarized(report, 'dev', '## GitOps controller: ✅ applied'),
      ...expectations.notified(world, 'Deploy to staging failed'),
    ],
  },
  'pull-request': {
    name: 'pull-request',
    description: 'a pull request: detect, test, build and scan; nothing pushed, nothing deployed, one comment',
    world: {},
    rejects: [],
    events: (world) =>
      Promise.resolve([{ name: 'pull_request', sha: world.monorepo.head, before: world.monorepo.base }]),
    promises: (report, world) => [
      ...expectations.jobs(report, { ...TESTS_PASS, ...BUILDS_PASS, release: 'skipped', comment: 'success' }),
      ...expectations.nothingPushed(report),
      ...expectations.environments(report, world, [], ALL),
      ...(report.comment === null ? ['the pull request should get a comment'] : []),
      ...CHANGED.filter((service) => !new RegExp(`^\\| ${service} \\| ✅`, 'm').test(report.comment ?? '')).map(
        (service) => `the comment should show ${service}'s passing tests`,
      ),
    ],
  },
  'two-environments': {
    name: 'two-environments',
    description:
      'a caller with two environments and no canary metrics: dev, then production after its approval; no canary judged',
    world: CHEAP_ROLLOUTS,
    rejects: [],
    events: push,
    inputs: twoEnvironments,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        plan: 'success',
        ...TESTS_PASS,
        ...BUILDS_PASS,
        dev: 'success',
        [middle()]: 'skipped',
        canary: 'skipped',
        production: 'success',
      }),
      ...expectations.environments(report, world, ['dev', 'production'], ['staging', 'canary']),
      ...expectations.summarized(report, 'plan', 'No canary judged this release'),
      ...expectations.notified(world, 'Production updated'),
    ],
  },
  'failed-integration-test': {
    name: 'failed-integration-test',
    description:
      "api gains an integration test that dev's api fails: dev's commit is reverted, nothing after it is promoted",
    world: CHEAP_ROLLOUTS,
    rejects: [],
    events: async (world) => {
      const sha = await world.commit(
        {
          '.github/services.yml': editedFile(
            world,
            '.github/services.yml',
            '    test-reports: services/api/reports/*.xml\n  web:',
            [
              '    test-reports: services/api/reports/*.xml',
              '    integration-test: >-',
              '      node --test --test-reporter=spec --test-reporter-destination=stdout',
              '      --test-reporter=junit --test-reporter-destination=reports/integration.xml it/orders.mjs',
              '  web:',
            ].join('\n'),
          ),
          'services/api/it/orders.mjs': [
            "import assert from 'node:assert/strict';",
            "import { test } from 'node:test';",
            '',
            "test('the orders endpoint answers', async () => {",
            "  const response = await fetch(new URL('/orders', process.env.BASE_URL), { signal: AbortSignal.timeout(5000) });",
            '  assert.equal(response.status, 200);',
            '});',
            '',
          ].join('\n'),
        },
        'api: integration test of the orders endpoint',
      );
      return [{ name: 'push', sha, before: world.monorepo.head }];
    },
    promises: (report, world) => [
      ...expectations.jobs(report, { dev: 'failure', [middle()]: 'skipped', canary: 'skipped', production: 'skipped' }),
      ...expectations.environments(report, world, [], ALL),
      ...expectations.reverted(report, 'dev'),
      ...expectations.notified(world, 'Deploy to dev failed'),
    ],
  },
  'invalid-manifest': {
    name: 'invalid-manifest',
    description:
      "a teammate's commit gives dev's api replicas as a string: dev's cluster refuses it, the schema gate refuses dev's bump, nothing is committed, no environment changes",
    world: {},
    rejects: [],
    events: async (world) => {
      const file = 'overlays/dev/kustomization.yaml';
      const overlay = await showFile(world.gitops.bare, world.gitops.branch, file);
      await world.commitGitops({ [file]: `${overlay}${INVALID_PATCH}` }, INVALID_SUBJECT);
      return push(world);
    },
    promises: (report, world) => [
      ...expectations.jobs(report, {
        release: 'success',
        dev: 'failure',
        [middle()]: 'skipped',
        canary: 'skipped',
        production: 'skipped',
      }),
      ...expectations.environments(report, world, [], ALL),
      ...(report.gitops.at(-1) === INVALID_SUBJECT
        ? []
        : [
            `nothing should be committed after "${INVALID_SUBJECT}"; the GitOps history ends ${JSON.stringify(report.gitops.at(-1))}`,
          ]),
      ...expectations.summarized(report, 'dev', 'spec.replicas must be integer'),
      // The cluster refuses the teammate's commit as the API server would: dev keeps running what it ran.
      ...expectations.clusterRefused(
        report,
        'dev',
        'cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas',
      ),
      ...expectations.notified(world, 'Deploy to dev failed'),
    ],
  },
  'five-environments': {
    name: 'five-environments',
    description:
      "a caller promoting through dev, qa, staging, preprod and production, where preprod's release fails its smoke test: qa and staging get it in order, preprod's commit is reverted, production is not promoted",
    world: {},
    rejects: [],
    events: pushRegionalPrices,
    inputs: (world) => ({
      environments: 'dev, qa, staging, preprod, production',
      'base-url-dev': '',
      'base-url-staging': '',
      'base-url-production': '',
      'base-urls': FIVE.map((name) => `${name}: ${world.services[name].url}`).join('\n'),
    }),
    promises: (report, world) => [
      ...expectations.jobs(report, {
        dev: 'success',
        [middle('qa')]: 'success',
        [middle('staging')]: 'success',
        [middle('preprod')]: 'failure',
        canary: 'skipped',
        production: 'skipped',
      }),
      ...expectations.environments(report, world, ['dev', 'qa', 'staging'], ['preprod', 'canary', 'production']),
      ...expectations.promotedInOrder(report, ['dev', 'qa', 'staging', 'preprod']),
      ...expectations.reverted(report, 'preprod'),
      ...expectations.notified(world, 'Deploy to one of qa, staging, preprod failed'),
    ],
  },
  'custom-canary': {
    name: 'custom-canary',
    description:
      'a caller whose canary is its own environment, prod-canary, applied by Argo CD: judged before production, which is promoted on its pass',
    world: { ...CHEAP_ROLLOUTS, argoCd: true },
    rejects: [],
    controllers: { 'prod-canary': 'argocd' },
    events: push,
    inputs: (world) => ({
      environments: 'dev, production',
      'canary-environment': 'prod-canary',
      'canary-selector': meshSelector(world.environments['prod-canary'].namespace),
    }),
    promises: (report, world) => [
      ...expectations.jobs(report, { dev: 'success', [middle()]: 'skipped', canary: 'success', production: 'success' }),
      ...expectations.environments(report, world, ['dev', 'prod-canary', 'production'], ['staging', 'canary']),
      ...expectations.promotedInOrder(report, ['dev', 'prod-canary', 'production']),
      ...expectations.summarized(report, 'plan', 'A canary in prod-canary'),
      ...expectations.summarized(report, 'canary', '## GitOps controller: ✅ applied'),
      ...expectations.notified(world, 'Production updated'),
    ],
  },
  toolchains: {
    name: 'toolchains',
    description:
      'a pull request changes a Go service and a Node service: each is tested with the toolchain it declares (go.mod, .nvmrc) and reported from its own format (go test -json, JUnit), then built and scanned; the comment shows both',
    world: {},
    rejects: [],
    programs: ['go'],
    // A pull request: what this scenario is about (tests, toolchains, reports) ends at the comment, with
    // no deploy to pay for; build-command follows the Go service through promotion.
    events: async (world) =>
      (
        await pushAfterProduction(
          world,
          {
            [INVENTORY_MAIN]: (text) =>
              editOnce(INVENTORY_MAIN, text, '"poster-a2": 3}', '"poster-a2": 3, "tote-bag": 25}'),
            'services/cart/src/cart.js': (text) =>
              `${text}\n/** How many items the cart holds. */\nexport function count(lines) {\n  return lines.reduce((sum, line) => sum + line.quantity, 0);\n}\n`,
          },
          'inventory: stock tote bags; cart: count the items',
        )
      ).map((event) => ({ ...event, name: 'pull_request' as const })),
    inputs: twoEnvironments,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        detect: 'success',
        'test (inventory)': 'success',
        'test (cart)': 'success',
        'build (inventory)': 'success',
        'build (cart)': 'success',
        release: 'skipped',
        comment: 'success',
      }),
      ...expectations.selected(report, ['cart', 'inventory']),
      ...expectations.toolchains(report, 'test (inventory)', ['Set up Go 1.19']),
      ...expectations.toolchains(report, 'test (cart)', ['Set up Node.js 24']),
      ...expectations.summarized(report, 'test (inventory)', INVENTORY_TESTS),
      ...expectations.summarized(report, 'test (cart)', CART_TESTS),
      ...[
        ['inventory', 6],
        ['cart', 3],
      ]
        .filter(
          ([service, tests]) =>
            !new RegExp(`^\\| ${service} \\| ✅ ${tests} passed \\|`, 'm').test(report.comment ?? ''),
        )
        .map(([service, tests]) => `the comment should show ${service}'s ${tests} passing tests`),
      ...expectations.nothingPushed(report),
      ...expectations.environments(report, world, [], ALL),
    ],
  },

  'build-command': {
    name: 'build-command',
    description:
      'a push changes a Go service without a Dockerfile: its build command writes an OCI layout (as ko does), which is scanned, pushed by digest, tagged like any image and promoted',
    world: {},
    rejects: [],
    programs: ['go'],
    events: (world) =>
      pushAfterProduction(
        world,
        { [INVENTORY_MAIN]: (text) => editOnce(INVENTORY_MAIN, text, '"mug-blue": 12', '"mug-blue": 20') },
        'inventory: restock blue mugs',
      ),
    inputs: twoEnvironments,
    promises: (report, world) => [
      ...expectations.jobs(report, {
        ...TWO_ENVIRONMENTS_PASS,
        'test (inventory)': 'success',
        'build (inventory)': 'success',
      }),
      ...expectations.selected(report, ['inventory']),
      ...expectations.stepsInOrder(report, 'build (inventory)', [
        ['Set up Go 1.19', 'success'],
        ["Build with the service's build command", 'success'],
        ['./.shiprail/actions/build-push', 'skipped'],
        ['./.shiprail/actions/trivy-gate', 'success'],
        ['Push the scanned image', 'success'],
      ]),
      ...expectations.taggedAndPromoted(report, world, 'inventory', ['dev', 'production']),
      ...expectations.servicesUntouched(report, world, ['api', 'web', 'worker', 'cart']),
      ...expectations.notified(world, 'Production updated'),
    ],
  },
};

export function scenarioNamed(name: string): Scenario {
  const scenario = (SCENARIOS as Record<string, Scenario | undefined>)[name];
  if (!scenario) throw new Error(`unknown scenario '${name}': choose one of ${SCENARIO_NAMES.join(', ')}`);
  return scenario;
}
