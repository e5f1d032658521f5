// The world a rehearsal of deploy.yml runs against, all on 127.0.0.1 and in one temporary folder: the
// sample monorepo (the caller), a snapshot of this suite (the workflow's own repository), a registry, a
// GitOps remote served over git's HTTP protocol with a token, one simulated cluster per environment that
// follows Git, a sample service per environment, Prometheus with canary data, and a Trivy stand-in in the
// runner's tool cache.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './action-metadata.ts';
import { Reconciler, runningImages, type ClusterEnvironment, type RolloutOutcome } from './kube/cluster.ts';
import { startGitHttpServer, type GitHttpServer } from './servers/git-http-server.ts';
import { GitHubApi } from './servers/github-api.ts';
import { createGitopsRemote, DEFAULT_IMAGES, git } from './gitops-repo.ts';
import { startKubeApiServer, text, type KubeApiServer } from './kube/api-server.ts';
import { seedDeployment } from './kube/workloads.ts';
import {
  CANARY_METRICS_YAML,
  canaryOpenMetrics,
  startPrometheus,
  type PrometheusServer,
} from './servers/prometheus.ts';
import { startRegistry, type RunningRegistry } from './servers/registry.ts';
import { createSampleMonorepo } from './sample-monorepo.ts';
import { startSampleService, type SampleService } from './servers/sample-service.ts';

const execFileAsync = promisify(execFile);

export const ENVIRONMENTS = ['dev', 'staging', 'canary', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** Programs the world runs for real, and what each is for. */
export const REQUIRED_PROGRAMS: Readonly<Record<string, string>> = {
  git: 'the repositories',
  jq: "the workflow's release step",
  kubectl: 'rendering the GitOps overlays',
  buildah: 'building the images',
  'docker-registry': 'the registry the images are pushed to',
  prometheus: 'the canary metrics',
  promtool: 'loading the canary metrics',
  htpasswd: "the registry's credentials",
};

/** The programs that are missing, each with what it is needed for. */
export function missingPrograms(): string[] {
  return Object.entries(REQUIRED_PROGRAMS)
    .filter(([program]) => spawnSync('sh', ['-c', 'command -v "$0"', program]).status !== 0)
    .map(([program, purpose]) => `${program} (${purpose})`);
}

export const CALLER_REPOSITORY = 'acme/shop';
export const GITOPS_REPOSITORY = 'acme/gitops';
export const SUITE_REPOSITORY = 'shiprail/shiprail';
export const GITHUB_TOKEN = 'ghs_rehearsalToken0000000000000000000000';
export const GITOPS_TOKEN = 'ghp_rehearsalGitopsToken000000000000000';

export interface WorldOptions {
  /** Whether the production sample service is broken (its smoke test fails). */
  brokenProduction?: boolean;
  /** The canary's metrics: like the baseline, or five times its errors. */
  canary?: 'healthy' | 'errors';
  /** Services whose images have a known critical vulnerability. */
  vulnerable?: string[];
  /** How a rollout goes, per environment and Deployment. */
  rollout?: (environment: string, deployment: string, image: string) => RolloutOutcome;
}

export interface World {
  directory: string;
  registry: RunningRegistry;
  monorepo: { path: string; base: string; head: string };
  suite: { path: string; sha: string };
  gitops: { bare: string; branch: string; http: GitHttpServer };
  /** GitHub's REST API (pull request comments) and the team's incoming webhook, on the same server. */
  github: GitHubApi;
  /** Where the workflow's notifications go. */
  webhookUrl: string;
  environments: Record<EnvironmentName, ClusterEnvironment>;
  kubeconfigs: Record<EnvironmentName, string>;
  services: Record<EnvironmentName, SampleService>;
  prometheus: PrometheusServer;
  reconciler: Reconciler;
  /** Environment every step of every job gets. */
  baseEnv: Record<string, string>;
  /** owner/name → local repository. */
  repositories: Record<string, string>;
  /** Artifacts and SARIF files. */
  store: string;
  imagePrefix: string;
  /** Subjects of the GitOps branch's commits, oldest first. */
  gitopsHistory(): Promise<string[]>;
  /** What each environment's Deployments run, by service. */
  running(): Record<EnvironmentName, Record<string, string>>;
  /** Images with a digest in the registry, as `<registry>/<repository>@sha256:…`. */
  pushedImages(): Promise<string[]>;
  /** Puts the world back as it started (Git, clusters, the caller's branch) and applies `options`. */
  reset(options: WorldOptions): Promise<void>;
  /** A new commit on the caller's main branch writing `files` (path → content); returns its SHA. */
  commit(files: Record<string, string>, message: string): Promise<string>;
  stop(): Promise<void>;
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

/**
 * A stand-in Trivy: writes a clean report, or one critical finding for an image listed in
 * REHEARSAL_VULNERABLE. An image given with `--input` is named by its folder (the workflow's
 * `oci/<service>`).
 */
const TRIVY_STAND_IN = `#!/bin/sh
output=""; image=""
while [ $# -gt 0 ]; do
  case "$1" in --output|--input) [ "$1" = --output ] && output="$2" || image="$2"; shift ;; -*) ;; *) image="$1" ;; esac
  shift
done
name=\${image%/}
name=\${name##*/}
name=\${name%%[@:]*}
vulnerabilities='[]'
case ",$REHEARSAL_VULNERABLE," in *",$name,"*)
  vulnerabilities='[{"VulnerabilityID":"CVE-2024-3094","PkgName":"xz-utils","InstalledVersion":"5.6.0","FixedVersion":"5.6.1","Status":"fixed","Severity":"CRITICAL","Title":"xz: malicious code in the release tarballs"}]' ;;
esac
printf '{"SchemaVersion":2,"ArtifactName":"%s","ArtifactType":"container_image","Results":[{"Target":"%s (debian 12.5)","Class":"os-pkgs","Type":"debian","Vulnerabilities":%s}]}\\n' "$image" "$image" "$vulnerabilities" > "$output"
`;

function installTrivyStandIn(toolCache: string): void {
  const folder = join(toolCache, 'trivy', '0.69.3', 'x64');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'trivy'), TRIVY_STAND_IN);
  chmodSync(join(folder, 'trivy'), 0o755);
  writeFileSync(`${folder}.complete`, '');
}

/** This suite's actions, bundles and workflow scripts as one commit: the workflow's own repository. */
async function snapshotSuite(directory: string): Promise<{ path: string; sha: string }> {
  const path = join(directory, 'suite.git');
  await execFileAsync('git', ['init', '--quiet', '--bare', path]);
  const env = {
    ...process.env,
    GIT_DIR: path,
    GIT_WORK_TREE: repoRoot,
    GIT_INDEX_FILE: join(directory, 'suite.index'),
  };
  const identity = ['-c', 'user.name=Shiprail', '-c', 'user.email=shiprail@example.com', '-c', 'commit.gpgsign=false'];
  await execFileAsync('git', ['add', '--force', '--', 'actions', 'dist', '.github'], { env, maxBuffer: 1 << 24 });
  await execFileAsync('git', [...identity, 'commit', '--quiet', '-m', 'The suite as it is in this working tree'], {
    env,
  });
  await execFileAsync('git', ['branch', '-M', 'main'], { env });
  const { stdout } = await execFileAsync('git', ['rev-parse', 'HEAD'], { env });
  return { path, sha: stdout.trim() };
}

async function startClusters(prefix: string): Promise<Record<EnvironmentName, ClusterEnvironment>> {
  const servers: Record<string, KubeApiServer> = {};
  for (const name of ['dev', 'staging', 'production']) {
    servers[name] = await startKubeApiServer({ namespace: `shop-${name}` });
  }
  const environment = (name: EnvironmentName, cluster: string): ClusterEnvironment => {
    const server = servers[cluster];
    if (!server) throw new Error(`no cluster ${cluster}`);
    for (const service of DEFAULT_IMAGES)
      seedDeployment(server, service, `${prefix}/${service}:0.1.0`, 2, `shop-${name}`);
    return { name, server, namespace: `shop-${name}`, overlay: `overlays/${name}` };
  };
  return {
    dev: environment('dev', 'dev'),
    staging: environment('staging', 'staging'),
    canary: environment('canary', 'production'),
    production: environment('production', 'production'),
  };
}

/** Starts the whole world; throws with what is missing when a program it needs is not installed. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const missing = missingPrograms();
  if (missing.length > 0) {
    throw new Error(`the rehearsal runs real programs; install Debian's packages for: ${missing.join(', ')}`);
  }
  const directory = mkdtempSync(join(tmpdir(), 'shiprail-rehearsal-'));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const registry = await startRegistry({ htpasswd: { user: 'octocat', password: GITHUB_TOKEN } });
    stops.push(() => registry.stop());
    const imagePrefix = `${registry.host}/acme`;
    const monorepo = await createSampleMonorepo(join(directory, 'shop'), {
      '.github/smoke.yml': SMOKE_CHECKS,
      '.github/canary.yml': CANARY_METRICS_YAML,
    });
    const suite = await snapshotSuite(directory);
    const gitopsRoot = join(directory, 'git');
    // The environments start out running the sample's first commit, as a deploy of it would have recorded.
    const remote = await createGitopsRemote({
      directory: join(gitopsRoot, 'acme'),
      registry: imagePrefix,
      message: `Initial GitOps layout\n\nSource-Commit: ${monorepo.base}\nEnvironment: ${ENVIRONMENTS.join(', ')}\n`,
    });
    const bare = join(gitopsRoot, 'acme', 'gitops.git');
    const github = new GitHubApi(GITHUB_TOKEN);
    const http = await startGitHttpServer({ root: gitopsRoot, token: GITOPS_TOKEN, api: github });
    stops.push(() => http.stop());
    const environments = await startClusters(imagePrefix);
    stops.push(() =>
      Promise.all(['dev', 'staging', 'production'].map((name) => environments[name as EnvironmentName].server.stop())),
    );
    const kubeconfigs = Object.fromEntries(
      ENVIRONMENTS.map((name) => {
        const { server, namespace } = environments[name];
        return [name, server.kubeconfig.replace(/namespace: .*/, `namespace: ${namespace}`)];
      }),
    ) as Record<EnvironmentName, string>;
    let settings: WorldOptions = options;
    const reconciler = new Reconciler({
      repository: bare,
      branch: remote.branch,
      environments: Object.values(environments),
      outcome: (environment, deployment, image) => settings.rollout?.(environment, deployment, image) ?? 'success',
    });
    await reconciler.sync();
    const initialGitops = (await git(bare, ['rev-parse', remote.branch])).trim();
    reconciler.start();
    stops.push(() => reconciler.stop());
    const services = {} as Record<EnvironmentName, SampleService>;
    const serviceOptions = Object.fromEntries(ENVIRONMENTS.map((name) => [name, { version: '1.4.0', broken: false }]));
    for (const name of ENVIRONMENTS) {
      services[name] = await startSampleService(serviceOptions[name]);
      stops.push(() => services[name].stop());
    }
    const configure = (next: WorldOptions): void => {
      settings = next;
      const production = serviceOptions['production'];
      if (production) production.broken = next.brokenProduction === true;
      world.baseEnv['REHEARSAL_VULNERABLE'] = (next.vulnerable ?? []).join(',');
    };
    const prometheus = await startPrometheus({ openMetrics: canaryOpenMetrics({ minutes: 30 }) });
    stops.push(() => prometheus.stop());
    const toolCache = join(directory, 'tool-cache');
    installTrivyStandIn(toolCache);
    const storageConf = join(directory, 'storage.conf');
    writeFileSync(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = "${directory}/containers/root"\nrunroot = "${directory}/containers/run"\n`,
    );
    const store = join(directory, 'store');
    mkdirSync(store);
    const world: World = {
      directory,
      registry,
      monorepo,
      suite,
      gitops: { bare, branch: remote.branch, http },
      github,
      webhookUrl: `${http.url}/hooks/notify`,
      environments,
      kubeconfigs,
      services,
      prometheus,
      reconciler,
      baseEnv: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? directory,
        LANG: 'C.UTF-8',
        CONTAINERS_STORAGE_CONF: storageConf,
        RUNNER_TOOL_CACHE: toolCache,
        REHEARSAL_VULNERABLE: '',
      },
      repositories: { [CALLER_REPOSITORY]: monorepo.path, [SUITE_REPOSITORY]: suite.path, [GITOPS_REPOSITORY]: bare },
      store,
      imagePrefix,
      gitopsHistory: async () =>
        (await git(bare, ['log', '--reverse', '--format=%s', remote.branch])).split('\n').filter((line) => line !== ''),
      running: () =>
        Object.fromEntries(ENVIRONMENTS.map((name) => [name, runningImages(environments[name])])) as Record<
          EnvironmentName,
          Record<string, string>
        >,
      pushedImages: () => pushedImages(registry),
      commit: async (files, message) => {
        for (const [path, content] of Object.entries(files)) writeFileSync(join(monorepo.path, path), content);
        await git(monorepo.path, ['add', '--all']);
        await git(monorepo.path, [
          '-c',
          'user.name=Sample Author',
          '-c',
          'user.email=author@example.com',
          'commit',
          '--quiet',
          '-m',
          message,
        ]);
        return (await git(monorepo.path, ['rev-parse', 'HEAD'])).trim();
      },
      reset: async (next) => {
        await reconciler.stop();
        await git(bare, ['update-ref', `refs/heads/${remote.branch}`, initialGitops]);
        for (const environment of Object.values(environments)) {
          for (const type of ['pods', 'replicasets', 'deployments']) {
            for (const object of environment.server.list(type, environment.namespace)) {
              environment.server.remove(type, environment.namespace, text(object.metadata['name']));
            }
          }
          for (const service of DEFAULT_IMAGES) {
            seedDeployment(environment.server, service, `${imagePrefix}/${service}:0.1.0`, 2, environment.namespace);
          }
        }
        await git(monorepo.path, ['reset', '--quiet', '--hard', monorepo.head]);
        await clearRegistry(registry);
        github.reset();
        configure(next);
        reconciler.resume(initialGitops);
      },
      stop: async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        rmSync(directory, { recursive: true, force: true });
      },
    };
    configure(options);
    return world;
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
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

/** Every tagged manifest in the registry, as repository and digest. */
async function registryManifests(registry: RunningRegistry): Promise<Array<{ repository: string; digest: string }>> {
  const get = registryClient(registry);
  const catalog = (await (await get('/v2/_catalog')).json()) as { repositories?: string[] };
  const manifests = new Map<string, { repository: string; digest: string }>();
  for (const repository of catalog.repositories ?? []) {
    const tags = ((await (await get(`/v2/${repository}/tags/list`)).json()) as { tags?: string[] | null }).tags ?? [];
    for (const tag of tags) {
      const response = await get(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD', accept: MANIFEST_TYPES });
      const digest = response.headers.get('docker-content-digest');
      if (digest) manifests.set(`${repository}@${digest}`, { repository, digest });
    }
  }
  return [...manifests.values()];
}

/** Images the registry holds, as `<registry>/<repository>@sha256:…`. */
async function pushedImages(registry: RunningRegistry): Promise<string[]> {
  return (await registryManifests(registry))
    .map(({ repository, digest }) => `${registry.host}/${repository}@${digest}`)
    .sort();
}

/** Deletes every manifest, so that the next rehearsal pushes (and reports) its images anew. */
async function clearRegistry(registry: RunningRegistry): Promise<void> {
  const request = registryClient(registry);
  for (const { repository, digest } of await registryManifests(registry)) {
    await (await request(`/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })).body?.cancel();
  }
}
