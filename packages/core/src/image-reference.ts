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

/** `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0];
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host ?? '');
}

/** An image reference read into what registries, runtimes and the actions use of it. */
export interface ImageReference {
  /** As written (`ghcr.io/acme/api:2`, `nginx`). */
  text: string;
  /** Everything before the tag and digest, as written (`ghcr.io/acme/api`): tags are appended to it. */
  name: string;
  /** The registry as references name it (`ghcr.io`, `127.0.0.1:5000`, `docker.io` when none is written). */
  registry: string;
  /** Where its HTTP API answers (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** The repository inside the registry (`acme/api`, `library/nginx`). */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** Loopback registries are spoken to over plain HTTP, as Docker does. */
  loopback: boolean;
}

/** Reads a reference already checked by its caller (a stricter rule of its own, or the grammar). */
export function readImageReference(text: string): ImageReference {
  const { name, tag, digest } = splitImageReference(text);
  const { host, path } = splitImageName(name);
  const registry = host === '' ? DOCKER_HUB : host;
  const dockerHub = isDockerHub(registry);
  return {
    text,
    name,
    registry,
    apiHost: dockerHub ? DOCKER_HUB_API_HOST : registry,
    repository: dockerHub ? dockerHubRepository(path) : path,
    tag: tag === '' ? undefined : tag,
    digest: digest === '' ? undefined : digest,
    loopback: isLoopbackHost(registry),
  };
}

/** Parses `[registry/]path[:tag][@digest]` (surrounding blanks ignored); undefined when it is not a reference. */
export function parseImageReference(text: string): ImageReference | undefined {
  const trimmed = text.trim();
  return isImageReference(trimmed) ? readImageReference(trimmed) : undefined;
}
