// Services from skaffold configurations: the root skaffold.yaml and every config it `requires` (in other
// folders too), their profiles' artifacts, Dockerfile and non-Docker builders, and `test:` commands.
import { posix } from 'node:path';
import { ConfigurationError, parseYamlDocuments, type ParsedYamlDocument, type YamlPath } from '@shiprail/core';
import { at, folderOf, joinPath, resolveInside, sourced, type RepositoryFiles, type Sourced } from './repository.ts';
import { buildReads, imageName, serviceName, type Builder, type FoundService } from './service.ts';

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

const SKAFFOLD_FILE = /(^|\/)skaffold\.ya?ml$/;
const NON_DOCKER_BUILDERS: Builder[] = ['jib', 'ko', 'buildpacks', 'custom', 'bazel'];

/** One skaffold config document, with the file it came from. */
interface Config {
  file: string;
  document: ParsedYamlDocument;
  /** The path of the config within its document's value, for lines: [] or ['profiles', 2]. */
  name: string | undefined;
}

export interface SkaffoldResult {
  services: FoundService[];
  /** The skaffold files read, in the order they were. */
  files: string[];
}

/** Every skaffold file no other skaffold file requires: where skaffold would be run. */
function rootFiles(files: RepositoryFiles, required: Set<string>): string[] {
  return files.files.filter((file) => SKAFFOLD_FILE.test(file) && !required.has(file));
}

export async function skaffoldServices(files: RepositoryFiles): Promise<SkaffoldResult> {
  const loader = new SkaffoldLoader(files);
  const candidates = files.files.filter((file) => SKAFFOLD_FILE.test(file));
  if (candidates.length === 0) return { services: [], files: [] };
  // Every file's requires first, so that files reached through another are read from their root.
  const required = new Set<string>();
  for (const file of candidates) for (const target of await loader.requiredFiles(file)) required.add(target);
  const services = new Map<string, FoundService>();
  const roots = rootFiles(files, required);
  // Files that only require each other have no root: loading one reports their cycle.
  const unreached = candidates.filter((file) => !roots.includes(file));
  for (const file of [...roots, ...unreached]) {
    if (!roots.includes(file) && loader.loaded.has(file)) continue;
    for (const config of await loader.load(file, undefined, [])) {
      for (const service of configServices(files, config))
        if (!services.has(service.name)) services.set(service.name, service);
    }
  }
  return { services: [...services.values()], files: loader.read };
}

class SkaffoldLoader {
  readonly read: string[] = [];
  /** Files whose configs were loaded, through a root or their own. */
  readonly loaded = new Set<string>();
  private readonly files: RepositoryFiles;
  private readonly parsed = new Map<string, ParsedYamlDocument[]>();

  constructor(files: RepositoryFiles) {
    this.files = files;
  }

  async documents(file: string): Promise<ParsedYamlDocument[]> {
    const known = this.parsed.get(file);
    if (known !== undefined) return known;
    const content = this.files.read(file);
    if (content === undefined) throw new ConfigurationError('the skaffold config is not there', { file });
    const documents = (await parseYamlDocuments(content, { file })).filter((document) => isMapping(document.value));
    this.parsed.set(file, documents);
    this.read.push(file);
    return documents;
  }

  /** The skaffold files `file` requires by path. */
  async requiredFiles(file: string): Promise<string[]> {
    const targets: string[] = [];
    for (const document of await this.documents(file)) {
      list((document.value as Mapping)['requires']).forEach((entry, index) => {
        const target = this.requiredFile(file, document, entry, index);
        if (target !== undefined) targets.push(target);
      });
    }
    return targets;
  }

  private requiredFile(file: string, document: ParsedYamlDocument, entry: unknown, index: number): string | undefined {
    if (!isMapping(entry)) return undefined;
    const path = text(entry['path']);
    if (path === undefined) return undefined;
    const where = { file, line: document.lineOf(['requires', index, 'path']) };
    const target = resolveInside(folderOf(file), path, where);
    if (SKAFFOLD_FILE.test(target) || this.files.read(target) !== undefined) return target;
    const inFolder = ['skaffold.yaml', 'skaffold.yml']
      .map((name) => joinPath(target, name))
      .find((name) => this.files.read(name) !== undefined);
    if (inFolder === undefined) throw new ConfigurationError(`requires '${path}', which holds no skaffold.yaml`, where);
    return inFolder;
  }

  /**
   * The configs of `file` (only those named in `names` when given) and everything they require, depth
   * first. `stack` holds the files being loaded: reaching one again is a cycle.
   */
  async load(file: string, names: readonly string[] | undefined, stack: readonly string[]): Promise<Config[]> {
    this.loaded.add(file);
    const configs: Config[] = [];
    for (const document of await this.documents(file)) {
      const value = document.value as Mapping;
      const metadata = value['metadata'];
      const name = isMapping(metadata) ? text(metadata['name']) : undefined;
      if (names !== undefined && (name === undefined || !names.includes(name))) continue;
      const requires = list(value['requires']);
      for (const [index, entry] of requires.entries()) {
        const target = this.requiredFile(file, document, entry, index);
        if (target === undefined || !isMapping(entry)) continue;
        const chain = [...stack, file];
        if (chain.includes(target)) {
          const cycle = [...chain.slice(chain.indexOf(target)), target].join(' -> ');
          throw new ConfigurationError(`skaffold requires cycle: ${cycle}`, {
            file,
            line: document.lineOf(['requires', index, 'path']),
          });
        }
        const wanted = list(entry['configs'])
          .map(text)
          .filter((item): item is string => item !== undefined);
        configs.push(...(await this.load(target, wanted.length > 0 ? wanted : undefined, chain)));
      }
      configs.push({ file, document, name });
    }
    return configs;
  }
}

/** The services of one config: its build's artifacts, then those only a profile builds. */
function configServices(files: RepositoryFiles, config: Config): FoundService[] {
  const value = config.document.value as Mapping;
  const tests = testCommands(config, value['test'], ['test']);
  const services: FoundService[] = [];
  const build = value['build'];
  if (isMapping(build)) {
    list(build['artifacts']).forEach((artifact, index) => {
      const service = artifactService(files, config, artifact, ['build', 'artifacts', index], undefined, tests);
      if (service !== undefined) services.push(service);
    });
  }
  list(value['profiles']).forEach((profile, profileIndex) => {
    if (!isMapping(profile) || !isMapping(profile['build'])) return;
    const profileName = text(profile['name']) ?? `#${profileIndex + 1}`;
    const profileTests = new Map([
      ...tests,
      ...testCommands(config, profile['test'], ['profiles', profileIndex, 'test']),
    ]);
    list(profile['build']['artifacts']).forEach((artifact, index) => {
      const path = ['profiles', profileIndex, 'build', 'artifacts', index];
      const service = artifactService(files, config, artifact, path, profileName, profileTests);
      if (service !== undefined && !services.some((known) => known.image.value === service.image.value))
        services.push(service);
    });
  });
  return services;
}

interface TestCommand {
  command: Sourced<string>;
  /** Folders and files the tests read, relative to the config's folder. */
  reads: Array<Sourced<string>>;
}

/** `test:` entries by image: their custom commands joined, and their dependency paths. */
function testCommands(config: Config, value: unknown, path: YamlPath): Map<string, TestCommand> {
  const byImage = new Map<string, TestCommand>();
  const folder = folderOf(config.file);
  list(value).forEach((entry, index) => {
    if (!isMapping(entry)) return;
    const image = text(entry['image']);
    if (image === undefined) return;
    const commands: string[] = [];
    const reads: Array<Sourced<string>> = [];
    let line: number | undefined;
    list(entry['custom']).forEach((custom, customIndex) => {
      if (!isMapping(custom)) return;
      const command = text(custom['command']);
      const customPath = [...path, index, 'custom', customIndex];
      if (command !== undefined) {
        commands.push(command);
        line ??= config.document.lineOf([...customPath, 'command']);
      }
      const dependencies = custom['dependencies'];
      if (!isMapping(dependencies)) return;
      list(dependencies['paths']).forEach((dependency, dependencyIndex) => {
        const written = text(dependency);
        if (written === undefined) return;
        const where = {
          file: config.file,
          line: config.document.lineOf([...customPath, 'dependencies', 'paths', dependencyIndex]),
        };
        const literal =
          written
            .split('/')
            .filter((part) => !/[*?[]/.test(part))
            .join('/') || '.';
        reads.push(sourced(resolveInside(folder, literal, where), at(config.file, where.line)));
      });
    });
    if (commands.length > 0)
      byImage.set(imageName(image), { command: sourced(commands.join(' && '), at(config.file, line)), reads });
  });
  return byImage;
}

function artifactService(
  files: RepositoryFiles,
  config: Config,
  artifact: unknown,
  path: YamlPath,
  profile: string | undefined,
  tests: ReadonlyMap<string, TestCommand>,
): FoundService | undefined {
  if (!isMapping(artifact)) return undefined;
  const document = config.document;
  const where = (key: YamlPath): string =>
    at(config.file, document.lineOf([...path, ...key])) + (profile === undefined ? '' : ` (profile ${profile})`);
  const image = text(artifact['image']);
  if (image === undefined) return undefined;
  const folder = folderOf(config.file);
  const contextWritten = text(artifact['context']) ?? '.';
  const context = sourced(
    resolveInside(folder, contextWritten, { file: config.file, line: document.lineOf([...path, 'context']) }),
    where(artifact['context'] === undefined ? ['image'] : ['context']),
  );
  const builderKey = NON_DOCKER_BUILDERS.find((key) => artifact[key] !== undefined);
  const builder: Sourced<Builder> = sourced(
    builderKey ?? 'docker',
    where(builderKey === undefined ? ['image'] : [builderKey]),
  );
  let dockerfile: Sourced<string> | undefined;
  let buildCommand: Sourced<string> | undefined;
  if (builderKey === undefined) {
    const docker = artifact['docker'];
    const written = isMapping(docker) ? text(docker['dockerfile']) : undefined;
    const line = document.lineOf([...path, ...(written === undefined ? ['image'] : ['docker', 'dockerfile'])]);
    dockerfile = sourced(
      resolveInside(context.value, written ?? 'Dockerfile', { file: config.file, line }),
      where(written === undefined ? ['image'] : ['docker', 'dockerfile']),
    );
  } else if (builderKey === 'custom') {
    const custom = artifact['custom'];
    const command = isMapping(custom) ? text(custom['buildCommand']) : undefined;
    if (command !== undefined) buildCommand = sourced(command, where(['custom', 'buildCommand']));
  }
  const { path: codePath, reads } = buildReads(files, context, dockerfile);
  const test = tests.get(imageName(image));
  const requiresImages = list(artifact['requires']).flatMap((entry, index) => {
    const required = isMapping(entry) ? text(entry['image']) : undefined;
    return required === undefined ? [] : [sourced(imageName(required), where(['requires', index, 'image']))];
  });
  let testCommand = test?.command;
  if (testCommand !== undefined && context.value !== codePath.value) {
    // skaffold runs test commands in the artifact's context; the pipeline runs them in the service's folder.
    const relative =
      posix.relative(codePath.value === '.' ? '' : codePath.value, context.value === '.' ? '' : context.value) || '.';
    testCommand = sourced(`cd ${relative} && ${testCommand.value}`, testCommand.source);
  }
  return {
    name: serviceName(image),
    image: sourced(imageName(image), where(['image'])),
    builder,
    path: codePath,
    context,
    ...(dockerfile === undefined ? {} : { dockerfile }),
    ...(buildCommand === undefined ? {} : { buildCommand }),
    ...(testCommand === undefined ? {} : { test: testCommand }),
    reads: [...reads, ...(test?.reads ?? [])],
    requiresImages,
  };
}
