import { ConfigurationError, parseList, type InputParser } from '@shiprail/core';
import { parseImageReference, type ImageReference } from './images.ts';
import type { WorkloadKind } from './status.ts';

export interface RolloutWaitInputs {
  kubeconfig: string;
  context: string;
  namespace: string;
  resources: string[];
  images: string[];
  /** Milliseconds. */
  timeout: number;
  'fail-fast': boolean;
  rollback: boolean;
  'accept-paused': boolean;
}

export function parseInputs(parser: InputParser): RolloutWaitInputs {
  const kubeconfig = parser.secret('kubeconfig');
  return {
    kubeconfig,
    context: parser.string('context'),
    namespace: parser.string('namespace'),
    resources: parseList(parser.required('resources')),
    images: parser.list('images'),
    timeout: parser.duration('timeout', '10m'),
    'fail-fast': parser.boolean('fail-fast', true),
    rollback: parser.boolean('rollback', false),
    'accept-paused': parser.boolean('accept-paused', false),
  };
}

export interface ResourceRef {
  kind: WorkloadKind;
  name: string;
  /** undefined: the namespace input's (or the kubeconfig's) namespace. */
  namespace: string | undefined;
  /** The line as written, for messages. */
  text: string;
}

const KIND_ALIASES: Readonly<Record<string, WorkloadKind>> = {
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

/** Parses `[namespace/]kind/name` lines; errors name the line and say what is expected. */
export function parseResources(lines: readonly string[]): ResourceRef[] {
  const refs = lines.map((line, index) => {
    const where = `line ${index + 1} '${line}'`;
    const parts = line.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => part.trim() === '')) {
      throw new ConfigurationError(
        `${where}: expected [namespace/]kind/name, e.g. deployment/api or shop/statefulset/db`,
        {
          input: 'resources',
        },
      );
    }
    const [namespace, kindText = '', name = ''] = parts.length === 3 ? parts : [undefined, ...parts];
    const kind = KIND_ALIASES[kindText.toLowerCase()];
    if (kind === undefined) {
      throw new ConfigurationError(
        `${where}: unknown kind '${kindText}' (use deployment, statefulset, daemonset or rollout)`,
        {
          input: 'resources',
        },
      );
    }
    if (!DNS_SUBDOMAIN.test(name)) {
      throw new ConfigurationError(
        `${where}: '${name}' is not a valid object name (lower-case letters, digits, '-' and '.')`,
        {
          input: 'resources',
        },
      );
    }
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
      throw new ConfigurationError(`${where}: '${namespace}' is not a valid namespace name`, { input: 'resources' });
    }
    return { kind, name, namespace, text: line };
  });
  const seen = new Set<string>();
  for (const ref of refs) {
    const key = `${ref.namespace ?? ''}/${ref.kind}/${ref.name}`;
    if (seen.has(key)) throw new ConfigurationError(`'${ref.text}' is listed twice`, { input: 'resources' });
    seen.add(key);
  }
  return refs;
}

export function parseImages(lines: readonly string[]): ImageReference[] {
  return lines.map((line, index) => {
    const reference = parseImageReference(line);
    if (reference === undefined) {
      throw new ConfigurationError(
        `line ${index + 1} '${line}' is not an image reference like ghcr.io/acme/api:1.2 or ghcr.io/acme/api@sha256:...`,
        { input: 'images' },
      );
    }
    return reference;
  });
}

export function validateNamespace(namespace: string): void {
  if (namespace !== '' && !DNS_LABEL.test(namespace)) {
    throw new ConfigurationError(`'${namespace}' is not a valid namespace name`, { input: 'namespace' });
  }
}
