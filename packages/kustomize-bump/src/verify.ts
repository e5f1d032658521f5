// Verification: the overlay rendered with kubectl kustomize or kustomize, and every new reference found in what it
// renders.
import { ConfigurationError, type Runtime } from '@shiprail/core';
import { splitImageReference } from '@shiprail/core/image-reference';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { describeImageEntry, type ImageEntry } from './image-args.ts';
import { renderOverlay } from './rendered.ts';

/** The `image:` values of rendered manifests (containers, initContainers, ephemeral containers). */
export function renderedImages(manifests: string): string[] {
  const images: string[] = [];
  for (const match of manifests.matchAll(/^[ \t]*(?:-[ \t]+)?image:[ \t]*(["']?)([^"'\s#]+)\1/gm)) {
    if (match[2] !== undefined) images.push(match[2]);
  }
  return images;
}

/**
 * Whether a rendered image carries what the entry sets. kustomize keeps the container's tag when only
 * a new name is set and drops it when only a digest is set, so only the fields set are compared.
 */
export function entryApplied(entry: ImageEntry, images: readonly string[]): boolean {
  const expectedName = entry.newName ?? entry.name;
  return images.some((image) => {
    const { name, tag, digest } = splitImageReference(image);
    if (name !== expectedName) return false;
    if (entry.newTag !== undefined && tag !== entry.newTag) return false;
    return entry.digest === undefined || digest === entry.digest;
  });
}

/** The entries whose reference does not appear in the rendered output (what verify fails on). */
export function missingReferences(entries: readonly ImageEntry[], manifests: string): string[] {
  const images = renderedImages(manifests);
  return entries.filter((entry) => !entryApplied(entry, images)).map(describeImageEntry);
}

export async function findOnPath(program: string, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  for (const directory of (env['PATH'] ?? process.env['PATH'] ?? '').split(delimiter)) {
    if (directory === '') continue;
    try {
      await access(join(directory, program), constants.X_OK);
      return true;
    } catch {
      // Not in this directory: try the next one.
    }
  }
  return false;
}

/**
 * Renders an overlay with `kubectl kustomize` and fails, naming the overlay's file, when a new image
 * reference is absent: kustomize silently ignores an entry whose name matches no container.
 */
export async function verifyOverlay(
  runtime: Runtime,
  root: string,
  overlay: string,
  file: string,
  entries: readonly ImageEntry[],
): Promise<void> {
  const missing = missingReferences(entries, await renderOverlay(runtime, root, overlay, file));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `after the edit, ${overlay} renders no container with ${missing.join(', ')}: ` +
        'an images entry only applies when its name matches a container image of the overlay; check the name',
      { file },
    );
  }
}
