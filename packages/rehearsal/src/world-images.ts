// What the world's clusters run, and how traffic reaches it: the registry mirrors Docker Hub's busybox for the
// sample's Dockerfiles; the sample's first images (`<prefix>/<service>:0.1.0`, what every environment starts
// out running) are built from its first commit, once per machine (registry-snapshot.ts); one kubelet
// (ClusterNode) runs the pods the rollouts start; each environment's base URL is an ingress that routes by
// the Ingress the GitOps layout renders, through its Services, to the ready pods. Without root (no network namespaces) the world cannot
// run images: each environment's URL is then the sample service, and rollouts go as the scenario says.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn } from './git.ts';
import type { ClusterEnvironment } from './kube/cluster.ts';
import { RESOURCE_OF } from './kube/controllers.ts';
import { ClusterNode } from './kubelet/cluster-node.ts';
import type { PodHandle } from './kubelet/kubelet.ts';
import { ImageMirror, mirrorRegistriesConf } from './servers/image-mirror.ts';
import {
  directRoute,
  ingressBackend,
  selects,
  serviceTarget,
  type ListeningWorkload,
} from './servers/ingress-routes.ts';
import { readPodTemplate, type PodTemplate } from './kubelet/pod-template.ts';
import { startIngress, type Upstream } from './servers/ingress.ts';
import type { LoopbackListener } from './servers/loopback.ts';
import type { RunningRegistry } from './servers/registry.ts';
import { publishOnce, snapshotKey } from './servers/registry-snapshot.ts';
import { startSampleService } from './servers/sample-service.ts';
import { isObject, text, type JsonObject } from './kube/patch.ts';

/** The services of the sample whose first images the world builds: those its scenarios roll back to. */
export const SEEDED_SERVICES = ['api', 'web', 'worker'] as const;

/**
 * The GitOps base's network objects: a Service per service that listens, and one Ingress (the shop's routes:
 * the API and its health check to api, everything else to web).
 */
export const NETWORK_RESOURCES: Readonly<Record<string, string>> = {
  'services.yaml': ['api', 'web']
    .map(
      (name) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`,
    )
    .join('---\n'),
  'ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
    - http:
        paths:
          - path: /api
            pathType: Prefix
            backend: { service: { name: api, port: { name: http } } }
          - path: /healthz
            pathType: Exact
            backend: { service: { name: api, port: { name: http } } }
          - path: /
            pathType: Prefix
            backend: { service: { name: web, port: { name: http } } }
`,
};

/** Whether this machine can run pods (network namespaces need root). */
export const canRunImages = (): boolean => process.getuid?.() === 0;

export interface ImagesAccess {
  host: string;
  prefix: string;
  username: string;
  password: string;
}

/**
 * The world's mirror of Docker Hub in its registry (`rewrites`: other registry paths the world's registry
 * stands in for, mirrorRegistriesConf), and the registries.conf buildah is then given
 * (CONTAINERS_REGISTRIES_CONF).
 */
export function worldMirror(
  directory: string,
  access: ImagesAccess,
  storageEnv: Record<string, string>,
  rewrites: Readonly<Record<string, string>> = {},
): { registriesConf: string; mirror: ImageMirror } {
  const registriesConf = join(directory, 'registries.conf');
  writeFileSync(registriesConf, mirrorRegistriesConf(access.host, rewrites));
  const mirror = new ImageMirror(access, join(directory, 'mirror'), {
    ...storageEnv,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
  });
  return { registriesConf, mirror };
}

/**
 * Fills the world's registry before any rehearsal: busybox, and with `seeded` the sample's first images (from
 * `base` of the caller's repository), which every environment starts out running. Built by the mirror the
 * first time on this machine, copied from that snapshot after (registry-snapshot.ts). Returns what is in
 * the registry, as `repository:tag`.
 */
export async function publishWorldImages(
  registry: RunningRegistry,
  access: ImagesAccess,
  mirror: ImageMirror,
  seeded?: { path: string; base: string },
): Promise<string[]> {
  // The seeded services' folders at `base`, one tree id a line: one git at every world start.
  const trees = seeded
    ? (
        await gitIn(seeded.path).output([
          'rev-parse',
          ...SEEDED_SERVICES.map((service) => `${seeded.base}:services/${service}`),
        ])
      ).split('\n')
    : [];
  const key = snapshotKey([...mirror.busyboxKey(), access.prefix.slice(access.host.length), ...trees]);
  const within = (image: string): string => image.slice(access.host.length + 1);
  const { published } = await publishOnce(registry, key, async () => [
    ...(await mirror.publishBusybox()).map(within),
    ...(seeded ? (await publishSeededImages(access, mirror, seeded)).map(within) : []),
  ]);
  return published;
}

/** Builds the seeded services' first images from `base` of the caller's repository and pushes them. */
async function publishSeededImages(
  access: ImagesAccess,
  mirror: ImageMirror,
  monorepo: { path: string; base: string },
): Promise<string[]> {
  const published: string[] = [];
  const checkout = join(mirror.directory, 'first-commit');
  mkdirSync(checkout, { recursive: true });
  await gitIn(monorepo.path).run(['worktree', 'add', '--quiet', '--detach', checkout, monorepo.base]);
  try {
    for (const service of SEEDED_SERVICES) {
      const image = `${access.prefix}/${service}:0.1.0`;
      await mirror.buildAndPush(join(checkout, 'services', service), [image]);
      published.push(image);
    }
  } finally {
    await gitIn(monorepo.path).run(['worktree', 'remove', '--force', checkout]);
  }
  return published;
}

/** Writes the storage.conf of a vfs store of its own under `root` (CONTAINERS_STORAGE_CONF); returns its path. */
export function vfsStorageConf(root: string): string {
  mkdirSync(root, { recursive: true });
  const conf = join(root, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${root}/root"\nrunroot = "${root}/run"\n`);
  return conf;
}

/**
 * The kubelet of the world: its own storage, the registry's credentials; `runs` says which images it pulls
 * (default all).
 */
export function startClusterNode(
  directory: string,
  access: ImagesAccess,
  registriesConf: string,
  runs?: (image: string) => boolean | Promise<boolean>,
): ClusterNode {
  const root = join(directory, 'node');
  mkdirSync(join(root, 'home'), { recursive: true });
  return new ClusterNode({
    directory: root,
    env: {
      CONTAINERS_STORAGE_CONF: vfsStorageConf(root),
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      HOME: join(root, 'home'),
    },
    registries: [{ host: access.host, username: access.username, password: access.password }],
    maxGracePeriodMs: 2_000,
    // Within the rehearsal's 2 m rollout timeout, with room for a busy machine's slow pulls and starts: a
    // pod that fails says so long before (CrashLoopBackOff, ImagePullBackOff).
    readyDeadlineMs: 100_000,
    ...(runs ? { runs } : {}),
  });
}

const RESOURCES = Object.values(RESOURCE_OF);

/** The workloads of the environment whose pods the selector picks, by name. */
function selectedWorkloads(environment: ClusterEnvironment, selector: Record<string, string>): string[] {
  return RESOURCES.flatMap((resource) =>
    environment.server
      .list(resource, environment.namespace)
      .filter((object) => {
        const spec = isObject(object['spec']) ? object['spec'] : {};
        return isObject(spec['template']) && selects(selector, spec['template']);
      })
      .map((object) => text(object.metadata['name'])),
  );
}

/** The ready pods of one workload of an environment (started first if it ran before the rehearsal). */
export function workloadPods(
  node: ClusterNode,
  environment: ClusterEnvironment,
  workload: string,
): Promise<PodHandle[]> {
  return node.readyPods({
    environment: environment.name,
    server: environment.server,
    namespace: environment.namespace,
    name: workload,
  });
}

/**
 * Where one workload of an environment is reached now: `IP:port` of each of its ready pods (the first port
 * its containers declare), started first when it ran before the rehearsal.
 */
export async function workloadEndpoints(
  node: ClusterNode,
  environment: ClusterEnvironment,
  workload: string,
): Promise<string[]> {
  return addressesOf(await workloadPods(node, environment, workload));
}

const nameOf = (object: JsonObject): string =>
  text(isObject(object['metadata']) ? object['metadata']['name'] : undefined);

/** The environment's workloads that declare a container port, with the names and probe paths directRoute reads. */
function listeningWorkloads(environment: ClusterEnvironment): ListeningWorkload[] {
  const services = environment.server.list('services', environment.namespace) as JsonObject[];
  return RESOURCES.flatMap((resource) =>
    environment.server.list(resource, environment.namespace).flatMap((object): ListeningWorkload[] => {
      const spec = isObject(object['spec']) ? object['spec'] : {};
      let template: PodTemplate;
      try {
        template = readPodTemplate(spec['template']);
      } catch {
        return [];
      }
      if (!template.containers.some((container) => container.ports.length > 0)) return [];
      const workload = text(object.metadata['name']);
      const selecting = services.filter((service) => {
        const target = isObject(service['spec']) ? service['spec']['selector'] : undefined;
        return isObject(target) && Object.keys(target).length > 0 && isObject(spec['template'])
          ? selects(target as Record<string, string>, spec['template'])
          : false;
      });
      const probePaths = template.containers.flatMap((container) => {
        const action = container.readinessProbe?.action;
        return action?.kind === 'httpGet' ? [action.path.startsWith('/') ? action.path : `/${action.path}`] : [];
      });
      return [{ workload, names: [workload, ...selecting.map(nameOf)], probePaths }];
    }),
  );
}

/** Ready pods' addresses, at a port (default: the first their containers declare). */
function addressesOf(pods: PodHandle[], port?: number | string): string[] {
  return pods.flatMap((pod) => {
    try {
      return [pod.address(port)];
    } catch {
      return []; // No port declared: nothing to send traffic to.
    }
  });
}

/** Where a path goes in an environment that renders no Ingress (directRoute): a workload's ready pods. */
async function directUpstream(node: ClusterNode, environment: ClusterEnvironment, path: string): Promise<Upstream> {
  const route = directRoute(listeningWorkloads(environment), path, environment.namespace);
  if ('status' in route) return route;
  const addresses = addressesOf(await workloadPods(node, environment, route.workload));
  if (addresses.length === 0)
    return {
      status: 503,
      message: `no ready pod of ${environment.namespace}/${route.workload} (or it runs an image from outside the rehearsal)`,
    };
  return route.path === undefined ? { addresses } : { addresses, path: route.path };
}

/**
 * Where the environment's ingress sends a path: its Ingress, the Service, the ready pods at the target port;
 * without an Ingress, the workload directRoute picks.
 */
export async function upstreamOf(node: ClusterNode, environment: ClusterEnvironment, path: string): Promise<Upstream> {
  const ingresses = environment.server.list('ingresses', environment.namespace) as JsonObject[];
  if (ingresses.length === 0) return directUpstream(node, environment, path);
  const backend = ingressBackend(ingresses, path);
  if (!backend) return { status: 404, message: `no Ingress rule of ${environment.namespace} serves ${path}` };
  const service = environment.server.get('services', environment.namespace, backend.service);
  const target = service ? serviceTarget(service, backend.port) : undefined;
  if (!target)
    return { status: 503, message: `service ${environment.namespace}/${backend.service} has no port ${backend.port}` };
  const pods = (
    await Promise.all(
      selectedWorkloads(environment, target.selector).map((name) => workloadPods(node, environment, name)),
    )
  ).flat();
  const addresses = addressesOf(pods, target.targetPort);
  return addresses.length > 0
    ? { addresses }
    : { status: 503, message: `no ready pod behind service ${environment.namespace}/${backend.service}` };
}

/** The paths the HTTP readiness probes of an environment's workload call (none when it declares no port). */
export function probePathsOf(environment: ClusterEnvironment, workload: string): string[] {
  return listeningWorkloads(environment).find((candidate) => candidate.workload === workload)?.probePaths ?? [];
}

/**
 * The workload a request for `url` (a path, with its query) reaches in an environment, as its ingress routes
 * it, and what that workload is asked for: the same path behind an Ingress, without a gateway's prefix
 * otherwise. Undefined when it reaches none.
 */
export function routedWorkload(
  environment: ClusterEnvironment,
  url: string,
): { workload: string; path: string } | undefined {
  const { pathname, search } = new URL(url, 'http://environment');
  const ingresses = environment.server.list('ingresses', environment.namespace) as JsonObject[];
  if (ingresses.length === 0) {
    const route = directRoute(listeningWorkloads(environment), pathname, environment.namespace);
    return 'status' in route ? undefined : { workload: route.workload, path: `${route.path ?? pathname}${search}` };
  }
  const backend = ingressBackend(ingresses, pathname);
  const service = backend && environment.server.get('services', environment.namespace, backend.service);
  const target = backend && service ? serviceTarget(service, backend.port) : undefined;
  const [workload] = target ? selectedWorkloads(environment, target.selector) : [];
  return workload === undefined ? undefined : { workload, path: `${pathname}${search}` };
}

/**
 * An environment's base URL: its ingress, or (without a kubelet) the sample service. `sample`, when it
 * `serves`, answers in place of the pods (a scenario in which no pod runs).
 */
export function startEnvironmentAddress(
  node: ClusterNode | undefined,
  environment: ClusterEnvironment,
  sample?: { url: string; serves: () => boolean },
): Promise<LoopbackListener> {
  if (!node) return startSampleService({ version: '1.4.0' });
  const sampleAddress = sample ? new URL(sample.url).host : '';
  return startIngress({
    upstream: (path) =>
      sample?.serves() === true ? Promise.resolve({ addresses: [sampleAddress] }) : upstreamOf(node, environment, path),
  });
}
