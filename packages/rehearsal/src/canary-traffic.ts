// The canary's traffic in the rehearsal's world: when a canary environment's pod of a judged workload is
// ready, steady traffic goes to it and to the same workload of its baseline environment, recorded as the
// mesh records it (servers/traffic.ts) into the Prometheus the canary job queries. Where a workload is
// reached is one function, WorkloadAddresses: the ready pods running the images the rehearsal built, so a
// change to a workload's code changes how the canary answers under load. The sample judges its api at
// /api/items; a user's repository, each workload its smoke checks reach, at the paths they call.
import type { PodReadiness } from './kube/readiness.ts';
import type { MeshTraffic, TrafficTarget } from './servers/traffic.ts';

/** The base URLs at which an environment's workload answers now (its ready pods), e.g. `http://10.0.0.2:8080`. */
export type WorkloadAddresses = (
  environment: string,
  workload: string,
) => readonly string[] | Promise<readonly string[]>;

/** The workload the sample's canary metrics judge. */
export const CANARY_WORKLOAD = 'api';
/** The environment whose workloads are the sample's canary baseline. */
export const BASELINE_ENVIRONMENT = 'production';
/** The sample's canary environments, each judged against production. */
export const SAMPLE_BASELINES: Readonly<Record<string, string>> = {
  canary: BASELINE_ENVIRONMENT,
  'prod-canary': BASELINE_ENVIRONMENT,
};
/** What the sample's traffic asks its api for. */
export const samplePaths = (_environment: string, workload: string): readonly string[] =>
  workload === CANARY_WORKLOAD ? ['/api/items'] : [];

/** The canary inputs' label matchers of a workload in a namespace, in the mesh's labels. */
export function meshSelector(namespace: string, workload = CANARY_WORKLOAD): string {
  return `destination_workload="${workload}",destination_workload_namespace="${namespace}"`;
}

export interface CanaryTrafficOptions {
  traffic: Pick<MeshTraffic, 'send' | 'halt'>;
  addresses: WorkloadAddresses;
  /** The namespace of an environment's workloads. */
  namespace: (environment: string) => string;
  /** Each canary environment, and the environment whose workloads are its baseline. */
  baselines: Readonly<Record<string, string>>;
  /** The paths traffic asks a canary environment's workload for (none: the workload draws no traffic). */
  paths: (environment: string, workload: string) => readonly string[];
}

export class CanaryTraffic {
  private readonly options: CanaryTrafficOptions;
  private armed = false;
  /** The targets sent to, by `environment/workload` of the canary: every judged workload draws traffic. */
  private readonly targets = new Map<string, TrafficTarget[]>();

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
    this.targets.clear();
    await this.options.traffic.halt();
  }

  /** A pod of `workload` is ready in `environment`: a canary's starts the traffic to it and its baseline. */
  podReady(environment: string, workload: string): void {
    const baseline = this.options.baselines[environment];
    if (!this.armed || baseline === undefined) return;
    const paths = this.options.paths(environment, workload);
    if (paths.length === 0) return;
    this.targets.set(`${environment}/${workload}`, [
      this.target(baseline, workload, paths),
      this.target(environment, workload, paths),
    ]);
    this.options.traffic.send([...this.targets.values()].flat());
  }

  /**
   * `pods`, telling this traffic of every pod they find ready. A canary pod that starts has its baseline
   * looked up at once, so that what the baseline runs (started, or built, on first need) is ready to answer
   * when the canary's traffic starts, as a baseline that has long run would be.
   */
  watching(pods: PodReadiness): PodReadiness {
    return {
      readiness: async (subject) => {
        this.warmBaseline(subject.environment, subject.name);
        const readiness = await pods.readiness(subject);
        if (readiness.ready) this.podReady(subject.environment, subject.name);
        return readiness;
      },
    };
  }

  private warmBaseline(environment: string, workload: string): void {
    const baseline = this.options.baselines[environment];
    if (!this.armed || baseline === undefined || this.options.paths(environment, workload).length === 0) return;
    void Promise.resolve()
      .then(() => this.options.addresses(baseline, workload))
      .catch(() => undefined);
  }

  private target(environment: string, workload: string, paths: readonly string[]): TrafficTarget {
    return {
      destination: { workload, namespace: this.options.namespace(environment) },
      addresses: () => this.options.addresses(environment, workload),
      paths,
    };
  }
}
