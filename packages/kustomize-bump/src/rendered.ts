// What an overlay renders: the containers and their images, read from `kubectl kustomize` before the edit
// (to write the entry kustomize will apply, whatever names the manifests use) and after it (to check it).
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import { splitImageReference } from '@shiprail/core/image-reference';
import { parseAllDocuments } from 'yaml';
import { describeImageEntry, KEEP, type ImageEntry } from './image-args.ts';
import { readKustomizationImages } from './kustomization-edit.ts';
import type { EntryResolver, OverlayEdit } from './overlays.ts';

/** One container of a rendered object. */
export interface RenderedContainer {
  /** `Deployment/frontend` (with `namespace/` in front when the object has one). */
  object: string;
  container: string;
  image: string;
}

/** How one argument lands in one overlay: the containers it replaces and the entry that does it. */
export interface RenderedTarget {
  /** The argument's image name, as given. */
  argument: string;
  /** The containers, with the images they rendered before the edit. */
  containers: RenderedContainer[];
  /** The entry written: its `name` is the name kustomize sees at that point of the overlay's entries. */
  entry: ImageEntry;
  /** Which entry decides the rendered image: an existing entry edited in place, or a new one. */
  decidedBy: string;
}

/** Renders an overlay with `kubectl kustomize`; a failure names the overlay's kustomization file. */
export async function renderOverlay(runtime: Runtime, root: string, overlay: string, file: string): Promise<string> {
  // After `--` and as `./…`: an overlay is a path, never a flag (`-h`, `--enable-helm`).
  const result = await runtime.exec('kubectl', ['kustomize', '--', `./${overlay}`], {
    cwd: root,
    silent: true,
    allowFailure: true,
  });
  if (result.exitCode !== 0) {
    const reason = escapeUntrusted(result.stderr.trim().split('\n').slice(-3).join(' '));
    throw new ConfigurationError(`kubectl kustomize ${overlay} failed: ${reason}`, { file });
  }
  return result.stdout;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** Every container of every rendered object, wherever its pod template sits (Pod, Deployment, CronJob, CRDs). */
export function renderedContainers(manifests: string): RenderedContainer[] {
  const found: RenderedContainer[] = [];
  for (const document of parseAllDocuments(manifests)) {
    if (!('contents' in document)) continue;
    const object: unknown = document.toJS();
    if (!isRecord(object)) continue;
    const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
    const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
    const id = `${namespace}${String(object['kind'])}/${String(metadata['name'])}`;
    collectContainers(object, id, found);
  }
  return found;
}

function collectContainers(value: unknown, object: string, found: RenderedContainer[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectContainers(item, object, found);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (CONTAINER_LISTS.includes(key) && Array.isArray(child)) {
      for (const container of child) {
        if (isRecord(container) && typeof container['image'] === 'string') {
          found.push({ object, container: String(container['name']), image: container['image'] });
        }
      }
    } else {
      collectContainers(child, object, found);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const nameOf = (image: string): string => splitImageReference(image).name;
const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/**
 * The containers an argument is for: those rendering its name (or its new name), else those whose image
 * ends in the same image name (`…/frontend`), or the container `container` names. Several different
 * image names are refused: which one is meant must be said.
 */
export function containersFor(
  argument: ImageEntry,
  containers: readonly RenderedContainer[],
  overlay: string,
  file: string,
  container?: string,
): RenderedContainer[] {
  if (container !== undefined) {
    const named = containers.filter((candidate) => candidate.container === container);
    if (named.length > 0) return named;
    throw new ConfigurationError(`${overlay} renders no container named ${container} for ${argument.name}`, { file });
  }
  const names = new Set([argument.name, argument.newName ?? argument.name]);
  const exact = containers.filter((candidate) => names.has(nameOf(candidate.image)));
  if (exact.length > 0) return exact;
  const suffix = lastSegment(argument.newName ?? argument.name);
  const bySuffix = containers.filter((candidate) => lastSegment(nameOf(candidate.image)) === suffix);
  const distinct = [...new Set(bySuffix.map((candidate) => nameOf(candidate.image)))];
  if (distinct.length === 1) return bySuffix;
  const listing = containers.map((candidate) => `${candidate.object} ${candidate.container}: ${candidate.image}`);
  const why =
    distinct.length === 0
      ? `no container image is ${argument.name} or ends in /${suffix}`
      : `several container images end in /${suffix} (${distinct.join(', ')})`;
  throw new ConfigurationError(
    `${overlay}: ${why}; it renders ${listing.length > 0 ? escapeUntrusted(listing.join('; ')) : 'no containers'}. ` +
      'Name the container in the service manifest (container:), or the image as the manifests write it (name=newName@digest)',
    { file },
  );
}

/**
 * The entry to write so that the rendered image becomes the argument's reference, given the overlay's
 * existing entries (in file order; kustomize applies them one after another) and the name the
 * containers render now. The last entry that yields that name decides it and is edited; with none, a
 * new entry named as rendered is added (no later entry can yield that name, so none undoes it).
 */
export function entryForRendered(
  argument: ImageEntry,
  renderedName: string,
  existing: readonly ImageEntry[],
): { entry: ImageEntry; decidedBy: string } {
  const target = argument.newName ?? argument.name;
  const deciding = [...existing].reverse().find((entry) => (entry.newName ?? entry.name) === renderedName);
  const name = deciding?.name ?? renderedName;
  const entry: ImageEntry = { name };
  if (target !== name) entry.newName = target;
  if (argument.newTag !== undefined) entry.newTag = argument.newTag;
  if (argument.digest !== undefined) entry.digest = argument.digest;
  const decidedBy =
    deciding === undefined
      ? `new entry name: ${name}`
      : `entry name: ${deciding.name}${deciding.newName === undefined ? '' : ` (newName: ${deciding.newName})`}`;
  return { entry, decidedBy };
}

/** Whether an argument keeps a field (`*`): then the file's entry is edited by name, as kustomize does. */
export const keepsAField = (argument: ImageEntry): boolean =>
  [argument.newName, argument.newTag, argument.digest].includes(KEEP);

/** The containers that do not render what their target's entry sets, after the edit (what verify fails on). */
export function unappliedTargets(
  targets: readonly RenderedTarget[],
  after: readonly RenderedContainer[],
): Array<{ target: RenderedTarget; container: RenderedContainer | undefined }> {
  const failures: Array<{ target: RenderedTarget; container: RenderedContainer | undefined }> = [];
  for (const target of targets) {
    const expected = describeImageEntry({ ...target.entry, name: target.entry.newName ?? target.entry.name });
    for (const before of target.containers) {
      const now = after.find((item) => item.object === before.object && item.container === before.container);
      if (now === undefined || !sameReference(now.image, before.image, target.entry, expected)) {
        failures.push({ target, container: now });
      }
    }
  }
  return failures;
}

/** kustomize keeps the tag when only a name is set: compare what the entry sets, as kustomize applies it. */
function sameReference(now: string, before: string, entry: ImageEntry, expected: string): boolean {
  if (entry.newTag !== undefined || entry.digest !== undefined) return now === expected;
  const old = splitImageReference(before);
  const tag = old.tag === '' ? '' : `:${old.tag}`;
  const digest = old.digest === '' ? '' : `@${old.digest}`;
  return now === `${entry.newName ?? entry.name}${tag}${digest}`;
}

/**
 * Decides each overlay's entries from what it renders before the edit: arguments that keep a field
 * (`*`) are written by name as given; every other one edits or adds the entry that decides its containers.
 */
export function renderedResolver(runtime: Runtime, root: string, images: readonly ImageEntry[]): EntryResolver {
  return async (overlay, file, text) => {
    // The file is read first: a YAML mistake is named by its line, not by kubectl's message.
    const existing = await readKustomizationImages(text, file);
    const rendered = renderedContainers(await renderOverlay(runtime, root, overlay, file));
    const entries = new Map<string, ImageEntry>();
    const targets: RenderedTarget[] = [];
    for (const argument of images) {
      if (keepsAField(argument)) {
        entries.set(argument.name, argument);
        continue;
      }
      const containers = containersFor(argument, rendered, overlay, file);
      for (const renderedName of new Set(containers.map((container) => nameOf(container.image)))) {
        const { entry, decidedBy } = entryForRendered(argument, renderedName, existing);
        entries.set(entry.name, entry);
        const mine = containers.filter((container) => nameOf(container.image) === renderedName);
        targets.push({ argument: argument.name, containers: mine, entry, decidedBy });
      }
    }
    return { entries: [...entries.values()], targets };
  };
}

/**
 * Renders the edited overlay and fails, naming the file and the entry that decides, when a container the
 * edit was for does not render the new reference (kustomize silently ignores an entry matching nothing).
 */
export async function verifyRendered(runtime: Runtime, root: string, edit: OverlayEdit): Promise<void> {
  const after = renderedContainers(await renderOverlay(runtime, root, edit.overlay, edit.file));
  const failures = unappliedTargets(edit.targets, after).map(({ target, container }) => {
    const expected = describeImageEntry({ ...target.entry, name: target.entry.newName ?? target.entry.name });
    const what = container === undefined ? 'is gone' : `renders ${container.image}`;
    const which = target.containers.map((item) => `${item.object} ${item.container}`).join(', ');
    return `${which} ${what}, not ${expected} (decided by the ${target.decidedBy})`;
  });
  if (failures.length > 0) {
    throw new ConfigurationError(
      `after the edit, ${edit.overlay}: ${escapeUntrusted(failures.join('; '))}: ` +
        'an entry later in images:, or one in a component, renames the image again',
      { file: edit.file },
    );
  }
}
