// One run of a workflow as GitHub runs it: jobs in the order their `needs` allow (independent jobs
// and matrix jobs in parallel), each job's `if`, matrix, concurrency group, environment approval, env,
// steps and outputs evaluated as GitHub does, every expression by GitHub's evaluator.
import { errorMessage, Redactor } from '@shiprail/core';
import { ConcurrencyGroups } from './concurrency.ts';
import { evaluateCondition, type Contexts, type StatusFunctions, type Value } from './expressions.ts';
import { JobExecution, type JobSetting } from './job-execution.ts';
import { combinationLabel, expandMatrix, type Combination } from './matrix.ts';
import type { StepEnvironment, StepResult } from './steps.ts';
import { TokenValues } from './token-values.ts';
import { tokenEvaluator, type JobDefinition, type WorkflowDefinition } from './workflow.ts';

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
}

export interface ProgressListener {
  jobStarted(run: number, job: JobRecord): void;
  jobWaiting(run: number, job: JobRecord, reason: string): void;
  stepFinished(run: number, job: JobRecord, step: StepRecord): void;
  jobFinished(run: number, job: JobRecord): void;
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

  constructor(options: WorkflowRunOptions, values: TokenValues) {
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
    return {
      event_name: event.name,
      event: event.payload as Record<string, Value>,
      sha: event.sha,
      ref: event.ref,
      ref_name: event.ref.replace(/^refs\/(heads|tags)\//, ''),
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

  async run(): Promise<WorkflowRunResult> {
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
    const jobs = order.flatMap((id) => this.states.get(id)?.records ?? []);
    return {
      runId: this.options.runId,
      conclusion:
        this.options.signal?.aborted === true
          ? 'cancelled'
          : combinedResult(jobs.map((job) => job.result)) === 'failure'
            ? 'failure'
            : 'success',
      jobs,
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
    const failFast = strategy?.['fail-fast'] !== false;
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
        if (record.result === 'failure' && failFast && !plan.abort.signal.aborted) {
          failed = record.key;
          plan.abort.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, maxParallel) }, worker));
    state.records.push(...records);
    state.result = combinedResult(state.records.map((record) => record.result));
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
    return { key, jobId: job.id, name, result: 'skipped', durationMs: 0, steps: [], outputs: {}, note, summary: '' };
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
    const execution = new JobExecution(this.setting, job, record, contexts);
    try {
      await execution.execute(plan.abort.signal);
    } catch (error) {
      record.result = 'failure';
      record.note = errorMessage(error);
    }
    record.durationMs = Date.now() - started;
    this.listener.jobFinished(this.options.runId, record);
    return record;
  }
}

/** Runs one workflow run to its end. */
export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRunResult> {
  return new WorkflowRun(options, new TokenValues(await tokenEvaluator())).run();
}
