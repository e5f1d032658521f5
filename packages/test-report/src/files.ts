// Finding and reading the user's report files, never outside the workspace: globs with `..` or an
// absolute path elsewhere are refused, symbolic links to directories are not followed, and a matched
// file that is a link out of the workspace is an error. Sizes are bounded before anything is read.
import { ConfigurationError } from '@shiprail/core';
import { lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { WorkspaceFiles } from './locations.ts';

/** One report file may hold this much; a 20,000-case JUnit report is about 6 MiB. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** All report files together. */
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024;
export const MAX_FILES = 10_000;

/** Directories no report glob walks into unless it names them. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** A glob, checked and split into the directory to walk and the matcher. */
export interface ReportGlob {
  pattern: string;
  negated: boolean;
  /** Workspace-relative directory the walk starts in ('' for the root). */
  base: string;
  /** Undefined for a plain path (no glob characters). */
  matches: ((path: string) => boolean) | undefined;
}

/** Checks one line of a globs input; relative to the workspace, never leaving it. */
export function parseGlob(line: string, workspace: string, input: string): ReportGlob {
  const negated = line.startsWith('!');
  let pattern = (negated ? line.slice(1) : line).trim().replace(/\\/g, '/');
  if (isAbsolute(pattern)) {
    const inside = relative(workspace, pattern).split(sep).join('/');
    if (inside === '' || inside.startsWith('../') || inside === '..' || isAbsolute(inside)) {
      throw new ConfigurationError(`'${line}' is outside the workspace; give paths relative to it`, { input });
    }
    pattern = inside;
  }
  pattern = pattern.replace(/^(\.\/)+/, '');
  if (pattern.split('/').includes('..')) {
    throw new ConfigurationError(`'${line}' leaves the workspace ('..'); give paths relative to it`, { input });
  }
  if (pattern === '') throw new ConfigurationError(`'${line}' names no file`, { input });
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob) return { pattern, negated, base: pattern, matches: undefined };
  const matcher = picomatch(pattern, { dot: false });
  return { pattern, negated, base: scan.base, matches: (path) => matcher(path) };
}

/** The workspace's view for the location resolver: existing regular files that stay inside it. */
export function workspaceFiles(workspace: string): WorkspaceFiles {
  const root = realRoot(workspace);
  const cache = new Map<string, boolean>();
  return {
    root: workspace,
    exists: (path) => {
      const known = cache.get(path);
      if (known !== undefined) return known;
      const found = insideWorkspace(root, join(workspace, path)) === 'file';
      cache.set(path, found);
      return found;
    },
  };
}

function realRoot(workspace: string): string {
  try {
    return realpathSync(workspace);
  } catch {
    throw new ConfigurationError(`the workspace ${workspace} does not exist`);
  }
}

/** 'file' for a regular file whose real path is inside the workspace, 'outside' for a link out, else 'none'. */
function insideWorkspace(root: string, path: string): 'file' | 'outside' | 'none' {
  // Most candidates the location resolver asks about do not exist: answer those without an exception.
  if (lstatSync(path, { throwIfNoEntry: false }) === undefined) return 'none';
  try {
    const real = realpathSync(path);
    if (real !== root && !real.startsWith(root + sep)) return 'outside';
    return statSync(real).isFile() ? 'file' : 'none';
  } catch {
    return 'none';
  }
}

/**
 * The workspace-relative files the globs match, sorted: every positive glob must match a file, `!globs`
 * take files away.
 */
export function expandGlobs(lines: readonly string[], workspace: string, input: string): string[] {
  const root = realRoot(workspace);
  const globs = lines.map((line) => parseGlob(line, workspace, input));
  const selected = new Set<string>();
  for (const glob of globs.filter((entry) => !entry.negated)) {
    const found = matchGlob(glob, workspace);
    if (found.length === 0) throw new ConfigurationError(`no file matches '${glob.pattern}'`, { input });
    for (const file of found) selected.add(file);
  }
  for (const glob of globs.filter((entry) => entry.negated)) {
    const excluded = glob.matches ?? ((file: string): boolean => file === glob.pattern);
    for (const file of [...selected]) if (excluded(file)) selected.delete(file);
  }
  for (const file of selected) {
    if (insideWorkspace(root, join(workspace, file)) === 'outside') {
      throw new ConfigurationError(`'${file}' is a symbolic link out of the workspace`, { input });
    }
  }
  if (selected.size > MAX_FILES) {
    throw new ConfigurationError(`match ${selected.size} files; test-report reads at most ${MAX_FILES}`, { input });
  }
  return [...selected].sort();
}

function matchGlob(glob: ReportGlob, workspace: string): string[] {
  if (glob.matches === undefined) {
    const stat = lstatSafe(join(workspace, glob.pattern));
    return stat && (stat.isFile() || stat.isSymbolicLink()) ? [glob.pattern] : [];
  }
  const matches = glob.matches;
  const walkInto = (name: string): boolean => !SKIPPED_DIRECTORIES.has(name) || glob.pattern.includes(name);
  const found: string[] = [];
  const walk = (directory: string): void => {
    let entries;
    try {
      entries = readdirSync(join(workspace, directory), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      if (entry.isDirectory()) {
        if (walkInto(entry.name)) walk(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && matches(path)) {
        found.push(path);
      }
    }
  };
  walk(glob.base);
  return found;
}

function lstatSafe(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

const mebibytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Reads report files within the size bounds; each error names the file. */
export class BoundedReader {
  private total = 0;
  private readonly workspace: string;

  constructor(workspace: string) {
    this.workspace = workspace;
  }

  read(file: string): string {
    const path = join(this.workspace, file);
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES) {
      throw new ConfigurationError(
        `is ${mebibytes(size)}; test-report reads files up to ${mebibytes(MAX_FILE_BYTES)}`,
        {
          file,
        },
      );
    }
    this.total += size;
    if (this.total > MAX_TOTAL_BYTES) {
      throw new ConfigurationError(
        `brings the reports to over ${mebibytes(MAX_TOTAL_BYTES)}, the most test-report reads in one step`,
        { file },
      );
    }
    return readFileSync(path, 'utf8');
  }
}
