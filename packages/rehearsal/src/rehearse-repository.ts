// One rehearsal of a user's repository: its own caller workflow run for one event (a push of its commit,
// a pull request of it, or that pull request in a merge queue), calling the suite's deploy.yml, in the
// world made from it; then the report and what the pipeline promises for that event.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '@shiprail/core';
import { rehearsalCaller, worldImagePrefix } from './caller-workflow.ts';
import { assembleReport, type Report } from './report.ts';
import { ACTION_PINS, DEPLOY_WORKFLOW, PULL_REQUEST_NUMBER, workflowEvent, type RehearsalResult } from './rehearse.ts';
import type { RepositoryCaller, RepositoryWorld } from './repository-world.ts';
import type { EventName } from './event-names.ts';
import { ConcurrencyGroups } from './workflow/concurrency.ts';
import { readActionPins, resolveThirdParty } from './workflow/third-party.ts';
import { loadWorkflow } from './workflow/workflow.ts';
import { runWorkflow, type ProgressListener } from './workflow/workflow-run.ts';
import { GITHUB_TOKEN, GITOPS_TOKEN, SUITE_REPOSITORY } from './world.ts';

let nextRunId = 5000;

/**
 * What the pipeline promises for the event, judged from the report: no job failed; on a push every image
 * pushed runs in every environment of the caller; on a pull request or in a merge queue nothing is
 * pushed and Git records no deploy.
 */
export function repositoryPromises(report: Report, event: EventName, environments: readonly string[]): string[] {
  const broken = Object.entries(report.jobs)
    .filter(([, result]) => result === 'failure' || result === 'cancelled')
    .map(([job, result]) => `job ${job} should succeed or be skipped, it is ${result}`);
  if (event !== 'push') {
    if (report.pushed.length > 0) broken.push(`nothing should be pushed, ${report.pushed.length} images were`);
    if (report.gitops.length > 0) broken.push(`Git should record no deploy, it recorded: ${report.gitops.join('; ')}`);
    return broken;
  }
  if (report.pushed.length === 0)
    broken.push('the push should build and push its changed services; nothing was pushed');
  for (const image of report.pushed) {
    for (const environment of environments) {
      const runs = Object.values(report.environments[environment] ?? {});
      if (!runs.includes(image))
        broken.push(`${environment} should run ${image}; it runs ${runs.join(', ') || 'nothing'}`);
    }
  }
  return broken;
}

/** A ConfigurationError when GitHub would not run the caller for the event (its `on:` does not name it). */
export function refuseUnrunEvent(caller: Pick<RepositoryCaller, 'events' | 'file'>, event: EventName): void {
  if (caller.events.includes(event)) return;
  throw new ConfigurationError(
    `its \`on:\` has no ${event} (it has ${caller.events.join(', ')}): GitHub would not run it for this event`,
    { file: caller.file },
  );
}

export interface RepositoryRehearsalOptions {
  event: EventName;
  progress?: ProgressListener;
}

/** Runs the repository's caller for the event in `world` and reports. */
export async function rehearseRepository(
  world: RepositoryWorld,
  options: RepositoryRehearsalOptions,
): Promise<RehearsalResult> {
  const { caller, source } = world;
  const folder = join(world.directory, 'caller');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, caller.file.split('/').at(-1) ?? 'deploy.yml');
  writeFileSync(
    path,
    rehearsalCaller(caller.text, caller.job, {
      imagePrefix: worldImagePrefix(caller.plan.imagePrefix, world.registry.host),
      baseUrls: world.baseUrls(),
      prometheusUrl: world.prometheus?.url ?? '',
      canaryTraffic: world.canaryData === 'traffic',
    }),
  );
  const workflow = await loadWorkflow(path);
  refuseUnrunEvent(caller, options.event);
  const sha = source.head;
  const event = await workflowEvent(
    { fullName: source.fullName, defaultBranch: source.branch, path: world.repositories[source.fullName] ?? '' },
    { name: options.event, sha, before: source.base },
  );
  const kubeconfigs = world.kubeconfigs();
  const run = await runWorkflow({
    workflow,
    runId: (nextRunId += 1),
    event,
    workflowRepository: source.fullName,
    workflowSha: event.sha,
    inputs: {},
    secrets: { GITHUB_TOKEN, GITOPS_TOKEN, NOTIFY_WEBHOOK_URL: world.webhookUrl },
    environmentSecrets: Object.fromEntries(
      Object.entries(kubeconfigs).map(([environment, kubeconfig]) => [environment, { KUBECONFIG: kubeconfig }]),
    ),
    vars: {},
    concurrency: new ConcurrencyGroups(),
    actions: resolveThirdParty(world, workflow.file, readActionPins(ACTION_PINS)),
    resolveWorkflow: () => ({ path: DEPLOY_WORKFLOW, repository: SUITE_REPOSITORY, sha: world.suite.sha }),
    serverUrl: world.gitops.http.url,
    workRoot: join(world.directory, 'runs'),
    baseEnv: world.baseEnv,
    progress: options.progress,
  });
  await world.reconciler.settle();
  const report = await assembleReport(options.event, sha, run, world, PULL_REQUEST_NUMBER);
  return { report, runs: [run], broken: repositoryPromises(report, options.event, caller.plan.environments) };
}
