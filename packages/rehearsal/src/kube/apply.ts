// What a simulated cluster makes of a rendered overlay, as a GitOps controller's dry run and the API server
// would: every object placed in its namespace (its own, else the environment's), checked against the kinds
// the API server serves and the validation it does on workloads, and refused as a whole when one object
// is refused; then applied as rendered, with the defaults the API server fills in. No jest globals.
import { isObject, text, type JsonObject } from './patch.ts';
import { groupVersionOf, type KubeObject } from './store.ts';
import type { KubeApiServer } from './api-server.ts';
import type { ResourceType } from './resource-type.ts';
import { WORKLOAD_KINDS, type WorkloadKind } from './controllers.ts';

/** An object of the overlay, placed: its type, namespace ('' when cluster-scoped) and name. */
export interface PlacedObject {
  type: ResourceType;
  namespace: string;
  name: string;
  object: JsonObject;
}

/** An object of a kind the API server does not serve, named as Argo CD names it (its namespace: where it goes). */
export interface UnservedObject {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * How the overlay is applied: every object placed, or why the API server refuses the lot (kubectl's words),
 * with every object whose kind it does not serve.
 */
export type ApplyPlan = { objects: PlacedObject[] } | { refused: string; unserved: UnservedObject[] };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The API server's words on a workload it cannot decode or that fails validation; undefined: valid. */
function workloadProblem(kind: WorkloadKind, name: string, object: JsonObject): string | undefined {
  const spec = isObject(object['spec']) ? object['spec'] : {};
  const replicas = spec['replicas'];
  if (replicas !== undefined && kind !== 'DaemonSet' && !Number.isInteger(replicas)) {
    return `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${typeof replicas} into Go struct field ${kind}Spec.spec.replicas of type int32`;
  }
  const invalid = (field: string, detail: string): string => `${kind}.apps "${name}" is invalid: ${field}: ${detail}`;
  const template = isObject(spec['template']) ? spec['template'] : {};
  const templateMetadata = isObject(template['metadata']) ? template['metadata'] : {};
  const labels = isObject(templateMetadata['labels']) ? templateMetadata['labels'] : {};
  const selector = isObject(spec['selector']) ? spec['selector'] : undefined;
  if (selector === undefined) return invalid('spec.selector', 'Required value');
  const matchLabels = isObject(selector['matchLabels']) ? selector['matchLabels'] : {};
  if (Object.entries(matchLabels).some(([key, value]) => labels[key] !== value)) {
    return invalid('spec.template.metadata.labels', 'Invalid value: `selector` does not match template `labels`');
  }
  const templateSpec = isObject(template['spec']) ? template['spec'] : {};
  const containers = Array.isArray(templateSpec['containers']) ? templateSpec['containers'] : [];
  if (containers.length === 0) return invalid('spec.template.spec.containers', 'Required value');
  for (const [index, container] of containers.entries()) {
    if (!isObject(container) || text(container['image']) === '')
      return invalid(`spec.template.spec.containers[${index}].image`, 'Required value');
  }
  return undefined;
}

/** What the API server fills in on a workload that the manifest leaves out. */
function withDefaults(kind: string, object: JsonObject): JsonObject {
  if (kind === 'Namespace') return { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' }, ...object };
  if (!WORKLOAD_KINDS.includes(kind as WorkloadKind)) return object;
  const spec = { ...(isObject(object['spec']) ? object['spec'] : {}) };
  if (kind !== 'DaemonSet') spec['replicas'] ??= 1;
  spec['revisionHistoryLimit'] ??= 10;
  if (kind === 'Deployment') {
    spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    spec['progressDeadlineSeconds'] ??= 600;
  } else if (kind === 'StatefulSet') {
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec['podManagementPolicy'] ??= 'OrderedReady';
  } else spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  return { ...object, spec };
}

const metadataOf = (object: JsonObject): JsonObject => (isObject(object['metadata']) ? object['metadata'] : {});

/** The type `served` has for the object's apiVersion and kind; undefined: the server does not serve it. */
const servedTypeOf = (served: readonly ResourceType[], object: JsonObject): ResourceType | undefined =>
  served.find((type) => groupVersionOf(type) === text(object['apiVersion']) && type.kind === text(object['kind']));

/** The rendered objects of kinds `served` lacks, each in the namespace it would go to. */
export function unservedObjects(
  served: readonly ResourceType[],
  rendered: readonly JsonObject[],
  defaultNamespace: string,
): UnservedObject[] {
  return rendered
    .filter((object) => servedTypeOf(served, object) === undefined)
    .map((object) => {
      const apiVersion = text(object['apiVersion']);
      const [group = '', version = apiVersion] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      const metadata = metadataOf(object);
      return {
        group,
        version,
        kind: text(object['kind']),
        namespace: text(metadata['namespace']) || defaultNamespace,
        name: text(metadata['name']),
      };
    });
}

/** Places, checks and defaults every rendered object; `source` names the overlay in messages. */
export function planApply(
  server: KubeApiServer,
  rendered: readonly JsonObject[],
  defaultNamespace: string,
  source: string,
): ApplyPlan {
  const unserved = unservedObjects(server.served, rendered, defaultNamespace);
  const [first] = unserved;
  if (first !== undefined) {
    const apiVersion = first.group === '' ? first.version : `${first.group}/${first.version}`;
    // kubectl's words; Argo CD and Flux refuse the sync the same way before applying anything.
    return {
      refused: `resource mapping not found for name: "${first.name}" namespace: "${first.namespace}" from "${source}": no matches for kind "${first.kind}" in version "${apiVersion}"; ensure CRDs are installed first`,
      unserved,
    };
  }
  const objects: PlacedObject[] = [];
  const renderedNamespaces = new Set(
    rendered
      .filter((object) => object['kind'] === 'Namespace')
      .map((object) => text((object['metadata'] as JsonObject | undefined)?.['name'])),
  );
  const refused = (message: string): ApplyPlan => ({ refused: message, unserved: [] });
  for (const object of rendered) {
    const kind = text(object['kind']);
    const metadata = metadataOf(object);
    const name = text(metadata['name']);
    const type = servedTypeOf(server.served, object);
    if (type === undefined) continue; // none: the unserved refused the lot above
    const namespace = type.namespaced ? text(metadata['namespace']) || defaultNamespace : '';
    if (!DNS_SUBDOMAIN.test(name)) {
      return refused(
        `${kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    }
    if (
      namespace !== '' &&
      namespace !== defaultNamespace &&
      !renderedNamespaces.has(namespace) &&
      !server.get('namespaces', '', namespace)
    ) {
      return refused(`namespaces "${namespace}" not found`);
    }
    const problem = WORKLOAD_KINDS.includes(kind as WorkloadKind)
      ? workloadProblem(kind as WorkloadKind, name, object)
      : undefined;
    if (problem !== undefined) return refused(problem);
    const placed = withDefaults(kind, {
      ...object,
      metadata: { ...metadata, ...(namespace === '' ? {} : { namespace }) },
    });
    objects.push({ type, namespace, name, object: placed });
  }
  // Namespaces first, as kubectl and Argo CD order them.
  return {
    objects: [
      ...objects.filter((item) => item.type.kind === 'Namespace'),
      ...objects.filter((item) => item.type.kind !== 'Namespace'),
    ],
  };
}

/**
 * Applies an object as `kubectl apply` would: the rendered fields replace the stored ones, the status and
 * the annotations controllers wrote stay. Returns the stored object and whether its spec changed.
 */
export function applyObject(server: KubeApiServer, placed: PlacedObject): { stored: KubeObject; changed: boolean } {
  const previous = server.get(placed.type.resource, placed.namespace, placed.name);
  const metadata = placed.object['metadata'] as JsonObject;
  const kept = Object.fromEntries(
    Object.entries(isObject(previous?.metadata['annotations']) ? previous.metadata['annotations'] : {}).filter(
      ([key]) => key.startsWith('deployment.kubernetes.io/'),
    ),
  );
  const annotations = { ...kept, ...(isObject(metadata['annotations']) ? metadata['annotations'] : {}) };
  const stored = server.apply({
    ...placed.object,
    metadata: { ...metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  });
  const changed = previous === undefined || previous.metadata['generation'] !== stored.metadata['generation'];
  return { stored, changed };
}
