// Image references as container runtimes resolve them, and whether a pod template carries the
// references a deployment expects (the GitOps lag: the commit is in, the controller has not applied it).
import { parseImageReference, type ImageReference } from '@shiprail/core/image-reference';
import type { PodTemplate } from './objects.ts';

/** Where the image is served from: Docker Hub's names (none, docker.io, index.docker.io) are one. */
const repositoryOf = (image: ImageReference): string => `${image.apiHost}/${image.repository}`;

/**
 * Whether a container's image is the expected reference: the same repository and, when the expectation
 * names a digest, the same digest; otherwise the same tag (`latest` when none is written).
 */
export function imageMatches(expected: ImageReference, actual: ImageReference): boolean {
  if (repositoryOf(expected) !== repositoryOf(actual)) return false;
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
    const sameRepository = images.filter((image) => repositoryOf(image) === repositoryOf(reference));
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
