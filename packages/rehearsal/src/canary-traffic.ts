// The canary's traffic in the rehearsal's world: when a canary environment rolls out the workload the
// canary metrics judge, steady traffic goes to it and to the baseline (production's), recorded as the mesh
// records it (servers/traffic.ts) into the Prometheus the canary job queries. Where a workload is reached
// is one function, WorkloadAddresses. Each environment's sample service answers with the api module of the
// commit it runs, so a change to the api's code changes how that environment answers under load.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gitIn } from './git.ts';
import type { MeshTraffic, TrafficTarget } from './servers/traffic.ts';
import type { SampleApi } from './servers/sample-service.ts';

/** The base URLs at which an environment's workload answers now (its ready pods), e.g. `http://10.0.0.2:8080`. */
export type WorkloadAddresses = (
  environment: string,
  workload: string,
) => readonly string[] | Promise<readonly string[]>;

/** The workload the sample's canary metrics judge, and where its module is in the monorepo. */
export const CANARY_WORKLOAD = 'api';
export const CANARY_WORKLOAD_MODULE = 'services/api/src/server.js';
/** The environment whose workloads are the canary's baseline. */
export const BASELINE_ENVIRONMENT = 'production';
const CANARY_ENVIRONMENTS: ReadonlySet<string> = new Set(['canary', 'prod-canary']);

/** The canary inputs' label matchers of a workload in a namespace, in the mesh's labels. */
export function meshSelector(namespace: string, workload = CANARY_WORKLOAD): string {
  return `destination_workload="${workload}",destination_workload_namespace="${namespace}"`;
}

/** The api module's exports, from its source text; a module that does not load answers every item read with an error. */
export async function loadApiModule(source: string, directory: string): Promise<SampleApi> {
  const folder = mkdtempSync(join(directory, 'api-module-'));
  const file = join(folder, 'server.mjs');
  writeFileSync(file, source);
  try {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const items = module['items'];
    return typeof items === 'function' ? { items: items as () => unknown } : {};
  } catch (error) {
    return {
      items: () => {
        throw error;
      },
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export interface CanaryTrafficOptions {
  traffic: Pick<MeshTraffic, 'send' | 'halt'>;
  addresses: WorkloadAddresses;
  /** The namespace of an environment's workloads. */
  namespace: (environment: string) => string;
  /** The GitOps repository (bare) and branch, whose commits name the source commit they deploy. */
  gitops: { bare: string; branch: string };
  /** The caller's repository, and a folder for the modules loaded from it. */
  monorepo: string;
  directory: string;
  /** Gives an environment's sample service the api module it now runs. */
  serve: (environment: string, api: SampleApi) => void;
}

export class CanaryTraffic {
  private readonly options: CanaryTrafficOptions;
  private armed = false;

  constructor(options: CanaryTrafficOptions) {
    this.options = options;
  }

  /** From now on a canary's rollout starts the traffic (not while a world is being restored). */
  arm(): void {
    this.armed = true;
  }

  /** Stops the traffic; nothing starts it again until `arm`. */
  async halt(): Promise<void> {
    this.armed = false;
    await this.options.traffic.halt();
  }

  /** A pod of `workload` is starting in `environment`: a canary's starts the traffic to it and the baseline. */
  podStarting(environment: string, workload: string): void {
    if (!this.armed || workload !== CANARY_WORKLOAD || !CANARY_ENVIRONMENTS.has(environment)) return;
    // A repository without the sample's api module serves the sample's items.
    void this.deployedApi()
      .catch((): SampleApi => ({}))
      .then((api) => {
        if (!this.armed) return;
        this.options.serve(environment, api);
        this.options.traffic.send([this.target(BASELINE_ENVIRONMENT), this.target(environment)]);
      });
  }

  private target(environment: string): TrafficTarget {
    return {
      destination: { workload: CANARY_WORKLOAD, namespace: this.options.namespace(environment) },
      addresses: () => this.options.addresses(environment, CANARY_WORKLOAD),
    };
  }

  /** The api module of the source commit that the GitOps branch's newest commit deploys. */
  private async deployedApi(): Promise<SampleApi> {
    const { gitops, monorepo, directory } = this.options;
    const trailer = await gitIn(gitops.bare).output([
      '--git-dir',
      gitops.bare,
      'log',
      '-1',
      '--format=%(trailers:key=Source-Commit,valueonly,separator=)',
      gitops.branch,
    ]);
    const source = trailer.trim();
    if (!/^[0-9a-f]{40}$/.test(source)) return {};
    const text = await gitIn(monorepo).output(['show', `${source}:${CANARY_WORKLOAD_MODULE}`]);
    return loadApiModule(text, directory);
  }
}
