// The `images` input: each argument in kustomize's forms, parsed into the images entry it asks for.
import { ConfigurationError } from '@shiprail/core';
import { splitImageReference } from '@shiprail/core/image-reference';

/** One `images:` entry of a kustomization, as kustomize models it (empty fields are left out). */
export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** The fields kustomize writes for an entry, in the order its writer emits them (sorted keys). */
export const IMAGE_FIELDS = ['digest', 'name', 'newName', 'newTag'] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];

/** `*` in an argument keeps the value the kustomization already has for that field. */
export const KEEP = '*';

export const ACCEPTED_FORMS = [
  '<image>=<newimage>:<newtag>@<digest>',
  '<image>=<newimage>:<newtag>',
  '<image>=<newimage>@<digest>',
  '<image>=<newimage>',
  '<image>:<newtag>@<digest>',
  '<image>:<newtag>',
  '<image>@<digest>',
];

/**
 * Parses one `kustomize edit set image` argument into the entry it asks for (fields may still be `*`).
 * Accepts what kustomize accepts; stricter only where kustomize would write an entry that can never
 * match a container: an empty name, or whitespace.
 */
export function parseImageArgument(argument: string, input = 'images'): ImageEntry {
  const reject = (why: string): ConfigurationError =>
    new ConfigurationError(`'${argument}' ${why}; use one of: ${ACCEPTED_FORMS.join(', ')}`, { input });
  if (/\s/.test(argument)) throw reject('contains whitespace');
  const separator = argument.indexOf('=');
  const key = separator >= 0 ? argument.slice(0, separator) : '';
  const value = separator >= 0 ? argument.slice(separator + 1) : argument;
  if (separator === 0) throw reject('has no image name before =');
  const { name, tag, digest } = splitImageReference(value);
  // Without `=`, a tag or a digest is what is being set: a bare name sets nothing (kustomize's rule).
  if (name === argument) throw reject('sets neither a new name, a tag nor a digest');
  const entry: ImageEntry = key === '' ? { name } : { name: key, newName: name };
  if (entry.name === '') throw reject('has no image name');
  if (entry.newName === '') delete entry.newName;
  if (tag !== '') entry.newTag = tag;
  if (digest !== '') entry.digest = digest;
  return entry;
}

/** An argument as the user wrote it, with the entry it asks for. */
export interface ImageArgument extends ImageEntry {
  argument: string;
}

/** Parses the `images` input: later arguments for the same name win, as in kustomize. */
export function parseImageArguments(lines: readonly string[], input = 'images'): ImageArgument[] {
  const byName = new Map<string, ImageArgument>();
  for (const line of lines) {
    const entry = parseImageArgument(line, input);
    byName.delete(entry.name);
    byName.set(entry.name, { ...entry, argument: line });
  }
  return [...byName.values()];
}

/**
 * The entry kustomize writes for `argument` when the file holds `existing` for the same name: the
 * argument replaces the entry; a `*` field takes the existing value (or is left out when there is none).
 */
export function resolveImageEntry(argument: ImageEntry, existing: ImageEntry | undefined): ImageEntry {
  const resolved: ImageEntry = { name: argument.name };
  for (const field of ['newName', 'newTag', 'digest'] as const) {
    const value = argument[field] === KEEP ? existing?.[field] : argument[field];
    if (value !== undefined && value !== '') resolved[field] = value;
  }
  return resolved;
}

export function sameImageEntry(left: ImageEntry | undefined, right: ImageEntry): boolean {
  if (left === undefined) return false;
  return IMAGE_FIELDS.every((field) => (left[field] ?? '') === (right[field] ?? ''));
}

/** What the entry makes of a container image: `newName:newTag@digest`, with `name` where no new name. */
export function describeImageEntry(entry: ImageEntry): string {
  const tag = entry.newTag === undefined ? '' : `:${entry.newTag}`;
  const digest = entry.digest === undefined ? '' : `@${entry.digest}`;
  return `${entry.newName ?? entry.name}${tag}${digest}`;
}
