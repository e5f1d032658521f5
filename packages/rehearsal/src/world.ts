// The world a rehearsal of deploy.yml runs against, all on 127.0.0.1 and in one temporary folder: the
// sample monorepo (the caller), a snapshot of this suite (the workflow's own repository), a registry, a
// GitOps remote served over git's HTTP protocol with a token, one simulated cluster per environment that
// follows Git and runs the images it rolls out (world-images.ts), an ingress per environment, traffic to the
// canary and its baseline recorded as a mesh records it and scraped by Prometheus, and a scanner in the
// runner's tool cache (the installed Trivy, else the recorded-reports scanner: scanner/install.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './action-metadata.ts';
import { Reconciler, runningImages, type ClusterEnvironment, type RolloutOutcome } from './kube/cluster.ts';
import { startGitHttpServer, type GitHttpServer } from './servers/git-http-server.ts';
import { GitHubApi } from './servers/github-api.ts';
import { ArgoCdApplication, type ArgoCdBehaviour } from './kube/argo-cd.ts';
import { gitIn } from './git.ts';
import { chooseScanner, installScanner, probeScanner, type Scanner } from './scanner/install.ts';
import { installCommand, missingPrerequisites, packagesOf } from './prerequisites.ts';
import { createGitopsRemote, DEFAULT_IMAGES } from './gitops-repo.ts';
import { startKubeApiServer, type KubeApiServer } from './kube/api-server.ts';
import { CanaryTraffic, SAMPLE_BASELINES, samplePaths } from './canary-traffic.ts';
import { CANARY_METRICS_YAML, startPrometheus, type PrometheusServer } from './servers/prometheus.ts';
import { MeshTraffic } from './servers/traffic.ts';
import { startRegistry, type RunningRegistry } from './servers/registry.ts';
import { createSampleMonorepo, SAMPLE_AUTHOR, TOOLCHAIN_SERVICES, toolchainServiceFiles } from './sample-monorepo.ts';
import type { LoopbackListener } from './servers/loopback.ts';
import { startSampleService } from './servers/sample-service.ts';
import { ScenarioReadiness } from './kube/readiness.ts';
import type { ClusterNode } from './kubelet/cluster-node.ts';
import {
  canRunImages,
  NETWORK_RESOURCES,
  publishWorldImages,
  worldMirror,
  startClusterNode,
  startEnvironmentAddress,
  vfsStorageConf,
  workloadEndpoints,
} from './world-images.ts';

/**
 * The storefronts of the EU (production and its pre-production) price in euros: their api is told so, as
 * real overlays carry the configuration of their environment.
 */
const EU_OVERLAY = `patches:
  - target: {kind: Deployment, name: api}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env
        value:
          - {name: CATALOG_REGION, value: eu}
`;

/**
 * The environments a caller may promote through: the default chain (dev, staging, canary, production),
 * and qa, preprod and a canary named prod-canary for callers of longer chains and their own names.
 */
export const ENVIRONMENTS = ['dev', 'qa', 'staging', 'preprod', 'canary', 'prod-canary', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];
/** The cluster behind each environment, each its own namespace: the canaries are tracks of production's. */
const CLUSTER_OF: Readonly<Record<EnvironmentName, (typeof CLUSTERS)[number]>> = {
  dev: 'dev',
  qa: 'dev',
  staging: 'staging',
  preprod: 'staging',
  canary: 'production',
  'prod-canary': 'production',
  production: 'production',
};
const CLUSTERS = ['dev', 'staging', 'production'] as const;
/** The clusters where the Prometheus Operator is installed: they serve its ServiceMonitors and rules. */
const PROMETHEUS_OPERATOR_CLUSTERS: ReadonlySet<string> = new Set(['dev']);
/** Every service of the world's monorepo: each has a Deployment in every environment. */
export const WORLD_SERVICES: readonly string[] = [...DEFAULT_IMAGES, ...TOOLCHAIN_SERVICES];

export const CALLER_REPOSITORY = 'acme/shop';
export const GITOPS_REPOSITORY = 'acme/gitops';
export const SUITE_REPOSITORY = 'shiprail/shiprail';
export const GITHUB_TOKEN = 'ghs_rehearsalToken0000000000000000000000';
export const GITOPS_TOKEN = 'ghp_rehearsalGitopsToken000000000000000';

export interface WorldOptions {
  /**
   * Read when the world starts: the clusters run the images they roll out, and each environment's URL is
   * an ingress to its pods (default: on where pods can run, as root). Off, rollouts go as `rollout` says
   * and each environment's URL is the sample service.
   */
  runImages?: boolean;
  /**
   * Whether pods run in this scenario (default true, where the world runs images). False: no pod runs,
   * rollouts go as `rollout` says (ready at once by default) and each environment's URL answers from the
   * world's sample service, as cheaper scenarios whose point lies elsewhere (approvals, concurrency,
   * controllers, callers' chains) want.
   */
  runPods?: boolean;
  /** How a rollout goes, per environment and Deployment. */
  rollout?: (environment: string, deployment: string, image: string) => RolloutOutcome;
  /** The clusters act as Argo CD: each environment's Application reports every commit it applies. */
  argoCd?: boolean;
}

const SMOKE_CHECKS = `# Post-deploy checks of the shop, run by the deploy workflow in every environment.
checks:
  - name: health
    request: { url: /healthz }
    expect: { status: 200, json: { "$.status": ok } }
    retry: { until: 10s, interval: 1s }
  - name: items
    request: { url: /api/items }
    expect: { status: 200, json: { "$": { length: { ">=": 1 } } } }
`;

/** This suite's actions, bundles and workflow scripts as one commit: the workflow's own repository. */
export async function snapshotSuite(directory: string): Promise<{ path: string; sha: string }> {
  const path = join(directory, 'suite.git');
  await gitIn(directory).run(['init', '--quiet', '--bare', path]);
  const git = gitIn(repoRoot, {
    author: { name: 'Shiprail', email: 'shiprail@example.com' },
    env: { GIT_DIR: path, GIT_WORK_TREE: repoRoot, GIT_INDEX_FILE: join(directory, 'suite.index') },
  });
  await git.run(['add', '--force', '--', 'actions', 'dist', '.github']);
  await git.run(['commit', '--quiet', '-m', 'The suite as it is in this working tree']);
  await git.run(['branch', '-M', 'main']);
  return { path, sha: await git.output(['rev-parse', 'HEAD']) };
}

async function startClusters(): Promise<Record<EnvironmentName, ClusterEnvironment>> {
  const servers: Record<string, KubeApiServer> = {};
  for (const name of CLUSTERS) {
    servers[name] = await startKubeApiServer({
      namespace: `shop-${name}`,
      prometheusOperator: PROMETHEUS_OPERATOR_CLUSTERS.has(name),
    });
  }
  const environment = (name: EnvironmentName): ClusterEnvironment => {
    const server = servers[CLUSTER_OF[name]];
    if (!server) throw new Error(`no cluster ${CLUSTER_OF[name]}`);
    return { name, server, namespace: `shop-${name}`, overlay: `overlays/${name}` };
  };
  return Object.fromEntries(ENVIRONMENTS.map((name) => [name, environment(name)])) as Record<
    EnvironmentName,
    ClusterEnvironment
  >;
}

/** Stops what has started, last first, then removes the world's folder. */
export class Teardown {
  private readonly stops: Array<() => Promise<unknown>> = [];
  private readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** Starts something and registers how it stops. */
  async add<T>(started: Promise<T>, stop: (value: T) => Promise<unknown>): Promise<T> {
    const value = await started;
    this.stops.push(() => stop(value));
    return value;
  }

  async run(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** The repositories of the world: the caller's monorepo, the suite, and the GitOps remote served over HTTP. */
async function createRepositories(
  directory: string,
  imagePrefix: string,
  teardown: Teardown,
): Promise<Pick<WorldParts, 'monorepo' | 'suite' | 'gitops' | 'github'>> {
  const monorepo = await createSampleMonorepo(join(directory, 'shop'), {
    '.github/smoke.yml': SMOKE_CHECKS,
    '.github/canary.yml': CANARY_METRICS_YAML,
    ...toolchainServiceFiles(),
  });
  const suite = await snapshotSuite(directory);
  const gitopsRoot = join(directory, 'git');
  // The environments start out running the sample's first commit, as a deploy of it would have recorded.
  const remote = await createGitopsRemote({
    directory: join(gitopsRoot, 'acme'),
    registry: imagePrefix,
    images: [...WORLD_SERVICES],
    overlays: [...ENVIRONMENTS],
    message: `Initial GitOps layout\n\nSource-Commit: ${monorepo.base}\nEnvironment: ${ENVIRONMENTS.join(', ')}\n`,
    baseResources: NETWORK_RESOURCES,
    overlayExtras: { production: EU_OVERLAY, preprod: EU_OVERLAY },
  });
  const github = new GitHubApi(GITHUB_TOKEN);
  const http = await teardown.add(
    startGitHttpServer({ root: gitopsRoot, token: GITOPS_TOKEN, api: github }),
    (server) => server.stop(),
  );
  return { monorepo, suite, gitops: { bare: remote.path, branch: remote.branch, http }, github };
}

/** The folders and settings every step gets: buildah's storage, the tool cache with the scanner, the artifact store. */
export function runnerFolders(directory: string): Pick<WorldParts, 'baseEnv' | 'store' | 'scan'> {
  const toolCache = join(directory, 'tool-cache');
  const scan = chooseScanner(probeScanner(process.env));
  installScanner(toolCache, scan.scanner);
  const storageConf = vfsStorageConf(join(directory, 'containers'));
  const store = join(directory, 'store');
  mkdirSync(store);
  const baseEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? directory,
    LANG: 'C.UTF-8',
    CONTAINERS_STORAGE_CONF: storageConf,
    RUNNER_TOOL_CACHE: toolCache,
  };
  return { baseEnv, store, scan };
}

/** Everything a world is made of, started. */
interface WorldParts {
  directory: string;
  registry: RunningRegistry;
  imagePrefix: string;
  monorepo: { path: string; base: string; head: string };
  suite: { path: string; sha: string };
  gitops: { bare: string; branch: string; http: GitHttpServer };
  github: GitHubApi;
  environments: Record<EnvironmentName, ClusterEnvironment>;
  services: Record<EnvironmentName, LoopbackListener>;
  /** The kubelet running the clusters' pods (none when the world does not run images). */
  node: ClusterNode | undefined;
  /** `repository:tag` the world pushed itself before any rehearsal: kept, and never reported as pushed. */
  published: ReadonlySet<string>;
  prometheus: PrometheusServer;
  canaryTraffic: CanaryTraffic;
  reconciler: Reconciler;
  /** The GitOps branch's first commit, which every reset returns to. */
  initialGitops: string;
  /** What the current scenario asks of the world; the reconciler reads its rollouts at every rollout. */
  conditions: { options: WorldOptions };
  argoCd: ArgoCdBehaviour;
  baseEnv: Record<string, string>;
  store: string;
  /** What scans the images, and why the installed Trivy was passed over when it was. */
  scan: { scanner: Scanner; note: string | undefined };
}

async function startParts(directory: string, options: WorldOptions, teardown: Teardown): Promise<WorldParts> {
  const registry = await teardown.add(
    startRegistry({ htpasswd: { user: 'octocat', password: GITHUB_TOKEN } }),
    (started) => started.stop(),
  );
  const imagePrefix = `${registry.host}/acme`;
  const repositories = await createRepositories(directory, imagePrefix, teardown);
  const runner = runnerFolders(directory);
  const access = { host: registry.host, prefix: imagePrefix, username: 'octocat', password: GITHUB_TOKEN };
  // The sample's Dockerfiles build FROM busybox:stable, which the world's registry mirrors, pods or not.
  const { registriesConf, mirror } = worldMirror(directory, access, runner.baseEnv);
  runner.baseEnv['CONTAINERS_REGISTRIES_CONF'] = registriesConf;
  const runsImages = options.runImages ?? canRunImages();
  const published = new Set(
    await publishWorldImages(registry, access, mirror, runsImages ? repositories.monorepo : undefined),
  );
  const node = runsImages
    ? await teardown.add(Promise.resolve(startClusterNode(directory, access, registriesConf)), (started) =>
        started.stop(),
      )
    : undefined;
  const podsRun = (): boolean => node !== undefined && conditions.options.runPods !== false;
  const { bare, branch } = repositories.gitops;
  const environments = await teardown.add(startClusters(), (started) =>
    Promise.all(CLUSTERS.map((name) => started[name].server.stop())),
  );
  const conditions = { options };
  // Six requests a second a side: the sample's api forks a shell per request, and three at a time already
  // show a canary whose reads wait for each other.
  const traffic = await teardown.add(MeshTraffic.start({ requestsPerSecond: 6 }), (started) => started.stop());
  const canaryTraffic = new CanaryTraffic({
    traffic,
    // The ready pods where the clusters run the built images; else each environment's sample service.
    addresses: async (environment, workload) =>
      node && podsRun()
        ? (await workloadEndpoints(node, environments[environment as EnvironmentName], workload)).map(
            (endpoint) => `http://${endpoint}`,
          )
        : [services[environment as EnvironmentName].url],
    namespace: (environment) => environments[environment as EnvironmentName].namespace,
    baselines: SAMPLE_BASELINES,
    paths: samplePaths,
  });
  const argoCd: ArgoCdBehaviour = { repoURL: `${repositories.gitops.http.url}/${GITOPS_REPOSITORY}.git` };
  const scenario = new ScenarioReadiness(
    (environment, deployment, image) => conditions.options.rollout?.(environment, deployment, image) ?? 'success',
  );
  const reconciler = new Reconciler({
    repository: bare,
    branch,
    environments: Object.values(environments),
    // A scenario that says how rollouts go is obeyed; otherwise the pods run. A ready canary draws traffic.
    readiness: canaryTraffic.watching({
      readiness: (subject) =>
        node && podsRun() && conditions.options.rollout === undefined
          ? node.readiness(subject)
          : scenario.readiness(subject),
    }),
    argoCd: () => (conditions.options.argoCd === true ? argoCd : undefined),
  });
  const initialGitops = await gitIn(bare).output(['rev-parse', branch]);
  // The environments have long run the first commit.
  await reconciler.restore(initialGitops);
  await teardown.add(Promise.resolve(reconciler.start()), () => reconciler.stop());
  const sample = await teardown.add(startSampleService({ version: '1.4.0' }), (started) => started.stop());
  const services = {} as Record<EnvironmentName, LoopbackListener>;
  for (const name of ENVIRONMENTS) {
    services[name] = await teardown.add(
      startEnvironmentAddress(node, environments[name], { url: sample.url, serves: () => !podsRun() }),
      (service) => service.stop(),
    );
  }
  const prometheus = await teardown.add(startPrometheus({ scrapeTargets: [traffic.scrapeTarget] }), (started) =>
    started.stop(),
  );
  return {
    directory,
    registry,
    imagePrefix,
    ...repositories,
    environments,
    services,
    node,
    published,
    prometheus,
    canaryTraffic,
    reconciler,
    initialGitops,
    conditions,
    argoCd,
    ...runner,
  };
}

/**
 * The world, started: its servers, repositories and clusters, what a workflow run is given of it, and
 * what a rehearsal reports from it.
 */
export class World {
  readonly directory: string;
  readonly registry: RunningRegistry;
  readonly monorepo: { path: string; base: string; head: string };
  readonly suite: { path: string; sha: string };
  readonly gitops: { bare: string; branch: string; http: GitHttpServer };
  /** GitHub's REST API (pull request comments) and the team's incoming webhook, on the same server. */
  readonly github: GitHubApi;
  /** Where the workflow's notifications go. */
  readonly webhookUrl: string;
  readonly environments: Record<EnvironmentName, ClusterEnvironment>;
  readonly kubeconfigs: Record<EnvironmentName, string>;
  /** Each environment's base URL: its ingress (or the sample service, when the world runs no images). */
  readonly services: Record<EnvironmentName, LoopbackListener>;
  readonly prometheus: PrometheusServer;
  readonly reconciler: Reconciler;
  /** Environment every step of every job gets. */
  readonly baseEnv: Record<string, string>;
  /** owner/name → local repository. */
  readonly repositories: Record<string, string>;
  /** Artifacts and SARIF files. */
  readonly store: string;
  readonly imagePrefix: string;
  /** What scans the images: the installed Trivy, or the recorded reports (with why, when Trivy was passed over). */
  readonly scan: { scanner: Scanner; note: string | undefined };
  private readonly parts: WorldParts;
  private readonly teardown: Teardown;

  /** Starts the whole world; throws with what is missing when a program it needs is not installed. */
  static async start(options: WorldOptions = {}): Promise<World> {
    const missing = missingPrerequisites('demo', process.env['PATH'] ?? '');
    if (missing.length > 0) {
      const programs = missing.map((entry) => entry.provides).join(', ');
      throw new Error(
        `the rehearsal runs real programs; missing: ${programs}. Install them with: ${installCommand(packagesOf(missing))}`,
      );
    }
    const directory = mkdtempSync(join(tmpdir(), 'shiprail-rehearsal-'));
    const teardown = new Teardown(directory);
    try {
      const world = new World(await startParts(directory, options, teardown), teardown);
      world.configure(options);
      world.parts.canaryTraffic.arm();
      return world;
    } catch (error) {
      await teardown.run();
      throw error;
    }
  }

  private constructor(parts: WorldParts, teardown: Teardown) {
    this.parts = parts;
    this.teardown = teardown;
    this.directory = parts.directory;
    this.registry = parts.registry;
    this.monorepo = parts.monorepo;
    this.suite = parts.suite;
    this.gitops = parts.gitops;
    this.github = parts.github;
    this.webhookUrl = `${parts.gitops.http.url}/hooks/notify`;
    this.environments = parts.environments;
    this.kubeconfigs = Object.fromEntries(
      ENVIRONMENTS.map((name) => {
        const { server, namespace } = parts.environments[name];
        return [name, server.kubeconfig.replace(/namespace: .*/, `namespace: ${namespace}`)];
      }),
    ) as Record<EnvironmentName, string>;
    this.services = parts.services;
    this.prometheus = parts.prometheus;
    this.reconciler = parts.reconciler;
    this.baseEnv = parts.baseEnv;
    this.repositories = {
      [CALLER_REPOSITORY]: parts.monorepo.path,
      [SUITE_REPOSITORY]: parts.suite.path,
      [GITOPS_REPOSITORY]: parts.gitops.bare,
    };
    this.store = parts.store;
    this.imagePrefix = parts.imagePrefix;
    this.scan = parts.scan;
  }

  /**
   * Where one workload of an environment is reached now: `IP:port` of each of its ready pods (the first
   * port its containers declare), started first when it ran before the rehearsal. Empty when the world runs
   * no images or none of its pods is ready.
   */
  async endpoints(environment: EnvironmentName, workload: string): Promise<string[]> {
    const node = this.parts.node;
    return node ? workloadEndpoints(node, this.environments[environment], workload) : [];
  }

  /** Subjects of the GitOps branch's commits, oldest first. */
  async gitopsHistory(): Promise<string[]> {
    const log = await gitIn(this.gitops.bare).output(['log', '--reverse', '--format=%s', this.gitops.branch]);
    return log.split('\n').filter((line) => line !== '');
  }

  /** What each environment's Deployments run, by service. */
  running(): Record<EnvironmentName, Record<string, string>> {
    return Object.fromEntries(ENVIRONMENTS.map((name) => [name, runningImages(this.environments[name])])) as Record<
      EnvironmentName,
      Record<string, string>
    >;
  }

  /** The environments whose cluster did not apply the GitOps branch's last commit, with why. */
  unapplied(): Record<string, string> {
    return this.reconciler.failures();
  }

  /** Images with a digest in the registry, as `<registry>/<repository>@sha256:…`. */
  pushedImages(): Promise<string[]> {
    return pushedImages(this.registry, this.parts.published);
  }

  /** The registry's tags: `<registry>/<repository>` → tag → the digest it names. */
  registryTags(): Promise<Record<string, Record<string, string>>> {
    return registryTags(this.registry, this.parts.published);
  }

  /**
   * A new commit on the caller's main branch writing `files` (path → content); returns its SHA. With
   * `parent`, main is first moved back to that commit (the next reset puts it back).
   */
  async commit(files: Record<string, string>, message: string, parent?: string): Promise<string> {
    const git = gitIn(this.monorepo.path, { author: SAMPLE_AUTHOR });
    if (parent !== undefined) await git.run(['reset', '--quiet', '--hard', parent]);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.monorepo.path, path)), { recursive: true });
      writeFileSync(join(this.monorepo.path, path), content);
    }
    await git.run(['add', '--all']);
    await git.run(['commit', '--quiet', '-m', message]);
    return git.output(['rev-parse', 'HEAD']);
  }

  /** A teammate's commit on the GitOps branch writing `files` (path → content); returns its SHA. */
  async commitGitops(files: Record<string, string>, message: string): Promise<string> {
    const checkout = mkdtempSync(join(this.parts.directory, 'gitops-edit-'));
    try {
      await gitIn(this.parts.directory).run([
        'clone',
        '--quiet',
        '--branch',
        this.gitops.branch,
        '--',
        this.gitops.bare,
        checkout,
      ]);
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(checkout, path)), { recursive: true });
        writeFileSync(join(checkout, path), content);
      }
      const git = gitIn(checkout, { author: SAMPLE_AUTHOR });
      await git.run(['add', '--all']);
      await git.run(['commit', '--quiet', '-m', message]);
      await git.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${this.gitops.branch}`]);
      return await git.output(['rev-parse', 'HEAD']);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  }

  /** Puts the world back as it started (Git, clusters, the caller's branch) and applies `options`. */
  async reset(options: WorldOptions): Promise<void> {
    await this.parts.canaryTraffic.halt();
    await this.reconciler.stop();
    await gitIn(this.gitops.bare).run(['update-ref', `refs/heads/${this.gitops.branch}`, this.parts.initialGitops]);
    await this.reconciler.restore(this.parts.initialGitops);
    await this.parts.node?.reset((environment) => this.environments[environment as EnvironmentName]?.server);
    await gitIn(this.monorepo.path).run(['reset', '--quiet', '--hard', this.monorepo.head]);
    await clearRegistry(this.registry, this.parts.published);
    this.github.reset();
    this.configure(options);
    this.reconciler.start();
    this.parts.canaryTraffic.arm();
  }

  stop(): Promise<void> {
    return this.teardown.run();
  }

  private configure(options: WorldOptions): void {
    this.parts.conditions.options = options;
    for (const environment of Object.values(this.environments)) {
      const application = new ArgoCdApplication(environment.server, environment.name);
      if (options.argoCd === true) {
        application.seed(
          this.parts.argoCd.repoURL,
          environment.overlay,
          environment.namespace,
          this.parts.initialGitops,
        );
      } else application.remove();
    }
  }
}

/** Starts the whole world; throws with what is missing when a program it needs is not installed. */
export function startWorld(options: WorldOptions = {}): Promise<World> {
  return World.start(options);
}

/** The registry's API with the job's credentials. */
function registryClient(
  registry: RunningRegistry,
): (path: string, init?: { method?: string; accept?: string }) => Promise<Response> {
  const auth = `Basic ${Buffer.from(`octocat:${GITHUB_TOKEN}`).toString('base64')}`;
  return (path, init = {}) =>
    fetch(`${registry.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: auth, accept: init.accept ?? 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Every tag in the registry that names a manifest, with its repository and digest. */
export async function registryManifests(
  registry: RunningRegistry,
  /** `repository:tag` the world published itself (its base image, its first release): left out. */
  published: ReadonlySet<string> = new Set(),
): Promise<Array<{ repository: string; tag: string; digest: string }>> {
  const get = registryClient(registry);
  const catalog = (await (await get('/v2/_catalog')).json()) as { repositories?: string[] };
  const manifests: Array<{ repository: string; tag: string; digest: string }> = [];
  for (const repository of catalog.repositories ?? []) {
    const tags = ((await (await get(`/v2/${repository}/tags/list`)).json()) as { tags?: string[] | null }).tags ?? [];
    for (const tag of tags.filter((each) => !published.has(`${repository}:${each}`))) {
      const response = await get(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD', accept: MANIFEST_TYPES });
      const digest = response.headers.get('docker-content-digest');
      if (digest) manifests.push({ repository, tag, digest });
    }
  }
  return manifests;
}

/** Images the registry holds, as `<registry>/<repository>@sha256:…`, each once. */
export async function pushedImages(
  registry: RunningRegistry,
  published: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const images = (await registryManifests(registry, published)).map(
    ({ repository, digest }) => `${registry.host}/${repository}@${digest}`,
  );
  return [...new Set(images)].sort();
}

/** The registry's tags: `<registry>/<repository>` → tag → the digest it names (the world's own left out). */
export async function registryTags(
  registry: RunningRegistry,
  published: ReadonlySet<string> = new Set(),
): Promise<Record<string, Record<string, string>>> {
  const tags: Record<string, Record<string, string>> = {};
  for (const { repository, tag, digest } of await registryManifests(registry, published)) {
    (tags[`${registry.host}/${repository}`] ??= {})[tag] = digest;
  }
  return tags;
}

/**
 * Deletes every manifest but the world's own, so that the next rehearsal pushes (and reports) its images
 * anew.
 */
async function clearRegistry(registry: RunningRegistry, published: ReadonlySet<string>): Promise<void> {
  const request = registryClient(registry);
  const all = await registryManifests(registry);
  const kept = new Set(
    all.filter(({ repository, tag }) => published.has(`${repository}:${tag}`)).map(({ digest }) => digest),
  );
  const manifests = new Set(
    all.filter(({ digest }) => !kept.has(digest)).map(({ repository, digest }) => `${repository}@${digest}`),
  );
  for (const manifest of manifests) {
    const [repository = '', digest = ''] = manifest.split('@');
    await (await request(`/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })).body?.cancel();
  }
}
