// A service as init finds it: the image a repository builds, how, from where, and where each value was read.
import { posix } from 'node:path';
import { readDockerfile } from './dockerfile.ts';
import { at, folderOf, isWithin, resolveInside, sourced, type RepositoryFiles, type Sourced } from './repository.ts';

export type Builder = 'docker' | 'jib' | 'ko' | 'buildpacks' | 'custom' | 'bazel';

export interface FoundService {
  name: string;
  /** The image as the build names it, without tag (`cartservice`, `gcr.io/acme/cart`). */
  image: Sourced<string>;
  builder: Sourced<Builder>;
  /** The folder the code lives in. */
  path: Sourced<string>;
  context: Sourced<string>;
  /** Absent for builders without a Dockerfile. */
  dockerfile?: Sourced<string>;
  /** A non-Docker builder's own command, when the build declares one (skaffold's custom buildCommand). */
  buildCommand?: Sourced<string>;
  test?: Sourced<string>;
  /** Files and folders outside `path` the build or tests read, as repository paths. */
  reads: Array<Sourced<string>>;
  /** Images (as the build names them) this one is built from. */
  requiresImages: Array<Sourced<string>>;
}

/** Folder names that hold a service's build files rather than name it: the service is their parent. */
const GENERIC_FOLDERS = new Set([
  'src',
  'docker',
  'build',
  'deploy',
  'container',
  'containers',
  '.docker',
  'dockerfiles',
]);

/** A service name from an image or folder: its last segment, as detect-changed-services accepts names. */
export function serviceName(text: string): string {
  const last =
    text
      .replace(/[:@].*$/, '')
      .split('/')
      .filter(Boolean)
      .pop() ?? text;
  const cleaned = last.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned === '' ? 'app' : cleaned;
}

/** An image reference without its tag or digest. */
export function imageName(reference: string): string {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** `a/b/src` -> `a/b`: the service folder above generic build-file folders. */
function withoutGenericFolders(folder: string): string {
  let current = folder;
  while (current !== '.' && GENERIC_FOLDERS.has(posix.basename(current)) && folderOf(current) !== '.') {
    current = folderOf(current);
  }
  return current;
}

/** The deepest folder all `paths` lie in. */
export function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '.';
  let common = (paths[0] ?? '.').split('/');
  for (const path of paths.slice(1)) {
    const parts = path.split('/');
    let index = 0;
    while (index < common.length && common[index] === parts[index]) index += 1;
    common = common.slice(0, index);
  }
  return common.length === 0 ? '.' : common.join('/');
}

/** A COPY source as the repository path it reads (globs cut at their first wildcard folder). */
function copiedPath(context: string, source: string, where: { file: string; line: number }): string {
  const literal = source.split('/').filter((part) => !/[*?[]/.test(part));
  const cut = source.split('/').findIndex((part) => /[*?[]/.test(part));
  const kept = cut < 0 ? source : literal.slice(0, cut).join('/') || '.';
  return resolveInside(context, kept, where);
}

export interface BuildReads {
  /** Where the code lives. */
  path: Sourced<string>;
  /** What the Dockerfile copies from outside `path`, and the Dockerfile itself when it lies outside. */
  reads: Array<Sourced<string>>;
}

/**
 * Where a service's code lives and what its build reads outside that folder, from its context and
 * Dockerfile: a context of `.` with `src/cart/src/Dockerfile` is the service `src/cart`.
 */
export function buildReads(
  files: RepositoryFiles,
  context: Sourced<string>,
  dockerfile: Sourced<string> | undefined,
): BuildReads {
  const text = dockerfile === undefined ? undefined : files.read(dockerfile.value);
  const copies = text === undefined ? [] : readDockerfile(text).copies;
  const copied = copies.flatMap((copy) =>
    copy.sources.map((source) =>
      sourced(
        copiedPath(context.value, source, { file: dockerfile?.value ?? '', line: copy.line }),
        at(dockerfile?.value ?? '', copy.line),
      ),
    ),
  );
  let path: Sourced<string> = context;
  const dockerfileFolder = dockerfile === undefined ? undefined : folderOf(dockerfile.value);
  if (
    dockerfileFolder !== undefined &&
    dockerfile !== undefined &&
    dockerfileFolder !== context.value &&
    isWithin(dockerfileFolder, context.value)
  ) {
    path = sourced(dockerfileFolder, dockerfile.source);
  } else if (context.value === '.') {
    const folders = copied.map((read) => read.value).filter((value) => value !== '.' && value.includes('/'));
    const common = commonFolder(folders);
    if (common !== '.' && folders.length > 0) path = sourced(common, copied[0]?.source ?? context.source);
  }
  path = sourced(withoutGenericFolders(path.value), path.source);
  const reads = copied.filter((read) => read.value !== '.' && !isWithin(read.value, path.value));
  if (dockerfile !== undefined && !isWithin(dockerfile.value, path.value)) reads.push(dockerfile);
  if (
    context.value !== '.' &&
    !isWithin(context.value, path.value) &&
    copied.some((read) => read.value === context.value)
  ) {
    reads.push(context);
  }
  return { path, reads: uniqueReads(reads) };
}

function uniqueReads(reads: Array<Sourced<string>>): Array<Sourced<string>> {
  const seen = new Map<string, Sourced<string>>();
  for (const read of reads) if (!seen.has(read.value)) seen.set(read.value, read);
  return [...seen.values()];
}
