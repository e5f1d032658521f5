// The rehearsal's node: one kubelet under every simulated cluster. It answers the clusters' readiness
// question for each pod a rollout starts by running it (KubeletReadiness); once a pod of the new template is
// ready, the workload's pods of earlier templates stop, as the rollout scales their ReplicaSet to zero. It
// gives traffic the ready pods of a workload; what ran before the rehearsal (the clusters' first state,
// restored as long settled) is started when traffic first needs it, not before, and a reset keeps the pods
// that still run what the restored state says. A node may be told which images it pulls: a template naming
// another (what ran before the rehearsal, from a registry outside the world) is taken as ready and never run,
// so nothing reaches outside the machine.
import { randomBytes } from 'node:crypto';
import type { KubeApiServer } from '../kube/api-server.ts';
import { RESOURCE_OF, WORKLOAD_KINDS } from '../kube/controllers.ts';
import { isObject, type JsonObject } from '../kube/patch.ts';
import type { PodReadiness, PodTemplateSubject, TemplateReadiness } from '../kube/readiness.ts';
import { KubeletReadiness } from './cluster-readiness.ts';
import { Kubelet, type KubeletOptions, type PodHandle } from './kubelet.ts';
import { readPodTemplate } from './pod-template.ts';

export interface ClusterNodeOptions extends KubeletOptions {
  /** How long a pod may take to become ready before its rollout is judged failed (default 60 s). */
  readyDeadlineMs?: number;
  /** How long a ready pod must stay ready (default 1 s). */
  stableMs?: number;
  /** Whether the node pulls and runs this image (default every image); a world may build it first. */
  runs?: (image: string) => boolean | Promise<boolean>;
}

/** A workload whose pods traffic may reach, in an environment's cluster. */
export interface WorkloadRef {
  environment: string;
  server: KubeApiServer;
  namespace: string;
  name: string;
}

export class ClusterNode implements PodReadiness {
  readonly kubelet: Kubelet;
  private readonly pods: KubeletReadiness;
  /** Starts for traffic under way, by workload key: two requests at once start one pod. */
  private readonly starting = new Map<string, Promise<TemplateReadiness>>();
  private readonly runsImage: (image: string) => boolean | Promise<boolean>;

  constructor(options: ClusterNodeOptions) {
    this.kubelet = new Kubelet(options);
    this.runsImage = options.runs ?? (() => true);
    const deadline = options.readyDeadlineMs ?? 60_000;
    this.pods = new KubeletReadiness(this.kubelet, () => deadline, options.stableMs ?? 1_000);
  }

  /**
   * Whether the node runs a template: every image it names is one the node pulls (a template the kubelet
   * refuses is run, so that its rollout says why).
   */
  private async runs(template: JsonObject): Promise<boolean> {
    let images: string[];
    try {
      images = readPodTemplate(template).containers.map((container) => container.image);
    } catch {
      return true;
    }
    const answers = await Promise.all(images.map((image) => Promise.resolve(this.runsImage(image))));
    return answers.every(Boolean);
  }

  async readiness(subject: PodTemplateSubject): Promise<TemplateReadiness> {
    if (!(await this.runs(subject.template))) return { ready: true };
    const readiness = await this.pods.readiness(subject);
    const started = this.pods.podsOf(subject.environment, subject.namespace, subject.name).at(-1);
    if (readiness.ready && started)
      await this.pods.retireOthers(subject.environment, subject.namespace, subject.name, started);
    return readiness;
  }

  /**
   * The ready pods of a workload's current template, started first if none runs (a workload that ran
   * before the rehearsal); none when the workload does not exist or its pod does not become ready.
   */
  async readyPods(workload: WorkloadRef): Promise<PodHandle[]> {
    const found = findWorkload(workload);
    if (found === undefined || !(await this.runs(found.template))) return [];
    let containers: string;
    try {
      containers = JSON.stringify(readPodTemplate(found.template).containers);
    } catch {
      return []; // A template the kubelet refuses: its rollout says why.
    }
    const current = (): PodHandle[] =>
      this.pods
        .podsOf(workload.environment, workload.namespace, workload.name)
        .filter((pod) => JSON.stringify(pod.template.containers) === containers);
    if (current().length === 0) {
      const key = `${workload.environment}/${workload.namespace}/${workload.name}`;
      let start = this.starting.get(key);
      if (start === undefined) {
        start = this.pods.readiness({
          environment: workload.environment,
          namespace: workload.namespace,
          kind: found.kind,
          name: workload.name,
          // Named as a ReplicaSet names its pods: buildah's container names are the node's, whatever the namespace.
          pod: `${workload.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
          template: found.template,
        });
        this.starting.set(key, start);
        void start.finally(() => this.starting.delete(key)).catch(() => undefined);
      }
      await start.catch(() => undefined);
    }
    return current().filter((pod) => pod.readiness().ready);
  }

  /**
   * The world put back as it started: pods whose workload still has their template, and are ready, go on
   * running (as a cluster's pods outlive a rollback to what they run); every other pod stops. `server` gives
   * an environment's API server.
   */
  reset(server: (environment: string) => KubeApiServer | undefined): Promise<void> {
    return this.pods.stopUnless(({ environment, namespace, name }, pod) => {
      const api = server(environment);
      const found = api && findWorkload({ environment, server: api, namespace, name });
      if (!found || !pod.readiness().ready) return false;
      try {
        return JSON.stringify(readPodTemplate(found.template).containers) === JSON.stringify(pod.template.containers);
      } catch {
        return false;
      }
    });
  }

  /** Stops every pod (the kubelet's stop does) and the runtime. */
  stop(): Promise<void> {
    return this.kubelet.stop();
  }
}

/** The workload of that name (Deployment, StatefulSet or DaemonSet) and its pod template. */
function findWorkload(workload: WorkloadRef): { kind: PodTemplateSubject['kind']; template: JsonObject } | undefined {
  for (const kind of WORKLOAD_KINDS) {
    const object = workload.server.get(RESOURCE_OF[kind], workload.namespace, workload.name);
    const spec = object && isObject(object['spec']) ? object['spec'] : undefined;
    if (spec && isObject(spec['template'])) return { kind, template: spec['template'] };
  }
  return undefined;
}
