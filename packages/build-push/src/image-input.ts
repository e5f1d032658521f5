// The image input: the repository build-push tags and pushes, checked with a reason for every mistake.
import { ConfigurationError } from '@shiprail/core';
import {
  DOCKER_HUB,
  looksLikeRegistryHost,
  readImageReference,
  splitImageName,
  type ImageReference,
} from '@shiprail/core/image-reference';

const DOMAIN =
  /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** The registry host of an image that names nothing more (`ghcr.io`, `ghcr.io/`, `localhost:5000`), else ''. */
function hostAlone(image: string, host: string, path: string): string {
  if (!image.includes('/')) return looksLikeRegistryHost(image) ? image : '';
  return path === '' ? host : '';
}

/**
 * Parses the `image` input: a repository without tag or digest, registry host first
 * (`ghcr.io/acme/api`); without a host it is on Docker Hub (`acme/api`). Stricter than a reference:
 * every mistake is named.
 */
export function parseImageInput(image: string): ImageReference {
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
  return readImageReference(image);
}
