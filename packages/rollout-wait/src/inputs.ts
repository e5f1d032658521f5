// rollout-wait's inputs, read once: the resources, images and controller objects to wait on, checked before any
// request.
import {
  ConfigurationError,
  isNamespaceName,
  parseWorkloadReference,
  type InputParser,
  type WorkloadKind,
} from '@shiprail/core';
import { parseImageReference, type ImageReference } from '@shiprail/core/image-reference';
import type { Controller, ControllerRef } from './controllers/wait.ts';

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
  controller: Controller | 'none';
  'gitops-commit': string;
  'gitops-paths': string[];
  'gitops-objects': string[];
  'gitops-repository': string;
  'gitops-branch': string;
  'gitops-token': string;
  'controller-namespace': string;
}

export function parseInputs(parser: InputParser): RolloutWaitInputs {
  const kubeconfig = parser.secret('kubeconfig');
  return {
    kubeconfig,
    context: parser.string('context'),
    namespace: parser.string('namespace'),
    resources: parser.list('resources'),
    images: parser.list('images'),
    timeout: parser.duration('timeout', '10m'),
    'fail-fast': parser.boolean('fail-fast', true),
    rollback: parser.boolean('rollback', false),
    'accept-paused': parser.boolean('accept-paused', false),
    controller: parser.choice('controller', ['none', 'argocd', 'flux'], 'none'),
    'gitops-commit': parser.string('gitops-commit').toLowerCase(),
    'gitops-paths': parser.list('gitops-paths'),
    'gitops-objects': parser.list('gitops-objects'),
    'gitops-repository': parser.string('gitops-repository'),
    'gitops-branch': parser.string('gitops-branch'),
    'gitops-token': parser.secret('gitops-token'),
    'controller-namespace': parser.string('controller-namespace'),
  };
}

/** Without a controller there is nothing but workloads to wait for: `resources` is required then. */
export function validateWaitInputs(inputs: RolloutWaitInputs): void {
  if (inputs.controller === 'none') {
    if (inputs.resources.length === 0)
      throw new ConfigurationError('is required but was not given', { input: 'resources' });
    return;
  }
  if (!/^[0-9a-f]{40}$/.test(inputs['gitops-commit'])) {
    const given = inputs['gitops-commit'] === '' ? 'nothing was given' : `got '${inputs['gitops-commit']}'`;
    throw new ConfigurationError(
      `must be the full SHA of the GitOps commit (kustomize-bump's commit output); ${given}`,
      {
        input: 'gitops-commit',
      },
    );
  }
  if (inputs['gitops-paths'].length === 0 && inputs['gitops-objects'].length === 0) {
    throw new ConfigurationError(
      `the ${inputs.controller === 'argocd' ? 'Argo CD Applications' : 'Flux objects'} to wait on are found from gitops-paths or named in gitops-objects: give one`,
      { input: 'gitops-paths' },
    );
  }
  validateNamespace(inputs['controller-namespace'], 'controller-namespace');
  const branch = inputs['gitops-branch'];
  if (branch !== '' && (!/^[\w./-]+$/.test(branch) || branch.startsWith('-') || branch.includes('..'))) {
    throw new ConfigurationError(`'${branch}' is not a branch name`, { input: 'gitops-branch' });
  }
}

const CONTROLLER_KINDS: Readonly<Record<string, ControllerRef['kind']>> = {
  application: 'application',
  applications: 'application',
  app: 'application',
  kustomization: 'kustomization',
  kustomizations: 'kustomization',
  ks: 'kustomization',
  helmrelease: 'helmrelease',
  helmreleases: 'helmrelease',
  hr: 'helmrelease',
};

const ARGO_KINDS: ReadonlySet<string> = new Set(['application']);

/**
 * Parses `[namespace/]kind/name` lines of Argo CD Applications or Flux Kustomizations and HelmReleases.
 * Without a namespace: `fallback`, else the controller's own (argocd, flux-system).
 */
export function parseControllerObjects(
  lines: readonly string[],
  controller: Controller,
  fallback: string,
): ControllerRef[] {
  return lines.map((line, index) => {
    const fail = (problem: string): never => {
      throw new ConfigurationError(`line ${index + 1} '${line}': ${problem}`, { input: 'gitops-objects' });
    };
    const parts = line.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === ''))
      fail('expected [namespace/]kind/name, e.g. argocd/application/shop-prod or flux-system/kustomization/apps');
    const [namespace, kindText = '', name = ''] = parts.length === 3 ? parts : [undefined, ...parts];
    const kind = CONTROLLER_KINDS[kindText.toLowerCase()];
    if (kind === undefined) return fail(`unknown kind '${kindText}' (use application, kustomization or helmrelease)`);
    if (ARGO_KINDS.has(kind) !== (controller === 'argocd'))
      fail(`a ${kind} is not an object of the controller '${controller}'`);
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
      fail(`'${name}' is not a valid object name (lower-case letters, digits, '-' and '.')`);
    if (namespace !== undefined && !isNamespaceName(namespace)) fail(`'${namespace}' is not a valid namespace name`);
    const defaultNamespace = fallback || (controller === 'argocd' ? 'argocd' : 'flux-system');
    return { kind, name, namespace: namespace ?? defaultNamespace };
  });
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

export function validateNamespace(namespace: string, input = 'namespace'): void {
  if (namespace !== '' && !isNamespaceName(namespace)) {
    throw new ConfigurationError(`'${namespace}' is not a valid namespace name`, { input });
  }
}
