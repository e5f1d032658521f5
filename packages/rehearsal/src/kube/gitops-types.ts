// The GitOps controllers' custom resources the test API server serves, as their CRDs define them:
// Argo CD's Application (argoproj.io/v1alpha1; no status subresource: Argo CD writes status with the
// object), Flux's Kustomization (kustomize.toolkit.fluxcd.io/v1), HelmRelease (helm.toolkit.fluxcd.io/v2)
// and GitRepository (source.toolkit.fluxcd.io/v1), with their short names and printer columns.
// No jest globals: `node x.ts` under Node 24 can import it.
import { isObject, text, type Json, type JsonObject } from './patch.ts';
import { namespacedType, type PrinterColumn, type ResourceType } from './resource-type.ts';

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const READY: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
const READY_MESSAGE: PrinterColumn = {
  name: 'Status',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
};

const fluxType = (apiVersion: string, kind: string, shortName: string, columns: PrinterColumn[]): ResourceType =>
  namespacedType(apiVersion, kind, ['status'], { shortNames: [shortName], custom: true, printerColumns: columns });

export const GITOPS_RESOURCE_TYPES: readonly ResourceType[] = [
  namespacedType('argoproj.io/v1alpha1', 'Application', [], {
    shortNames: ['app', 'apps'],
    custom: true,
    printerColumns: [
      { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
      { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
      { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
      { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
    ],
  }),
  fluxType('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'ks', [AGE, READY, READY_MESSAGE]),
  fluxType('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'hr', [AGE, READY, READY_MESSAGE]),
  fluxType('source.toolkit.fluxcd.io/v1', 'GitRepository', 'gitrepo', [
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    AGE,
    READY,
    READY_MESSAGE,
  ]),
];

/**
 * The value at a printer column's JSONPath: dotted fields and the `[?(@.field=="value")]` filter the
 * Flux CRDs use; missing is ''.
 */
export function jsonPathValue(object: JsonObject, path: string): Json {
  let current: Json | undefined = object;
  const steps = path.match(/\.[^.[]+|\[\?\(@\.[^=]+=="[^"]*"\)\]|\[\d+\]/g) ?? [];
  for (const step of steps) {
    if (step.startsWith('[?(')) {
      const [, field = '', value] = /^\[\?\(@\.([^=]+)=="([^"]*)"\)\]$/.exec(step) ?? [];
      current = Array.isArray(current)
        ? current.find((item) => isObject(item) && text(item[field]) === value)
        : undefined;
    } else if (step.startsWith('[')) {
      current = Array.isArray(current) ? current[Number(step.slice(1, -1))] : undefined;
    } else current = isObject(current) ? current[step.slice(1)] : undefined;
  }
  return current ?? '';
}
