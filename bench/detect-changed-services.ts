// Selection speed of detect-changed-services on synthetic monorepos (two rules per service), against the
// plain approach dorny/paths-filter takes (every changed path tested against every rule with picomatch),
// measured in the same run, with the same selection required of both.
//   (a) 1,000 services x 20,000 changed paths: indexed rules vs every-rule baseline (target >= 20x)
//   (b) 10,000 services x 200,000 changed paths: selection once git has listed the paths (target < 1 s)
import {
  GLOB_OPTIONS,
  PathMatcher,
  ruleOwners,
  selectServices,
  serviceWithDefaults,
  splitRule,
  type Manifest,
  type Selection,
} from '@shiprail/detect-changed-services';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import picomatch from 'picomatch';

/** A small deterministic generator, so that every run measures the same data. */
function random(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
}

function syntheticManifest(services: number): Manifest {
  return {
    file: 'synthetic.yml',
    discovered: false,
    global: [{ pattern: 'package-lock.json' }, { pattern: '.github/workflows/**' }],
    libraries: [],
    services: Array.from({ length: services }, (_, index) => {
      const path = `services/svc-${index}`;
      return serviceWithDefaults(`svc-${index}`, {
        path,
        rules: [{ pattern: `${path}/**` }, { pattern: `!${path}/**/*.md` }],
      });
    }),
  };
}

/**
 * Changed paths spread over 40% of the services (some of which only change Markdown, so the exclude rule
 * matters), with a share of paths outside every service; sorted, as `git diff` lists them.
 */
function syntheticPaths(services: number, count: number): string[] {
  const next = random(services * 31 + count);
  const touched = Math.max(1, Math.floor(services * 0.4));
  const paths: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const kind = next(100);
    if (kind < 5) {
      paths.push(`docs/section-${next(50)}/page-${index}.md`);
      continue;
    }
    const service = next(touched) * 2 + (next(10) === 0 ? 1 : 0);
    const onlyDocs = service % 7 === 3;
    const extension = onlyDocs || kind < 15 ? 'md' : 'ts';
    const depth = next(3);
    const directories = ['src', `src/module-${next(20)}`, `src/module-${next(20)}/deep-${next(5)}`][depth] ?? 'src';
    paths.push(`services/svc-${service % services}/${directories}/file-${index}.${extension}`);
  }
  return paths.sort();
}

/** dorny/paths-filter's approach: each rule compiled once, then every path tested against every rule. */
function baselineSelection(manifest: Manifest, paths: readonly string[]): Map<string, number> {
  const compile = (
    patterns: ReadonlyArray<{ pattern: string }>,
  ): Array<{ include: boolean; test: (p: string) => boolean }> =>
    patterns.map(({ pattern }) => {
      const { include, glob } = splitRule(pattern);
      return { include, test: picomatch(glob, GLOB_OPTIONS) };
    });
  const ownerSelects = (rules: ReturnType<typeof compile>, path: string): boolean => {
    let selected = false;
    for (const rule of rules) if (rule.test(path)) selected = rule.include;
    return selected;
  };
  const global = compile(manifest.global);
  const globalHit = paths.some((path) => ownerSelects(global, path));
  const counts = new Map<string, number>();
  for (const service of manifest.services) {
    const rules = compile(service.rules);
    let matched = 0;
    for (const path of paths) if (ownerSelects(rules, path)) matched += 1;
    if (matched > 0 || globalHit) counts.set(service.name, matched);
  }
  return counts;
}

function indexedSelection(manifest: Manifest, paths: readonly string[]): { selection: Selection; compileMs: number } {
  const started = performance.now();
  // A fresh matcher every run: compiling and indexing the rules is part of the time.
  const matcher = new PathMatcher(ruleOwners(manifest));
  const compileMs = performance.now() - started;
  return { selection: selectServices(manifest, matcher, paths, { includeDependents: true }), compileMs };
}

/** Per selected service, how many of its own paths changed (from the reasons: quoted + "and N more"). */
function countsOf(selection: Selection): Map<string, number> {
  return new Map(
    selection.selected.map(({ service, reasons }) => {
      const more = reasons.map((reason) => /^and (\d+) more/.exec(reason)?.[1]).find((value) => value !== undefined);
      const quoted = reasons.filter((reason) => !reason.startsWith('and ') && !reason.startsWith('depends on')).length;
      return [service.name, quoted + Number(more ?? 0)];
    }),
  );
}

function sameSelection(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([name, count]) => b.get(name) === count);
}

/** Wall time, and the CPU time this process spent (the machine may be shared: both are printed). */
function time<T>(body: () => T): { result: T; ms: number; cpuMs: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = body();
  const spent = process.cpuUsage(cpu);
  return { result, ms: performance.now() - started, cpuMs: (spent.user + spent.system) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const format = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const peak = (): string =>
  `peak RSS ${megabytes(process.resourceUsage().maxRSS * 1024)}, heap used ${megabytes(process.memoryUsage().heapUsed)}`;

function measureIndexed(
  manifest: Manifest,
  paths: readonly string[],
  runs: number,
): { selection: Selection; totalMs: number; cpuMs: number; compileMs: number } {
  const totals: number[] = [];
  const cpus: number[] = [];
  const compiles: number[] = [];
  let selection: Selection | undefined;
  for (let run = 0; run < runs; run += 1) {
    const { result, ms, cpuMs } = time(() => indexedSelection(manifest, paths));
    selection = result.selection;
    totals.push(ms);
    cpus.push(cpuMs);
    compiles.push(result.compileMs);
  }
  if (selection === undefined) throw new Error('no run');
  return { selection, totalMs: median(totals), cpuMs: median(cpus), compileMs: median(compiles) };
}

let failed = false;
console.log(
  `load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} on ${availableParallelism()} CPUs`,
);

{
  const services = 1_000;
  const manifest = syntheticManifest(services);
  const paths = syntheticPaths(services, 20_000);
  console.log(`(a) ${services.toLocaleString('en')} services x ${paths.length.toLocaleString('en')} changed paths`);
  const indexed = measureIndexed(manifest, paths, 7);
  const baseline = time(() => baselineSelection(manifest, paths));
  const same = sameSelection(countsOf(indexed.selection), baseline.result);
  const ratio = baseline.ms / indexed.totalMs;
  console.log(
    `    baseline, every path x every rule (picomatch): ${format(baseline.ms)} (CPU ${format(baseline.cpuMs)})`,
  );
  console.log(
    `    indexed rules (compile ${format(indexed.compileMs)} + select): ${format(indexed.totalMs)} ` +
      `(CPU ${format(indexed.cpuMs)}, median of 7)`,
  );
  console.log(`    selected ${indexed.selection.selected.length} services; same selection as baseline: ${same}`);
  console.log(`    speed-up: ${ratio.toFixed(1)}x (target >= 20x)`);
  console.log(`    ${peak()}`);
  if (!same || ratio < 20) failed = true;
}

{
  const services = 10_000;
  const manifest = syntheticManifest(services);
  const paths = syntheticPaths(services, 200_000);
  console.log(`(b) ${services.toLocaleString('en')} services x ${paths.length.toLocaleString('en')} changed paths`);
  const indexed = measureIndexed(manifest, paths, 5);
  console.log(
    `    selection after git listed the paths: ${format(indexed.totalMs)} ` +
      `(CPU ${format(indexed.cpuMs)}; compile and index ${format(indexed.compileMs)}; median of 5; target < 1 s)`,
  );
  console.log(`    selected ${indexed.selection.selected.length} services`);
  // The same paths in no particular order: directories are then looked up rather than carried over.
  const next = random(42);
  const shuffled = [...paths];
  for (let index = shuffled.length - 1; index > 0; index -= 1) {
    const other = next(index + 1);
    [shuffled[index], shuffled[other]] = [shuffled[other] ?? '', shuffled[index] ?? ''];
  }
  const unordered = measureIndexed(manifest, shuffled, 3);
  console.log(
    `    the same paths in no particular order: ${format(unordered.totalMs)} (CPU ${format(unordered.cpuMs)})`,
  );
  console.log(`    ${peak()}`);
  if (indexed.totalMs >= 1000) failed = true;
}

if (failed) {
  console.error('a target was missed');
  process.exitCode = 1;
}
