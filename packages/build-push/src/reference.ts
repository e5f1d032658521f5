import { ConfigurationError } from '@shiprail/core';
import {
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  dockerHubRepository,
  isDockerHub,
  looksLikeRegistryHost,
  splitImageName,
} from '@shiprail/core/image-reference';

export interface ImageReference {
  /** The image as the user wrote it (`ghcr.io/acme/api`): tags are appended to it. */
  name: string;
  /** The registry as references name it (`ghcr.io`, `127.0.0.1:5000`, `docker.io`). */
  registry: string;
  /** Where its HTTP API answers (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** The repository inside the registry (`acme/api`). */
  repository: string;
  /** Loopback registries are spoken to over plain HTTP, as Docker does. */
  loopback: boolean;
}

const DOMAIN =
  /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0];
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host ?? '');
}

/** The registry host of an image that names nothing more (`ghcr.io`, `ghcr.io/`, `localhost:5000`), else ''. */
function hostAlone(image: string, host: string, path: string): string {
  if (!image.includes('/')) return looksLikeRegistryHost(image) ? image : '';
  return path === '' ? host : '';
}

/**
 * Parses the `image` input: a repository without tag or digest, registry host first
 * (`ghcr.io/acme/api`); without a host it is on Docker Hub (`acme/api`).
 */
export function parseImageReference(image: string): ImageReference {
  const fail = (reason: string): never => {
    throw new ConfigurationError(`'${image}' ${reason}`, { input: 'image' });
  };
  if (image.includes('@')) fail('carries a digest: give the repository alone, e.g. ghcr.io/acme/api');
  const { host, path } = splitImageName(image);
  const lone = hostAlone(image, host, path);
  if (lone !== '') fail(`names the registry ${lone} but no repository: write e.g. ${lone}/acme/api`);
  if (host === '' && !path.includes('/')) {
    fail('has no registry or namespace: write e.g. ghcr.io/acme/api, or docker.io/acme/api for Docker Hub');
  }
  const registry = host === '' ? DOCKER_HUB : host;
  if (!DOMAIN.test(registry)) fail(`has an invalid registry host '${registry}'`);
  const components = path.split('/');
  const last = components[components.length - 1] ?? '';
  if (last.includes(':')) fail('carries a tag: give the repository alone and the tags in the tags input');
  for (const component of components) {
    if (component === '') fail('has an empty path component (//, or a trailing /)');
    if (/[A-Z]/.test(component)) fail(`must be lower case ('${component}' is not)`);
    if (!PATH_COMPONENT.test(component)) {
      fail(`has an invalid path component '${component}' (lower-case letters, digits and . _ - between them)`);
    }
  }
  if (path.length > 255) fail('is longer than 255 characters');
  const dockerHub = isDockerHub(registry);
  return {
    name: image,
    registry,
    apiHost: dockerHub ? DOCKER_HUB_API_HOST : registry,
    repository: dockerHub ? dockerHubRepository(path) : path,
    loopback: isLoopbackHost(registry),
  };
}
