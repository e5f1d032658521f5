// The files trivy-gate reads and writes, kept inside the places the inputs allow.
import { ConfigurationError } from '@shiprail/core';
import { realpathSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

/** An input path, relative to the workspace unless absolute. */
export const resolveIn = (workspace: string, path: string): string => (isAbsolute(path) ? path : join(workspace, path));

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};

const MIB = 1024 * 1024;

/**
 * Reads a file an input names. A directory, a file that cannot be read, or one larger than `maxBytes`
 * is the user's mistake, named by the input; a missing file is undefined, for the caller to judge.
 */
export async function readInputFile(
  path: string,
  shown: string,
  input: string,
  maxBytes: number,
): Promise<string | undefined> {
  const stats = statOf(path);
  if (stats === undefined) return undefined;
  if (stats.isDirectory()) throw new ConfigurationError(`'${shown}' is a directory, not a file`, { input });
  if (stats.size > maxBytes) {
    throw new ConfigurationError(
      `'${shown}' is ${(stats.size / MIB).toFixed(1)} MiB; at most ${maxBytes / MIB} MiB is read`,
      { input },
    );
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigurationError(`'${shown}' cannot be read (${reason})`, { input });
  }
}

/** Whether `path` lies inside `directory` (both resolved through symbolic links as far as they exist). */
function isInside(directory: string, path: string): boolean {
  const inside = relative(realExisting(directory), realExisting(path));
  return inside === '' || (!inside.startsWith(`..${sep}`) && inside !== '..' && !isAbsolute(inside));
}

/** The real path of `path`, or of its nearest existing parent joined with the rest. */
function realExisting(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realExisting(parent), relative(parent, path));
  }
}

/**
 * Checks a path the action reads (an image layout or tarball to scan): it exists, inside the
 * workspace or the runner's temporary directory, links followed.
 */
export function checkReadablePath(path: string, shown: string, input: string, roots: readonly string[]): void {
  if (!roots.some((root) => isInside(root, path))) {
    throw new ConfigurationError(`'${shown}' is outside the workspace: the action reads only inside it`, { input });
  }
  if (statOf(path) === undefined) {
    throw new ConfigurationError(`'${shown}' does not exist: give an OCI image layout directory or an image tarball`, {
      input,
    });
  }
}

/**
 * Checks a path the action writes to: inside the workspace or the runner's temporary directory (links
 * followed), and, for a file, not a directory. Called before anything is written.
 */
export function checkWritablePath(
  path: string,
  shown: string,
  input: string,
  roots: readonly string[],
  kind: 'file' | 'directory',
): void {
  if (!roots.some((root) => isInside(root, path))) {
    throw new ConfigurationError(`'${shown}' is outside the workspace: the action writes only inside it`, { input });
  }
  if (kind === 'file' && statOf(path)?.isDirectory() === true) {
    throw new ConfigurationError(`'${shown}' is a directory; give the path of the file to write`, { input });
  }
}
