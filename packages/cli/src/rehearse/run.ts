// `shiprail rehearse`: starts the world (a user's repository's, or the built-in sample's), runs the
// workflow in it with a line per job and step as they finish, then prints the jobs, what each
// environment runs, the GitOps history and what the clusters refused, and writes the report.
import { basename, dirname } from 'node:path';
import { escapeUntrusted } from '@shiprail/core';
import {
  jobTable,
  progressPrinter,
  rehearse,
  readRepositoryCaller,
  refuseUnrunEvent,
  rehearseRepository,
  RepositoryWorld,
  repositorySource,
  SCENARIO_NAMES,
  scenarioNamed,
  startWorld,
  type RehearsalResult,
} from '@shiprail/rehearsal';
import type { CliSystem } from '../system.ts';
import type { RehearseOptions } from './options.ts';

/** What was rehearsed, as the heading and the verdict name it. */
interface Rehearsal {
  title: string;
  /** What the verdict names. */
  name: string;
  intro: string;
  /** Why the installed Trivy was passed over for the recorded reports, when it was. */
  scanNote: string | undefined;
  /** What to say after the run of what the world did not do (images of what ran before that did not build). */
  notes?: () => string[];
  run(progress: ReturnType<typeof progressPrinter>): Promise<RehearsalResult>;
  stop(): Promise<void>;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function sampleRehearsal(scenarioName: string): Promise<Rehearsal> {
  const scenario = scenarioNamed(scenarioName);
  const world = await startWorld(scenario.world);
  return {
    title: `scenario ${scenario.name}`,
    name: scenario.name,
    intro: `${scenario.description}\n(scenarios: ${SCENARIO_NAMES.join(', ')})`,
    scanNote: world.scan.note,
    run: (progress) => rehearse(world, scenario, { progress }),
    stop: () => world.stop(),
  };
}

async function repositoryRehearsal(
  target: Extract<RehearseOptions['target'], { kind: 'repository' }>,
  system: CliSystem,
): Promise<Rehearsal> {
  const facts = await system.gitFacts(target.directory);
  // Without a GitHub remote, the repository goes by its folder's name (as a GitHub name would be spelt).
  const folder = basename(target.directory)
    .replace(/[^\w.-]+/g, '-')
    .replace(/^\.+/, '');
  const fullName = facts.githubRepository ?? `local/${folder || 'repository'}`;
  const source = await repositorySource(target.directory, {
    fullName,
    ...(target.base === undefined ? {} : { base: target.base }),
  });
  const caller = await readRepositoryCaller(source);
  refuseUnrunEvent(caller, target.event);
  const world = await RepositoryWorld.start(source, caller);
  const { plan, file } = world.caller;
  const short = (sha: string): string => sha.slice(0, 7);
  const what =
    target.event === 'push'
      ? `a push of ${short(source.head)} to ${source.branch} (after ${short(source.base)})`
      : target.event === 'pull_request'
        ? `a pull request of ${short(source.head)} into ${source.branch} at ${short(source.base)}`
        : `a pull request of ${short(source.head)} in ${source.branch}'s merge queue at ${short(source.base)}`;
  const canary = {
    none: `no canary judged (no ${plan.canaryMetrics})`,
    traffic: `the canary judged on the traffic sent to its pods and ${plan.environments.at(-1) ?? ''}'s`,
    recorded: 'the canary judged on recorded series (no pod runs)',
  }[world.canaryData];
  return {
    title: `${fullName}: ${target.event}`,
    name: `the ${target.event} of ${fullName}`,
    intro: [
      `${file} (job ${world.caller.job}) for ${what}`,
      `Environments: ${plan.environments.join(', ')}; ${canary}; GitOps repository ${plan.gitopsRepository} (${plan.overlays})`,
      ...podLines(world, short(source.base)),
      ...(source.uncommitted.length === 0
        ? []
        : [
            `Not rehearsed: ${source.uncommitted.length} file${source.uncommitted.length === 1 ? '' : 's'} changed but not committed (git status); commit them to rehearse them.`,
          ]),
    ].join('\n'),
    scanNote: world.scan.note,
    notes: () => (world.prior?.failed ?? []).map((why) => `What ran before, not built and taken as running: ${why}`),
    run: (progress) => rehearseRepository(world, { event: target.event, progress }),
    stop: () => world.stop(),
  };
}

/** What the intro says of the pods: whether they run, and what the environments ran before. */
function podLines(world: RepositoryWorld, base: string): string[] {
  if (!world.runsPods)
    return [
      'Pods do not run here (running images needs root): every rollout is taken as ready at once, and with no base URLs the smoke tests are skipped.',
    ];
  const built = (world.prior?.candidates ?? []).map((image) => image.replace(/^.*\//, ''));
  return [
    "Pods: the built images run here (Docker Hub's busybox from the rehearsal's mirror); rollouts wait for their readiness probes, and the smoke tests call each environment's ingress.",
    built.length > 0
      ? `What the environments ran before, built from ${base} when a pod first runs it: ${built.join(', ')}; any other image is taken as running and never pulled.`
      : `What the environments ran before is taken as running and never pulled (nothing built from ${base}: no ${world.caller.plan.servicesConfig} there, or no image of it named by tag).`,
  ];
}

/** The tables after the run: jobs, what each environment runs, the GitOps history, what was not applied. */
function printResult(result: RehearsalResult, scanNote: string | undefined, out: (line: string) => void): void {
  out(`\nJobs\n${jobTable(result.runs)}`);
  out('\nWhat each environment runs');
  const width = Math.max(...Object.keys(result.report.environments).map((name) => name.length));
  for (const [environment, images] of Object.entries(result.report.environments)) {
    out(
      `  ${environment.padEnd(width)} ${Object.entries(images)
        .map(([service, image]) => `${service}=${image.replace(/^.*\//, '')}`)
        .join('  ')}`,
    );
  }
  const passedOver = scanNote === undefined ? '' : ` (${escapeUntrusted(scanNote)})`;
  out(`\nImages scanned by ${result.report.scan}${passedOver}`);
  const history = result.report.gitops.map((subject) => `  ${escapeUntrusted(subject)}`);
  out(`\nGitOps history\n${history.length > 0 ? history.join('\n') : '  (no commit)'}`);
  const unapplied = Object.entries(result.report.clusters);
  if (unapplied.length > 0) {
    const lines = unapplied.map(
      ([environment, why]) => `  ${environment}: ${why.split('\n').map(escapeUntrusted).join('\n    ')}`,
    );
    out(`\nWhat the clusters did not apply\n${lines.join('\n')}`);
  }
}

/** Exit status: 0 the rehearsal ended as the pipeline promises, 1 it did not, 2 the machine lacks a program. */
export async function runRehearse(options: RehearseOptions, system: CliSystem): Promise<number> {
  const out = (line: string): void => system.terminal.out(`${line}\n`);
  if (options.target.kind === 'sample' && !(SCENARIO_NAMES as readonly string[]).includes(options.target.scenario)) {
    system.terminal.err(
      `shiprail rehearse: --scenario '${options.target.scenario}' is none of ${SCENARIO_NAMES.join(', ')}\n`,
    );
    return 2;
  }
  const programs = options.target.kind === 'sample' ? (scenarioNamed(options.target.scenario).programs ?? []) : [];
  if (!system.ensurePrerequisites(programs)) return 2;
  const started = Date.now();
  const rehearsal =
    options.target.kind === 'sample'
      ? await sampleRehearsal(options.target.scenario)
      : await repositoryRehearsal(options.target, system);
  try {
    out(`Rehearsing .github/workflows/deploy.yml: ${rehearsal.title}`);
    // The intro quotes the repository's caller (its paths and names): no line of it may start a workflow command.
    out(`${rehearsal.intro.split('\n').map(escapeUntrusted).join('\n')}\n`);
    out(`World ready in ${seconds(started)}\n`);
    const multipleRuns =
      options.target.kind === 'sample' && scenarioNamed(options.target.scenario).holdUntilNext !== undefined;
    const result = await rehearsal.run(progressPrinter(out, () => multipleRuns));
    printResult(result, rehearsal.scanNote, out);
    const notes = rehearsal.notes?.() ?? [];
    if (notes.length > 0) out(`\n${notes.map(escapeUntrusted).join('\n')}`);
    if (options.report !== undefined) {
      system.writeFiles(dirname(options.report), [
        { path: basename(options.report), content: `${JSON.stringify(result.report, null, 2)}\n` },
      ]);
    }
    if (result.broken.length === 0) {
      out(`\n✔ ${rehearsal.name} ended as the pipeline promises (${seconds(started)} in all)`);
      return 0;
    }
    out(`\n✘ ${rehearsal.name} did not end as the pipeline promises (${seconds(started)} in all):`);
    for (const promise of result.broken) out(`  - ${escapeUntrusted(promise)}`);
    return 1;
  } finally {
    await rehearsal.stop();
  }
}
