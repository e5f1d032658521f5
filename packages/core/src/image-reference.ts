// Container image references (`[host[:port]/]path[:tag][@digest]`): one reading for every action that
// builds, bumps or waits for images. Callers add their own strictness and their own defaults.
// Imported as `@shiprail/core/image-reference`: actions that read no images do not bundle it.

/** The registry a reference without a host names, and the host its HTTP API answers on. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface ImageReferenceParts {
  /** Everything before the tag and digest, host included (`ghcr.io/acme/api`, `nginx`). */
  name: string;
  /** '' when none is written. */
  tag: string;
  /** '' when none is written. */
  digest: string;
}

export interface ImageName {
  /** The registry host, when the name starts with one (`ghcr.io`, `localhost:5000`, `[::1]:5000`); else ''. */
  host: string;
  /** The repository path after the host (`acme/api`, `nginx`). */
  path: string;
}

/**
 * The lower-case reference grammar of the Distribution project: an optional host (with port), path
 * components joined by `.`, `_`, `__` or dashes, a tag of at most 128 word characters, dots and dashes,
 * and a digest `algorithm:hex`.
 */
const REFERENCE_GRAMMAR =
  /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*)(?:\.[a-z0-9-]+)*(?::\d+)?\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@([a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$/;

/** Whether `text` is a whole reference in the lower-case grammar container runtimes accept. */
export const isImageReference = (text: string): boolean => REFERENCE_GRAMMAR.test(text);

/**
 * Splits `[host[:port]/]path[:tag][@digest]` as kustomize and container runtimes do: a colon before the
 * first slash belongs to the host (a port); after it, the first `:` starts the tag and the first `@`
 * the digest. Nothing is validated: every string splits.
 */
export function splitImageReference(reference: string): ImageReferenceParts {
  const firstSlash = reference.indexOf('/');
  const offset = firstSlash > 0 ? firstSlash : 0;
  const searched = reference.slice(offset);
  const at = searched.indexOf('@');
  const colon = searched.indexOf(':');
  if (at < 0 && colon < 0) return { name: reference, tag: '', digest: '' };
  if (at >= 0 && (colon < 0 || at < colon)) {
    return { name: reference.slice(0, offset + at), tag: '', digest: reference.slice(offset + at + 1) };
  }
  if (at >= 0) {
    return {
      name: reference.slice(0, offset + colon),
      tag: reference.slice(offset + colon + 1, offset + at),
      digest: reference.slice(offset + at + 1),
    };
  }
  return { name: reference.slice(0, offset + colon), tag: reference.slice(offset + colon + 1), digest: '' };
}

/** Whether a name's first component is a registry host: it has a dot or a port, is `localhost`, or is `[IPv6]`. */
export const looksLikeRegistryHost = (component: string): boolean =>
  component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');

/** Splits an image name (no tag or digest) into host and path; a name without a slash has no host. */
export function splitImageName(name: string): ImageName {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  return looksLikeRegistryHost(first) ? { host: first, path: name.slice(slash + 1) } : { host: '', path: name };
}

/** Docker Hub, under either name references use for it. */
export const isDockerHub = (registry: string): boolean => registry === DOCKER_HUB || registry === 'index.docker.io';

/** A path as Docker Hub stores it: official images (one component, `nginx`) live under `library/`. */
export const dockerHubRepository = (path: string): string => (path.includes('/') ? path : `library/${path}`);
