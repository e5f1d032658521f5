// One container of a running pod, driven as the kubelet drives it: pull (ErrImagePull, then
// ImagePullBackOff with growing delays), a fresh copy of the image's root file system per start, the process watched until it
// exits, restarts under the pod's restart policy with CrashLoopBackOff delays, and its readiness probe run
// on its period while it runs. Every wait is abortable by stop().
import { backoffDelay, errorMessage, sleep } from '@shiprail/core';
import type { ChildProcess } from 'node:child_process';
import { containerProcess, effectiveEnvironment, type ContainerProcess } from './container-process.ts';
import type { ContainerSpec, PodFieldPath } from './pod-template.ts';
import { ReadinessTracker, runProbe } from './probe.ts';
import { runsInside, type BuildahRuntime, type CreatedContainer } from './runtime.ts';
import type { ContainerState, ContainerStatus, PodEvent } from './status.ts';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface WorkerContext {
  runtime: BuildahRuntime;
  pod: { name: string; namespace: string; ip: string; netns: string; restartPolicy: 'Always' | 'OnFailure' | 'Never' };
  restartBackoff: Backoff;
  pullBackoff: Backoff;
  /** How long a stopped container has between SIGTERM and SIGKILL. */
  gracePeriodMs: number;
  /** Called on every change of state, for waiters. */
  changed: () => void;
  event: (event: Omit<PodEvent, 'count'>) => void;
}

const LOG_TAIL_BYTES = 8 * 1024;
/** A container that ran this long without failing starts its crash backoff over, as the kubelet does. */
const BACKOFF_RESET_MS = 10 * 60_000;
const EXIT_DEADLINE_MS = 10_000;
/** Longest wait for the runtime to start a container's process, and how often to look. */
const START_DEADLINE_MS = 60_000;
const START_POLL_MS = 25;
/** How long ErrImagePull shows before ImagePullBackOff: about one sync of the kubelet's pod worker. */
const ERR_IMAGE_PULL_SHOWN_MS = 2_000;
/** nsenter's own line when the process cannot be executed: the runtime's words, not the process's output. */
const START_FAILURE = /^nsenter: failed to execute (.*): (.*)$/;
/** nsenter's exit codes when it could not execute the process (as a shell's: not executable, not found). */
const NSENTER_EXEC_FAILED: ReadonlySet<number> = new Set([126, 127]);

/** A container's output without the runtime's own lines. */
const withoutRuntimeLines = (log: string): string =>
  log
    .split('\n')
    .filter((line) => !START_FAILURE.test(line.trim()))
    .join('\n');

const now = (): string => new Date().toISOString();

/**
 * runc's words for a process it cannot execute: a bare name is looked up on PATH, where a file that is
 * missing or not executable is "executable file not found in $PATH"; a path gives the system's error.
 */
export function runcStartError(command: string, systemError: string): string {
  const reason = command.includes('/') ? systemError.toLowerCase() : 'executable file not found in $PATH';
  return `exec: ${JSON.stringify(command)}: ${reason}`;
}

/** A delay as the kubelet's messages write it (Go's Duration: 10s, 1m20s, 5m0s). */
export function goDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

export class ContainerWorker {
  readonly spec: ContainerSpec;
  private readonly context: WorkerContext;
  private readonly stopping = new AbortController();
  private state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastState: ContainerState = {};
  private restartCount = 0;
  private imageId = '';
  private pulled = false;
  private child: ChildProcess | undefined;
  private created: CreatedContainer | undefined;
  private process: ContainerProcess | undefined;
  private tracker: ReadinessTracker | undefined;
  private log = '';
  private loop: Promise<void> = Promise.resolve();

  constructor(spec: ContainerSpec, context: WorkerContext) {
    this.spec = spec;
    this.context = context;
  }

  begin(): void {
    this.loop = this.run().catch((error: unknown) => {
      this.setState({ waiting: { reason: 'CreateContainerError', message: errorMessage(error) } });
    });
  }

  status(): ContainerStatus {
    const running = this.state.running !== undefined;
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: this.imageId,
      ready: running && (this.spec.readinessProbe === undefined || this.tracker?.ready === true),
      started: running,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
  }

  /** The last readiness probe failure while not ready, or empty. */
  probeFailure(): string {
    return this.tracker && !this.tracker.ready ? this.tracker.lastFailure : '';
  }

  /** The last output of the current (or last) run, stdout and stderr interleaved. */
  logs(): string {
    return withoutRuntimeLines(this.log);
  }

  private setState(state: ContainerState): void {
    this.state = state;
    this.context.changed();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let crashes = 0;
    let pullFailures = 0;
    while (!this.stopped) {
      const pullError = await this.pull();
      if (pullError !== undefined) {
        pullFailures += 1;
        await this.pullBackOff(pullFailures, pullError);
        continue;
      }
      if (this.stopped) return;
      const started = Date.now();
      const exitCode = await this.runOnce();
      if (this.stopped || exitCode === undefined) return;
      if (this.context.pod.restartPolicy === 'Never') return;
      if (this.context.pod.restartPolicy === 'OnFailure' && exitCode === 0) return;
      crashes = Date.now() - started > BACKOFF_RESET_MS ? 1 : crashes + 1;
      // The first restart is immediate; the next ones wait, doubling up to the cap.
      const delay =
        crashes === 1
          ? 0
          : backoffDelay(crashes - 1, {
              baseMs: this.context.restartBackoff.initialMs,
              maxMs: this.context.restartBackoff.maxMs,
            });
      this.lastState = this.state;
      if (delay > 0) {
        const message = `back-off ${goDuration(delay)} restarting failed container=${this.spec.name} pod=${this.context.pod.name}`;
        this.context.event({ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container' });
        this.setState({ waiting: { reason: 'CrashLoopBackOff', message } });
        await sleep(delay, this.stopping.signal);
      }
      if (!this.stopped) this.restartCount += 1;
    }
  }

  /**
   * After a failed pull: ErrImagePull for the kubelet's next sync, then ImagePullBackOff until the next
   * attempt, as `kubectl get pods` shows them.
   */
  private async pullBackOff(failures: number, error: string): Promise<void> {
    const { initialMs, maxMs } = this.context.pullBackoff;
    const delay = backoffDelay(failures, { baseMs: initialMs, maxMs });
    const shown = Math.min(delay, ERR_IMAGE_PULL_SHOWN_MS);
    await sleep(shown, this.stopping.signal);
    if (this.stopped) return;
    const message = `Back-off pulling image "${this.spec.image}": ${error}`;
    this.context.event({ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${this.spec.image}"` });
    this.setState({ waiting: { reason: 'ImagePullBackOff', message } });
    await sleep(delay - shown, this.stopping.signal);
  }

  /** Pulls the image as its pull policy says (once per pod for IfNotPresent); the error's words when it fails. */
  private async pull(): Promise<string | undefined> {
    if (this.pulled) return undefined;
    const policy = { Always: 'always', IfNotPresent: 'missing', Never: 'never' } as const;
    try {
      await this.context.runtime.pull(this.spec.image, policy[this.spec.imagePullPolicy], this.stopping.signal);
      this.pulled = true;
      this.context.event({
        type: 'Normal',
        reason: 'Pulled',
        message: `Container image "${this.spec.image}" is present`,
      });
      return undefined;
    } catch (error) {
      const reason = this.spec.imagePullPolicy === 'Never' ? 'ErrImageNeverPull' : 'ErrImagePull';
      const message = `Failed to pull image "${this.spec.image}": ${errorMessage(error)}`;
      this.context.event({ type: 'Warning', reason: 'Failed', message });
      this.setState({ waiting: { reason, message } });
      return errorMessage(error);
    }
  }

  /** One start of the container, to its exit; the exit code, or undefined when stopped or not started. */
  private async runOnce(): Promise<number | undefined> {
    // Container names are the node's: pods of the same name run in two environments (the same template
    // promoted), so the pod's network namespace, unique while it runs, comes first.
    const name = `${this.context.pod.netns}-${this.context.pod.name}-${this.spec.name}-${this.restartCount}`;
    try {
      this.created = await this.context.runtime.create(this.spec.image, name, this.stopping.signal);
    } catch (error) {
      if (this.stopped) {
        // Stopped while it was made: whatever was left is removed.
        await this.context.runtime.remove(name).catch(() => undefined);
        return undefined;
      }
      this.setState({ waiting: { reason: 'CreateContainerError', message: errorMessage(error) } });
      return 128;
    }
    if (this.stopped) return undefined;
    this.imageId = this.created.imageId;
    const fields: Record<PodFieldPath, string> = {
      'metadata.name': this.context.pod.name,
      'metadata.namespace': this.context.pod.namespace,
      'status.podIP': this.context.pod.ip,
      'spec.nodeName': 'rehearsal',
    };
    this.process = containerProcess(this.created.image, this.spec, fields);
    if (this.process.argv.length === 0) {
      this.setState({ waiting: { reason: 'CreateContainerError', message: 'no command specified' } });
      await this.removeContainer();
      return 128;
    }
    this.log = '';
    const child = this.context.runtime.start(this.context.pod.netns, this.created, this.process.argv, {
      env: effectiveEnvironment(this.created.image, this.process),
      workingDir: this.process.workingDir,
      hostname: this.context.pod.name,
    });
    this.child = child;
    let closed = false;
    const exited = new Promise<number>((resolve) => {
      child.once('error', (error) => {
        this.log += `${error.message}\n`;
        resolve(128);
      });
      child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15)));
    }).finally(() => (closed = true));
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    // Started, as the runtime reports it to a kubelet, once the process runs from its root: probes begin then.
    await this.untilProcessRuns(child, this.created.rootfs, () => closed);
    const startedAt = now();
    if (!closed) {
      this.context.event({ type: 'Normal', reason: 'Started', message: `Started container ${this.spec.name}` });
      this.setState({ running: { startedAt } });
    }
    const probing = new AbortController();
    const prober = this.probeLoop(probing.signal);
    const exitCode = await exited;
    probing.abort();
    await prober;
    this.child = undefined;
    this.setState({ terminated: this.termination(exitCode, startedAt) });
    await this.removeContainer();
    return this.stopped ? undefined : this.state.terminated?.exitCode;
  }

  private async untilProcessRuns(child: ChildProcess, rootfs: string, closed: () => boolean): Promise<void> {
    const deadline = Date.now() + START_DEADLINE_MS;
    while (!closed() && !this.stopped && Date.now() < deadline) {
      if (child.pid !== undefined && runsInside(child.pid, rootfs)) return;
      await sleep(START_POLL_MS, this.stopping.signal);
    }
  }

  private termination(exitCode: number, startedAt: string): NonNullable<ContainerState['terminated']> {
    // Read from the whole output at the end: the line may have come in more than one chunk.
    const failure = NSENTER_EXEC_FAILED.has(exitCode)
      ? this.log
          .split('\n')
          .map((line) => START_FAILURE.exec(line.trim()))
          .findLast((match) => match !== null)
      : undefined;
    if (failure?.[1] !== undefined) {
      const message = runcStartError(failure[1], failure[2] ?? '');
      return { exitCode: 128, reason: 'StartError', message, startedAt, finishedAt: now() };
    }
    const lastLine = this.logs().trim().split('\n').at(-1) ?? '';
    return {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(exitCode !== 0 && lastLine ? { message: lastLine } : {}),
      startedAt,
      finishedAt: now(),
    };
  }

  private capture(chunk: Buffer): void {
    this.log = (this.log + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
  }

  private async probeLoop(signal: AbortSignal): Promise<void> {
    const probe = this.spec.readinessProbe;
    this.tracker = probe ? new ReadinessTracker(probe) : undefined;
    if (!probe || !this.tracker) return;
    const tracker = this.tracker;
    await sleep(probe.initialDelaySeconds * 1000, signal);
    while (!signal.aborted) {
      const started = Date.now();
      const result = await runProbe(probe, {
        podIp: this.context.pod.ip,
        container: this.spec,
        exec: (command, timeoutMs) =>
          this.context.runtime.exec(
            { pid: this.child?.pid, rootfs: this.created?.rootfs ?? '' },
            command,
            this.created && this.process ? effectiveEnvironment(this.created.image, this.process) : new Map(),
            timeoutMs,
          ),
      });
      if (signal.aborted) return;
      const wasReady = tracker.ready;
      tracker.record(result);
      if (!result.ok)
        this.context.event({
          type: 'Warning',
          reason: 'Unhealthy',
          message: `Readiness probe failed: ${result.message}`,
        });
      if (tracker.ready !== wasReady || !result.ok) this.context.changed();
      await sleep(Math.max(0, probe.periodSeconds * 1000 - (Date.now() - started)), signal);
    }
  }

  private async removeContainer(): Promise<void> {
    const created = this.created;
    this.created = undefined;
    if (created) await this.context.runtime.remove(created.name);
  }

  /** SIGTERM to the process group, SIGKILL after the grace period, then the container's copy removed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      this.context.event({ type: 'Normal', reason: 'Killing', message: `Stopping container ${this.spec.name}` });
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      const waited = new AbortController();
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), this.context.gracePeriodMs);
      await Promise.race([closed, sleep(this.context.gracePeriodMs + EXIT_DEADLINE_MS, waited.signal)]);
      waited.abort();
      clearTimeout(timer);
    }
    const gone = new AbortController();
    const settled = await Promise.race([
      this.loop.then(() => true),
      sleep(EXIT_DEADLINE_MS, gone.signal).then(() => false),
    ]);
    gone.abort();
    await this.removeContainer();
    if (!settled) throw new Error(`container ${this.spec.name} did not stop within ${EXIT_DEADLINE_MS / 1000}s`);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
