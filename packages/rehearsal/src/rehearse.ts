// One rehearsal: a scenario's events run through `.github/workflows/deploy.yml` itself against the world,
// then the report of what every environment runs, what was pushed and what Git recorded.
import { join } from 'node:path';
import { repoRoot } from './action-metadata.ts';
import { ConcurrencyGroups } from './workflow/concurrency.ts';
import type { Value } from './workflow/expressions.ts';
import { installCommand, missingPrerequisites, packagesOf } from './prerequisites.ts';
import { assembleReport, type Report } from './report.ts';
import { runWorkflow, type ProgressListener, type WorkflowRunResult } from './workflow/workflow-run.ts';
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
  const app = scenario.canaryData;
  return {
    'image-prefix': world.imagePrefix,
    'gitops-repository': GITOPS_REPOSITORY,
    'prometheus-url': world.prometheus.url,
    'base-url-dev': world.services.dev.url,
    'base-url-staging': world.services.staging.url,
    'base-url-production': world.services.production.url,
    'canary-baseline': `app="${app}",track="stable"`,
    'canary-selector': `app="${app}",track="canary"`,
    'canary-duration': '0',
    'canary-interval': '10m',
    'rollout-timeout': '2m',
    ...(scenario.controllers ? { 'gitops-controllers': JSON.stringify(scenario.controllers) } : {}),
  };
}

/** The workflow_call inputs with their declared defaults, as GitHub passes them. */
export function withDefaults(workflow: WorkflowDefinition, given: Record<string, Value>): Record<string, Value> {
  const inputs: Record<string, Value> = {};
  for (const [name, input] of Object.entries(workflow.callInputs)) {
    const value = given[name] ?? input.default;
    if (value === null && input.required) throw new Error(`${workflow.file}: required input '${name}' is not given`);
    inputs[name] = value ?? (input.type === 'boolean' ? false : input.type === 'number' ? 0 : '');
  }
  const unknown = Object.keys(given).filter((name) => !(name in workflow.callInputs));
  if (unknown.length > 0) throw new Error(`${workflow.file} has no input named ${unknown.join(', ')}`);
  return inputs;
}

const PULL_REQUEST_NUMBER = 7;

function eventPayload(event: ScenarioEvent): Record<string, unknown> {
  const repository = { full_name: CALLER_REPOSITORY, name: 'shop', owner: { login: 'acme' }, default_branch: 'main' };
  if (event.name === 'pull_request') {
    return {
      action: 'synchronize',
      number: PULL_REQUEST_NUMBER,
      pull_request: {
        number: PULL_REQUEST_NUMBER,
        base: { ref: 'main', sha: event.before },
        head: { ref: 'feature', sha: event.sha },
      },
      repository,
    };
  }
  return { ref: 'refs/heads/main', before: event.before, after: event.sha, repository };
}

export interface RehearseOptions {
  progress?: ProgressListener;
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
  const inputs = withDefaults(workflow, { ...deployInputs(world, scenario), ...scenario.inputs?.(world) });
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
        event: {
          name: event.name,
          payload: eventPayload(event),
          sha: event.sha,
          ref: event.name === 'push' ? 'refs/heads/main' : `refs/pull/${PULL_REQUEST_NUMBER}/merge`,
          repository: CALLER_REPOSITORY,
          actor: 'octocat',
        },
        workflowRepository: SUITE_REPOSITORY,
        workflowSha: world.suite.sha,
        inputs,
        // Kubeconfigs are environment secrets, released only once an environment approved the job.
        secrets: { GITHUB_TOKEN, GITOPS_TOKEN, NOTIFY_WEBHOOK_URL: world.webhookUrl },
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
      }),
    );
  }
  const results = await Promise.all(runs);
  await world.reconciler.settle();
  const last = results[results.length - 1];
  const report = await assembleReport(scenario.name, events.at(-1)?.sha ?? '', last, world, PULL_REQUEST_NUMBER);
  return { report, runs: results, broken: scenario.promises(report, world) };
}
