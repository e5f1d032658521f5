// Which services a change selects: their own paths, shared paths, dependants, and one matrix entry per selected
// service.
import type { Manifest, ServiceDefinition } from './manifest.ts';
import type { PathMatcher } from './rules.ts';
import { NO_TOOLCHAIN, type Toolchain } from './toolchain.ts';

export interface SelectOptions {
  includeDependents: boolean;
  /** Changed paths quoted per service and per global match before the rest is counted. */
  maxPathReasons?: number;
  /** Libraries and services whose manifest entries changed (name → reason): selected as if their files had. */
  changedEntries?: ReadonlyMap<string, string>;
}

export interface SelectedService {
  service: ServiceDefinition;
  reasons: string[];
}

export interface Selection {
  /** Sorted by service name. */
  selected: SelectedService[];
  /** Every service of the manifest was selected. */
  all: boolean;
  /** Changed paths that matched the global rules. */
  globalPaths: string[];
}

const DEFAULT_MAX_PATH_REASONS = 10;

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The services a set of changed paths selects, each with the reasons: its own changed files, the global
 * files that changed, and (with `includeDependents`) the libraries and services it depends on,
 * directly or transitively, that changed.
 */
export function selectServices(
  manifest: Manifest,
  matcher: PathMatcher,
  paths: readonly string[],
  options: SelectOptions,
): Selection {
  const maxPaths = options.maxPathReasons ?? DEFAULT_MAX_PATH_REASONS;
  // Owner 0 is the global list, then libraries, then services: the order of ruleOwners().
  const names = ['', ...manifest.libraries.map((library) => library.name), ...manifest.services.map((s) => s.name)];
  const firstServiceOwner = 1 + manifest.libraries.length;
  const counts = new Uint32Array(names.length);
  const quoted: Array<string[] | undefined> = new Array<string[] | undefined>(names.length);
  // Indexed loops, not iterators: this runs once per changed path, mostly before the engine compiles it.
  for (let index = 0; index < paths.length; index += 1) {
    const path = paths[index] ?? '';
    const count = matcher.match(path);
    for (let found = 0; found < count; found += 1) {
      const owner = matcher.found[found] ?? 0;
      counts[owner] = (counts[owner] ?? 0) + 1;
      const list = quoted[owner];
      if (list === undefined) quoted[owner] = [path];
      else if (list.length < maxPaths) list.push(path);
    }
  }

  const reasons = new Map<string, string[]>();
  const add = (service: string, reason: string): void => {
    const list = reasons.get(service);
    if (list === undefined) reasons.set(service, [reason]);
    else list.push(reason);
  };
  const quote = (owner: number, prefix: string): string[] => {
    const list = (quoted[owner] ?? []).map((path) => `${prefix}${path}`);
    const rest = (counts[owner] ?? 0) - list.length;
    return rest > 0 ? [...list, `${prefix}and ${rest} more changed ${rest === 1 ? 'file' : 'files'}`] : list;
  };

  const edited = options.changedEntries ?? new Map<string, string>();
  manifest.services.forEach((service, index) => {
    const entry = edited.get(service.name);
    if (entry !== undefined) add(service.name, entry);
    for (const reason of quote(firstServiceOwner + index, '')) add(service.name, reason);
  });

  if (options.includeDependents) {
    const dependents = reverseDependencies(manifest);
    const serviceNames = new Set(manifest.services.map((service) => service.name));
    for (let owner = 1; owner < names.length; owner += 1) {
      const changed = names[owner] ?? '';
      const evidence = quoted[owner]?.[0] ?? edited.get(changed);
      if (evidence === undefined) continue;
      // Breadth-first over "is depended on by": each dependent is reached once, through its nearest path.
      const reached = new Set<string>([changed]);
      const queue = [changed];
      for (let head = 0; head < queue.length; head += 1) {
        const current = queue[head] ?? '';
        for (const dependent of dependents.get(current) ?? []) {
          if (reached.has(dependent)) continue;
          reached.add(dependent);
          queue.push(dependent);
          if (!serviceNames.has(dependent)) continue;
          const through = current === changed ? '' : ` via ${current}`;
          add(dependent, `depends on ${changed}${through} (${evidence})`);
        }
      }
    }
  }

  const globalPaths = quoted[0] ?? [];
  const globalReasons = quote(0, 'global: ');
  const selected: SelectedService[] = [];
  for (const service of [...manifest.services].sort(byName)) {
    const own = reasons.get(service.name) ?? [];
    const all = globalPaths.length > 0 ? [...globalReasons, ...own] : own;
    if (all.length > 0) selected.push({ service, reasons: all });
  }
  return {
    selected,
    all: manifest.services.length > 0 && selected.length === manifest.services.length,
    globalPaths,
  };
}

/** Every service, with one reason: why everything was selected. */
export function selectAll(manifest: Manifest, reason: string): Selection {
  return {
    selected: [...manifest.services].sort(byName).map((service) => ({ service, reasons: [reason] })),
    all: manifest.services.length > 0,
    globalPaths: [],
  };
}

/** One service alone (a service tag such as `api/v1.2.0`). */
export function selectOne(manifest: Manifest, name: string, reason: string): Selection {
  const service = manifest.services.find((candidate) => candidate.name === name);
  const selected = service === undefined ? [] : [{ service, reasons: [reason] }];
  return { selected, all: manifest.services.length === selected.length && selected.length > 0, globalPaths: [] };
}

/** name -> the names whose dependsOn lists it. */
function reverseDependencies(manifest: Manifest): Map<string, string[]> {
  const reverse = new Map<string, string[]>();
  for (const entry of [...manifest.libraries, ...manifest.services]) {
    for (const dependency of entry.dependsOn) {
      const list = reverse.get(dependency.name);
      if (list === undefined) reverse.set(dependency.name, [entry.name]);
      else list.push(entry.name);
    }
  }
  return reverse;
}

/** The matrix entry of a selected service, as the `matrix` output carries it, with its toolchain resolved. */
export function matrixEntry(selected: SelectedService & { toolchain?: Toolchain }): Record<string, unknown> {
  const { service, reasons, toolchain = NO_TOOLCHAIN } = selected;
  return {
    service: service.name,
    path: service.path,
    context: service.context,
    dockerfile: service.dockerfile,
    image: service.image,
    resource: service.resource,
    test: service.test,
    'test-reports': service.testReports,
    coverage: service.coverage,
    'min-coverage': service.minCoverage,
    toolchain,
    'test-image': service.testImage,
    build: service.build,
    'integration-test': service.integrationTest,
    container: service.container,
    'helm-values': service.helmValues,
    reasons,
  };
}
