// Speed of detect-changed-services on synthetic monorepos (two rules per service), measured two ways:
//   whole process: the bundled action run as the runner runs it, on a real repository whose head commit
//     changes the paths, against a plain `git diff --name-status` of the same commits (the floor), Node
//     starting on an empty module (what any JavaScript action pays first), Node running that diff and
//     reading its output (the least a JavaScript action doing this job does), and that same diff
//     followed by the every-rule selection (the baseline);
//   selection alone: the indexed rules against the plain approach dorny/paths-filter takes (every changed
//     path tested against every rule with picomatch), measured in the same run, with the same selection
//     required of both.
// Targets: (a) 1,000 services x 20,000 changed paths: whole process <= 100 ms, selection >= 20x faster than
// the baseline; (b) 5,000 x 100,000: whole process < 1 s (the every-rule baseline would take minutes: not
// run); (c) 10,000 x 200,000: selection < 1 s. Process times are the best of several runs, as the machine
// may be shared; the median is printed beside it.
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
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import picomatch from 'picomatch';
import { readActionMetadata, repoRoot } from '@shiprail/rehearsal/action-metadata';
import { inputEnvName, node24, runBundledAction } from '@shiprail/rehearsal/workflow';
import { median } from './lib/timing.ts';

/** A small deterministic generator, so that every run measures the same data. */
function random(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
}

const servicePath = (index: number): string => `services/svc-${index}`;
const GLOBAL_RULES = ['package-lock.json', '.github/workflows/**'];
const serviceRules = (index: number): string[] => [`${servicePath(index)}/**`, `!${servicePath(index)}/**/*.md`];

function syntheticManifest(services: number): Manifest {
  return {
    file: 'synthetic.yml',
    discovered: false,
    global: GLOBAL_RULES.map((pattern) => ({ pattern })),
    libraries: [],
    services: Array.from({ length: services }, (_, index) =>
      serviceWithDefaults(`svc-${index}`, {
        path: servicePath(index),
        rules: serviceRules(index).map((pattern) => ({ pattern })),
      }),
    ),
  };
}

/** The same manifest as the YAML file a repository holds. */
function syntheticManifestText(services: number): string {
  const lines = ['global:', ...GLOBAL_RULES.map((rule) => `  - '${rule}'`), 'services:'];
  for (let index = 0; index < services; index += 1) {
    const [include = '', exclude = ''] = serviceRules(index);
    lines.push(`  svc-${index}:`, `    path: ${servicePath(index)}`, `    paths: ['${include}', '${exclude}']`);
  }
  return `${lines.join('\n')}\n`;
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

interface SyntheticRepository {
  path: string;
  base: string;
  head: string;
}

/**
 * A real repository: the base commit holds the manifest and every path, the head commit modifies every
 * path (written with `git fast-import`, so that 100,000 files take seconds; only the manifest is in the
 * work tree, which is all the action reads besides git).
 */
function syntheticRepository(services: number, paths: readonly string[]): SyntheticRepository {
  const path = join(mkdtempSync(join(tmpdir(), 'bench-detect-')), 'repo');
  mkdirSync(join(path, '.github'), { recursive: true });
  const git = (args: string[], input?: string): string =>
    execFileSync('git', args, { cwd: path, input, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
  git(['init', '--quiet', '--initial-branch=main']);
  const manifest = syntheticManifestText(services);
  writeFileSync(join(path, '.github', 'services.yml'), manifest);
  const blob = (mark: number, text: string): string =>
    `blob\nmark :${mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  const commit = (mark: number, message: string, content: number, parent?: number): string => {
    const files = paths.map((file) => `M 100644 :${content} ${file}\n`).join('');
    return (
      `commit refs/heads/main\nmark :${mark}\ncommitter Bench <bench@example.com> 1767225600 +0000\n` +
      `data ${message.length}\n${message}\n${parent === undefined ? '' : `from :${parent}\n`}` +
      `M 100644 :1 .github/services.yml\n${files}\n`
    );
  };
  const stream =
    blob(1, manifest) + blob(2, 'before\n') + blob(3, 'after\n') + commit(4, 'base', 2) + commit(5, 'head', 3, 4);
  git(['fast-import', '--quiet'], stream);
  return { path, base: git(['rev-parse', 'main~1']), head: git(['rev-parse', 'main']) };
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

/** The same counts from the action's `matrix` output. */
function countsOfMatrix(matrix: string): Map<string, number> {
  const entries = (JSON.parse(matrix) as { include: Array<{ service: string; reasons: string[] }> }).include;
  return countsOf({
    selected: entries.map(({ service, reasons }) => ({ service: serviceWithDefaults(service, { path: '' }), reasons })),
    all: false,
    globalPaths: [],
  });
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

interface ProcessTime {
  wallMs: number;
  /** User + system CPU time of the process and every process it waited for (git, for the action). */
  cpuMs: number;
}

/**
 * Wall and CPU time of a child process, from spawn to exit. The CPU time comes from bash's `times` (its
 * children's user and system time): on a shared machine it stays what the work costs, when wall time
 * grows with everyone else's load.
 */
function timeProcess(
  program: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessTime> {
  const started = performance.now();
  const child = spawn('bash', ['-c', '"$@" >/dev/null || exit 1; times', 'timed', program, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${program} exited with ${code}`));
      // `times` prints the shell's own times, then its children's: "0m0.712s 0m0.301s".
      const children = out.trim().split('\n').pop() ?? '';
      const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, sec]) => Number(m) * 60 + Number(sec));
      resolve({ wallMs: performance.now() - started, cpuMs: seconds.reduce((sum, value) => sum + value, 0) * 1000 });
    });
  });
}

/** The runner's environment for the action on a push of base..head (as the harness in packages/rehearsal sets it). */
function runnerEnvironment(repository: SyntheticRepository, runnerDir: string): NodeJS.ProcessEnv {
  const event = join(runnerDir, 'event.json');
  writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main', before: repository.base, after: repository.head }));
  for (const name of ['output', 'summary.md']) writeFileSync(join(runnerDir, name), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: runnerDir,
    GITHUB_OUTPUT: join(runnerDir, 'output'),
    GITHUB_STEP_SUMMARY: join(runnerDir, 'summary.md'),
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: repository.head,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKSPACE: repository.path,
  };
  for (const input of readActionMetadata('detect-changed-services').inputs) {
    env[inputEnvName(input.name)] = input.default ?? '';
  }
  return env;
}

interface WholeProcess {
  action: ProcessTime;
  floor: ProcessTime;
  /** Node starting and running an empty module: what any JavaScript action pays before its first line. */
  nodeStart: ProcessTime;
  /** Node starting, running the same `git diff` and reading its output: the least a JavaScript action can do here. */
  nodeDiff: ProcessTime;
  /** CPU time of the floor plus the every-rule selection; undefined when that would take minutes. */
  baselineCpuMs: number | undefined;
  same: boolean | undefined;
  selected: number;
}

/** Best of `runs` (the machine is shared: the best run is the one least disturbed) and median. */
const summary = (values: number[]): { best: number; median: number } => ({
  best: Math.min(...values),
  median: median(values),
});

/** The bundled action against the floor (git diff alone) and the baseline (git diff + every rule). */
async function measureWholeProcess(
  services: number,
  count: number,
  runs: number,
  withBaseline: boolean,
): Promise<WholeProcess> {
  const paths = syntheticPaths(services, count);
  const repository = syntheticRepository(services, paths);
  const diff = ['diff', '--no-ext-diff', '--name-status', '-z', '-M', repository.base, repository.head];
  const floors: ProcessTime[] = [];
  const actions: ProcessTime[] = [];
  const starts: ProcessTime[] = [];
  const runnerDir = mkdtempSync(join(tmpdir(), 'bench-runner-'));
  const empty = join(runnerDir, 'empty.mjs');
  writeFileSync(empty, '');
  const diffOnly = join(runnerDir, 'diff-only.mjs');
  writeFileSync(
    diffOnly,
    `import { execFileSync } from 'node:child_process';\n` +
      `execFileSync('git', ${JSON.stringify(diff)}, { maxBuffer: 1 << 30 }).toString('utf8');\n`,
  );
  const diffs: ProcessTime[] = [];
  const env = runnerEnvironment(repository, runnerDir);
  const bundle = join(repoRoot, 'dist', 'detect-changed-services', 'index.js');
  let matrix = '';
  try {
    // The harness's run first: it checks the outputs as the runner would read them.
    const checked = await runBundledAction('detect-changed-services', {
      workspace: repository.path,
      eventName: 'push',
      event: { ref: 'refs/heads/main', before: repository.base, after: repository.head },
      sha: repository.head,
    });
    if (checked.exitCode !== 0) throw new Error(`the action failed: ${checked.errors.join('; ') || checked.stderr}`);
    matrix = checked.outputs['matrix'] ?? '';
    for (let run = 0; run < runs; run += 1) {
      floors.push(await timeProcess('git', diff, repository.path));
      starts.push(await timeProcess(node24, [empty], repository.path, env));
      diffs.push(await timeProcess(node24, [diffOnly], repository.path, env));
      writeFileSync(join(runnerDir, 'output'), '');
      actions.push(await timeProcess(node24, [bundle], repository.path, env));
    }
    const best = (times: ProcessTime[]): ProcessTime => ({
      wallMs: summary(times.map((t) => t.wallMs)).best,
      cpuMs: median(times.map((t) => t.cpuMs)),
    });
    const floor = best(floors);
    const baseline = withBaseline ? time(() => baselineSelection(syntheticManifest(services), paths)) : undefined;
    return {
      action: best(actions),
      floor,
      nodeStart: best(starts),
      nodeDiff: best(diffs),
      baselineCpuMs: baseline === undefined ? undefined : floor.cpuMs + baseline.cpuMs,
      same: baseline === undefined ? undefined : sameSelection(countsOfMatrix(matrix), baseline.result),
      selected: countsOfMatrix(matrix).size,
    };
  } finally {
    rmSync(join(repository.path, '..'), { recursive: true, force: true });
    rmSync(runnerDir, { recursive: true, force: true });
  }
}

let failed = false;
console.log(
  `load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} on ${availableParallelism()} CPUs`,
);

for (const [label, services, count, runs, target, withBaseline] of [
  ['(a)', 1_000, 20_000, 9, 100, true],
  ['(b)', 5_000, 100_000, 5, 1000, false],
] as const) {
  console.log(
    `${label} whole process, ${services.toLocaleString('en')} services x ${count.toLocaleString('en')} changed files`,
  );
  const whole = await measureWholeProcess(services, count, runs, withBaseline);
  const { action, floor } = whole;
  console.log(`    git diff --name-status alone (the floor): CPU ${format(floor.cpuMs)}, wall ${format(floor.wallMs)}`);
  console.log(
    `    Node starting on an empty module: CPU ${format(whole.nodeStart.cpuMs)}, wall ${format(whole.nodeStart.wallMs)}`,
  );
  console.log(
    `    Node running that git diff and reading its output (the least a JavaScript action does): ` +
      `CPU ${format(whole.nodeDiff.cpuMs)}, wall ${format(whole.nodeDiff.wallMs)}`,
  );
  console.log(
    `    the bundled action, as the runner runs it: CPU ${format(action.cpuMs)} (median of ${runs}), ` +
      `wall ${format(action.wallMs)} (best of ${runs}); target <= ${format(target)}`,
  );
  console.log(
    `    ${(action.cpuMs / floor.cpuMs).toFixed(1)}x the floor's CPU time, ` +
      `${(action.wallMs / whole.nodeDiff.wallMs).toFixed(2)}x the wall time of Node running the diff; ` +
      `selected ${whole.selected} services`,
  );
  if (whole.baselineCpuMs !== undefined) {
    console.log(
      `    git diff + every path x every rule (baseline): CPU ${format(whole.baselineCpuMs)}; ` +
        `${(whole.baselineCpuMs / action.cpuMs).toFixed(1)}x the action's; same selection: ${String(whole.same)}`,
    );
  }
  if (whole.same === false || Math.min(action.cpuMs, action.wallMs) > target) failed = true;
}

{
  const services = 1_000;
  const manifest = syntheticManifest(services);
  const paths = syntheticPaths(services, 20_000);
  console.log(
    `(a) selection alone, ${services.toLocaleString('en')} services x ${paths.length.toLocaleString('en')} changed paths`,
  );
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
  if (!same || ratio < 20) failed = true;
}

{
  const services = 10_000;
  const manifest = syntheticManifest(services);
  const paths = syntheticPaths(services, 200_000);
  console.log(
    `(c) selection alone, ${services.toLocaleString('en')} services x ${paths.length.toLocaleString('en')} changed paths`,
  );
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
