// The repository on disk: listed once (skipping what no build reads), symlinks checked to stay inside.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ConfigurationError } from '@shiprail/core';
import type { RepositoryFiles } from './repository.ts';

/** Folders no image build or manifest lives in: version control, dependencies, caches. */
const SKIPPED = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.gradle', '.idea', '.terraform']);
/** Files larger than this are not read (generated bundles, data): init reads build and deployment files. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

export class DiskFiles implements RepositoryFiles {
  readonly files: readonly string[];
  private readonly root: string;
  private readonly realRoot: string;

  constructor(root: string) {
    this.root = root;
    this.realRoot = realpathSync(root);
    const files: string[] = [];
    this.walk('', files);
    this.files = files.sort();
  }

  read(path: string): string | undefined {
    const absolute = join(this.root, path);
    try {
      if (statSync(absolute).size > MAX_READ_BYTES) return undefined;
      return readFileSync(absolute, 'utf8');
    } catch {
      return undefined;
    }
  }

  private walk(folder: string, files: string[]): void {
    const entries = readdirSync(join(this.root, folder), { withFileTypes: true });
    for (const entry of entries) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        if (this.insideSymlink(path) === 'file') files.push(path);
      } else if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) this.walk(path, files);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  }

  /** A symlink's kind when it stays inside the repository; a ConfigurationError when it leaves it. */
  private insideSymlink(path: string): 'file' | 'folder' | 'dangling' {
    let target: string;
    try {
      target = realpathSync(join(this.root, path));
    } catch {
      return 'dangling';
    }
    const inside = relative(this.realRoot, target);
    if (inside === '..' || inside.startsWith(`..${sep}`) || inside.startsWith(sep)) {
      throw new ConfigurationError(`symlink points outside the repository (to ${target})`, { file: path });
    }
    // A linked folder is read where it really is, once.
    return lstatSync(target).isDirectory() ? 'folder' : 'file';
  }
}
