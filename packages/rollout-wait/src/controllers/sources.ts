// Which controller objects render the paths the GitOps commit touched: an Argo CD source (or a
// multi-source Application's `$ref` value file) or a Flux path in the same repository, at or above a
// touched path. Pure.
import type { Application, GitRepository, HelmRelease, Kustomization } from './objects.ts';
import { applicationSources } from './argocd.ts';

/**
 * A repository URL reduced to host/owner/name, lower case: https://, ssh://, scp-like `git@host:o/n`,
 * with or without `.git`. `owner/name` alone stays `owner/name` (matched as a suffix).
 */
export function repositoryKey(url: string): string {
  let key = url.trim().toLowerCase();
  key = key.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  key = key.replace(/^[^@/]+@/, '');
  key = key.replace(/^([^/:]+):(?!\d+\/)/, '$1/');
  key = key.replace(/^([^/:]+):\d+\//, '$1/');
  return key.replace(/\/+$/, '').replace(/\.git$/, '');
}

export function sameRepository(url: string, repository: string): boolean {
  const a = repositoryKey(url);
  const b = repositoryKey(repository);
  if (a === '' || b === '') return false;
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

/** `./deploy/overlays/prod/` -> `deploy/overlays/prod`; the root is ''. */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/** Whether a controller rendering `rendered` reads `touched`: the same directory, or one below it. */
export function renders(rendered: string, touched: string): boolean {
  const root = normalizePath(rendered);
  const path = normalizePath(touched);
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/** What an object reads from the repository: directories it renders, and single files (value files). */
export interface ReadPaths {
  directories: string[];
  files: string[];
}

/** Paths an Application reads from the repository: its git sources' paths and its `$ref/` value files. */
export function applicationPaths(app: Application, repository: string | undefined): ReadPaths {
  const sources = applicationSources(app);
  const inRepository = (url: string | undefined): boolean =>
    repository === undefined || sameRepository(url ?? '', repository);
  const directories = sources
    .filter((source) => source.chart === undefined && source.path !== undefined && inRepository(source.repoURL))
    .map((source) => source.path ?? '');
  const files: string[] = [];
  const refs = new Map(sources.filter((source) => source.ref !== undefined).map((source) => [source.ref, source]));
  for (const source of sources) {
    for (const file of source.helm?.valueFiles ?? []) {
      const match = /^\$([^/]+)\/(.*)$/.exec(file);
      const referenced = match ? refs.get(match[1]) : undefined;
      if (match && referenced && inRepository(referenced.repoURL)) files.push(match[2] ?? '');
    }
  }
  return { directories, files };
}

/** Whether a touched path is read: within a rendered directory, or a directory holding one (or a read file). */
export function touches(read: ReadPaths, touched: readonly string[]): boolean {
  return touched.some(
    (entry) =>
      read.directories.some((directory) => renders(directory, entry) || renders(entry, directory)) ||
      read.files.some((file) => renders(entry, file)),
  );
}

/** The GitRepository a Flux object's source reference names, if it is one and is known. */
export function gitRepositoryOf(
  reference: { kind?: string; name?: string; namespace?: string } | undefined,
  namespace: string,
  repositories: readonly GitRepository[],
): GitRepository | undefined {
  if (reference?.kind !== 'GitRepository') return undefined;
  const wanted = reference.namespace ?? namespace;
  return repositories.find(
    (candidate) => candidate.metadata?.name === reference.name && candidate.metadata?.namespace === wanted,
  );
}

export function kustomizationRenders(
  kustomization: Kustomization,
  repositories: readonly GitRepository[],
  repository: string | undefined,
  touched: readonly string[],
): boolean {
  const source = gitRepositoryOf(kustomization.spec?.sourceRef, kustomization.metadata?.namespace ?? '', repositories);
  if (source === undefined) return false;
  if (repository !== undefined && !sameRepository(source.spec?.url ?? '', repository)) return false;
  return touches({ directories: [kustomization.spec?.path ?? ''], files: [] }, touched);
}

export function helmReleaseRenders(
  release: HelmRelease,
  repositories: readonly GitRepository[],
  repository: string | undefined,
  touched: readonly string[],
): boolean {
  const chart = release.spec?.chart?.spec;
  const source = gitRepositoryOf(chart?.sourceRef, release.metadata?.namespace ?? '', repositories);
  if (source === undefined) return false;
  if (repository !== undefined && !sameRepository(source.spec?.url ?? '', repository)) return false;
  return touches({ directories: [chart?.chart ?? ''], files: [] }, touched);
}
