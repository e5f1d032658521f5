// The world a user's repository is rehearsed in: its commit cloned into a bare repository served over
// git's HTTP protocol under its own name (and under the GitOps repository's name when its caller names
// another one, made from the same commit, whose overlays it holds), a registry, a simulated cluster per
// environment of its caller following the GitOps branch, Prometheus when it has canary metrics, and the
// suite's own snapshot. Where images can run (as root), busybox is mirrored for its Dockerfiles, a kubelet
// runs the pods of every rollout of the images the rehearsal builds (what the environments ran before, from
// the repository's own registries, is taken as running and never pulled), and each environment's base URL
// is an ingress to its ready pods (world-images.ts). Nothing here knows the sample: every name and path
// comes from the repository.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, errorMessage } from '@shiprail/core';
import { parseCheckFile } from '@shiprail/smoke-test';
import { CanaryTraffic } from './canary-traffic.ts';
import {
  findCaller,
  overlayOf,
  planCaller,
  worldImagePrefix,
  type CallerJob,
  type CallerPlan,
} from './caller-workflow.ts';
import { gitIn } from './git.ts';
import { startKubeApiServer, type KubeApiServer } from './kube/api-server.ts';
import { Reconciler, RenderError, renderOverlay, runningImages, type ClusterEnvironment } from './kube/cluster.ts';
import { installCommand, missingPrerequisites, packagesOf } from './prerequisites.ts';
import { startGitHttpServer, type GitHttpServer } from './servers/git-http-server.ts';
import { GitHubApi } from './servers/github-api.ts';
import { canaryOpenMetrics, startPrometheus, type PrometheusServer } from './servers/prometheus.ts';
import { startRegistry, type RunningRegistry } from './servers/registry.ts';
import { MeshTraffic } from './servers/traffic.ts';
import type { ClusterNode } from './kubelet/cluster-node.ts';
import type { LoopbackListener } from './servers/loopback.ts';
import type { ImageMirror } from './servers/image-mirror.ts';
import { PriorImageBuilder, priorServices } from './prior-images.ts';
import { TokenValues } from './workflow/token-values.ts';
import {
  canRunImages,
  probePathsOf,
  publishWorldImages,
  routedWorkload,
  startClusterNode,
  startEnvironmentAddress,
  workloadEndpoints,
  worldMirror,
} from './world-images.ts';
import { loadWorkflow, tokenEvaluator, type WorkflowDefinition } from './workflow/workflow.ts';
import type { Value } from './workflow/expressions.ts';
import {
  GITHUB_TOKEN,
  GITOPS_TOKEN,
  pushedImages,
  registryTags,
  runnerFolders,
  snapshotSuite,
  SUITE_REPOSITORY,
  Teardown,
  type World,
} from './world.ts';

/** The repository under rehearsal and the commits of the event. */
export interface RepositorySource {
  /** Its folder. */
  directory: string;
  /** owner/name it goes by (its GitHub remote's, else one made from its folder). */
  fullName: string;
  /** The commit rehearsed (HEAD). */
  head: string;
  /** The commit before it: the push's `before`, the pull request's and merge queue's base. */
  base: string;
  /** The branch pushed to, and pull requests' base. */
  branch: string;
  /** Files changed but not committed, which the rehearsal of HEAD leaves out (`git status` lines). */
  uncommitted: string[];
}

/** git's answer, or undefined when it fails. */
const ask = (cwd: string, args: string[]): Promise<string | undefined> =>
  gitIn(cwd)
    .output(args)
    .then(
      (out) => out.trim() || undefined,
      () => undefined,
    );

/**
 * The repository in `directory` as a rehearsal takes it: its top folder, HEAD, the commit before it
 * (`base`, else HEAD's parent) and its branch; ConfigurationErrors say what is missing.
 */
export async function repositorySource(
  directory: string,
  options: { base?: string; fullName: string },
): Promise<RepositorySource> {
  const top = await ask(directory, ['rev-parse', '--show-toplevel']);
  if (top === undefined) {
    throw new ConfigurationError('not a git repository: the rehearsal runs its last commit', { file: directory });
  }
  const head = await ask(top, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head === undefined) throw new ConfigurationError('no commit yet: commit what to rehearse', { file: top });
  const base = await ask(top, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${options.base ?? 'HEAD^'}^{commit}`,
  ]);
  if (base === undefined) {
    throw new ConfigurationError(
      options.base === undefined
        ? 'HEAD has no parent: name the commit the push starts from with --base'
        : `--base ${options.base} is not a commit of this repository`,
      { file: top },
    );
  }
  const branch = (await ask(top, ['symbolic-ref', '--short', '--quiet', 'HEAD'])) ?? 'main';
  const status = (await ask(top, ['status', '--porcelain', '--untracked-files=normal'])) ?? '';
  const uncommitted = status.split('\n').filter((line) => line.trim() !== '');
  return { directory: top, fullName: options.fullName, head, base, branch, uncommitted };
}

/** The caller found in the repository, its evaluated plan and its file's text. */
export interface RepositoryCaller extends CallerJob {
  text: string;
  plan: CallerPlan;
  /** The events its `on:` names. */
  events: string[];
}

const git = (cwd: string, args: string[]): Promise<string> => gitIn(cwd).output(args);

/** The text of every `.github/workflows/*.yml` at `commit`. */
async function workflowFiles(repository: string, commit: string): Promise<Array<{ path: string; text: string }>> {
  const listing = await git(repository, ['ls-tree', '--name-only', commit, '--', '.github/workflows/']);
  const paths = listing.split('\n').filter((path) => /\.ya?ml$/.test(path));
  return Promise.all(paths.map(async (path) => ({ path, text: await git(repository, ['show', `${commit}:${path}`]) })));
}

/**
 * The caller's `with:` as GitHub evaluates it when the call starts, for the push of `source`: the
 * `github` context, no repository variables (the world sets the inputs that read them).
 */
async function callerInputs(
  workflow: WorkflowDefinition,
  job: string,
  source: RepositorySource,
): Promise<Record<string, string>> {
  const call = workflow.jobs.find((candidate) => candidate.id === job)?.call;
  const [owner = ''] = source.fullName.split('/');
  const github: Value = {
    repository: source.fullName,
    repository_owner: owner,
    event_name: 'push',
    ref: `refs/heads/${source.branch}`,
    ref_name: source.branch,
    sha: source.head,
    server_url: 'https://github.com',
  };
  return new TokenValues(await tokenEvaluator()).strings(call?.with, { github, vars: {}, inputs: {} });
}

/**
 * Reads the caller of the deploy workflow at the source's commit (parsed as GitHub parses it, mistakes
 * named with their line) and plans the world from it.
 */
export async function readRepositoryCaller(source: RepositorySource): Promise<RepositoryCaller> {
  const job = findCaller(await workflowFiles(source.directory, source.head));
  const text = await git(source.directory, ['show', `${source.head}:${job.file}`]);
  const scratch = mkdtempSync(join(tmpdir(), 'shiprail-caller-'));
  try {
    const copy = join(scratch, job.file.split('/').at(-1) ?? 'deploy.yml');
    writeFileSync(copy, text);
    const workflow = await loadWorkflow(copy);
    const plan = planCaller(await callerInputs(workflow, job.job, source), job.file);
    return { ...job, text, plan, events: workflow.events };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Whether `path` is a file or folder at `commit`. */
async function existsAt(repository: string, commit: string, path: string): Promise<boolean> {
  try {
    await git(repository, ['cat-file', '-e', `${commit}:${path}`]);
    return true;
  } catch {
    return false;
  }
}

/** A bare repository made from the source's commit, with `branch` at it and as its default branch. */
async function bareCopy(source: RepositorySource, path: string, branch: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await git(source.directory, ['clone', '--quiet', '--bare', '--', source.directory, path]);
  await git(path, ['update-ref', `refs/heads/${branch}`, source.head]);
  await git(path, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
}

/**
 * The namespace an overlay puts its workloads in (the environment's name when it sets none), or a
 * ConfigurationError with kustomize's own words when it does not render.
 */
async function overlayNamespace(checkout: string, overlay: string, environment: string): Promise<string> {
  try {
    const objects = await renderOverlay(checkout, overlay);
    const namespaced = objects.find((object) => {
      const metadata = object['metadata'] as { namespace?: unknown } | undefined;
      return typeof metadata?.namespace === 'string' && metadata.namespace !== '';
    });
    const metadata = namespaced?.['metadata'] as { namespace?: string } | undefined;
    return metadata?.namespace ?? environment;
  } catch (error) {
    if (error instanceof RenderError) {
      throw new ConfigurationError(`${overlay} does not render: ${error.message}`, { file: overlay });
    }
    throw error;
  }
}

/** Everything a repository world is made of, started. */
interface RepositoryParts {
  directory: string;
  source: RepositorySource;
  caller: RepositoryCaller;
  registry: RunningRegistry;
  /** The caller's repository and the GitOps repository (the same one when the caller names itself). */
  callerBare: string;
  gitops: { repository: string; bare: string; branch: string; http: GitHttpServer };
  suite: { path: string; sha: string };
  github: GitHubApi;
  environments: ClusterEnvironment[];
  prometheus: PrometheusServer | undefined;
  /** How the canary is judged: on traffic to its pods, on recorded series (no pods), or not at all. */
  canaryData: CanaryData;
  reconciler: Reconciler;
  /** The kubelet running the rollouts' pods (none where images cannot run). */
  node: ClusterNode | undefined;
  /** Each environment's ingress, by environment (none without a kubelet). */
  addresses: Record<string, LoopbackListener>;
  /** `repository:tag` the world pushed itself (busybox, what ran before): never reported as pushed. */
  published: ReadonlySet<string>;
  /** What the environments ran before, built from the commit before the rehearsed one on first need (with a kubelet). */
  prior: PriorImageBuilder | undefined;
  baseEnv: Record<string, string>;
  store: string;
  scan: World['scan'];
}

/** The environments the world has clusters for: the caller's, and its canary when one is judged. */
function clusterEnvironments(plan: CallerPlan, judged: boolean): string[] {
  return judged ? [...plan.environments, plan.canaryEnvironment] : plan.environments;
}

/** One API server per environment; the canary runs in the last environment's cluster. */
async function startClusters(
  plan: CallerPlan,
  names: string[],
  checkout: string,
  teardown: Teardown,
): Promise<ClusterEnvironment[]> {
  const last = plan.environments.at(-1);
  const servers = new Map<string, KubeApiServer>();
  const environments: ClusterEnvironment[] = [];
  for (const name of names) {
    const overlay = overlayOf(plan, name);
    const namespace = await overlayNamespace(checkout, overlay, name);
    const cluster = name === plan.canaryEnvironment ? (last ?? name) : name;
    let server = servers.get(cluster);
    if (server === undefined) {
      server = await teardown.add(startKubeApiServer({ namespace }), (started) => started.stop());
      servers.set(cluster, server);
    }
    environments.push({ name, server, namespace, overlay });
  }
  return environments;
}

async function startRepositoryParts(
  source: RepositorySource,
  caller: RepositoryCaller,
  directory: string,
  teardown: Teardown,
): Promise<RepositoryParts> {
  const { plan } = caller;
  const judged = await existsAt(source.directory, source.head, plan.canaryMetrics);
  const names = clusterEnvironments(plan, judged);
  for (const name of names) {
    const overlay = overlayOf(plan, name);
    if (!(await existsAt(source.directory, source.head, overlay))) {
      throw new ConfigurationError(
        `${overlay}: no such folder, where the caller's overlays (${plan.overlays}) put ${name}; the rehearsal makes the GitOps repository from this repository's overlays`,
        { file: caller.file },
      );
    }
  }
  const gitRoot = join(directory, 'git');
  const callerBare = join(gitRoot, `${source.fullName}.git`);
  await bareCopy(source, callerBare, source.branch);
  const inRepository = plan.gitopsRepository === source.fullName;
  const gitopsBranch = plan.gitopsBranch === '' ? source.branch : plan.gitopsBranch;
  const gitopsBare = inRepository ? callerBare : join(gitRoot, `${plan.gitopsRepository}.git`);
  if (!inRepository) await bareCopy(source, gitopsBare, gitopsBranch);
  else if (gitopsBranch !== source.branch)
    await git(callerBare, ['update-ref', `refs/heads/${gitopsBranch}`, source.head]);
  const checkout = join(directory, 'render');
  await git(directory, ['clone', '--quiet', '--', callerBare, checkout]);
  await git(checkout, ['checkout', '--quiet', source.head]);
  const environments = await teardown.add(startClusters(plan, names, checkout, teardown), () => Promise.resolve());
  rmSync(checkout, { recursive: true, force: true });
  // The servers start once the repository's overlays are known to render.
  const registry = await teardown.add(
    startRegistry({ htpasswd: { user: 'octocat', password: GITHUB_TOKEN } }),
    (started) => started.stop(),
  );
  const runner = runnerFolders(directory);
  const images = canRunImages()
    ? await startImages(directory, registry, plan.imagePrefix, runner.baseEnv, teardown)
    : undefined;
  const github = new GitHubApi(GITHUB_TOKEN);
  const http = await teardown.add(startGitHttpServer({ root: gitRoot, token: GITOPS_TOKEN, api: github }), (server) =>
    server.stop(),
  );
  const traffic =
    judged && images
      ? await teardown.add(startCanaryTraffic(images.node, { source, plan, environments }), (started) =>
          started.mesh.stop(),
        )
      : undefined;
  // With a kubelet, rollouts wait for their pods (and a ready canary draws traffic); without one, every
  // rollout is ready at once.
  const reconciler = new Reconciler({
    repository: gitopsBare,
    branch: gitopsBranch,
    environments,
    ...(images ? { readiness: traffic ? traffic.canary.watching(images.node) : images.node } : {}),
  });
  // The environments have long run what the repository's overlays say at this commit.
  await reconciler.restore(source.head);
  const prior = images && (await priorImages(images, { source, plan, callerBare, directory, environments }, teardown));
  traffic?.canary.arm();
  await teardown.add(Promise.resolve(reconciler.start()), () => reconciler.stop());
  const addresses: Record<string, LoopbackListener> = {};
  if (images) {
    for (const environment of environments) {
      addresses[environment.name] = await teardown.add(startEnvironmentAddress(images.node, environment), (started) =>
        started.stop(),
      );
    }
  }
  // Prometheus scrapes the canary's traffic; where no pod runs, it holds the rehearsal's recorded series.
  const prometheus = judged
    ? await teardown.add(
        startPrometheus(
          traffic
            ? { scrapeTargets: [traffic.mesh.scrapeTarget] }
            : { openMetrics: canaryOpenMetrics({ minutes: 30 }) },
        ),
        (started) => started.stop(),
      )
    : undefined;
  return {
    directory,
    source,
    caller,
    registry,
    callerBare,
    gitops: { repository: plan.gitopsRepository, bare: gitopsBare, branch: gitopsBranch, http },
    suite: await snapshotSuite(directory),
    github,
    environments,
    prometheus,
    canaryData: traffic ? 'traffic' : judged ? 'recorded' : 'none',
    reconciler,
    node: images?.node,
    addresses,
    published: images?.published ?? new Set(),
    prior,
    ...runner,
  };
}

/** How a repository's canary is judged: on the traffic sent to its pods, on recorded series, or not at all. */
export type CanaryData = 'traffic' | 'recorded' | 'none';

/**
 * The relative GET URLs of the caller's smoke checks at the rehearsed commit, as the smoke test reads them
 * (none when there is no check file, or it does not parse: the smoke step says why).
 */
async function smokeCheckUrls(source: RepositorySource, plan: CallerPlan): Promise<string[]> {
  if (plan.smokeChecks === '' || !(await existsAt(source.directory, source.head, plan.smokeChecks))) return [];
  const text = await git(source.directory, ['show', `${source.head}:${plan.smokeChecks}`]);
  try {
    const { checks } = await parseCheckFile(
      text,
      { file: plan.smokeChecks },
      { baseDirectory: source.directory, baseUrl: 'http://environment.invalid' },
    );
    return checks
      .map((check) => check.request)
      .filter((request) => request.method === 'GET' && request.url.startsWith('/') && !request.url.includes('{{'))
      .map((request) => request.url);
  } catch (error) {
    if (error instanceof ConfigurationError) return [];
    throw error;
  }
}

/**
 * The paths of `urls` (the smoke checks) that reach `workload` in an environment, as it is asked for them.
 * A load generator calls what users call: the workload's own probe paths (a health check init wrote from
 * a readiness probe) are sent only when no other check reaches it.
 */
export function trafficPaths(environment: ClusterEnvironment, workload: string, urls: readonly string[]): string[] {
  const paths = urls.flatMap((url) => {
    const route = routedWorkload(environment, url);
    return route?.workload === workload ? [route.path] : [];
  });
  const probes = probePathsOf(environment, workload);
  const served = paths.filter((path) => !probes.includes(new URL(path, 'http://workload').pathname));
  return served.length > 0 ? served : paths;
}

/**
 * The canary's traffic (canary-traffic.ts): a ready canary pod of a workload its smoke checks reach draws
 * steady traffic at the paths they call, to it and to the same workload of the last environment.
 */
async function startCanaryTraffic(
  node: ClusterNode,
  world: { source: RepositorySource; plan: CallerPlan; environments: ClusterEnvironment[] },
): Promise<{ mesh: MeshTraffic; canary: CanaryTraffic }> {
  const urls = await smokeCheckUrls(world.source, world.plan);
  const named = (name: string): ClusterEnvironment => {
    const environment = world.environments.find((candidate) => candidate.name === name);
    if (!environment) throw new Error(`no cluster for environment ${name}`);
    return environment;
  };
  const last = world.plan.environments.at(-1) ?? '';
  // Six requests a second a side, as the sample's canary draws.
  const mesh = await MeshTraffic.start({ requestsPerSecond: 6 });
  const canary = new CanaryTraffic({
    traffic: mesh,
    addresses: async (environment, workload) =>
      (await workloadEndpoints(node, named(environment), workload)).map((endpoint) => `http://${endpoint}`),
    namespace: (environment) => named(environment).namespace,
    baselines: { [world.plan.canaryEnvironment]: last },
    paths: (environment, workload) => trafficPaths(named(environment), workload, urls),
  });
  return { mesh, canary };
}

/** The kubelet and what it needs: the mirror, the world's path for the caller's image prefix, what it may pull. */
interface WorldImages {
  node: ClusterNode;
  mirror: ImageMirror;
  registryHost: string;
  worldPrefix: string;
  /** What ran before, which the kubelet runs once built (set once the environments are restored). */
  prior: { builder: PriorImageBuilder | undefined };
  /** `repository:tag` the world pushed itself (busybox, what ran before): never reported as pushed. */
  published: Set<string>;
}

/**
 * Busybox mirrored for the repository's Dockerfiles (the runner's buildah is pointed at the mirror, and the
 * caller's registry at the world's) and the kubelet, which pulls only what the world's registry holds.
 */
async function startImages(
  directory: string,
  registry: RunningRegistry,
  imagePrefix: string,
  baseEnv: Record<string, string>,
  teardown: Teardown,
): Promise<WorldImages> {
  const access = { host: registry.host, prefix: registry.host, username: 'octocat', password: GITHUB_TOKEN };
  const worldPrefix = worldImagePrefix(imagePrefix, registry.host);
  // A prefix naming its registry (ghcr.io/acme) is rewritten; one on Docker Hub goes where docker.io goes.
  const named = imagePrefix !== '' && worldPrefix !== `${registry.host}/${imagePrefix}`;
  const rewrites = named ? { [imagePrefix.replace(/\/+$/, '')]: worldPrefix } : {};
  const { registriesConf, mirror } = worldMirror(directory, access, baseEnv, rewrites);
  const published = new Set(await publishWorldImages(registry, access, mirror));
  baseEnv['CONTAINERS_REGISTRIES_CONF'] = registriesConf;
  const prior: WorldImages['prior'] = { builder: undefined };
  const pulls = async (image: string): Promise<boolean> =>
    image.startsWith(`${registry.host}/`) || ((await prior.builder?.runs(image)) ?? false);
  const node = await teardown.add(
    Promise.resolve(startClusterNode(directory, access, registriesConf, pulls)),
    (started) => started.stop(),
  );
  return { node, mirror, registryHost: registry.host, worldPrefix, prior, published };
}

/**
 * What the environments ran before, built from the commit before the rehearsed one when a pod first needs
 * it (prior-images.ts): its checkout is made then, and removed with the world.
 */
async function priorImages(
  images: WorldImages,
  world: {
    source: RepositorySource;
    plan: CallerPlan;
    callerBare: string;
    directory: string;
    environments: ClusterEnvironment[];
  },
  teardown: Teardown,
): Promise<PriorImageBuilder | undefined> {
  const { source, plan } = world;
  if (plan.imagePrefix === '' || !(await existsAt(source.directory, source.base, plan.servicesConfig)))
    return undefined;
  const config = await git(source.directory, ['show', `${source.base}:${plan.servicesConfig}`]);
  const imagePrefix = plan.imagePrefix.replace(/\/+$/, '');
  const folder = join(world.directory, 'prior');
  const cloned = async (): Promise<string> => {
    await git(world.directory, ['clone', '--quiet', '--no-checkout', '--', world.callerBare, folder]);
    await git(folder, ['checkout', '--quiet', '--detach', source.base]);
    return folder;
  };
  await teardown.add(Promise.resolve(folder), () => rm(folder, { recursive: true, force: true }));
  const builder = new PriorImageBuilder({
    mirror: images.mirror,
    checkout: cloned,
    services: priorServices(config, imagePrefix),
    images: world.environments.flatMap((environment) => Object.values(runningImages(environment))),
    imagePrefix,
    worldPrefix: images.worldPrefix,
    registryHost: images.registryHost,
    published: images.published,
  });
  images.prior.builder = builder;
  return builder;
}

/** A user's repository's world, started: what a run of its caller is given, and what the report reads. */
export class RepositoryWorld {
  readonly directory: string;
  readonly source: RepositorySource;
  readonly caller: RepositoryCaller;
  readonly registry: RunningRegistry;
  readonly gitops: RepositoryParts['gitops'];
  readonly suite: { path: string; sha: string };
  readonly github: GitHubApi;
  readonly webhookUrl: string;
  readonly environments: ClusterEnvironment[];
  readonly prometheus: PrometheusServer | undefined;
  /** How the canary is judged: on traffic to its pods, on recorded series (no pods), or not at all. */
  readonly canaryData: CanaryData;
  readonly reconciler: Reconciler;
  /** Whether the rollouts' pods run (images can run here), so that rollouts wait for them and smoke tests reach them. */
  readonly runsPods: boolean;
  readonly baseEnv: Record<string, string>;
  readonly store: string;
  /** What scans the images: the installed Trivy, or the recorded reports (with why, when Trivy was passed over). */
  readonly scan: World['scan'];
  /** owner/name → local repository. */
  readonly repositories: Record<string, string>;
  /** What the environments ran before, built for the kubelet on first need (none without one). */
  readonly prior: PriorImageBuilder | undefined;
  private readonly addresses: Record<string, LoopbackListener>;
  private readonly published: ReadonlySet<string>;
  private readonly teardown: Teardown;

  /** Starts the world of `source` and its caller; a ConfigurationError when its overlays cannot be rehearsed. */
  static async start(source: RepositorySource, caller: RepositoryCaller): Promise<RepositoryWorld> {
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
      return new RepositoryWorld(await startRepositoryParts(source, caller, directory, teardown), teardown);
    } catch (error) {
      await teardown.run();
      if (error instanceof ConfigurationError) throw error;
      throw new Error(`the rehearsal's world did not start: ${errorMessage(error)}`, { cause: error });
    }
  }

  private constructor(parts: RepositoryParts, teardown: Teardown) {
    this.teardown = teardown;
    this.directory = parts.directory;
    this.source = parts.source;
    this.caller = parts.caller;
    this.registry = parts.registry;
    this.gitops = parts.gitops;
    this.suite = parts.suite;
    this.github = parts.github;
    this.webhookUrl = `${parts.gitops.http.url}/hooks/notify`;
    this.environments = parts.environments;
    this.prometheus = parts.prometheus;
    this.canaryData = parts.canaryData;
    this.reconciler = parts.reconciler;
    this.runsPods = parts.node !== undefined;
    this.addresses = parts.addresses;
    this.published = parts.published;
    this.prior = parts.prior;
    this.baseEnv = parts.baseEnv;
    this.store = parts.store;
    this.scan = parts.scan;
    this.repositories = {
      [parts.source.fullName]: parts.callerBare,
      [parts.gitops.repository]: parts.gitops.bare,
      [SUITE_REPOSITORY]: parts.suite.path,
    };
  }

  /** Each environment's kubeconfig, in its namespace: released to a deploy job once it is approved. */
  kubeconfigs(): Record<string, string> {
    return Object.fromEntries(
      this.environments.map(({ name, server, namespace }) => [
        name,
        server.kubeconfig.replace(/namespace: .*/, `namespace: ${namespace}`),
      ]),
    );
  }

  /**
   * Base URL of each of the caller's environments: its ingress to the ready pods (none where pods do not
   * run). The canary has none: deploy.yml's base URLs are its environments' alone.
   */
  baseUrls(): Record<string, string> {
    return Object.fromEntries(
      this.caller.plan.environments.flatMap((environment) => {
        const address = this.addresses[environment];
        return address ? [[environment, address.url]] : [];
      }),
    );
  }

  /** Subjects of the GitOps branch's commits since the rehearsed commit, oldest first. */
  async gitopsHistory(): Promise<string[]> {
    const range = `${this.source.head}..${this.gitops.branch}`;
    const log = await gitIn(this.gitops.bare).output(['log', '--reverse', '--format=%s', range]);
    return log.split('\n').filter((line) => line !== '');
  }

  /** What each environment's workloads run, by workload name. */
  running(): Record<string, Record<string, string>> {
    return Object.fromEntries(this.environments.map((environment) => [environment.name, runningImages(environment)]));
  }

  unapplied(): Record<string, string> {
    return this.reconciler.failures();
  }

  pushedImages(): Promise<string[]> {
    return pushedImages(this.registry, this.published);
  }

  registryTags(): Promise<Record<string, Record<string, string>>> {
    return registryTags(this.registry, this.published);
  }

  stop(): Promise<void> {
    return this.teardown.run();
  }
}
