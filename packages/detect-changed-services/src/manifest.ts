// The services manifest: its types, the defaults a service that names only its directory gets, and the
// parser that checks shape, names, paths, globs and dependencies, each mistake at its line.
import {
  ConfigurationError,
  errorMessage,
  parseYamlDocument,
  type MistakeLocation,
  type YamlPath,
} from '@shiprail/core';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { ManifestLocator, readBlockYaml } from './manifest-yaml.ts';
import { GLOB_OPTIONS, GlobError, PathMatcher, type PathRule } from './rules.ts';
import { TOOLS, versionProblem, type Toolchain } from './toolchain.ts';
import { imageProblem, percentOf, repositoryGlobProblem, repositoryPathProblem, resourceProblem } from './values.ts';

/** A name in `dependsOn`, with where it was written. */
export interface Dependency {
  name: string;
  at?: YamlPath;
}

export interface LibraryDefinition {
  name: string;
  rules: PathRule[];
  dependsOn: Dependency[];
}

export interface ServiceDefinition {
  name: string;
  path: string;
  context: string;
  dockerfile: string;
  image: string;
  resource: string;
  /** The command the pipeline runs (with bash, in `path`) before building the image; '' for none. */
  test: string;
  /** Glob of the JUnit XML files the tests write, relative to the repository root; '' for none. */
  testReports: string;
  /** The lcov or Cobertura file the tests write, relative to the repository root; '' for none. */
  coverage: string;
  /** Least percentage of lines covered, as written ('80', '72.5'); '' for none. */
  minCoverage: string;
  /** Versions the manifest sets per tool, over what the service's own files declare. */
  toolchain: Partial<Toolchain>;
  /** Image the tests run in instead of the runner with a toolchain set up; '' for none. */
  testImage: string;
  /** Command that builds the image into the OCI layout or tarball at $IMAGE_OUTPUT, instead of the Dockerfile; '' for none. */
  build: string;
  /** Command run against the first environment after its rollout and smoke test, with $BASE_URL; '' for none. */
  integrationTest: string;
  rules: PathRule[];
  dependsOn: Dependency[];
}

export interface Manifest {
  /** The manifest file as the user names it (for errors), or the discover glob. */
  file: string;
  /** True when the services were discovered (no manifest file). */
  discovered: boolean;
  global: PathRule[];
  libraries: LibraryDefinition[];
  services: ServiceDefinition[];
  /** Finds the line of what the manifest wrote at a YAML path (absent for discovered services). */
  locator?: ManifestLocator;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOP_KEYS = ['global', 'libraries', 'services'];
const LIBRARY_KEYS = ['path', 'paths', 'dependsOn'];
const SERVICE_KEYS = [
  'path',
  'paths',
  'dependsOn',
  'context',
  'dockerfile',
  'image',
  'resource',
  'test',
  'test-reports',
  'coverage',
  'min-coverage',
  'toolchain',
  'test-image',
  'build',
  'integration-test',
];

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A directory as written (`./services/api/`) in the form paths have in git (`services/api`). */
export function normalizeDirectory(path: string): string {
  const trimmed = path
    .trim()
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}

const under = (directory: string, file: string): string => (directory === '.' ? file : `${directory}/${file}`);

/** Default rules of a directory: everything below it. */
const directoryRules = (directory: string): PathRule[] => [{ pattern: directory === '.' ? '**' : `${directory}/**` }];

/** The defaults a service that only names its directory gets (docs/manifest.md). */
export function serviceWithDefaults(
  name: string,
  fields: Partial<Omit<ServiceDefinition, 'name'>> & { path: string },
): ServiceDefinition {
  const context = fields.context ?? fields.path;
  return {
    name,
    path: fields.path,
    context,
    dockerfile: fields.dockerfile ?? under(context, 'Dockerfile'),
    image: fields.image ?? name,
    resource: fields.resource ?? `deployment/${name}`,
    test: fields.test ?? '',
    testReports: fields.testReports ?? '',
    coverage: fields.coverage ?? '',
    minCoverage: fields.minCoverage ?? '',
    toolchain: fields.toolchain ?? {},
    testImage: fields.testImage ?? '',
    build: fields.build ?? '',
    integrationTest: fields.integrationTest ?? '',
    rules: fields.rules ?? directoryRules(fields.path),
    dependsOn: fields.dependsOn ?? [],
  };
}

/**
 * Parses and checks a manifest: shape, names, paths (inside the repository), resources, globs,
 * `dependsOn` targets and cycles, each error at its line. The fast reader reads what it can; the full
 * parser reads the rest, and reads again a manifest with a mistake, whose line only it can find.
 */
export async function parseManifest(text: string, file: string): Promise<Manifest> {
  const fast = readBlockYaml(text);
  if (fast.ok) {
    try {
      return checkManifest(fast.value, new ManifestLocator(file));
    } catch (error) {
      // A mistake: the full parser's reading below throws it again, at its line.
      if (!(error instanceof ConfigurationError)) throw error;
    }
  }
  const parsed = await parseYamlDocument(text, { file });
  return checkManifest(parsed.value, new ManifestLocator(file, parsed));
}

function checkManifest(value: unknown, locator: ManifestLocator): Manifest {
  const file = locator.file;
  const reader = new ManifestReader(locator);
  const root = value ?? {};
  if (!isMapping(root)) throw locator.mistake([], 'expected a mapping with global, libraries and services');
  reader.rejectUnknownKeys([], root, TOP_KEYS);

  const global = reader.ruleList(['global'], root['global'] ?? []);
  const libraries = reader.section(root, 'libraries').map(([name, body]) => {
    const path = ['libraries', name];
    reader.rejectUnknownKeys(path, body, LIBRARY_KEYS);
    return { name, rules: reader.rules(path, body), dependsOn: reader.dependencies(path, body['dependsOn']) };
  });
  const services = reader.section(root, 'services').map(([name, body]) => reader.service(name, body));

  const libraryNames = new Set(libraries.map((library) => library.name));
  const clash = services.find((service) => libraryNames.has(service.name));
  if (clash) throw locator.keyMistake(['services', clash.name], `'${clash.name}' names both a library and a service`);
  const manifest: Manifest = { file, discovered: false, global, libraries, services, locator };
  checkDependencies(manifest);
  // Compiling now reports a bad glob at its line before anything else happens.
  buildMatcher(manifest);
  return manifest;
}

/** Reads the parts of a manifest's value, throwing each mistake at the line of what is wrong. */
class ManifestReader {
  private readonly locator: ManifestLocator;

  constructor(locator: ManifestLocator) {
    this.locator = locator;
  }

  rejectUnknownKeys(path: YamlPath, body: Mapping, allowed: readonly string[]): void {
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) {
        throw this.locator.keyMistake([...path, key], `unknown key '${key}' (expected ${allowed.join(', ')})`);
      }
    }
  }

  section(root: Mapping, section: string): Array<[string, Mapping]> {
    const value = root[section] ?? {};
    if (!isMapping(value)) throw this.locator.mistake([section], `expected a mapping of names to definitions`);
    return Object.entries(value).map(([name, body]) => {
      if (!NAME.test(name)) {
        throw this.locator.keyMistake(
          [section, name],
          `'${name}' is not a valid name (letters, digits, '.', '_', '-')`,
        );
      }
      if (!isMapping(body)) {
        throw this.locator.mistake([section, name], 'expected a mapping (path, paths, dependsOn, ...)');
      }
      return [name, body];
    });
  }

  service(name: string, body: Mapping): ServiceDefinition {
    const path = ['services', name];
    this.rejectUnknownKeys(path, body, SERVICE_KEYS);
    // Most keys are absent: their YAML path is only built for a value that is there.
    const string = (key: string): string | undefined =>
      body[key] === undefined ? undefined : this.string([...path, key], body[key]);
    const inRepository = (key: string): string | undefined => {
      const value = string(key);
      const problem = value === undefined ? undefined : repositoryPathProblem(value);
      if (problem !== undefined) throw this.locator.mistake([...path, key], `'${value}' ${problem}`);
      return value;
    };
    const directory = inRepository('path') ?? inRepository('context');
    if (directory === undefined) {
      throw this.locator.mistake(path, `needs 'path': the service's directory (e.g. services/${name})`);
    }
    const context = inRepository('context');
    const checked = (key: string, problemOf: (value: string) => string | undefined): string | undefined => {
      const value = string(key);
      const problem = value === undefined ? undefined : problemOf(value);
      if (problem !== undefined) throw this.locator.mistake([...path, key], `'${value}' ${problem}`);
      return value;
    };
    const minCoverage =
      body['min-coverage'] === undefined
        ? undefined
        : this.minCoverage([...path, 'min-coverage'], body['min-coverage']);
    // Absent values are undefined here, and serviceWithDefaults fills them in.
    return serviceWithDefaults(name, {
      path: normalizeDirectory(directory),
      context: context === undefined ? undefined : normalizeDirectory(context),
      dockerfile: inRepository('dockerfile'),
      image: checked('image', imageProblem),
      resource: checked('resource', resourceProblem),
      test: body['test'] === undefined ? undefined : this.command([...path, 'test'], body['test']),
      testReports: checked('test-reports', repositoryGlobProblem),
      coverage: inRepository('coverage'),
      minCoverage,
      toolchain: this.toolchain([...path, 'toolchain'], body['toolchain']),
      testImage: checked('test-image', imageProblem),
      build: body['build'] === undefined ? undefined : this.command([...path, 'build'], body['build']),
      integrationTest:
        body['integration-test'] === undefined
          ? undefined
          : this.command([...path, 'integration-test'], body['integration-test']),
      rules: this.rules(path, body, normalizeDirectory(directory)),
      dependsOn: this.dependencies(path, body['dependsOn']),
    });
  }

  string(path: YamlPath, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '')
      throw this.locator.mistake(path, 'expected a non-empty string');
    return value.trim();
  }

  /** A shell command: kept as written (multi-line scripts included). */
  command(path: YamlPath, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw this.locator.mistake(path, 'expected a command (a non-empty string run with bash)');
    }
    return value;
  }

  /** `toolchain: {go: '1.26', node: '22'}`: versions per known tool. */
  toolchain(path: YamlPath, value: unknown): Partial<Toolchain> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isMapping(value)) throw this.locator.mistake(path, `expected a map of tool to version (${TOOLS.join(', ')})`);
    this.rejectUnknownKeys(path, value, TOOLS);
    const toolchain: Partial<Toolchain> = {};
    for (const tool of TOOLS) {
      const raw = value[tool];
      if (raw === undefined || raw === null) continue;
      const version = typeof raw === 'number' ? String(raw) : this.string([...path, tool], raw);
      if (version === undefined) continue;
      const problem = versionProblem(version);
      if (problem !== undefined) throw this.locator.mistake([...path, tool], `'${version}' ${problem}`);
      toolchain[tool] = version;
    }
    return toolchain;
  }

  minCoverage(path: YamlPath, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    const percent = percentOf(value);
    if ('problem' in percent) {
      const shown = typeof value === 'string' || typeof value === 'number' ? `'${value}': ` : '';
      throw this.locator.mistake(path, `${shown}${percent.problem}`);
    }
    return String(percent.percent);
  }

  rules(path: YamlPath, body: Mapping, directory?: string): PathRule[] {
    if (body['paths'] !== undefined) return this.ruleList([...path, 'paths'], body['paths']);
    const own = directory ?? this.string([...path, 'path'], body['path']) ?? '';
    if (own === '') throw this.locator.mistake(path, "needs 'paths' (globs) or 'path' (a directory)");
    const problem = repositoryPathProblem(own);
    if (problem !== undefined) throw this.locator.mistake([...path, 'path'], `'${own}' ${problem}`);
    return directoryRules(normalizeDirectory(own));
  }

  ruleList(path: YamlPath, value: unknown): PathRule[] {
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items)) throw this.locator.mistake(path, 'expected a list of globs');
    return items.map((item: unknown, index) => {
      const at = typeof value === 'string' ? path : [...path, index];
      if (typeof item !== 'string' || item.trim() === '') throw this.locator.mistake(at, 'expected a glob string');
      return { pattern: item.trim(), at };
    });
  }

  dependencies(path: YamlPath, value: unknown): Dependency[] {
    if (value === undefined || value === null) return [];
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items)) {
      throw this.locator.mistake([...path, 'dependsOn'], 'expected a list of library or service names');
    }
    return items.map((item: unknown, index) => {
      const at = typeof value === 'string' ? [...path, 'dependsOn'] : [...path, 'dependsOn', index];
      if (typeof item !== 'string' || item.trim() === '') {
        throw this.locator.mistake(at, 'expected a library or service name');
      }
      return { name: item.trim(), at };
    });
  }
}

/** Every name a `dependsOn` can point at, with its dependencies. */
function dependencyGraph(manifest: Manifest): Map<string, readonly Dependency[]> {
  const graph = new Map<string, readonly Dependency[]>();
  for (const library of manifest.libraries) graph.set(library.name, library.dependsOn);
  for (const service of manifest.services) graph.set(service.name, service.dependsOn);
  return graph;
}

/** Unknown names in `dependsOn` and dependency cycles, as errors at the line of the offending entry. */
export function checkDependencies(manifest: Manifest): void {
  const graph = dependencyGraph(manifest);
  const at = (dependency: Dependency): MistakeLocation => where(manifest, dependency.at);
  for (const [name, dependencies] of graph) {
    for (const dependency of dependencies) {
      if (!graph.has(dependency.name)) {
        throw new ConfigurationError(
          `${name}: dependsOn names '${dependency.name}', which is neither a library nor a service`,
          at(dependency),
        );
      }
    }
  }
  // Iterative depth-first search (manifests may hold thousands of entries): grey = on the current path.
  const state = new Map<string, 'grey' | 'black'>();
  for (const start of graph.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [start];
    const positions: number[] = [0];
    state.set(start, 'grey');
    while (path.length > 0) {
      const name = path[path.length - 1] ?? '';
      const position = positions[positions.length - 1] ?? 0;
      const dependency = graph.get(name)?.[position];
      if (dependency === undefined) {
        state.set(name, 'black');
        path.pop();
        positions.pop();
        continue;
      }
      positions[positions.length - 1] = position + 1;
      const seen = state.get(dependency.name);
      if (seen === 'grey') {
        const cycle = [...path.slice(path.indexOf(dependency.name)), dependency.name].join(' -> ');
        throw new ConfigurationError(`dependency cycle: ${cycle}`, at(dependency));
      }
      if (seen === undefined) {
        state.set(dependency.name, 'grey');
        path.push(dependency.name);
        positions.push(0);
      }
    }
  }
}

/** The file, and the line of what it wrote at `at` when that is known. */
function where(manifest: Manifest, at: YamlPath | undefined): MistakeLocation {
  const line = at === undefined ? undefined : manifest.locator?.line(at);
  return line === undefined ? { file: manifest.file } : { file: manifest.file, line };
}

/** Owners of rules in a fixed order: the global list, then libraries, then services. */
export function ruleOwners(manifest: Manifest): Array<{ rules: readonly PathRule[] }> {
  return [{ rules: manifest.global }, ...manifest.libraries, ...manifest.services];
}

const matchers = new WeakMap<Manifest, PathMatcher>();

/** Compiles the manifest's rules (once per manifest); a glob that cannot be compiled is an error at its line. */
export function buildMatcher(manifest: Manifest): PathMatcher {
  const known = matchers.get(manifest);
  if (known !== undefined) return known;
  try {
    const matcher = new PathMatcher(ruleOwners(manifest));
    matchers.set(manifest, matcher);
    return matcher;
  } catch (error) {
    if (error instanceof GlobError) throw new ConfigurationError(error.message, where(manifest, error.rule.at));
    throw error;
  }
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const MAX_DISCOVERY_DEPTH = 8;

/**
 * Services without a manifest: every directory (relative to `root`) matching `pattern` that holds a
 * Dockerfile, named after its last path segment, with the defaults of docs/manifest.md.
 */
export function discoverServices(root: string, pattern: string): Manifest {
  const glob = normalizeDirectory(pattern);
  let matches: (path: string) => boolean;
  try {
    matches = picomatch(glob, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    const reason = errorMessage(error);
    throw new ConfigurationError(`the glob '${pattern}' cannot be compiled: ${reason}`, { input: 'discover' });
  }
  const scan = picomatch.scan(glob);
  const start = scan.isGlob ? scan.base : glob;
  const limit = glob.includes('**') ? MAX_DISCOVERY_DEPTH : glob.split('/').length;
  const found: string[] = [];
  const walk = (relative: string, depth: number): void => {
    const absolute = join(root, relative);
    if (matches(relative) && existsSync(join(absolute, 'Dockerfile'))) found.push(relative);
    if (depth >= limit) return;
    let entries;
    try {
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return; // the base of the glob need not exist: then there is nothing to discover
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) walk(under(relative, entry.name), depth + 1);
    }
  };
  walk(start === '' ? '.' : start, start === '' ? 0 : start.split('/').length);
  const services = new Map<string, ServiceDefinition>();
  for (const directory of found.sort()) {
    const name = directory.split('/').pop() ?? directory;
    const previous = services.get(name);
    if (previous) {
      throw new ConfigurationError(
        `${previous.path} and ${directory} would both be service '${name}': write a manifest that names them`,
        { input: 'discover' },
      );
    }
    services.set(name, serviceWithDefaults(name, { path: directory }));
  }
  return { file: glob, discovered: true, global: [], libraries: [], services: [...services.values()] };
}
