// The canary's traffic in the rehearsal's world: when a canary environment's pod of the workload the canary
// metrics judge is ready, steady traffic goes to it and to the baseline (production's), recorded as the mesh
// records it (servers/traffic.ts) into the Prometheus the canary job queries. Where a workload is reached is
// one function, WorkloadAddresses: the ready pods running the images the rehearsal built, so a change to the
// api's code changes how the canary answers under load.
import type { MeshTraffic, TrafficTarget } from './servers/traffic.ts';

/** The base URLs at which an environment's workload answers now (its ready pods), e.g. `http://10.0.0.2:8080`. */
export type WorkloadAddresses = (
  environment: string,
  workload: string,
) => readonly string[] | Promise<readonly string[]>;

/** The workload the sample's canary metrics judge. */
export const CANARY_WORKLOAD = 'api';
/** The environment whose workloads are the canary's baseline. */
export const BASELINE_ENVIRONMENT = 'production';
const CANARY_ENVIRONMENTS: ReadonlySet<string> = new Set(['canary', 'prod-canary']);

/** The canary inputs' label matchers of a workload in a namespace, in the mesh's labels. */
export function meshSelector(namespace: string, workload = CANARY_WORKLOAD): string {
  return `destination_workload="${workload}",destination_workload_namespace="${namespace}"`;
}

export interface CanaryTrafficOptions {
  traffic: Pick<MeshTraffic, 'send' | 'halt'>;
  addresses: WorkloadAddresses;
  /** The namespace of an environment's workloads. */
  namespace: (environment: string) => string;
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

  /** A pod of `workload` is ready in `environment`: a canary's starts the traffic to it and the baseline. */
  podReady(environment: string, workload: string): void {
    if (!this.armed || workload !== CANARY_WORKLOAD || !CANARY_ENVIRONMENTS.has(environment)) return;
    this.options.traffic.send([this.target(BASELINE_ENVIRONMENT), this.target(environment)]);
  }

  private target(environment: string): TrafficTarget {
    return {
      destination: { workload: CANARY_WORKLOAD, namespace: this.options.namespace(environment) },
      addresses: () => this.options.addresses(environment, CANARY_WORKLOAD),
    };
  }
}
