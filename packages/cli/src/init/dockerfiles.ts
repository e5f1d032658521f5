// Services from Dockerfiles and Containerfiles found at any depth, when no skaffold or compose file names
// them. A Dockerfile that only serves code generation, tests or debugging is not a service: init reads
// its name, its folder, what it is built from and runs, and which scripts use it.
import { posix } from 'node:path';
import { DOCKERFILE_NAME, readDockerfile, type DockerfileFacts } from './dockerfile.ts';
import { at, folderOf, joinPath, sourced, type RepositoryFiles } from './repository.ts';
import { buildReads, serviceName, type FoundService } from './service.ts';

export interface SkippedDockerfile {
  file: string;
  reason: string;
}

export interface DockerfileResult {
  services: FoundService[];
  skipped: SkippedDockerfile[];
}

/** `Dockerfile.debug`, `debug.Dockerfile`: variants for other purposes than the service's image. */
const VARIANT =
  /^(?:(?:Dockerfile|Containerfile)\.(debug|dev|develop|development|local|test|tests|e2e|ci|builder|build)|(debug|dev|local|test|tests|e2e|ci)\.(?:Dockerfile|Containerfile|dockerfile))$/i;
/** Folders that hold code generation, tests and development tooling, not services. */
const TOOLING_FOLDER =
  /^(genproto|codegen|protogen|generated|gen|test|tests|e2e|e2e-tests|integration-tests?|cypress|playwright|\.devcontainer|devcontainer|hack|\.github|examples?|docs)$/i;
const TEST_IMAGE = /(^|\/)(cypress|playwright|selenium|testcontainers)(\/|$|:)/i;
const SCRIPT = /(^|\/)(Makefile|[^/]+\.(sh|bash|mk|ps1)|Taskfile\.ya?ml|justfile)$/;

function skipReason(
  file: string,
  facts: DockerfileFacts,
  generatorScripts: ReadonlyMap<string, string>,
): string | undefined {
  const name = posix.basename(file);
  const variant = VARIANT.exec(name);
  if (variant !== null)
    return `a ${(variant[1] ?? variant[2] ?? '').toLowerCase()} variant of the service's Dockerfile`;
  const tooling = folderOf(file)
    .split('/')
    .find((part) => TOOLING_FOLDER.test(part));
  if (tooling !== undefined) return `lies in ${tooling}/, which holds tooling, not a service`;
  const testBase = facts.bases.find((base) => TEST_IMAGE.test(base));
  if (testBase !== undefined) return `a test image (FROM ${testBase})`;
  const script = generatorScripts.get(file);
  if (script !== undefined) return `code generation (${script} builds it)`;
  if (facts.generates && !facts.runs) return 'code generation (its last stage runs a generator and serves nothing)';
  return undefined;
}

/** Dockerfiles that a code-generation script (genproto.sh, a Makefile's proto target) builds or runs. */
function generatorScripts(files: RepositoryFiles, dockerfiles: readonly string[]): Map<string, string> {
  const used = new Map<string, string>();
  for (const script of files.files.filter((file) => SCRIPT.test(file))) {
    const content = files.read(script);
    if (
      content === undefined ||
      !/\b(protoc|genproto|generate|codegen|buf)\b/i.test(content) ||
      !/\bdocker\b|\bpodman\b|\bbuildah\b/.test(content)
    )
      continue;
    for (const dockerfile of dockerfiles) {
      const folder = folderOf(dockerfile);
      const relative = posix.relative(folderOf(script) === '.' ? '' : folderOf(script), dockerfile);
      const relativeFolder = posix.relative(
        folderOf(script) === '.' ? '' : folderOf(script),
        folder === '.' ? '' : folder,
      );
      const mentions = [dockerfile, relative, ...(relativeFolder === '' ? [] : [relativeFolder])].some((path) =>
        content.includes(path),
      );
      if (mentions && /gen|proto/i.test(posix.basename(script) + content.slice(0, 2000))) used.set(dockerfile, script);
    }
  }
  return used;
}

/**
 * The build context docker would need: the Dockerfile's folder when what it copies is there, else the
 * nearest folder above where it is (a Dockerfile written for `docker build -f x/Dockerfile .`).
 */
function contextOf(files: RepositoryFiles, dockerfile: string, facts: DockerfileFacts): string {
  const sources = facts.copies
    .flatMap((copy) => copy.sources)
    .map((source) =>
      source
        .split('/')
        .filter((part) => !/[*?[]/.test(part))
        .join('/'),
    )
    .filter((source) => source !== '' && source !== '.' && !source.startsWith('..') && !source.startsWith('/'));
  const exists = (folder: string, source: string): boolean => {
    const path = posix.normalize(joinPath(folder, source)).replace(/\/+$/, '');
    return files.read(path) !== undefined || files.files.some((file) => file.startsWith(`${path}/`));
  };
  let folder = folderOf(dockerfile);
  if (sources.length === 0) return folder;
  for (;;) {
    if (sources.every((source) => exists(folder, source))) return folder;
    if (folder === '.') return folderOf(dockerfile);
    folder = folderOf(folder);
  }
}

/** The preferred Dockerfile of a folder: `Dockerfile`, then `Containerfile`, then the only other one. */
function preferred(dockerfiles: readonly string[]): { kept: string[]; variants: SkippedDockerfile[] } {
  const byFolder = new Map<string, string[]>();
  for (const file of dockerfiles) byFolder.set(folderOf(file), [...(byFolder.get(folderOf(file)) ?? []), file]);
  const kept: string[] = [];
  const variants: SkippedDockerfile[] = [];
  for (const [folder, inFolder] of byFolder) {
    const main = inFolder.find((file) => /^(Dockerfile|Containerfile)$/.test(posix.basename(file)));
    // `api.Dockerfile` and `worker.Dockerfile` are images of their own.
    const named = inFolder.filter((file) => /\.(Dockerfile|Containerfile|dockerfile)$/.test(file));
    if (main !== undefined) {
      kept.push(main, ...named);
      for (const file of inFolder)
        if (file !== main && !named.includes(file))
          variants.push({ file, reason: `a variant of ${joinPath(folder, posix.basename(main))}` });
    } else {
      kept.push(...inFolder);
    }
  }
  return { kept: kept.sort(), variants };
}

export function dockerfileServices(
  files: RepositoryFiles,
  named: ReadonlySet<string>,
  repositoryName: string,
): DockerfileResult {
  const all = files.files.filter((file) => DOCKERFILE_NAME.test(posix.basename(file)) && !named.has(file));
  const scripts = generatorScripts(files, all);
  const skipped: SkippedDockerfile[] = [];
  const candidates: Array<{ file: string; facts: DockerfileFacts }> = [];
  for (const file of all) {
    const facts = readDockerfile(files.read(file) ?? '');
    const reason = skipReason(file, facts, scripts);
    if (reason === undefined) candidates.push({ file, facts });
    else skipped.push({ file, reason });
  }
  const { kept, variants } = preferred(candidates.map((candidate) => candidate.file));
  skipped.push(...variants);
  const services: FoundService[] = kept.map((file) => {
    const facts = candidates.find((candidate) => candidate.file === file)?.facts ?? readDockerfile('');
    const dockerfile = sourced(file, at(file, undefined));
    const context = sourced(contextOf(files, file, facts), file);
    const { path, reads } = buildReads(files, context, dockerfile);
    const prefix = /^([\w-]+)\.(?:Dockerfile|Containerfile|dockerfile)$/.exec(posix.basename(file))?.[1];
    const name = prefix ?? (path.value === '.' ? (projectName(files) ?? repositoryName) : posix.basename(path.value));
    return {
      name: serviceName(name),
      image: sourced(serviceName(name), file),
      builder: sourced('docker' as const, file),
      path,
      context,
      dockerfile,
      reads,
      requiresImages: [],
    };
  });
  return { services: qualifyClashes(services), skipped: skipped.sort((a, b) => a.file.localeCompare(b.file)) };
}

/** The name the root's project gives itself (package.json, go.mod, pom.xml), for a service at the root. */
function projectName(files: RepositoryFiles): string | undefined {
  try {
    const name = (JSON.parse(files.read('package.json') ?? '{}') as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  } catch {
    // not JSON: try the others
  }
  const module = /^module\s+(\S+)/m.exec(files.read('go.mod') ?? '')?.[1];
  if (module !== undefined) return module;
  const pom = (files.read('pom.xml') ?? '').replace(/<parent>[\s\S]*?<\/parent>/, '');
  return /<artifactId>([^<]+)<\/artifactId>/.exec(pom)?.[1];
}

/** Two services of the same folder name (`a/api`, `b/api`) are named with their parent (`a-api`, `b-api`). */
function qualifyClashes(services: FoundService[]): FoundService[] {
  const counts = new Map<string, number>();
  for (const service of services) counts.set(service.name, (counts.get(service.name) ?? 0) + 1);
  return services.map((service) => {
    if ((counts.get(service.name) ?? 0) < 2 || service.path.value === '.') return service;
    const parent = posix.basename(folderOf(service.path.value));
    const name = serviceName(parent === '.' || parent === '' ? service.name : `${parent}-${service.name}`);
    return { ...service, name, image: sourced(name, service.image.source) };
  });
}
