// The Kubernetes schemas the gate validates against: kubernetes-models' precompiled validators, one
// per built-in apiVersion/kind, loaded on first use (a chunk of the bundle, read only when rendering).
import { ConfigurationError } from '@shiprail/core';

/** The Kubernetes versions whose schemas ship with the action (kubernetes-models 5.1 carries 1.36). */
export const KUBERNETES_VERSIONS = ['1.36'] as const;
export type KubernetesVersion = (typeof KUBERNETES_VERSIONS)[number];
export const DEFAULT_KUBERNETES_VERSION: KubernetesVersion = '1.36';

/** `1.36` or `v1.36.2` -> `1.36`; any version whose schemas are not shipped is refused, naming those that are. */
export function parseKubernetesVersion(value: string, input: string): KubernetesVersion {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
  const minor = match === null ? undefined : `${match[1]}.${match[2]}`;
  const known = KUBERNETES_VERSIONS.find((version) => version === minor);
  if (known !== undefined) return known;
  const why =
    match === null ? `'${value}' is not a Kubernetes version` : `schemas of Kubernetes ${minor} are not shipped`;
  throw new ConfigurationError(`${why}: use one of ${KUBERNETES_VERSIONS.join(', ')} (e.g. 1.36 or v1.36.2)`, {
    input,
  });
}

/** A schema check: throws kubernetes-models' ValidationError (ajv errors in `errors`) when `this` is invalid. */
export type SchemaCheck = (this: unknown) => void;

/** The schemas of one Kubernetes version, by `apiVersion` and kind, and the API groups it serves. */
export interface SchemaCatalog {
  version: KubernetesVersion;
  checks: ReadonlyMap<string, SchemaCheck>;
  /** API groups (`''` for the core group) with at least one kind: an unknown kind in one is not a custom resource. */
  groups: ReadonlySet<string>;
}

export const catalogKey = (apiVersion: string, kind: string): string => `${apiVersion} ${kind}`;
export const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate: SchemaCheck };
}

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const model = value as unknown as Partial<ModelClass>;
  return typeof model.apiVersion === 'string' && typeof model.kind === 'string';
}

/** Every class with a static apiVersion and kind, wherever the package's namespaces nest it. */
function collectModels(namespace: unknown, checks: Map<string, SchemaCheck>, groups: Set<string>, depth = 0): void {
  if (typeof namespace !== 'object' || namespace === null || depth > 3) return;
  for (const value of Object.values(namespace)) {
    if (isModelClass(value)) {
      checks.set(catalogKey(value.apiVersion, value.kind), value.prototype.validate);
      groups.add(groupOf(value.apiVersion));
    } else {
      collectModels(value, checks, groups, depth + 1);
    }
  }
}

const catalogs = new Map<KubernetesVersion, Promise<SchemaCatalog>>();

/** The catalog of a version, loaded once per process. */
export function loadSchemaCatalog(version: KubernetesVersion): Promise<SchemaCatalog> {
  let catalog = catalogs.get(version);
  if (catalog === undefined) {
    catalog = import('kubernetes-models').then((models) => {
      const checks = new Map<string, SchemaCheck>();
      const groups = new Set<string>();
      collectModels(models, checks, groups);
      return { version, checks, groups };
    });
    catalogs.set(version, catalog);
  }
  return catalog;
}
