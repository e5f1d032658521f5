// A kubelet for one machine: runs a pod template's containers from the images in a registry, each pod in
// its own network namespace reached at its own address, readiness decided by its probes.
//
// How it runs, and why so (checked on Debian 12 with buildah 1.28, as root):
// - images are pulled by buildah into vfs storage (the storage.conf CONTAINERS_STORAGE_CONF names), with the
//   registry's credentials in a 0600 file that exists only while the pull runs;
// - each image is unpacked once into a working container (`buildah from --pull=never`, `buildah mount`);
//   every start of a container gets a fresh copy of that root file system, removed on exit;
// - its process is `nsenter --net=/run/netns/<pod> --root=<copy> --wdns=<dir> -- argv`: the pod's network
//   namespace, the container's root and working directory, the image's and the container's environment.
//   `buildah run --isolation chroot` would set up as much per start at about 0.7 s of CPU (it re-executes
//   itself seven times); nsenter takes milliseconds. No mount, PID or UTS namespace is made: the process
//   sees no /proc, and its host name is in HOSTNAME and /etc/hostname only.
// - the namespace is made with `ip netns add` and a veth pair on a private /30 (network.ts): root is needed,
//   and without it start() fails saying so.
// - a container counts as started once its process executes from inside its root; exec probes enter that
//   process (`nsenter --target PID --mount --net --root --wd`), as `kubectl exec` does;
// - stop() sends SIGTERM to each process group, SIGKILL after the grace period, removes the containers'
//   copies and the images' working containers, and deletes the namespaces, also after failures.
//
// A reconciler asks one question of a rendered pod template, "is it ready, and why not": `start(template)`
// once per replica, then `readiness()` (or `waitFor(ms)`) on the handle, `address(port)` for traffic,
// `stop()` when the workload goes.
import { errorMessage } from '@shiprail/core';
import { randomBytes } from 'node:crypto';
import { ContainerWorker, type Backoff } from './container-worker.ts';
import {
  checkPodNetworking,
  claimPodNetwork,
  readPodNetworkRange,
  releasePodNetwork,
  type PodNetwork,
  type PodNetworkRange,
} from './network.ts';
import { readPodTemplate, resolvePort, type PodTemplate } from './pod-template.ts';
import { BuildahRuntime, type RegistryAccess } from './runtime.ts';
import { podStatus, readinessOf, type PodEvent, type PodReadiness, type PodStatus } from './status.ts';

export interface KubeletOptions {
  /** buildah's environment: CONTAINERS_STORAGE_CONF (vfs storage), HOME. */
  env: Record<string, string>;
  /** Where the kubelet keeps its short-lived files (registry credentials during a pull). */
  directory: string;
  /** Registries images are pulled from, with credentials; loopback ones are spoken to over plain HTTP. */
  registries?: readonly RegistryAccess[];
  /** Addresses for pods, a /30 each (default 10.213.0.0/16). */
  podNetwork?: string;
  /** CrashLoopBackOff delays (the kubelet's: 10 s doubling to 5 min). */
  restartBackoff?: Backoff;
  /** ImagePullBackOff delays (the kubelet's: 10 s doubling to 5 min). */
  pullBackoff?: Backoff;
  /** Longest pull (default 2 min). */
  pullDeadlineMs?: number;
  /** Longest grace between SIGTERM and SIGKILL, whatever the template asks (default 30 s). */
  maxGracePeriodMs?: number;
}

const KUBELET_BACKOFF: Backoff = { initialMs: 10_000, maxMs: 300_000 };
const MAX_EVENTS = 100;

/** A pod the kubelet started: its address, its status, and the way to stop it. */
export class PodHandle {
  readonly name: string;
  readonly namespace: string;
  /** The pod's IP address, reachable from this machine. */
  readonly ip: string;
  /** The network namespace's name (`ip netns exec NAME …` reaches the pod's network). */
  readonly networkNamespace: string;
  readonly template: PodTemplate;
  private readonly workers: ContainerWorker[];
  private readonly network: PodNetwork;
  private readonly listeners = new Set<() => void>();
  private readonly eventList: PodEvent[] = [];
  private stopped: Promise<void> | undefined;
  private readonly release: (pod: PodHandle) => void;

  constructor(
    template: PodTemplate,
    name: string,
    network: PodNetwork,
    makeWorkers: (pod: PodHandle) => ContainerWorker[],
    release: (pod: PodHandle) => void,
  ) {
    this.template = template;
    this.name = name;
    this.namespace = template.namespace;
    this.ip = network.podIp;
    this.networkNamespace = network.namespace;
    this.network = network;
    this.release = release;
    this.workers = makeWorkers(this);
  }

  /** `IP:port` of a container port, by number or by name (the first declared port by default). */
  address(port?: number | string): string {
    const first = this.template.containers.flatMap((container) => container.ports)[0]?.containerPort;
    const resolved =
      port === undefined
        ? first
        : this.template.containers
            .map((container) => resolvePort(port, container))
            .find((value) => value !== undefined);
    if (resolved === undefined)
      throw new Error(`pod ${this.name} declares no port ${port === undefined ? '' : `'${String(port)}'`}`.trimEnd());
    return `${this.ip}:${resolved}`;
  }

  status(): PodStatus {
    return podStatus(
      this.ip,
      this.workers.map((worker) => worker.status()),
      this.template.restartPolicy,
    );
  }

  /** Ready, or why not (`CrashLoopBackOff`, `ImagePullBackOff`, `ReadinessProbeFailed`, …) with details. */
  readiness(): PodReadiness {
    const failures = new Map(this.workers.map((worker) => [worker.spec.name, worker.probeFailure()]));
    return readinessOf(this.status(), failures);
  }

  /** What happened to the pod, oldest first, repeats counted (as `kubectl describe pod` lists them). */
  events(): PodEvent[] {
    return this.eventList.map((event) => ({ ...event }));
  }

  /** The recent output of a container (the first by default). */
  logs(container?: string): string {
    const worker =
      container === undefined ? this.workers[0] : this.workers.find((each) => each.spec.name === container);
    if (!worker) throw new Error(`pod ${this.name} has no container '${container ?? ''}'`);
    return worker.logs();
  }

  /**
   * Resolves with the readiness once `until` holds (default: ready), or when `timeoutMs` pass, whichever is
   * first: the caller reads the reason from what it gets.
   */
  async waitFor(
    timeoutMs: number,
    until: (pod: PodHandle) => boolean = (pod) => pod.readiness().ready,
  ): Promise<PodReadiness> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      while (!until(this) && !deadline.signal.aborted) {
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            this.listeners.delete(wake);
            deadline.signal.removeEventListener('abort', wake);
            resolve();
          };
          this.listeners.add(wake);
          deadline.signal.addEventListener('abort', wake, { once: true });
        });
      }
      return this.readiness();
    } finally {
      clearTimeout(timer);
    }
  }

  /** @internal */
  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** @internal */
  recordEvent(event: Omit<PodEvent, 'count'>): void {
    const last = this.eventList.at(-1);
    if (last && last.reason === event.reason && last.message === event.message) last.count += 1;
    else this.eventList.push({ ...event, count: 1 });
    if (this.eventList.length > MAX_EVENTS) this.eventList.shift();
  }

  /** @internal */
  begin(): void {
    for (const worker of this.workers) worker.begin();
  }

  /** Stops every container, then deletes the namespace; errors are gathered, never left half done. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const results = await Promise.allSettled(this.workers.map((worker) => worker.stop()));
      const network = await releasePodNetwork(this.network).then(
        () => undefined,
        (error: unknown) => error,
      );
      this.release(this);
      this.changed();
      const failures = results.flatMap((result): unknown[] => (result.status === 'rejected' ? [result.reason] : []));
      const problems = [...failures, network].filter((problem) => problem !== undefined).map(errorMessage);
      if (problems.length > 0) throw new Error(`stopping pod ${this.name}: ${problems.join('; ')}`);
    })();
    return this.stopped;
  }
}

export class Kubelet {
  private readonly options: KubeletOptions;
  private readonly runtime: BuildahRuntime;
  private readonly range: PodNetworkRange;
  private readonly pods = new Set<PodHandle>();
  private checked: Promise<void> | undefined;
  /** Set by stop(): a start still making its network gives it back. */
  private stopped = false;

  constructor(options: KubeletOptions) {
    this.options = options;
    this.range = readPodNetworkRange(options.podNetwork ?? '10.213.0.0/16');
    this.runtime = new BuildahRuntime({
      env: options.env,
      directory: options.directory,
      registries: options.registries ?? [],
      pullDeadlineMs: options.pullDeadlineMs ?? 120_000,
    });
  }

  /**
   * Starts a pod from a template (`{metadata, spec}` as rendered): checked first, then its network made;
   * pulls and starts go on after this returns. Read `status()`/`readiness()` or `waitFor()` on the handle.
   * The pod is named `podName`, or the template's name with a random suffix as a ReplicaSet names it.
   */
  async start(templateJson: unknown, options: { podName?: string } = {}): Promise<PodHandle> {
    const template = readPodTemplate(templateJson);
    this.checked ??= checkPodNetworking(this.range);
    await this.checked;
    if (this.stopped) throw new Error('the kubelet is stopped');
    const network = await claimPodNetwork(this.range);
    if (this.stopped) {
      await releasePodNetwork(network);
      throw new Error('the kubelet is stopped');
    }
    const name = options.podName ?? `${template.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod = new PodHandle(
      template,
      name,
      network,
      (handle) =>
        template.containers.map(
          (spec) =>
            new ContainerWorker(spec, {
              runtime: this.runtime,
              pod: {
                name,
                namespace: template.namespace,
                ip: network.podIp,
                netns: network.namespace,
                restartPolicy: template.restartPolicy,
              },
              restartBackoff: this.options.restartBackoff ?? KUBELET_BACKOFF,
              pullBackoff: this.options.pullBackoff ?? KUBELET_BACKOFF,
              gracePeriodMs: Math.min(
                template.terminationGracePeriodSeconds * 1000,
                this.options.maxGracePeriodMs ?? 30_000,
              ),
              changed: () => handle.changed(),
              event: (event) => handle.recordEvent(event),
            }),
        ),
      (handle) => this.pods.delete(handle),
    );
    this.pods.add(pod);
    pod.begin();
    return pod;
  }

  /** Stops every pod this kubelet started; it starts no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    const results = await Promise.allSettled([...this.pods].map((pod) => pod.stop()));
    results.push(...(await Promise.allSettled([this.runtime.close()])));
    const problems = results.flatMap((result) => (result.status === 'rejected' ? [errorMessage(result.reason)] : []));
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }
}
