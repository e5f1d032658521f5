// Where an ingress controller sends a request, read from the objects an environment renders: the Ingress
// rule whose path matches (Kubernetes' precedence: the longest path, Exact before Prefix at equal length,
// Prefix matched element by element, ImplementationSpecific as Prefix; then the default backend), its
// Service's port and target port, and the workloads whose pod labels the Service selects. Hosts are not
// matched: each environment has one address. An environment that renders no Ingress is reached as a
// gateway in front of its workloads would reach it (directRoute). Pure: tests give it objects.
import { isObject, text, type JsonObject } from '../kube/patch.ts';

export interface IngressBackend {
  service: string;
  /** The Service's port, by number or name. */
  port: number | string;
}

type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

interface IngressPath {
  path: string;
  pathType: PathType;
  backend: IngressBackend;
}

function backendOf(value: unknown): IngressBackend | undefined {
  const service = isObject(value) && isObject(value['service']) ? value['service'] : undefined;
  const port = service && isObject(service['port']) ? service['port'] : undefined;
  if (!service || !port) return undefined;
  const number = port['number'];
  return { service: text(service['name']), port: typeof number === 'number' ? number : text(port['name']) };
}

function pathsOf(ingress: JsonObject): IngressPath[] {
  const spec = isObject(ingress['spec']) ? ingress['spec'] : {};
  const rules = Array.isArray(spec['rules']) ? spec['rules'].filter(isObject) : [];
  return rules.flatMap((rule) => {
    const http = isObject(rule['http']) ? rule['http'] : {};
    const paths = Array.isArray(http['paths']) ? http['paths'].filter(isObject) : [];
    return paths.flatMap((entry): IngressPath[] => {
      const backend = backendOf(entry['backend']);
      const pathType = text(entry['pathType']) as PathType;
      return backend ? [{ path: text(entry['path']) || '/', pathType, backend }] : [];
    });
  });
}

/** Whether `path` matches an Ingress path of that type. */
export function pathMatches(rule: string, pathType: PathType, path: string): boolean {
  if (pathType === 'Exact') return path === rule;
  const elements = (value: string): string[] => value.split('/').filter((element) => element !== '');
  const wanted = elements(rule);
  const given = elements(path);
  return wanted.length <= given.length && wanted.every((element, index) => given[index] === element);
}

/** The backend a request path goes to, by the environment's Ingresses; undefined when none serves it. */
export function ingressBackend(ingresses: readonly JsonObject[], path: string): IngressBackend | undefined {
  const candidates = ingresses
    .flatMap(pathsOf)
    .filter((entry) => pathMatches(entry.path, entry.pathType, path))
    .sort((a, b) => b.path.length - a.path.length || Number(b.pathType === 'Exact') - Number(a.pathType === 'Exact'));
  if (candidates[0]) return candidates[0].backend;
  for (const ingress of ingresses) {
    const spec = isObject(ingress['spec']) ? ingress['spec'] : {};
    const fallback = backendOf(spec['defaultBackend']);
    if (fallback) return fallback;
  }
  return undefined;
}

/** What a Service sends a port's traffic to: the pods its selector picks, at the target port. */
export interface ServiceTarget {
  selector: Record<string, string>;
  /** A container port, by number or name. */
  targetPort: number | string;
}

export function serviceTarget(service: JsonObject, port: number | string): ServiceTarget | undefined {
  const spec = isObject(service['spec']) ? service['spec'] : {};
  const selector = isObject(spec['selector']) ? (spec['selector'] as Record<string, string>) : undefined;
  const ports = Array.isArray(spec['ports']) ? spec['ports'].filter(isObject) : [];
  const entry = ports.find((candidate) =>
    typeof port === 'number' ? candidate['port'] === port : candidate['name'] === port,
  );
  if (!selector || Object.keys(selector).length === 0 || !entry) return undefined;
  const target = entry['targetPort'];
  return {
    selector,
    targetPort:
      typeof target === 'number' || (typeof target === 'string' && target !== '') ? target : Number(entry['port']),
  };
}

/** Whether a pod template's labels carry every label of the selector. */
export function selects(selector: Record<string, string>, template: JsonObject): boolean {
  const metadata = isObject(template['metadata']) ? template['metadata'] : {};
  const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * A workload of an environment without an Ingress that declares a container port: the names a path may
 * start with to reach it (its own, each Service's that selects it) and the paths its HTTP probes call.
 */
export interface ListeningWorkload {
  workload: string;
  names: string[];
  probePaths: string[];
}

/** The workload a path reaches (and the path it is asked for, when a prefix is taken off), or why none. */
export type DirectRoute = { workload: string; path?: string } | { status: 404; message: string };

/**
 * Where a request goes in an environment that renders no Ingress: a path whose first element names a
 * workload or its Service goes to it without that element (`/catalog/healthz` → catalog's `/healthz`, as
 * a gateway routing services under a prefix does); else to the only workload that listens; else to the
 * one workload whose readiness probe calls that path (the smoke checks `shiprail init` writes).
 */
export function directRoute(workloads: readonly ListeningWorkload[], path: string, namespace: string): DirectRoute {
  const [first = '', ...rest] = path.split('/').filter((element) => element !== '');
  const named = workloads.find((candidate) => candidate.names.includes(first));
  if (named)
    return { workload: named.workload, path: `/${rest.join('/')}${path.endsWith('/') && rest.length > 0 ? '/' : ''}` };
  const [only, ...others] = workloads;
  if (only && others.length === 0) return { workload: only.workload };
  const probed = workloads.filter((candidate) => candidate.probePaths.includes(path));
  if (probed.length === 1 && probed[0]) return { workload: probed[0].workload };
  if (!only)
    return { status: 404, message: `${namespace} renders no Ingress and none of its workloads declares a port` };
  const names = workloads.map((candidate) => candidate.workload).join(', ');
  return {
    status: 404,
    message: `${namespace} renders no Ingress and ${workloads.length} workloads listen (${names}): start the path with the one it is for (/${only.workload}${path})`,
  };
}
