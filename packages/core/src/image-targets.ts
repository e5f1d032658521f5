// Where a service's image goes beyond kustomize's own matching: the container of its workload that runs
// it, and the keys of Helm values that hold it. Written in the services manifest, carried by
// detect-changed-services' matrix and read by kustomize-bump: one reading of that shape for both.

/** The keys a chart reads an image from, each a dotted path into the values (`frontend.image.tag`). */
export const HELM_VALUE_FIELDS = ['registry', 'repository', 'tag', 'digest', 'reference'] as const;
export type HelmValueField = (typeof HELM_VALUE_FIELDS)[number];
export type HelmValueKeys = Partial<Record<HelmValueField, string>>;

export interface ImageTarget {
  /** The container of the workload that runs the image; undefined: the one whose image ends in its name. */
  container?: string;
  /** Where Helm values hold the image; undefined: the one image-shaped key whose repository ends in its name. */
  helmValues?: HelmValueKeys;
}

/** A mistake in a target, at a path relative to where the target was written. */
export interface ImageTargetProblem {
  at: ReadonlyArray<string>;
  problem: string;
}

const KEY_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** A container name is a DNS label (RFC 1123), as Kubernetes requires. */
const CONTAINER_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads `container` and `helm-values` as written for one service (absent, null or '' means not given:
 * the matrix carries empty values for services that say nothing).
 */
export function readImageTarget(container: unknown, helmValues: unknown): ImageTarget | ImageTargetProblem {
  const target: ImageTarget = {};
  if (container !== undefined && container !== null && container !== '') {
    if (typeof container !== 'string' || !CONTAINER_NAME.test(container)) {
      return {
        at: ['container'],
        problem: 'expected the name of a container (lower-case letters, digits and -, as Kubernetes names them)',
      };
    }
    target.container = container;
  }
  if (
    helmValues === undefined ||
    helmValues === null ||
    (isMapping(helmValues) && Object.keys(helmValues).length === 0)
  ) {
    return target;
  }
  const keys = readHelmValueKeys(helmValues);
  if ('problem' in keys) return { at: ['helm-values', ...keys.at], problem: keys.problem };
  target.helmValues = keys;
  return target;
}

function readHelmValueKeys(value: unknown): HelmValueKeys | ImageTargetProblem {
  const fields = HELM_VALUE_FIELDS.join(', ');
  if (!isMapping(value)) return { at: [], problem: `expected a mapping of ${fields} to dotted key paths` };
  const keys: HelmValueKeys = {};
  for (const [field, path] of Object.entries(value)) {
    if (!(HELM_VALUE_FIELDS as readonly string[]).includes(field)) {
      return { at: [field], problem: `unknown key '${field}' (expected ${fields})` };
    }
    if (typeof path !== 'string' || !KEY_PATH.test(path)) {
      return {
        at: [field],
        problem: 'expected a dotted key path into the values, such as frontend.image.tag (letters, digits, _ and -)',
      };
    }
    keys[field as HelmValueField] = path;
  }
  if (keys.reference !== undefined) {
    const other = HELM_VALUE_FIELDS.find((field) => field !== 'reference' && keys[field] !== undefined);
    if (other !== undefined) {
      return {
        at: [other],
        problem: 'reference holds the whole image reference: give it alone, or repository and tag',
      };
    }
  } else if (keys.repository === undefined) {
    return { at: [], problem: 'needs repository (with tag, digest, registry as the chart reads them) or reference' };
  }
  return keys;
}
