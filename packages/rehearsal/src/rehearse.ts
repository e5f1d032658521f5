// One rehearsal: a scenario's events run through `.github/workflows/deploy.yml` itself against the world,
// then the report of what every environment runs, what was pushed and what Git recorded.
import { join } from 'node:path';
import { repoRoot } from './action-metadata.ts';
import { meshSelector } from './canary-traffic.ts';
import { ConcurrencyGroups } from './workflow/concurrency.ts';
import type { Value } from './workflow/expressions.ts';
import { installCommand, missingPrerequisites, packagesOf } from './prerequisites.ts';
import { assembleReport, type Report } from './report.ts';
import { callInputs, callSecrets } from './workflow/calls.ts';
import {
  mergeGroupEvent,
  mergeQueueCommit,
  pullRequestEvent,
  pullRequestMergeCommit,
  pushEvent,
} from './workflow/events.ts';
import type { EnvironmentRules } from './workflow/environments.ts';
import {
  runWorkflow,
  type ProgressListener,
  type WorkflowEvent,
  type WorkflowRunResult,
} from './workflow/workflow-run.ts';
import type { Scenario, ScenarioEvent } from './scenarios.ts';
import { readActionPins, resolveThirdParty } from './workflow/third-party.ts';
import { loadWorkflow, type WorkflowDefinition } from './workflow/workflow.ts';
import {
  CALLER_REPOSITORY,
  ENVIRONMENTS,
  GITHUB_TOKEN,
  GITOPS_REPOSITORY,
  GITOPS_TOKEN,
  SUITE_REPOSITORY,
  type World,
} from './world.ts';

export const DEPLOY_WORKFLOW = join(repoRoot, '.github', 'workflows', 'deploy.yml');
export const ACTION_PINS = join(repoRoot, '.github', 'action-pins.yml');

export interface RehearsalResult {
  report: Report;
  runs: WorkflowRunResult[];
  /** Promises of the pipeline the scenario broke (empty: it ended as promised). */
  broken: string[];
}

let nextRunId = 1000;

/** The inputs a caller of deploy.yml passes in this world. */
export function deployInputs(world: World, scenario: Scenario): Record<string, Value> {
  return {
    'image-prefix': world.imagePrefix,
    'gitops-repository': GITOPS_REPOSITORY,
    'prometheus-url': world.prometheus.url,
    'base-url-dev': world.services.dev.url,
    'base-url-staging': world.services.staging.url,
    'base-url-production': world.services.production.url,
    // The mesh's series of the traffic the world sends once the canary rolls out: one judgement over its
    // first 15 s, a sample a second (docs/rehearsal.md).
    'canary-baseline': meshSelector(world.environments.production.namespace),
    'canary-selector': meshSelector(world.environments.canary.namespace),
    'canary-duration': '15s',
    'canary-interval': '15s',
    'canary-step': '1s',
    'rollout-timeout': '2m',
    ...(scenario.controllers ? { 'gitops-controllers': JSON.stringify(scenario.controllers) } : {}),
  };
}

/** What a caller passes deploy.yml, checked as GitHub checks a call (GitHub's messages, naming the file). */
function callOf(
  workflow: WorkflowDefinition,
  given: Record<string, Value>,
  secrets: Record<string, string>,
): { inputs: Record<string, Value>; secrets: Record<string, string> } {
  try {
    return { inputs: callInputs(workflow, given), secrets: callSecrets(workflow, secrets, { GITHUB_TOKEN }) };
  } catch (error) {
    throw new Error(`${workflow.file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const PULL_REQUEST_NUMBER = 7;

/** The repository an event is delivered for: its name, default branch and local repository. */
export interface EventSource {
  fullName: string;
  defaultBranch: string;
  path: string;
}

/**
 * The event as GitHub delivers it: a push to the default branch; a pull request from `feature` into it,
 * run on the merge commit GitHub makes in the caller's repository; or that pull request in the branch's
 * merge queue, run on the queue's commit.
 */
export async function workflowEvent(source: EventSource, event: ScenarioEvent): Promise<WorkflowEvent> {
  const repository = { fullName: source.fullName, defaultBranch: source.defaultBranch };
  const branch = source.defaultBranch;
  if (event.name === 'merge_group') {
    const entry = { baseBranch: branch, baseSha: event.before, pullRequest: PULL_REQUEST_NUMBER };
    return mergeGroupEvent(repository, await mergeQueueCommit(source.path, entry, event.sha), 'octocat');
  }
  if (event.name !== 'pull_request') return pushEvent(repository, branch, event.before, event.sha, 'octocat');
  const mergeSha = await pullRequestMergeCommit(source.path, PULL_REQUEST_NUMBER, event.before, event.sha);
  const pull = {
    number: PULL_REQUEST_NUMBER,
    base: { ref: branch, sha: event.before },
    head: { ref: 'feature', sha: event.sha },
    mergeSha,
  };
  return pullRequestEvent(repository, pull, 'octocat');
}

export interface RehearseOptions {
  progress?: ProgressListener;
  /** The environments' wait timers and deployment branch rules (default none, as new environments have). */
  environmentRules?: EnvironmentRules;
}

/** Runs the scenario in `world` (which it resets first) and reports. */
export async function rehearse(
  world: World,
  scenario: Scenario,
  options: RehearseOptions = {},
): Promise<RehearsalResult> {
  const missing = missingPrerequisites('demo', process.env['PATH'] ?? '', scenario.programs);
  if (missing.length > 0) {
    throw new Error(
      `scenario ${scenario.name} runs ${missing.map((entry) => entry.provides).join(', ')}, which this machine lacks. Install it with: ${installCommand(packagesOf(missing))}`,
    );
  }
  await world.reset(scenario.world);
  const workflow = await loadWorkflow(DEPLOY_WORKFLOW);
  const pins = readActionPins(ACTION_PINS);
  const events = await scenario.events(world);
  const concurrency = new ConcurrencyGroups();
  // Kubeconfigs are environment secrets, released only once an environment approved the job.
  const call = callOf(
    workflow,
    { ...deployInputs(world, scenario), ...scenario.inputs?.(world) },
    { GITOPS_TOKEN, NOTIFY_WEBHOOK_URL: world.webhookUrl },
  );
  let firstWaits: () => void = () => undefined;
  const firstWaiting = new Promise<void>((resolve) => (firstWaits = resolve));
  // The first run's reviewer of `holdUntilNext` never answers: a newer run supersedes it.
  const approve = (environment: string, index: number): Promise<boolean> => {
    if (index === 0 && events.length > 1 && environment === scenario.holdUntilNext) {
      firstWaits();
      return new Promise<boolean>(() => undefined);
    }
    return Promise.resolve(!scenario.rejects.includes(environment));
  };
  const runs: Array<Promise<WorkflowRunResult>> = [];
  for (const [index, event] of events.entries()) {
    if (index > 0) await Promise.race([firstWaiting, ...runs]);
    runs.push(
      runWorkflow({
        workflow,
        runId: (nextRunId += 1),
        event: await workflowEvent(
          { fullName: CALLER_REPOSITORY, defaultBranch: 'main', path: world.repositories[CALLER_REPOSITORY] ?? '' },
          event,
        ),
        workflowRepository: SUITE_REPOSITORY,
        workflowSha: world.suite.sha,
        inputs: call.inputs,
        secrets: call.secrets,
        environmentSecrets: Object.fromEntries(
          ENVIRONMENTS.map((environment) => [environment, { KUBECONFIG: world.kubeconfigs[environment] }]),
        ),
        approve: (environment) => approve(environment, index),
        concurrency,
        actions: resolveThirdParty(world, workflow.file, pins),
        serverUrl: world.gitops.http.url,
        workRoot: join(world.directory, 'runs'),
        baseEnv: world.baseEnv,
        progress: options.progress,
        environmentRules: options.environmentRules,
      }),
    );
  }
  const results = await Promise.all(runs);
  await world.reconciler.settle();
  const last = results[results.length - 1];
  const report = await assembleReport(scenario.name, events.at(-1)?.sha ?? '', last, world, PULL_REQUEST_NUMBER);
  return { report, runs: results, broken: scenario.promises(report, world) };
}
