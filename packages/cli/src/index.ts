export { loadRehearsal, runCli, USAGE } from './cli.ts';
export { unifiedDiff } from './diff.ts';
export { githubRepositoryOf, installedWorkflow, nodeSystem } from './node-system.ts';
export type { CliSystem, RepositoryFacts, Terminal } from './system.ts';
export { parseDotEnv, substitute } from './init/compose-variables.ts';
export { composeServices } from './init/compose.ts';
export { findDependencies } from './init/dependencies.ts';
export { readDockerfile } from './init/dockerfile.ts';
export { dockerfileServices } from './init/dockerfiles.ts';
export { renderHelmTemplate } from './init/helm.ts';
export { planInit, type InitContext, type InitPlan, type PlannedService } from './init/plan.ts';
export { MemoryFiles, resolveInside, type RepositoryFiles } from './init/repository.ts';
export { runInit, servicesTable } from './init/run.ts';
export { buildReads, imageName, serviceName } from './init/service.ts';
export { skaffoldServices } from './init/skaffold.ts';
export { findWorkloads } from './init/workloads.ts';
export { environmentsOf, renderCallerWorkflow, renderServicesManifest, yamlScalar } from './init/written-files.ts';
export {
  parseRehearseOptions,
  type RehearseArguments,
  type RehearseOptions,
  type RehearsalTarget,
} from './rehearse/options.ts';
