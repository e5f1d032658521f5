// The overlays' kustomization files: found inside the repository, edited in memory, then written all or none.
import { ConfigurationError, escapeUntrusted } from '@shiprail/core';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { ImageEntry } from './image-args.ts';
import { setKustomizationImages, type ImageChange } from './kustomization-edit.ts';
import type { RenderedTarget } from './rendered.ts';

/** The names kustomize looks for in a directory, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface OverlayEdit {
  overlay: string;
  /** The kustomization file, relative to the repository root (where a link inside it points). */
  file: string;
  changes: ImageChange[];
  text: string;
  /** What the overlay rendered before the edit, per argument (empty when it was not rendered). */
  targets: RenderedTarget[];
}

/** The entries to write into one overlay, decided from its file (and, when it is rendered, its output). */
export type EntryResolver = (
  overlay: string,
  file: string,
  text: string,
) => Promise<{ entries: ImageEntry[]; targets: RenderedTarget[] }>;

/** Without rendering: the arguments are the entries, matched by name as `kustomize edit set image` does. */
const asWritten =
  (images: ImageEntry[]): EntryResolver =>
  () =>
    Promise.resolve({ entries: images, targets: [] });

/** `path` (absolute) relative to `root` with `/` separators, or undefined when it lies outside. */
export function pathInside(root: string, path: string): string | undefined {
  const inside = relative(root, path);
  if (inside === '') return '.';
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
  return inside.split(sep).join('/');
}

const exists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * Where `path` (relative to the root) really is, following links, relative to the root's real path.
 * A link that leads out of the repository is refused, naming the path: the repository's content is
 * written by others, and nothing outside the clone may be read or written through it.
 */
function confined(realRoot: string, path: string): string {
  let real: string;
  try {
    real = realpathSync(join(realRoot, path));
  } catch {
    throw new ConfigurationError(`'${escapeUntrusted(path)}' is a symbolic link to nothing`, { input: 'overlays' });
  }
  const target = pathInside(realRoot, real);
  if (target === undefined) {
    throw new ConfigurationError(
      `'${escapeUntrusted(path)}' is a symbolic link (or lies under one) that leads out of the repository: ` +
        'only files inside the repository are read or written',
      { input: 'overlays' },
    );
  }
  return target;
}

/** The kustomization file of an overlay, as a path inside the repository with every link resolved. */
export function kustomizationOf(realRoot: string, overlay: string): string {
  const directory = join(realRoot, overlay);
  if (!exists(directory) || !statSync(directory).isDirectory()) {
    throw new ConfigurationError(`'${overlay}' is not a directory of the repository`, { input: 'overlays' });
  }
  confined(realRoot, overlay);
  const name = KUSTOMIZATION_FILES.find((candidate) => exists(join(directory, candidate)));
  if (name === undefined) {
    throw new ConfigurationError(`'${overlay}' has no kustomization.yaml (nor kustomization.yml, Kustomization)`, {
      input: 'overlays',
    });
  }
  return confined(realRoot, overlay === '.' ? name : `${overlay}/${name}`);
}

/** Reads and edits every overlay in memory first, then writes: one bad file means nothing is written. */
export async function editOverlays(
  root: string,
  overlays: readonly string[],
  images: ImageEntry[],
  resolve: EntryResolver = asWritten(images),
): Promise<OverlayEdit[]> {
  const realRoot = realpathSync(root);
  const edits: OverlayEdit[] = [];
  for (const overlay of overlays) {
    const file = kustomizationOf(realRoot, overlay);
    const text = await readFile(join(realRoot, file), 'utf8');
    const { entries, targets } = await resolve(overlay, file, text);
    const edit = await setKustomizationImages(text, file, entries);
    if (edit.changes.length > 0) edits.push({ overlay, file, changes: edit.changes, text: edit.text, targets });
  }
  for (const edit of edits) await writeFile(join(realRoot, edit.file), edit.text);
  return edits;
}
