// A pod template as rendered manifests hold it (a Deployment's spec.template), read into the fields a kubelet
// acts on: containers (image, command, args, env, ports, workingDir, readiness probe), restart policy and
// grace period. Everything is checked before anything runs; a mistake names the field, as the API server would.
import { ConfigurationError } from '@shiprail/core';

export interface HttpGetAction {
  kind: 'httpGet';
  path: string;
  /** A number, or the name of one of the container's ports. */
  port: number | string;
  /** Defaults to the pod's address. */
  host: string | undefined;
  scheme: 'HTTP' | 'HTTPS';
  headers: Array<{ name: string; value: string }>;
}

export interface TcpSocketAction {
  kind: 'tcpSocket';
  port: number | string;
  host: string | undefined;
}

export interface ExecAction {
  kind: 'exec';
  command: string[];
}

export type ProbeAction = HttpGetAction | TcpSocketAction | ExecAction;

/** A probe with Kubernetes' defaults filled in. */
export interface Probe {
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ContainerPort {
  name: string | undefined;
  containerPort: number;
}

/** An environment variable: a value, or one of the pod fields the downward API gives. */
export type EnvVar = { name: string; value: string } | { name: string; fieldPath: PodFieldPath };

export const POD_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'status.podIP', 'spec.nodeName'] as const;
export type PodFieldPath = (typeof POD_FIELD_PATHS)[number];

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Replaces the image's ENTRYPOINT when set. */
  command: string[] | undefined;
  /** Replaces the image's CMD when set. */
  args: string[] | undefined;
  env: EnvVar[];
  workingDir: string | undefined;
  ports: ContainerPort[];
  readinessProbe: Probe | undefined;
}

export interface PodTemplate {
  /** metadata.name, or the app label, or `pod`. */
  name: string;
  namespace: string;
  containers: ContainerSpec[];
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds: number;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(field: string, message: string): never {
  throw new ConfigurationError(`${field}: ${message}`);
}

function objectAt(value: unknown, field: string): Json {
  return isObject(value) ? value : fail(field, 'must be an object');
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : fail(field, 'must be a string');
}

function optionalStrings(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    return fail(field, 'must be a list of strings');
  return value;
}

function count(value: unknown, field: string, fallback: number, minimum: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum)
    return fail(field, `must be an integer of at least ${minimum}`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  return allowed.includes(value as T) ? (value as T) : fail(field, `must be one of ${allowed.join(', ')}`);
}

function portOf(value: unknown, field: string): number | string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return portOf(Number(value), field);
  if (typeof value === 'string' && /^[a-z0-9](?:[-a-z0-9]{0,13}[a-z0-9])?$/.test(value)) return value;
  return fail(field, 'must be a port number (1-65535) or the name of a container port');
}

function readAction(probe: Json, field: string): ProbeAction {
  const handlers = ['httpGet', 'tcpSocket', 'exec', 'grpc'].filter((key) => probe[key] !== undefined);
  if (handlers.length !== 1) fail(field, 'must specify exactly one of httpGet, tcpSocket, exec');
  if (probe['httpGet'] !== undefined) {
    const http = objectAt(probe['httpGet'], `${field}.httpGet`);
    const headers = http['httpHeaders'] ?? [];
    if (!Array.isArray(headers)) fail(`${field}.httpGet.httpHeaders`, 'must be a list');
    return {
      kind: 'httpGet',
      path: optionalString(http['path'], `${field}.httpGet.path`) ?? '/',
      port: portOf(http['port'], `${field}.httpGet.port`),
      host: optionalString(http['host'], `${field}.httpGet.host`),
      scheme: oneOf(http['scheme'], `${field}.httpGet.scheme`, ['HTTP', 'HTTPS'] as const, 'HTTP'),
      headers: headers.map((header, index) => {
        const at = `${field}.httpGet.httpHeaders[${index}]`;
        const entry = objectAt(header, at);
        const name = optionalString(entry['name'], `${at}.name`) ?? fail(`${at}.name`, 'is required');
        return { name, value: optionalString(entry['value'], `${at}.value`) ?? '' };
      }),
    };
  }
  if (probe['tcpSocket'] !== undefined) {
    const tcp = objectAt(probe['tcpSocket'], `${field}.tcpSocket`);
    return {
      kind: 'tcpSocket',
      port: portOf(tcp['port'], `${field}.tcpSocket.port`),
      host: optionalString(tcp['host'], `${field}.tcpSocket.host`),
    };
  }
  if (probe['exec'] !== undefined) {
    const exec = objectAt(probe['exec'], `${field}.exec`);
    const command = optionalStrings(exec['command'], `${field}.exec.command`);
    if (command === undefined || command.length === 0) fail(`${field}.exec.command`, 'is required');
    return { kind: 'exec', command };
  }
  return fail(`${field}.grpc`, 'gRPC probes are not run here; use httpGet, tcpSocket or exec');
}

function readProbe(value: unknown, field: string): Probe | undefined {
  if (value === undefined || value === null) return undefined;
  const probe = objectAt(value, field);
  return {
    action: readAction(probe, field),
    initialDelaySeconds: count(probe['initialDelaySeconds'], `${field}.initialDelaySeconds`, 0, 0),
    periodSeconds: count(probe['periodSeconds'], `${field}.periodSeconds`, 10, 1),
    timeoutSeconds: count(probe['timeoutSeconds'], `${field}.timeoutSeconds`, 1, 1),
    successThreshold: count(probe['successThreshold'], `${field}.successThreshold`, 1, 1),
    failureThreshold: count(probe['failureThreshold'], `${field}.failureThreshold`, 3, 1),
  };
}

function readEnvVar(value: unknown, field: string): EnvVar {
  const entry = objectAt(value, field);
  const name = optionalString(entry['name'], `${field}.name`) ?? fail(`${field}.name`, 'is required');
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) fail(`${field}.name`, `'${name}' is not a valid variable name`);
  if (entry['valueFrom'] === undefined) return { name, value: optionalString(entry['value'], `${field}.value`) ?? '' };
  const from = objectAt(entry['valueFrom'], `${field}.valueFrom`);
  const fieldRef = from['fieldRef'];
  if (fieldRef === undefined)
    fail(`${field}.valueFrom`, 'only fieldRef is resolved here (no ConfigMaps, Secrets or resource fields)');
  const path = optionalString(objectAt(fieldRef, `${field}.valueFrom.fieldRef`)['fieldPath'], `${field}.fieldPath`);
  return { name, fieldPath: oneOf(path, `${field}.valueFrom.fieldRef.fieldPath`, POD_FIELD_PATHS, 'metadata.name') };
}

/** Kubernetes' default: Always for `:latest` or no tag, IfNotPresent otherwise (a digest included). */
export function defaultPullPolicy(image: string): ContainerSpec['imagePullPolicy'] {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function readContainer(value: unknown, field: string): ContainerSpec {
  const container = objectAt(value, field);
  const name = optionalString(container['name'], `${field}.name`) ?? fail(`${field}.name`, 'is required');
  if (!/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
    fail(`${field}.name`, `'${name}' is not a DNS label`);
  const image = optionalString(container['image'], `${field}.image`) ?? fail(`${field}.image`, 'is required');
  const ports = container['ports'] ?? [];
  if (!Array.isArray(ports)) fail(`${field}.ports`, 'must be a list');
  const env = container['env'] ?? [];
  if (!Array.isArray(env)) fail(`${field}.env`, 'must be a list');
  return {
    name,
    image,
    imagePullPolicy: oneOf(
      container['imagePullPolicy'],
      `${field}.imagePullPolicy`,
      ['Always', 'IfNotPresent', 'Never'] as const,
      defaultPullPolicy(image),
    ),
    command: optionalStrings(container['command'], `${field}.command`),
    args: optionalStrings(container['args'], `${field}.args`),
    env: env.map((entry, index) => readEnvVar(entry, `${field}.env[${index}]`)),
    workingDir: optionalString(container['workingDir'], `${field}.workingDir`),
    ports: ports.map((entry, index) => {
      const at = `${field}.ports[${index}]`;
      const port = objectAt(entry, at);
      const number = portOf(port['containerPort'], `${at}.containerPort`);
      if (typeof number !== 'number') fail(`${at}.containerPort`, 'must be a number');
      return { name: optionalString(port['name'], `${at}.name`), containerPort: number };
    }),
    readinessProbe: readProbe(container['readinessProbe'], `${field}.readinessProbe`),
  };
}

/** Reads a pod template (`{metadata, spec}`) as rendered; throws a ConfigurationError naming the field. */
export function readPodTemplate(value: unknown): PodTemplate {
  const template = objectAt(value, 'template');
  const metadata = isObject(template['metadata']) ? template['metadata'] : {};
  const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
  const spec = objectAt(template['spec'], 'spec');
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0)
    fail('spec.containers', 'at least one container is required');
  const read = containers.map((container, index) => readContainer(container, `spec.containers[${index}]`));
  const names = read.map((container) => container.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) fail('spec.containers', `two containers are named '${repeated}'`);
  const app = typeof labels['app'] === 'string' ? labels['app'] : undefined;
  return {
    name: optionalString(metadata['name'], 'metadata.name') ?? app ?? 'pod',
    namespace: optionalString(metadata['namespace'], 'metadata.namespace') ?? 'default',
    containers: read,
    restartPolicy: oneOf(
      spec['restartPolicy'],
      'spec.restartPolicy',
      ['Always', 'OnFailure', 'Never'] as const,
      'Always',
    ),
    terminationGracePeriodSeconds: count(
      spec['terminationGracePeriodSeconds'],
      'spec.terminationGracePeriodSeconds',
      30,
      0,
    ),
  };
}

/** The port a probe names, as a number: a named port is looked up among the container's ports. */
export function resolvePort(port: number | string, container: ContainerSpec): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports.find((entry) => entry.name === port)?.containerPort;
}
