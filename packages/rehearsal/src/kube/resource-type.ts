// What the test API server says of each type it serves (discovery, URLs, tables), and the one way a
// namespaced type with every verb is written down.

/** A CRD's additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'boolean';
  jsonPath: string;
  priority?: number;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources listed in discovery (`status`, `scale`, `log`). */
  subresources: string[];
  /** Served from a CRD: list items keep kind and apiVersion, strategic merge patch is refused. */
  custom?: boolean;
  /** A CRD's additionalPrinterColumns, for server-side tables. */
  printerColumns?: PrinterColumn[];
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A namespaced type with every verb, named the regular way (`Deployment`: `deployments`, `deployment`). */
export function namespacedType(
  apiVersion: string,
  kind: string,
  subresources: string[],
  more: Partial<ResourceType> = {},
): ResourceType {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const singular = kind.toLowerCase();
  return {
    group: group ?? '',
    version: version ?? apiVersion,
    resource: `${singular}s`.replace(/ys$/, 'ies'),
    kind,
    singular,
    namespaced: true,
    verbs: ALL_VERBS,
    subresources,
    ...more,
  };
}
