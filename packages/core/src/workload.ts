/** The Kubernetes workloads the suite watches roll out. */
export type WorkloadKind = 'deployment' | 'statefulset' | 'daemonset' | 'rollout';

/** `[namespace/]kind/name`, as kubectl and rollout-wait read it. */
export interface WorkloadReference {
  kind: WorkloadKind;
  name: string;
  /** undefined: the namespace the caller defaults to. */
  namespace: string | undefined;
}

/** The names kubectl accepts for each kind (singular, plural, short name, `kind.group`). */
export const WORKLOAD_KIND_ALIASES: Readonly<Record<string, WorkloadKind>> = {
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  'deployment.apps': 'deployment',
  statefulset: 'statefulset',
  statefulsets: 'statefulset',
  sts: 'statefulset',
  'statefulset.apps': 'statefulset',
  daemonset: 'daemonset',
  daemonsets: 'daemonset',
  ds: 'daemonset',
  'daemonset.apps': 'daemonset',
  rollout: 'rollout',
  rollouts: 'rollout',
  ro: 'rollout',
  'rollout.argoproj.io': 'rollout',
};

// RFC 1123: names of these objects are DNS subdomains, namespaces DNS labels.
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether `text` can name a namespace (an RFC 1123 DNS label). */
export const isNamespaceName = (text: string): boolean => DNS_LABEL.test(text);

/**
 * Reads `[namespace/]kind/name`; returns the reference, or the reason the text is not one (said so that
 * it can follow the text in a message).
 */
export function parseWorkloadReference(text: string): WorkloadReference | { problem: string } {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    return { problem: 'expected [namespace/]kind/name, e.g. deployment/api or shop/statefulset/db' };
  }
  const [namespace, kindText = '', name = ''] = parts.length === 3 ? parts : [undefined, ...parts];
  const kind = WORKLOAD_KIND_ALIASES[kindText.toLowerCase()];
  if (kind === undefined) {
    return { problem: `unknown kind '${kindText}' (use deployment, statefulset, daemonset or rollout)` };
  }
  if (!DNS_SUBDOMAIN.test(name)) {
    return { problem: `'${name}' is not a valid object name (lower-case letters, digits, '-' and '.')` };
  }
  if (namespace !== undefined && !isNamespaceName(namespace)) {
    return { problem: `'${namespace}' is not a valid namespace name (lower-case letters, digits and '-')` };
  }
  return { kind, name, namespace };
}
