import { ConfigurationError, parseYamlDocument, type ParsedYaml, type YamlPath } from '@shiprail/core';
import { existsSync, readdirSync } from 'node:fs';
import { isMap, isScalar } from 'yaml';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { GLOB_OPTIONS, GlobError, PathMatcher, type PathRule } from './rules.ts';

/** A name in `dependsOn`, with where it was written. */
export interface Dependency {
  name: string;
  line?: number;
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
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOP_KEYS = ['global', 'libraries', 'services'];
const LIBRARY_KEYS = ['path', 'paths', 'dependsOn'];
const SERVICE_KEYS = ['path', 'paths', 'dependsOn', 'context', 'dockerfile', 'image', 'resource'];

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

/** The defaults SPEC gives a service that only names its directory. */
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
    rules: fields.rules ?? directoryRules(fields.path),
    dependsOn: fields.dependsOn ?? [],
  };
}

/** Parses and checks a manifest: shape, names, globs, `dependsOn` targets and cycles, each error at its line. */
export function parseManifest(text: string, file: string): Manifest {
  const yaml = parseYamlDocument(text, { file });
  sourceText.set(yaml, text);
  const root = yaml.value ?? {};
  if (!isMapping(root)) throw yaml.mistake([], 'expected a mapping with global, libraries and services');
  rejectUnknownKeys(yaml, [], root, TOP_KEYS);

  const global = readRuleList(yaml, ['global'], root['global'] ?? []);
  const libraries = readSection(yaml, root, 'libraries').map(([name, body]) => {
    const path = ['libraries', name];
    rejectUnknownKeys(yaml, path, body, LIBRARY_KEYS);
    const rules = readRules(yaml, path, body);
    return { name, rules, dependsOn: readDependencies(yaml, path, body['dependsOn']) };
  });
  const services = readSection(yaml, root, 'services').map(([name, body]) => {
    const path = ['services', name];
    rejectUnknownKeys(yaml, path, body, SERVICE_KEYS);
    const directory =
      readString(yaml, [...path, 'path'], body['path']) ?? readString(yaml, [...path, 'context'], body['context']);
    if (directory === undefined)
      throw yaml.mistake(path, `needs 'path': the service's directory (e.g. services/${name})`);
    const optional = (key: string): string | undefined => readString(yaml, [...path, key], body[key]);
    const context = optional('context');
    return serviceWithDefaults(name, {
      path: normalizeDirectory(directory),
      ...(context === undefined ? {} : { context: normalizeDirectory(context) }),
      ...withDefined('dockerfile', optional('dockerfile')),
      ...withDefined('image', optional('image')),
      ...withDefined('resource', optional('resource')),
      rules: readRules(yaml, path, body, normalizeDirectory(directory)),
      dependsOn: readDependencies(yaml, path, body['dependsOn']),
    });
  });

  const libraryNames = new Set(libraries.map((library) => library.name));
  const clash = services.find((service) => libraryNames.has(service.name));
  if (clash) throw keyMistake(yaml, ['services', clash.name], `'${clash.name}' names both a library and a service`);
  const manifest: Manifest = { file, discovered: false, global, libraries, services };
  checkDependencies(manifest);
  // Compiling now reports a bad glob at its line before anything else happens.
  buildMatcher(manifest);
  return manifest;
}

function withDefined<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function rejectUnknownKeys(yaml: ParsedYaml, path: readonly string[], body: Mapping, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw keyMistake(yaml, [...path, key], `unknown key '${key}' (expected ${allowed.join(', ')})`);
    }
  }
}

/** The text each parsed manifest came from, to locate keys (ParsedYaml locates values). */
const sourceText = new WeakMap<ParsedYaml, string>();

/** A mistake about a mapping key itself (a misspelt key, a bad name), at the key's line. */
function keyMistake(yaml: ParsedYaml, path: readonly string[], message: string): ConfigurationError {
  const text = sourceText.get(yaml) ?? '';
  const parent = path.length === 1 ? yaml.document.contents : yaml.document.getIn(path.slice(0, -1), true);
  const error = yaml.mistake(path, message);
  if (!isMap(parent)) return error;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
  const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  const line = offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
  return line === undefined ? error : new ConfigurationError(error.message, { ...error.location, line });
}

function readSection(yaml: ParsedYaml, root: Mapping, section: string): Array<[string, Mapping]> {
  const value = root[section] ?? {};
  if (!isMapping(value)) throw yaml.mistake([section], `expected a mapping of names to definitions`);
  return Object.entries(value).map(([name, body]) => {
    if (!NAME.test(name)) {
      throw keyMistake(yaml, [section, name], `'${name}' is not a valid name (letters, digits, '.', '_', '-')`);
    }
    if (!isMapping(body)) throw yaml.mistake([section, name], 'expected a mapping (path, paths, dependsOn, ...)');
    return [name, body];
  });
}

function readString(yaml: ParsedYaml, path: YamlPath, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw yaml.mistake(path, 'expected a non-empty string');
  return value.trim();
}

function readRules(yaml: ParsedYaml, path: YamlPath, body: Mapping, directory?: string): PathRule[] {
  if (body['paths'] !== undefined) return readRuleList(yaml, [...path, 'paths'], body['paths']);
  const own = directory ?? readString(yaml, [...path, 'path'], body['path']) ?? '';
  if (own === '') throw yaml.mistake(path, "needs 'paths' (globs) or 'path' (a directory)");
  return directoryRules(normalizeDirectory(own));
}

function readRuleList(yaml: ParsedYaml, path: YamlPath, value: unknown): PathRule[] {
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items)) throw yaml.mistake(path, 'expected a list of globs');
  return items.map((item: unknown, index) => {
    const at = typeof value === 'string' ? path : [...path, index];
    if (typeof item !== 'string' || item.trim() === '') throw yaml.mistake(at, 'expected a glob string');
    const line = yaml.lineOf(at);
    return line === undefined ? { pattern: item.trim() } : { pattern: item.trim(), line };
  });
}

function readDependencies(yaml: ParsedYaml, path: YamlPath, value: unknown): Dependency[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items)) throw yaml.mistake([...path, 'dependsOn'], 'expected a list of library or service names');
  return items.map((item: unknown, index) => {
    const at = typeof value === 'string' ? [...path, 'dependsOn'] : [...path, 'dependsOn', index];
    if (typeof item !== 'string' || item.trim() === '') throw yaml.mistake(at, 'expected a library or service name');
    const line = yaml.lineOf(at);
    return line === undefined ? { name: item.trim() } : { name: item.trim(), line };
  });
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
  const at = (dependency: Dependency): { file: string; line?: number } =>
    dependency.line === undefined ? { file: manifest.file } : { file: manifest.file, line: dependency.line };
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
    if (error instanceof GlobError) {
      const { line } = error.rule;
      throw new ConfigurationError(
        error.message,
        line === undefined ? { file: manifest.file } : { file: manifest.file, line },
      );
    }
    throw error;
  }
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const MAX_DISCOVERY_DEPTH = 8;

/**
 * Services without a manifest: every directory (relative to `root`) matching `pattern` that holds a
 * Dockerfile, named after its last path segment, with SPEC's defaults.
 */
export function discoverServices(root: string, pattern: string): Manifest {
  const glob = normalizeDirectory(pattern);
  let matches: (path: string) => boolean;
  try {
    matches = picomatch(glob, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
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
