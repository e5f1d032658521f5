// What services share: the folders and files each build reads outside its own folder (Dockerfile COPY,
// Go replace directives and module paths, npm/pnpm/yarn workspaces, Maven and Gradle modules, shared
// proto folders), turned into `dependsOn` on libraries and other services, and extra `paths`.
import { posix } from 'node:path';
import {
  at,
  filesWithin,
  folderOf,
  isWithin,
  joinPath,
  sourced,
  type RepositoryFiles,
  type Sourced,
} from './repository.ts';
import type { FoundService } from './service.ts';

export interface Library {
  name: string;
  path: Sourced<string>;
}

export interface ServiceDependencies {
  dependsOn: Array<Sourced<string>>;
  /** Files outside the service's folder its build reads (a root go.mod, the Dockerfile). */
  paths: Array<Sourced<string>>;
}

export interface DependencyResult {
  libraries: Library[];
  byService: Map<string, ServiceDependencies>;
}

/** The first file named `name` in `folder` or below it (the nearest to the folder). */
function nearest(files: RepositoryFiles, folder: string, name: string): string | undefined {
  return filesWithin(files.files, folder)
    .filter((file) => posix.basename(file) === name)
    .sort((a, b) => a.split('/').length - b.split('/').length)[0];
}

const lineAt = (content: string, index: number): number => content.slice(0, index).split('\n').length;

/** Go: `replace a => ../lib` targets, and required modules that another go.mod in the repository declares. */
function goReads(
  files: RepositoryFiles,
  service: FoundService,
  modules: ReadonlyMap<string, string>,
): Array<Sourced<string>> {
  const goMod = nearest(files, service.path.value, 'go.mod');
  const content = goMod === undefined ? undefined : files.read(goMod);
  if (goMod === undefined || content === undefined) return [];
  const reads: Array<Sourced<string>> = [];
  for (const match of content.matchAll(/=>\s*(\.{1,2}\/[^\s]*)/g)) {
    const target = posix.normalize(joinPath(folderOf(goMod), match[1] ?? '.'));
    if (!target.startsWith('..'))
      reads.push(sourced(target.replace(/\/$/, ''), at(goMod, lineAt(content, match.index))));
  }
  // Required modules (`require x v1` or a line of a `require (...)` block) that the repository declares.
  for (const match of content.matchAll(/^(?:[ \t]*require)?[ \t]+(\S+)[ \t]+v\S*/gm)) {
    const folder = modules.get(match[1] ?? '');
    if (folder !== undefined && folder !== folderOf(goMod))
      reads.push(sourced(folder, at(goMod, lineAt(content, match.index + 1))));
  }
  return reads;
}

/** Every go.mod's module path and folder. */
function goModules(files: RepositoryFiles): Map<string, string> {
  const modules = new Map<string, string>();
  for (const file of files.files.filter((path) => posix.basename(path) === 'go.mod')) {
    const module = /^module\s+(\S+)/m.exec(files.read(file) ?? '')?.[1];
    if (module !== undefined) modules.set(module, folderOf(file));
  }
  return modules;
}

/** npm/pnpm/yarn workspace packages by name: from package.json `workspaces` and pnpm-workspace.yaml. */
function workspacePackages(files: RepositoryFiles): Map<string, string> {
  const packages = new Map<string, string>();
  for (const file of files.files.filter((path) => posix.basename(path) === 'package.json')) {
    try {
      const manifest = JSON.parse(files.read(file) ?? '') as { name?: unknown };
      if (typeof manifest.name === 'string') packages.set(manifest.name, folderOf(file));
    } catch {
      // not JSON: not a package init can name
    }
  }
  return packages;
}

function npmReads(
  files: RepositoryFiles,
  service: FoundService,
  packages: ReadonlyMap<string, string>,
): Array<Sourced<string>> {
  const packageJson = nearest(files, service.path.value, 'package.json');
  const content = packageJson === undefined ? undefined : files.read(packageJson);
  if (packageJson === undefined || content === undefined) return [];
  const reads: Array<Sourced<string>> = [];
  for (const [name, folder] of packages) {
    if (folder === folderOf(packageJson)) continue;
    const index = content.indexOf(`"${name}"`);
    if (index >= 0 && /^"[^"]+"\s*:\s*"(workspace:|file:|link:|\*|\^|~|\d)/.test(content.slice(index))) {
      reads.push(sourced(folder, at(packageJson, lineAt(content, index))));
    }
  }
  for (const match of content.matchAll(/"(?:file|link):(\.{1,2}\/[^"]*)"/g)) {
    const target = posix.normalize(joinPath(folderOf(packageJson), match[1] ?? '.'));
    if (!target.startsWith('..')) reads.push(sourced(target, at(packageJson, lineAt(content, match.index))));
  }
  return reads;
}

/** Maven artifactIds and Gradle project paths of the repository's modules. */
function jvmModules(files: RepositoryFiles): Map<string, string> {
  const modules = new Map<string, string>();
  for (const file of files.files.filter((path) => posix.basename(path) === 'pom.xml')) {
    const content = (files.read(file) ?? '')
      .replace(/<parent>[\s\S]*?<\/parent>/, '')
      .replace(/<dependencies>[\s\S]*<\/dependencies>/, '');
    const artifactId = /<artifactId>([^<]+)<\/artifactId>/.exec(content)?.[1];
    if (artifactId !== undefined) modules.set(`maven:${artifactId.trim()}`, folderOf(file));
  }
  return modules;
}

function jvmReads(
  files: RepositoryFiles,
  service: FoundService,
  modules: ReadonlyMap<string, string>,
): Array<Sourced<string>> {
  const reads: Array<Sourced<string>> = [];
  const pom = nearest(files, service.path.value, 'pom.xml');
  const pomContent = pom === undefined ? undefined : files.read(pom);
  if (pom !== undefined && pomContent !== undefined) {
    const dependencies = /<dependencies>([\s\S]*)<\/dependencies>/.exec(pomContent);
    const offset = dependencies?.index ?? 0;
    for (const match of (dependencies?.[1] ?? '').matchAll(/<artifactId>([^<]+)<\/artifactId>/g)) {
      const folder = modules.get(`maven:${(match[1] ?? '').trim()}`);
      if (folder !== undefined && folder !== folderOf(pom))
        reads.push(sourced(folder, at(pom, lineAt(pomContent, offset + match.index))));
    }
  }
  const gradle =
    nearest(files, service.path.value, 'build.gradle') ?? nearest(files, service.path.value, 'build.gradle.kts');
  const gradleContent = gradle === undefined ? undefined : files.read(gradle);
  if (gradle !== undefined && gradleContent !== undefined) {
    const settings = files.files.find(
      (file) => /(^|\/)settings\.gradle(\.kts)?$/.test(file) && isWithin(gradle, folderOf(file)),
    );
    const root = settings === undefined ? '.' : folderOf(settings);
    for (const match of gradleContent.matchAll(/project\(\s*(?:path\s*[:=]\s*)?["']:([\w:.-]+)["']\s*\)/g)) {
      const folder = joinPath(root, (match[1] ?? '').replace(/:/g, '/'));
      if (folder !== folderOf(gradle)) reads.push(sourced(folder, at(gradle, lineAt(gradleContent, match.index))));
    }
  }
  return reads;
}

const PROTO_FOLDER = /^(protos?|pb|proto-?defs|idl)$/i;
const BUILD_FILE =
  /(^|\/)(Dockerfile[^/]*|Makefile|[^/]+\.(sh|csproj|fsproj|mk)|build\.gradle(\.kts)?|pom\.xml|package\.json|buf(\.gen)?\.ya?ml|go\.mod|genproto[^/]*|tox\.ini|setup\.py|pyproject\.toml)$/;

/** Shared proto folders a service's build files name by a relative path (`../../protos`, `pb/`). */
function protoReads(
  files: RepositoryFiles,
  service: FoundService,
  protoFolders: readonly string[],
): Array<Sourced<string>> {
  const outside = protoFolders.filter((folder) => !isWithin(folder, service.path.value));
  if (outside.length === 0) return [];
  const reads: Array<Sourced<string>> = [];
  for (const file of filesWithin(files.files, service.path.value).filter((path) => BUILD_FILE.test(path))) {
    const content = files.read(file);
    if (content === undefined) continue;
    for (const match of content.matchAll(/(?:\.\.\/)+[\w./-]*/g)) {
      const target = posix.normalize(joinPath(folderOf(file), match[0]));
      const folder = outside.find(
        (proto) =>
          isWithin(target, proto) ||
          (isWithin(proto, target.replace(/\/$/, '')) &&
            target !== '.' &&
            posix.basename(target.replace(/\/$/, '')) === posix.basename(proto)),
      );
      if (folder !== undefined) reads.push(sourced(folder, at(file, lineAt(content, match.index))));
    }
  }
  return reads;
}

function sharedProtoFolders(files: RepositoryFiles): string[] {
  const folders = new Set<string>();
  for (const file of files.files.filter((path) => path.endsWith('.proto'))) {
    const parts = folderOf(file).split('/');
    const index = parts.findIndex((part) => PROTO_FOLDER.test(part));
    if (index >= 0) folders.add(parts.slice(0, index + 1).join('/'));
  }
  return [...folders];
}

/**
 * Each service's reads outside its folder, classified: inside another service's folder, a dependency on
 * it; a file, a path of its own; a folder that holds no service, a library; a folder holding services,
 * a path (the build really reads all of it).
 */
export function findDependencies(files: RepositoryFiles, services: readonly FoundService[]): DependencyResult {
  const modules = goModules(files);
  const packages = workspacePackages(files);
  const jvm = jvmModules(files);
  const protos = sharedProtoFolders(files);
  const libraries = new Map<string, Library>();
  const byService = new Map<string, ServiceDependencies>();
  const byImage = new Map(services.map((service) => [service.image.value, service]));
  const isFile = (path: string): boolean =>
    files.read(path) !== undefined && filesWithin(files.files, path).length === 0;
  for (const service of services) {
    const reads = [
      ...service.reads,
      ...goReads(files, service, modules),
      ...npmReads(files, service, packages),
      ...jvmReads(files, service, jvm),
      ...protoReads(files, service, protos),
    ].filter(
      (read) =>
        read.value !== '.' && !isWithin(read.value, service.path.value) && !isWithin(service.path.value, read.value),
    );
    const dependsOn: Array<Sourced<string>> = service.requiresImages.flatMap((image) => {
      const other = byImage.get(image.value);
      return other === undefined ? [] : [sourced(other.name, image.source)];
    });
    const paths: Array<Sourced<string>> = [];
    for (const read of reads) {
      const owner = services.find((other) => other !== service && isWithin(read.value, other.path.value));
      if (owner !== undefined) dependsOn.push(sourced(owner.name, read.source));
      else if (isFile(read.value)) paths.push(read);
      else if (services.some((other) => other !== service && isWithin(other.path.value, read.value)))
        paths.push(sourced(`${read.value}/**`, read.source));
      else dependsOn.push(sourced(libraryFor(libraries, read, services).name, read.source));
    }
    byService.set(service.name, { dependsOn: unique(dependsOn), paths: unique(paths) });
  }
  return { libraries: [...libraries.values()].sort((a, b) => a.name.localeCompare(b.name)), byService };
}

/** The library of a folder: one per folder, named after it (with its parent when the name is taken). */
function libraryFor(
  libraries: Map<string, Library>,
  read: Sourced<string>,
  services: readonly FoundService[],
): Library {
  const known = [...libraries.values()].find((library) => library.path.value === read.value);
  if (known !== undefined) return known;
  const taken = (name: string): boolean => libraries.has(name) || services.some((service) => service.name === name);
  const base =
    posix
      .basename(read.value)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'shared';
  let name = base;
  if (taken(name))
    name = `${posix.basename(folderOf(read.value)).replace(/[^A-Za-z0-9._-]+/g, '-')}-${base}`.replace(
      /^[^A-Za-z0-9]+/,
      '',
    );
  for (let suffix = 2; taken(name); suffix += 1) name = `${base}-${suffix}`;
  const library = { name, path: read };
  libraries.set(name, library);
  return library;
}

function unique(values: Array<Sourced<string>>): Array<Sourced<string>> {
  const seen = new Map<string, Sourced<string>>();
  for (const value of values) if (!seen.has(value.value)) seen.set(value.value, value);
  return [...seen.values()];
}
