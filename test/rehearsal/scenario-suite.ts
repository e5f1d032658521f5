// What the scenario suites share: one rehearsal world per test file (started before its scenarios, reset
// between them, stopped after), and the expectations they read from a rehearsal's report.
import {
  jobTable,
  progressPrinter,
  rehearse,
  scenarioNamed,
  startWorld,
  type RehearsalResult,
  type World,
} from '@shiprail/rehearsal';

export const shared = {} as { world: World };

/** Starts the file's world before its first scenario and stops it after the last. */
export function useSharedWorld(): void {
  beforeAll(async () => {
    shared.world = await startWorld();
  }, 180_000);
  afterAll(() => shared.world.stop(), 60_000);
}

/** What `npm run demo` prints of a rehearsal's runs: each step, a failed one with its errors, then the jobs. */
export function replayedProgress(result: RehearsalResult): string {
  const lines: string[] = [];
  const printer = progressPrinter(
    (line) => lines.push(line),
    () => result.runs.length > 1,
  );
  result.runs.forEach((run, index) => {
    for (const job of run.jobs) {
      for (const step of job.steps) printer.stepFinished(index + 1, job, step);
      printer.jobFinished(index + 1, job);
    }
  });
  return [...lines, '', jobTable(result.runs)].join('\n');
}

/**
 * Rehearses a scenario in the file's world. One that broke its promises prints how its runs went, so that
 * the failed expectations after it come with their cause.
 */
export async function rehearseNamed(name: string): Promise<RehearsalResult> {
  const result = await rehearse(shared.world, scenarioNamed(name));
  if (result.broken.length > 0)
    console.error(`${name} broke its promises: ${result.broken.join('; ')}\n${replayedProgress(result)}`);
  return result;
}

/** The default chain's environments, in order. */
export const DEPLOY_JOBS = ['dev', 'staging', 'canary', 'production'];
/** The job deploying an environment of the default chain: staging is a leg of the matrix between first and last. */
export const jobOf = (environment: string): string => (environment === 'staging' ? 'middle (staging)' : environment);

/** Expected job conclusions of a push run: every test, build, release and deploy job named. */
export function jobs(
  tests: { api: string; worker?: string },
  builds: { api: string; worker?: string },
  release: string,
  deploys: readonly string[],
): Record<string, string> {
  return {
    plan: 'success',
    detect: 'success',
    'test (api)': tests.api,
    'test (worker)': tests.worker ?? 'success',
    // A matrix job skipped as a whole is one job under its id, as GitHub shows it.
    ...(builds.api === 'skipped'
      ? { build: 'skipped' }
      : { 'build (api)': builds.api, 'build (worker)': builds.worker ?? 'success' }),
    release,
    ...Object.fromEntries(
      DEPLOY_JOBS.map((environment, index) => {
        const result = deploys[index] ?? 'skipped';
        // A matrix job skipped as a whole is one job under its id.
        return [environment === 'staging' && result === 'skipped' ? 'middle' : jobOf(environment), result];
      }),
    ),
    notify: release === 'success' ? 'success' : 'skipped',
    comment: 'skipped',
    manifests: 'skipped',
  };
}

export const PASSED = { api: 'success' };

/** Which environments run the release (the pushed api and worker) and which still run 0.1.0. */
export function expectEnvironments(result: RehearsalResult, released: readonly string[]): void {
  const { report } = result;
  for (const environment of DEPLOY_JOBS) {
    const images = report.environments[environment] ?? {};
    expect(images['web']).toBe(`${shared.world.imagePrefix}/web:0.1.0`);
    for (const service of ['api', 'worker']) {
      if (released.includes(environment)) {
        expect({ environment, service, pushed: report.pushed.includes(images[service] ?? '') }).toEqual({
          environment,
          service,
          pushed: true,
        });
      } else {
        expect({ environment, image: images[service] }).toEqual({
          environment,
          image: `${shared.world.imagePrefix}/${service}:0.1.0`,
        });
      }
    }
  }
}

/** GitOps subjects after the seed: one commit per environment deployed, reverts included. */
export const gitopsTargets = (result: RehearsalResult): string[] =>
  result.report.gitops.slice(1).map((subject) => {
    const environment = / to ([\w.-]+)"?$/.exec(subject)?.[1] ?? '?';
    return subject.startsWith('Revert') ? `revert ${environment}` : environment;
  });

/** Names and conclusions of a job's steps. */
export const stepsOf = (result: RehearsalResult, key: string, run = 0): Array<[string, string]> =>
  (result.runs[run]?.jobs.find((job) => job.key === key)?.steps ?? []).map((step) => [step.name, step.conclusion]);

/** A job's step, by its name. */
export const stepNamed = (result: RehearsalResult, key: string, name: string, run = 0) =>
  result.runs[run]?.jobs.find((job) => job.key === key)?.steps.find((step) => step.name === name);

export const notifications = (): string[] => shared.world.github.notificationTexts();
