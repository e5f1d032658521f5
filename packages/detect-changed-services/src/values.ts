// Checks of the values a manifest hands on to other steps (directories, files, globs, resources, images):
// the manifest comes from the repository, which pull requests change, so nothing in it may point
// outside the repository or smuggle options into a command line.
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { errorMessage, parseWorkloadReference } from '@shiprail/core';
import { GLOB_OPTIONS } from './rules.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why `path` is not a path inside the repository (relative to its root), or undefined when it is. */
export function repositoryPathProblem(path: string): string | undefined {
  if (CONTROL.test(path)) return 'contains a control character';
  if (path.includes('\\')) return "contains '\\' (separate directories with '/')";
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    return 'is absolute; write it relative to the repository root';
  }
  if (path.startsWith('-')) return "starts with '-' (write ./" + path + ')';
  // Only a '..' segment can lead outside: the rest need not be normalized.
  if (!path.includes('..')) return undefined;
  const normal = posix.normalize(path);
  if (normal === '..' || normal.startsWith('../')) return 'leads outside the repository';
  return undefined;
}

/** Why `glob` cannot select files inside the repository, or undefined when it can. */
export function repositoryGlobProblem(glob: string): string | undefined {
  const problem = repositoryPathProblem(glob);
  if (problem !== undefined) return problem;
  if (glob.split('/').includes('..')) return "contains '..'; write it relative to the repository root";
  try {
    picomatch.makeRe(glob, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    return `cannot be compiled: ${errorMessage(error)}`;
  }
  return undefined;
}

/** Why `text` is not a `[namespace/]kind/name` rollout-wait can watch, or undefined. */
export function resourceProblem(text: string): string | undefined {
  const reference = parseWorkloadReference(text);
  return 'problem' in reference ? reference.problem : undefined;
}

// Registry host (with port), repository path, tag or digest: no spaces, options or control characters.
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

/** Why `image` is not an image name, or undefined. */
export function imageProblem(image: string): string | undefined {
  return IMAGE.test(image) ? undefined : 'is not an image name (letters, digits and . _ - / : @)';
}

/** The percentage `value` gives (a number or numeric string from 0 to 100), or the reason it is none. */
export function percentOf(value: unknown): { percent: number } | { problem: string } {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (typeof value === 'string' && value.trim() === '') return { problem: 'expected a percentage from 0 to 100' };
  if (!Number.isFinite(number) || number < 0 || number > 100) {
    return { problem: 'expected a percentage from 0 to 100' };
  }
  return { percent: number };
}
