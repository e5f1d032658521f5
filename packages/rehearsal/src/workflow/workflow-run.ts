// One run of a workflow as GitHub runs it: its concurrency group, then jobs in the order their `needs`
// allow (independent jobs and matrix jobs in parallel), each job's `if`, matrix, concurrency group,
// environment, env, steps and outputs evaluated as GitHub does, every expression by GitHub's evaluator;
// a job that calls a reusable workflow runs that workflow's jobs under it.
import { errorMessage, Redactor } from '@shiprail/core';
import { callInputs, callSecrets } from './calls.ts';
import { concurrencySetting, ConcurrencyGroups, type ConcurrencyTicket } from './concurrency.ts';
import type { EnvironmentRules } from './environments.ts';
import { evaluateCondition, type Contexts, type StatusFunctions, type Value } from './expressions.ts';
import { JobExecution, type JobSetting } from './job-execution.ts';
import { combinationLabel, expandMatrix, type Combination } from './matrix.ts';
import {
  defaultPermissions,
  effectivePermissions,
  permissionLines,
  type DefaultPermissions,
  type PermissionLevel,
  type Permissions,
} from './permissions.ts';
import type { StepEnvironment, StepResult } from './steps.ts';
import { TokenValues } from './token-values.ts';
import { loadWorkflow, tokenEvaluator, type JobDefinition, type WorkflowDefinition } from './workflow.ts';

export type Conclusion = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepRecord {
  name: string;
  outcome: Conclusion;
  conclusion: Conclusion;
  durationMs: number;
  /** Why it failed (error annotations or the output's last lines), and its warnings. */
  errors: string[];
  warnings: string[];
}

export interface JobRecord {
  /** Job id, with ` (<service>)` for a matrix job. */
  key: string;
  jobId: string;
  name: string;
  result: Conclusion;
  durationMs: number;
  steps: StepRecord[];
  outputs: Record<string, string>;
  /** Why the job did not run its steps (rejected, superseded, a mistake in the workflow). */
  note: string;
  /** What its steps wrote to GITHUB_STEP_SUMMARY (redacted). */
  summary: string;
  /** Its GITHUB_TOKEN's scopes above none. */
  permissions: Record<string, PermissionLevel>;
  /** Its `continue-on-error` was true: a failure does not fail the run, and its needs see success. */
  continueOnError: boolean;
}

export interface ProgressListener {
  jobStarted(run: number, job: JobRecord): void;
  jobWaiting(run: number, job: JobRecord, reason: string): void;
  stepFinished(run: number, job: JobRecord, step: StepRecord): void;
  jobFinished(run: number, job: JobRecord): void;
}

/** A reusable workflow a job's `uses:` names: its file, and the repository and commit it comes from. */
export interface CalledWorkflow {
  path: string;
  repository: string;
  sha: string;
}

/** Runs a `uses:` step that is not a local action; undefined when the runner has no equivalent. */
export type ThirdPartyAction = (inputs: Record<string, string>, context: StepEnvironment) => Promise<StepResult>;

export interface WorkflowEvent {
  name: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  repository: string;
  actor: string;
}

export interface WorkflowRunOptions {
  workflow: WorkflowDefinition;
  runId: number;
  event: WorkflowEvent;
  /** owner/name and commit of the workflow file (job.workflow_repository / job.workflow_sha). */
  workflowRepository: string;
  workflowSha: string;
  inputs: Record<string, Value>;
  secrets: Record<string, string>;
  /** Secrets of an environment, released to a job only once that environment approved it. */
  environmentSecrets?: Record<string, Record<string, string>>;
  vars?: Record<string, string>;
  /**
   * The reviewer of an environment: true approves, false rejects. Default: approve. Asked once per job
   * that reaches the environment (each matrix leg on its own); `job` is the job's key.
   */
  approve?: (environment: string, run: number, job: string) => Promise<boolean>;
  concurrency?: ConcurrencyGroups;
  /** `owner/name[/path]` (without `@ref`) → its local equivalent. */
  actions: (uses: string, line: number) => ThirdPartyAction;
  serverUrl: string;
  workRoot: string;
  /** Environment every step gets (PATH, HOME, tool configuration). */
  baseEnv: Record<string, string>;
  progress?: ProgressListener;
  /** Cancels the whole run (as "Cancel workflow" does). */
  signal?: AbortSignal;
  /** Only these jobs run (the others end as skipped). */
  jobs?: string[];
  /** One workspace for every job (a persistent self-hosted workspace), instead of a new folder per job. */
  workspace?: string;
  /** `run:` scripts replaced by others, e.g. an install step by a check that it was done. */
  replaceRun?: Record<string, string>;
  /** Environments' wait timers and deployment branch rules (default: none, as a new environment has). */
  environmentRules?: EnvironmentRules;
  /** Waits `ms` (an environment's wait timer), or less once `signal` aborts. Default: a real timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The repository's default GITHUB_TOKEN permissions (default restricted, GitHub's for new repositories). */
  defaultPermissions?: DefaultPermissions;
  /** The file of a reusable workflow a job's `uses:` names; without it such a job fails, naming its line. */
  resolveWorkflow?: (uses: string) => CalledWorkflow;
  /** Set for a called workflow's run: the calling job's key and token, which its jobs cannot exceed. */
  caller?: { key: string; permissions: Permissions };
}

export interface WorkflowRunResult {
  runId: number;
  conclusion: Conclusion;
  jobs: JobRecord[];
  /** workflow_call outputs. */
  outputs: Record<string, string>;
}

/** How a job's matrix legs run: how many, how many at once, and the abort fail-fast pulls. */
interface MatrixPlan {
  total: number;
  maxParallel: number;
  failFast: boolean;
  abort: AbortController;
}

interface JobState {
  definition: JobDefinition;
  records: JobRecord[];
  result: Conclusion;
  outputs: Record<string, string>;
}

const NO_LISTENER: ProgressListener = {
  jobStarted: () => undefined,
  jobWaiting: () => undefined,
  stepFinished: () => undefined,
  jobFinished: () => undefined,
};

/** A result of several matrix jobs, as `needs.<job>.result` reports it. */
export function combinedResult(results: readonly Conclusion[]): Conclusion {
  if (results.includes('failure')) return 'failure';
  if (results.includes('cancelled')) return 'cancelled';
  if (results.length > 0 && results.every((result) => result === 'skipped')) return 'skipped';
  return 'success';
}

/** Job ids in an order where every job comes after its needs; refuses unknown needs and cycles. */
export function jobOrder(jobs: readonly JobDefinition[], file: string): string[] {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (job: JobDefinition): void => {
    if (order.includes(job.id)) return;
    if (visiting.has(job.id)) throw new Error(`${file}:${job.line}: job '${job.id}' depends on itself through needs`);
    visiting.add(job.id);
    for (const need of job.needs) {
      const needed = byId.get(need);
      if (!needed) throw new Error(`${file}:${job.line}: job '${job.id}' needs unknown job '${need}'`);
      visit(needed);
    }
    visiting.delete(job.id);
    order.push(job.id);
  };
  for (const job of jobs) visit(job);
  return order;
}

class WorkflowRun {
  private readonly options: WorkflowRunOptions;
  private readonly values: TokenValues;
  private readonly states = new Map<string, JobState>();
  private readonly listener: ProgressListener;
  /** What every job's execution is given. */
  private readonly setting: JobSetting;
  /** Cancels this run: "Cancel workflow", or a newer run of its concurrency group with cancel-in-progress. */
  private readonly cancel = new AbortController();
  /** The jobs of the workflows this run's jobs called, by calling job id. */
  private readonly called = new Map<string, JobRecord[]>();

  constructor(given: WorkflowRunOptions, values: TokenValues) {
    const { signal } = given;
    if (signal?.aborted) this.cancel.abort();
    signal?.addEventListener('abort', () => this.cancel.abort(), { once: true });
    const options = { ...given, signal: this.cancel.signal };
    this.options = options;
    this.values = values;
    this.listener = options.progress ?? NO_LISTENER;
    const redactor = new Redactor();
    for (const secret of Object.values(options.secrets)) redactor.add(secret);
    for (const secrets of Object.values(options.environmentSecrets ?? {})) {
      for (const secret of Object.values(secrets)) redactor.add(secret);
    }
    this.setting = {
      options,
      values,
      github: this.github(),
      concurrency: options.concurrency ?? new ConcurrencyGroups(),
      progress: this.listener,
      redactor,
    };
  }

  get file(): string {
    return this.options.workflow.file;
  }

  /** The github context of the run. */
  private github(): Record<string, Value> {
    const { event, runId, serverUrl } = this.options;
    // A pull request's branches: head_ref and base_ref are set for pull_request events alone.
    const pull = (event.payload['pull_request'] ?? {}) as { head?: { ref?: string }; base?: { ref?: string } };
    return {
      head_ref: pull.head?.ref ?? '',
      base_ref: pull.base?.ref ?? '',
      event_name: event.name,
      event: event.payload as Record<string, Value>,
      sha: event.sha,
      ref: event.ref,
      ref_name: event.ref.replace(/^refs\/(heads|tags|pull)\//, ''),
      repository: event.repository,
      repository_owner: event.repository.split('/')[0] ?? '',
      actor: event.actor,
      triggering_actor: event.actor,
      token: this.options.secrets['GITHUB_TOKEN'] ?? '',
      server_url: serverUrl,
      api_url: `${serverUrl}/api/v3`,
      run_id: String(runId),
      run_number: String(runId),
      run_attempt: '1',
      workflow: this.options.workflow.name,
      workspace: '',
      action: '',
      job: '',
    };
  }

  /** A job's result as its dependants see it: a failure under continue-on-error is a success. */
  private static seenResult(record: JobRecord): Conclusion {
    return record.result === 'failure' && record.continueOnError ? 'success' : record.result;
  }

  needsContext(job: JobDefinition): Record<string, Value> {
    return Object.fromEntries(
      job.needs.map((need) => {
        const state = this.states.get(need);
        return [need, { result: state?.result ?? 'skipped', outputs: state?.outputs ?? {} }];
      }),
    );
  }

  /** Every job `job` depends on, directly or not. */
  ancestors(job: JobDefinition): JobState[] {
    const seen = new Map<string, JobState>();
    const visit = (id: string): void => {
      const state = this.states.get(id);
      if (!state || seen.has(id)) return;
      seen.set(id, state);
      state.definition.needs.forEach(visit);
    };
    job.needs.forEach(visit);
    return [...seen.values()];
  }

  jobStatus(job: JobDefinition): StatusFunctions {
    const ancestors = this.ancestors(job);
    const cancelled = this.options.signal?.aborted === true;
    return {
      success:
        !cancelled &&
        job.needs.every((need) => this.states.get(need)?.result === 'success') &&
        ancestors.every((state) => state.result !== 'failure' && state.result !== 'cancelled'),
      failure: ancestors.some((state) => state.result === 'failure'),
      cancelled,
    };
  }

  baseContexts(job: JobDefinition): Contexts {
    return {
      github: this.setting.github,
      inputs: this.options.inputs,
      vars: this.options.vars ?? {},
      needs: this.needsContext(job),
      secrets: { ...this.options.secrets },
    };
  }

  /** Joins the workflow's concurrency group; undefined when it has none. */
  joinConcurrency(): ConcurrencyTicket | undefined {
    const contexts: Contexts = {
      github: this.setting.github,
      inputs: this.options.inputs,
      vars: this.options.vars ?? {},
    };
    const setting = concurrencySetting(this.values.value(this.options.workflow.concurrency, contexts));
    if (setting === undefined) return undefined;
    const owner = `run ${this.options.runId}${this.options.caller ? ` ${this.options.caller.key}` : ''}`;
    return this.setting.concurrency.join(setting.group, owner, setting.cancelInProgress, () => this.cancel.abort());
  }

  async run(): Promise<WorkflowRunResult> {
    const ticket = this.joinConcurrency();
    try {
      if (ticket && (await ticket.start()) === 'superseded') return this.superseded();
      return await this.runJobs();
    } finally {
      ticket?.leave();
    }
  }

  /** A run cancelled while pending: a newer run of its concurrency group took its place. */
  superseded(): WorkflowRunResult {
    const note = 'superseded by a newer run in its concurrency group';
    const jobs = this.options.workflow.jobs.map((job) => {
      const record = this.record(job.id, job, {}, note);
      record.result = 'cancelled';
      this.listener.jobFinished(this.options.runId, record);
      return record;
    });
    return { runId: this.options.runId, conclusion: 'cancelled', jobs, outputs: {} };
  }

  async runJobs(): Promise<WorkflowRunResult> {
    const order = jobOrder(this.options.workflow.jobs, this.file);
    const definitions = new Map(this.options.workflow.jobs.map((job) => [job.id, job]));
    const running = new Map<string, Promise<void>>();
    const done = new Set<string>();
    while (done.size < order.length) {
      for (const id of order) {
        const job = definitions.get(id);
        if (!job || done.has(id) || running.has(id) || !job.needs.every((need) => done.has(need))) continue;
        running.set(
          id,
          this.runJob(job).then(() => {
            running.delete(id);
            done.add(id);
          }),
        );
      }
      await Promise.race(running.values());
    }
    const own = order.flatMap((id) => this.states.get(id)?.records ?? []);
    // A failed job fails the run; otherwise a cancelled one (superseded in its group) cancels it.
    const combined = combinedResult(own.map((record) => WorkflowRun.seenResult(record)));
    const ended = combined === 'failure' || combined === 'cancelled' ? combined : 'success';
    return {
      runId: this.options.runId,
      conclusion: this.options.signal?.aborted === true ? 'cancelled' : ended,
      jobs: order.flatMap((id) => [...(this.states.get(id)?.records ?? []), ...(this.called.get(id) ?? [])]),
      outputs: this.callOutputs(),
    };
  }

  callOutputs(): Record<string, string> {
    const jobs = Object.fromEntries(
      [...this.states].map(([id, state]) => [id, { result: state.result, outputs: state.outputs }]),
    );
    return Object.fromEntries(
      Object.entries(this.options.workflow.callOutputs).map(([name, token]) => [
        name,
        this.values.text(token, { jobs }),
      ]),
    );
  }

  async runJob(job: JobDefinition): Promise<void> {
    const state: JobState = { definition: job, records: [], result: 'skipped', outputs: {} };
    this.states.set(job.id, state);
    const contexts = this.baseContexts(job);
    const skipped = (note: string): void => {
      const record = this.record(job.id, job, contexts, note);
      state.records.push(record);
      this.listener.jobFinished(this.options.runId, record);
    };
    let combinations: Array<Combination | undefined> = [undefined];
    try {
      if (this.options.jobs && !this.options.jobs.includes(job.id)) return skipped('not selected');
      if (!evaluateCondition(job.if, contexts, this.jobStatus(job))) return skipped('its if condition is false');
      combinations = this.matrixOf(job, contexts);
    } catch (error) {
      const record = this.record(job.id, job, contexts, `${this.file}:${job.line}: ${errorMessage(error)}`);
      record.result = 'failure';
      state.records.push(record);
      state.result = 'failure';
      this.listener.jobFinished(this.options.runId, record);
      return;
    }
    const strategy = this.values.value(job.strategy, contexts) as Record<string, Value> | null;
    const maxParallel = typeof strategy?.['max-parallel'] === 'number' ? strategy['max-parallel'] : combinations.length;
    // fail-fast is true unless it says false, written or as an expression's result.
    const failFast = strategy?.['fail-fast'] !== false && strategy?.['fail-fast'] !== 'false';
    const plan: MatrixPlan = { total: combinations.length, maxParallel, failFast, abort: new AbortController() };
    // GitHub creates the legs in the order of the matrix and starts them in that order as slots free up;
    // fail-fast cancels the running ones and those still queued.
    const queue = [...combinations.entries()];
    const records: JobRecord[] = [];
    let failed = '';
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [index, combination] = next;
        const record = plan.abort.signal.aborted
          ? this.cancelledLeg(job, combination, `cancelled because ${failed} failed`)
          : await this.runInstance(job, combination, index, plan);
        records[index] = record;
        state.outputs = { ...state.outputs, ...record.outputs };
        // A leg under continue-on-error fails alone: the others go on.
        if (record.result === 'failure' && !record.continueOnError && failFast && !plan.abort.signal.aborted) {
          failed = record.key;
          plan.abort.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, maxParallel) }, worker));
    state.records.push(...records);
    state.result = combinedResult(state.records.map((record) => WorkflowRun.seenResult(record)));
  }

  /** A matrix leg fail-fast cancelled before it started. */
  cancelledLeg(job: JobDefinition, combination: Combination | undefined, note: string): JobRecord {
    const contexts: Contexts = { ...this.baseContexts(job), matrix: combination ?? {} };
    const record = this.record(this.keyOf(job, combination), job, contexts, note);
    record.result = 'cancelled';
    this.listener.jobFinished(this.options.runId, record);
    return record;
  }

  keyOf(job: JobDefinition, combination: Combination | undefined): string {
    return combination === undefined ? job.id : `${job.id} (${combinationLabel(combination)})`;
  }

  matrixOf(job: JobDefinition, contexts: Contexts): Array<Combination | undefined> {
    if (job.strategy === undefined) return [undefined];
    const strategy = this.values.value(job.strategy, contexts) as Record<string, Value>;
    return 'matrix' in strategy ? expandMatrix(strategy['matrix'] ?? null) : [undefined];
  }

  record(key: string, job: JobDefinition, contexts: Contexts, note = ''): JobRecord {
    let name = job.id;
    try {
      name = this.values.text(job.name, contexts, job.id);
    } catch {
      // A name that cannot be evaluated yet (it needs the matrix) shows as the job id.
    }
    let permissions: Record<string, PermissionLevel> = {};
    try {
      permissions = permissionLines(this.permissionsOf(job));
    } catch {
      // A called workflow's job asking for more than its caller grants: its call fails, saying so.
    }
    return {
      key: this.options.caller ? `${this.options.caller.key} / ${key}` : key,
      jobId: job.id,
      name,
      result: 'skipped',
      durationMs: 0,
      steps: [],
      outputs: {},
      note,
      summary: '',
      permissions,
      continueOnError: false,
    };
  }

  /** The job's token: its own permissions, else the workflow's, else the caller's or the repository default. */
  permissionsOf(job: JobDefinition): Permissions {
    const caller = this.options.caller?.permissions;
    const inherited = caller ?? defaultPermissions(this.options.defaultPermissions ?? 'restricted');
    return effectivePermissions(job, this.options.workflow.permissions, inherited, caller);
  }

  async runInstance(
    job: JobDefinition,
    combination: Combination | undefined,
    index: number,
    plan: MatrixPlan,
  ): Promise<JobRecord> {
    const matrix: Record<string, Value> = combination ?? {};
    const contexts: Contexts = {
      ...this.baseContexts(job),
      matrix,
      strategy: {
        'job-index': index,
        'job-total': plan.total,
        'fail-fast': plan.failFast,
        'max-parallel': Math.min(plan.maxParallel, plan.total),
      },
      job: {
        status: 'success',
        workflow_repository: this.options.workflowRepository,
        workflow_sha: this.options.workflowSha,
      },
    };
    const record = this.record(this.keyOf(job, combination), job, contexts);
    const started = Date.now();
    try {
      const continueOnError = this.values.value(job.continueOnError, contexts);
      record.continueOnError = continueOnError === true || continueOnError === 'true';
      if (job.call) {
        await this.runCall(job, record, contexts);
      } else {
        await new JobExecution(this.setting, job, record, contexts).execute(plan.abort.signal);
      }
    } catch (error) {
      record.result = 'failure';
      record.note = errorMessage(error);
    }
    record.durationMs = Date.now() - started;
    this.listener.jobFinished(this.options.runId, record);
    return record;
  }

  /**
   * Runs the reusable workflow a job calls, as one more level of the same run: GitHub's checks of the
   * call first (inputs, secrets, no nested job asking for more permissions than the caller grants), then
   * its jobs, keyed `<caller> / <job>`. The caller's result is the called run's conclusion, its outputs
   * the called workflow's outputs.
   */
  async runCall(job: JobDefinition, record: JobRecord, contexts: Contexts): Promise<void> {
    const options = this.options;
    // The calling job's own cancellation: its run's, or a newer job of its concurrency group's.
    const cancel = new AbortController();
    if (options.signal?.aborted) cancel.abort();
    options.signal?.addEventListener('abort', () => cancel.abort(), { once: true });
    const call = job.call;
    if (call === undefined) return;
    const where = `${this.file}:${call.line}`;
    if (options.resolveWorkflow === undefined) {
      throw new Error(`${where}: job '${job.id}': calling a reusable workflow (${call.uses}) is not supported here`);
    }
    let nested: WorkflowRun;
    try {
      const target = options.resolveWorkflow(call.uses);
      const called = await loadWorkflow(target.path);
      if (!called.events.includes('workflow_call')) throw new Error(`Its 'on' has no workflow_call.`);
      const given = (this.values.value(call.with, contexts) ?? {}) as Record<string, Value>;
      const passed = call.secrets === 'inherit' ? 'inherit' : this.values.strings(call.secrets, contexts);
      const permissions = this.permissionsOf(job);
      for (const calledJob of called.jobs)
        effectivePermissions(calledJob, called.permissions, permissions, permissions);
      nested = new WorkflowRun(
        {
          ...options,
          workflow: called,
          workflowRepository: target.repository,
          workflowSha: target.sha,
          inputs: callInputs(called, given),
          secrets: callSecrets(called, passed, options.secrets),
          jobs: undefined,
          caller: { key: record.key, permissions },
          signal: cancel.signal,
        },
        this.values,
      );
    } catch (error) {
      throw new Error(`${where}: Error calling workflow '${call.uses}'. ${errorMessage(error)}`);
    }
    const concurrency = concurrencySetting(this.values.value(job.concurrency, contexts));
    const ticket = concurrency
      ? this.setting.concurrency.join(
          concurrency.group,
          `run ${options.runId} ${record.key}`,
          concurrency.cancelInProgress,
          () => cancel.abort(),
        )
      : undefined;
    try {
      if (ticket && (await ticket.start()) === 'superseded') {
        record.result = 'cancelled';
        record.note = 'superseded by a newer run in its concurrency group';
        return;
      }
      this.listener.jobStarted(options.runId, record);
      const result = await nested.run();
      record.result = result.conclusion;
      record.outputs = result.outputs;
      this.called.set(job.id, [...(this.called.get(job.id) ?? []), ...result.jobs]);
    } finally {
      ticket?.leave();
    }
  }
}

/** Runs one workflow run to its end. */
export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRunResult> {
  return new WorkflowRun(options, new TokenValues(await tokenEvaluator())).run();
}
