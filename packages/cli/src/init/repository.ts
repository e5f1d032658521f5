// The repository as init reads it: every file listed once, read on demand, and every path a file names
// checked to stay inside the repository. The file system is behind RepositoryFiles, so decisions can be
// tested from in-memory tables.
import { posix } from 'node:path';
import { ConfigurationError, type MistakeLocation } from '@shiprail/core';

export interface RepositoryFiles {
  /** Every file below the root: '/'-separated paths relative to it, sorted. */
  readonly files: readonly string[];
  /** The text of a listed file, or undefined when it is not there. */
  read(path: string): string | undefined;
}

/** A value init derived, with where it was read (`skaffold.yaml:31`). */
export interface Sourced<T> {
  value: T;
  source: string;
}

export const sourced = <T>(value: T, source: string): Sourced<T> => ({ value, source });

/** `file:line`, or the file alone. */
export const at = (file: string, line: number | undefined): string => (line === undefined ? file : `${file}:${line}`);

/** The folder of a repository path ('.' at the root). */
export const folderOf = (path: string): string => {
  const folder = posix.dirname(path);
  return folder === '' ? '.' : folder;
};

/** `folder/name`, or `name` at the root. */
export const joinPath = (folder: string, name: string): string =>
  folder === '.' || folder === '' ? name : `${folder}/${name}`;

/** True when `path` is `folder` or below it. */
export const isWithin = (path: string, folder: string): boolean =>
  folder === '.' || path === folder || path.startsWith(`${folder}/`);

/**
 * `relative` (as a file wrote it, relative to `base`) as a repository path, or a ConfigurationError at
 * `where` when it leads outside the repository or is absolute.
 */
export function resolveInside(base: string, relative: string, where: MistakeLocation): string {
  if (relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative)) {
    throw new ConfigurationError(`'${relative}' is an absolute path: write it relative to the repository`, where);
  }
  const joined = posix.normalize(posix.join(base === '.' ? '' : base, relative.replace(/\\/g, '/')));
  if (joined === '..' || joined.startsWith('../')) {
    throw new ConfigurationError(`'${relative}' leads outside the repository`, where);
  }
  const trimmed = joined.replace(/\/+$/, '');
  return trimmed === '' || trimmed === '.' ? '.' : trimmed.replace(/^\.\//, '');
}

/** Files held in memory: the tests' repositories, and what a plan would write. */
export class MemoryFiles implements RepositoryFiles {
  readonly files: readonly string[];
  private readonly contents: ReadonlyMap<string, string>;

  constructor(contents: Record<string, string>) {
    this.contents = new Map(Object.entries(contents));
    this.files = [...this.contents.keys()].sort();
  }

  read(path: string): string | undefined {
    return this.contents.get(path);
  }
}

/**
 * The files below `folder` (`.` for all), from the sorted list: they lie together from the first path not
 * before `folder/`, found by bisection, so each service's look-up costs its own files, not the repository's.
 */
export function filesWithin(files: readonly string[], folder: string): string[] {
  if (folder === '.') return [...files];
  const prefix = `${folder}/`;
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((files[middle] ?? '') < prefix) low = middle + 1;
    else high = middle;
  }
  const within: string[] = [];
  for (let index = low; index < files.length && (files[index] ?? '').startsWith(prefix); index += 1) {
    within.push(files[index] ?? '');
  }
  return within;
}
