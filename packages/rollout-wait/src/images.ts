// Image references as container runtimes resolve them, and whether a pod template carries the
// references a deployment expects (the GitOps lag: the commit is in, the controller has not applied it).
import type { PodTemplate } from './objects.ts';

export interface ImageReference {
  /** As written. */
  text: string;
  /** Registry and path, normalised (`docker.io/library/nginx`). */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const REFERENCE =
  /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*)(?:\.[a-z0-9-]+)*(?::\d+)?\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@([a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$/;

/** Parses `[registry/]path[:tag][@digest]`; undefined when it is not a reference. */
export function parseImageReference(text: string): ImageReference | undefined {
  const match = REFERENCE.exec(text.trim());
  if (!match) return undefined;
  const [, prefix = '', path = '', tag, digest] = match;
  const first = prefix.slice(0, -1);
  // The first component is a registry only when it looks like a host (a dot, a port, or localhost).
  const isRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = isRegistry ? first : 'docker.io';
  const fullPath = isRegistry || first === '' ? path : `${first}/${path}`;
  const normalisedPath = registry === 'docker.io' && !fullPath.includes('/') ? `library/${fullPath}` : fullPath;
  return { text: text.trim(), repository: `${registry}/${normalisedPath}`, tag, digest };
}

/**
 * Whether a container's image is the expected reference: the same repository and, when the expectation
 * names a digest, the same digest; otherwise the same tag (`latest` when none is written).
 */
export function imageMatches(expected: ImageReference, actual: ImageReference): boolean {
  if (expected.repository !== actual.repository) return false;
  if (expected.digest !== undefined) return actual.digest === expected.digest;
  return (actual.tag ?? (actual.digest ? undefined : 'latest')) === (expected.tag ?? 'latest');
}

function templateImages(template: PodTemplate | undefined): ImageReference[] {
  const containers = [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])];
  return containers.flatMap((container) => {
    const parsed = container.image === undefined ? undefined : parseImageReference(container.image);
    return parsed ? [parsed] : [];
  });
}

export interface TemplateImageCheck {
  /** Expected references whose repository the template uses with another reference: not applied yet. */
  pending: Array<{ expected: string; actual: string }>;
  /** Expected references the template carries. */
  carried: string[];
}

/** Compares a pod template with the expected references (those of other repositories do not concern it). */
export function checkTemplateImages(
  template: PodTemplate | undefined,
  expected: readonly ImageReference[],
): TemplateImageCheck {
  const images = templateImages(template);
  const check: TemplateImageCheck = { pending: [], carried: [] };
  for (const reference of expected) {
    const sameRepository = images.filter((image) => image.repository === reference.repository);
    if (sameRepository.length === 0) continue;
    const mismatch = sameRepository.find((image) => !imageMatches(reference, image));
    if (mismatch) check.pending.push({ expected: reference.text, actual: mismatch.text });
    else check.carried.push(reference.text);
  }
  return check;
}

export function waitingForImagesMessage(pending: TemplateImageCheck['pending']): string {
  const parts = pending.map(({ expected, actual }) => `${expected} (the template has ${actual})`);
  return `Waiting for the pod template to carry ${parts.join(', ')}...`;
}
