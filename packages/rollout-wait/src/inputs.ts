import {
  ConfigurationError,
  isNamespaceName,
  parseList,
  parseWorkloadReference,
  type InputParser,
  type WorkloadKind,
} from '@shiprail/core';
import { parseImageReference, type ImageReference } from '@shiprail/core/image-reference';

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

/** Parses `[namespace/]kind/name` lines; errors name the line and say what is expected. */
export function parseResources(lines: readonly string[]): ResourceRef[] {
  const refs = lines.map((line, index) => {
    const reference = parseWorkloadReference(line);
    if ('problem' in reference) {
      throw new ConfigurationError(`line ${index + 1} '${line}': ${reference.problem}`, { input: 'resources' });
    }
    return { ...reference, text: line };
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
  if (namespace !== '' && !isNamespaceName(namespace)) {
    throw new ConfigurationError(`'${namespace}' is not a valid namespace name`, { input: 'namespace' });
  }
}
