// `shiprail init [DIR]`: plan from the repository, print what was found, then write the files that are
// new, and for those that exist show a diff and write them only with --force (or a yes on a terminal).
import { posix } from 'node:path';
import { unifiedDiff } from '../diff.ts';
import type { CliSystem } from '../system.ts';
import { textTable } from '../table.ts';
import { planInit, type InitPlan } from './plan.ts';

export interface InitOptions {
  directory: string;
  force: boolean;
  dryRun: boolean;
  workflow?: string;
}

/** The table of services: how each is built, from where, what runs it, and where each value was read. */
export function servicesTable(plan: InitPlan): string {
  const rows = plan.services.map((service) => [
    service.name,
    service.builder.value,
    service.context.value,
    service.dockerfile?.value ?? (service.build === undefined ? '- (add build:)' : '- (build command)'),
    service.workload === undefined
      ? '-'
      : `${service.workload.resource}${service.workload.container === service.workload.resource.split('/')[1] ? '' : ` (${service.workload.container})`}`,
    service.workload?.image ?? '-',
    [
      `${service.origin}: ${service.image.source}`,
      ...(service.build === undefined ? [] : [`build: ${service.build.source}`]),
      ...(service.workload === undefined ? [] : [`workload: ${service.workload.source}`]),
      ...(service.workload?.probe === undefined ? [] : [`probe: ${service.workload.probe.source}`]),
    ].join('; '),
  ]);
  return textTable(
    ['SERVICE', 'BUILT WITH', 'CONTEXT', 'DOCKERFILE', 'WORKLOAD', 'IMAGE IN MANIFESTS', 'SOURCE'],
    rows,
  );
}

export async function runInit(options: InitOptions, system: CliSystem): Promise<number> {
  const { terminal } = system;
  const root = options.directory;
  const files = system.listFiles(root);
  const facts = await system.gitFacts(root);
  const workflow = options.workflow ?? system.suiteWorkflow();
  const plan = await planInit(files, {
    repositoryName: posix.basename(root.replace(/\\/g, '/').replace(/\/+$/, '')) || 'app',
    ...(facts.githubRepository === undefined ? {} : { githubRepository: facts.githubRepository }),
    defaultBranch: facts.defaultBranch ?? 'main',
    ...(workflow === undefined ? {} : { workflow }),
    environment: new Map(
      Object.entries(system.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    render: (folder) => system.renderKustomization(root, folder),
  });
  if (plan.services.length === 0) {
    terminal.err('shiprail init: no service found (no skaffold.yaml, compose file with build:, or Dockerfile)');
    return 1;
  }
  terminal.out(`${servicesTable(plan)}\n`);
  if (plan.libraries.length > 0)
    terminal.out(
      `\nLibraries: ${plan.libraries.map((library) => `${library.name} (${library.path.value}, ${library.path.source})`).join(', ')}\n`,
    );
  if (plan.skipped.length > 0) {
    terminal.out(
      `\nNot services:\n${plan.skipped.map((skipped) => `  ${skipped.file}: ${skipped.reason}`).join('\n')}\n`,
    );
  }
  terminal.out(`\nImage prefix: ${plan.imagePrefix.value} (${plan.imagePrefix.source})\n`);
  for (const note of plan.notes) terminal.out(`Note: ${note}\n`);
  const written = await writePlan(plan, options, system);
  if (plan.toAdd.length > 0)
    terminal.out(`\nTo add by hand (init cannot derive these):\n${plan.toAdd.map((line) => `  ${line}`).join('\n')}\n`);
  return written ? 0 : 1;
}

/** Writes new files; existing ones that differ are shown as a diff and written only when allowed. True when nothing was held back. */
async function writePlan(plan: InitPlan, options: InitOptions, system: CliSystem): Promise<boolean> {
  const { terminal } = system;
  const writes: InitPlan['files'] = [];
  const heldBack: string[] = [];
  for (const file of plan.files) {
    const existing = system.readFile(options.directory, file.path);
    if (existing === file.content) {
      terminal.out(`unchanged ${file.path}\n`);
      continue;
    }
    if (existing === undefined) {
      writes.push(file);
      continue;
    }
    terminal.out(`\n${unifiedDiff(file.path, existing, file.content)}`);
    const allowed =
      options.force ||
      (terminal.interactive &&
        !options.dryRun &&
        /^y(es)?$/i.test((await terminal.ask(`Overwrite ${file.path}? [y/N] `)).trim()));
    if (allowed) writes.push(file);
    else heldBack.push(file.path);
  }
  if (options.dryRun) {
    for (const file of writes) terminal.out(`would write ${file.path}\n`);
    return true;
  }
  system.writeFiles(options.directory, writes);
  for (const file of writes) terminal.out(`wrote ${file.path}\n`);
  if (heldBack.length > 0) {
    terminal.err(
      `shiprail init: ${heldBack.join(', ')} exist${heldBack.length === 1 ? 's' : ''} and differ${heldBack.length === 1 ? 's' : ''} (diff above): left as they are; --force overwrites\n`,
    );
    return false;
  }
  return true;
}
