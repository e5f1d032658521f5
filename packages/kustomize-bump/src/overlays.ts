// The overlays' kustomization files: found inside the repository, edited in memory, then written all or none.
import { ConfigurationError, escapeUntrusted } from '@shiprail/core';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { setHelmValuesImages } from './helm-values.ts';
import type { ImageEntry } from './image-args.ts';
import type { ImageTargets } from './image-targets.ts';
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
  /** For a file of Helm values: per change, what was checked and what will render. */
  helm?: string[];
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
  imageTargets: ImageTargets = new Map(),
): Promise<OverlayEdit[]> {
  const realRoot = realpathSync(root);
  const edits: OverlayEdit[] = [];
  for (const overlay of overlays) {
    if (isHelmValuesFile(realRoot, overlay)) {
      const edit = await editHelmValues(realRoot, overlay, images, imageTargets);
      if (edit !== undefined) edits.push(edit);
      continue;
    }
    const file = kustomizationOf(realRoot, overlay);
    const text = await readFile(join(realRoot, file), 'utf8');
    const { entries, targets } = await resolve(overlay, file, text);
    const edit = await setKustomizationImages(text, file, entries);
    if (edit.changes.length > 0) edits.push({ overlay, file, changes: edit.changes, text: edit.text, targets });
  }
  for (const edit of edits) await writeFile(join(realRoot, edit.file), edit.text);
  return edits;
}

/** A YAML file named where an overlay directory is expected: Helm values (a values file, Application, HelmRelease). */
function isHelmValuesFile(realRoot: string, overlay: string): boolean {
  const path = join(realRoot, overlay);
  return /\.ya?ml$/.test(overlay) && exists(path) && statSync(path).isFile();
}

async function editHelmValues(
  realRoot: string,
  overlay: string,
  images: ImageEntry[],
  imageTargets: ImageTargets,
): Promise<OverlayEdit | undefined> {
  const file = confined(realRoot, overlay);
  const text = await readFile(join(realRoot, file), 'utf8');
  const edit = setHelmValuesImages(text, file, images, imageTargets);
  if (edit.held === 0) {
    throw new ConfigurationError(
      `holds none of the images (${images.map((image) => image.name).join(', ')}) in Helm values: no key ` +
        'the service manifest declares (helm-values), nor a repository or image key ending in the image name',
      { file },
    );
  }
  if (edit.changes.length === 0) return undefined;
  const helm = edit.changes.map((change) => change.note);
  return { overlay, file, changes: edit.changes, text: edit.text, targets: [], helm };
}
