// The rehearsal runner: one run of a workflow, jobs in the order their `needs` allow (independent jobs
// and matrix jobs in parallel), each job's `if`, matrix, concurrency group, environment approval, env,
// steps and outputs evaluated as GitHub does, every expression by GitHub's evaluator.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { errorMessage, Redactor } from '@shiprail/core';
import { ConcurrencyGroups, type ConcurrencyTicket } from './concurrency.ts';
import {
  evaluateCondition,
  evaluateExpression,
  valueText,
  type Contexts,
  type StatusFunctions,
  type Value,
} from './expressions.ts';
import { combinationLabel, expandMatrix, type Combination } from './matrix.ts';
import { failedStep, runLocalAction, runScript, type StepEnvironment, type StepResult } from './steps.ts';
import { tokenEvaluator, type JobDefinition, type StepDefinition, type WorkflowDefinition } from './workflow.ts';

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
  /** The reviewer of an environment: true approves, false rejects. Default: approve. */
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

interface JobState {
  definition: JobDefinition;
  records: JobRecord[];
  result: Conclusion;
  outputs: Record<string, string>;
}

type Walk = Awaited<ReturnType<typeof tokenEvaluator>>;

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
  private readonly walk: Walk;
  private readonly states = new Map<string, JobState>();
  private readonly listener: ProgressListener;
  private readonly concurrency: ConcurrencyGroups;
  private readonly redactor = new Redactor();

  constructor(options: WorkflowRunOptions, walk: Walk) {
    this.options = options;
    this.walk = walk;
    this.listener = options.progress ?? NO_LISTENER;
    this.concurrency = options.concurrency ?? new ConcurrencyGroups();
    for (const secret of Object.values(options.secrets)) this.redactor.add(secret);
    for (const secrets of Object.values(options.environmentSecrets ?? {})) {
      for (const secret of Object.values(secrets)) this.redactor.add(secret);
    }
  }

  get file(): string {
    return this.options.workflow.file;
  }

  /** The github context of the run. */
  github(): Record<string, Value> {
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

  evaluate(token: TemplateToken | undefined, contexts: Contexts, status?: StatusFunctions): Value {
    return this.walk(token, (expression) => evaluateExpression(expression, contexts, status));
  }

  text(token: TemplateToken | undefined, contexts: Contexts, fallback = ''): string {
    return token === undefined ? fallback : valueText(this.evaluate(token, contexts));
  }

  env(token: TemplateToken | undefined, contexts: Contexts): Record<string, string> {
    const value = this.evaluate(token, contexts);
    if (value === null) return {};
    return Object.fromEntries(
      Object.entries(value as Record<string, Value>).map(([key, item]) => [key, valueText(item)]),
    );
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
      github: this.github(),
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
      Object.entries(this.options.workflow.callOutputs).map(([name, token]) => [name, this.text(token, { jobs })]),
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
    const strategy = this.evaluate(job.strategy, contexts) as Record<string, Value> | null;
    const maxParallel = typeof strategy?.['max-parallel'] === 'number' ? strategy['max-parallel'] : combinations.length;
    const failFast = strategy?.['fail-fast'] !== false;
    const abort = new AbortController();
    const queue = [...combinations.entries()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [index, combination] = next;
        const record = await this.runInstance(job, combination, index, combinations.length, abort.signal);
        state.records.push(record);
        state.outputs = { ...state.outputs, ...record.outputs };
        if (record.result === 'failure' && failFast) abort.abort();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, maxParallel) }, worker));
    state.records.sort((a, b) => a.key.localeCompare(b.key));
    state.result = combinedResult(state.records.map((record) => record.result));
  }

  matrixOf(job: JobDefinition, contexts: Contexts): Array<Combination | undefined> {
    if (job.strategy === undefined) return [undefined];
    const strategy = this.evaluate(job.strategy, contexts) as Record<string, Value>;
    return 'matrix' in strategy ? expandMatrix(strategy['matrix'] ?? null) : [undefined];
  }

  record(key: string, job: JobDefinition, contexts: Contexts, note = ''): JobRecord {
    let name = job.id;
    try {
      name = this.text(job.name, contexts, job.id);
    } catch {
      // A name that cannot be evaluated yet (it needs the matrix) shows as the job id.
    }
    return { key, jobId: job.id, name, result: 'skipped', durationMs: 0, steps: [], outputs: {}, note, summary: '' };
  }

  async runInstance(
    job: JobDefinition,
    combination: Combination | undefined,
    index: number,
    total: number,
    matrixAbort: AbortSignal,
  ): Promise<JobRecord> {
    const matrix: Record<string, Value> = combination ?? {};
    const contexts: Contexts = {
      ...this.baseContexts(job),
      matrix,
      strategy: { 'job-index': index, 'job-total': total, 'fail-fast': true, 'max-parallel': total },
      job: {
        status: 'success',
        workflow_repository: this.options.workflowRepository,
        workflow_sha: this.options.workflowSha,
      },
    };
    const key = combination === undefined ? job.id : `${job.id} (${combinationLabel(combination)})`;
    const record = this.record(key, job, contexts);
    const started = Date.now();
    const execution = new JobExecution(this, job, record, contexts);
    try {
      await execution.execute(matrixAbort);
    } catch (error) {
      record.result = 'failure';
      record.note = errorMessage(error);
    }
    record.durationMs = Date.now() - started;
    this.listener.jobFinished(this.options.runId, record);
    return record;
  }

  // The parts a job execution reaches.
  get runOptions(): WorkflowRunOptions {
    return this.options;
  }
  get groups(): ConcurrencyGroups {
    return this.concurrency;
  }
  get progress(): ProgressListener {
    return this.listener;
  }
  /** Secrets and masked values removed from everything the run reports. */
  get secrets(): Redactor {
    return this.redactor;
  }
}

/** One job (one matrix combination) from its concurrency group and environment to its outputs. */
class JobExecution {
  private readonly run: WorkflowRun;
  private readonly job: JobDefinition;
  private readonly record: JobRecord;
  private readonly contexts: Contexts;
  private readonly steps: Record<
    string,
    { outputs: Record<string, string>; outcome: Conclusion; conclusion: Conclusion }
  > = {};
  private env: Record<string, string> = {};
  private failed = false;
  private readonly cancel = new AbortController();

  constructor(run: WorkflowRun, job: JobDefinition, record: JobRecord, contexts: Contexts) {
    this.run = run;
    this.job = job;
    this.record = record;
    this.contexts = contexts;
  }

  async execute(matrixAbort: AbortSignal): Promise<void> {
    const options = this.run.runOptions;
    const runAbort = options.signal;
    const cancel = (): void => this.cancel.abort();
    matrixAbort.addEventListener('abort', cancel, { once: true });
    runAbort?.addEventListener('abort', cancel, { once: true });
    const ticket = this.joinConcurrency();
    try {
      if (!(await this.admitted(ticket))) return;
      this.run.progress.jobStarted(options.runId, this.record);
      this.env = {
        ...this.run.env(options.workflow.env, this.contexts),
      };
      this.env = { ...this.env, ...this.run.env(this.job.env, { ...this.contexts, env: this.env }) };
      await this.runSteps();
      this.record.result = this.cancel.signal.aborted ? 'cancelled' : this.failed ? 'failure' : 'success';
      this.record.outputs = this.outputs();
    } finally {
      ticket?.leave();
      matrixAbort.removeEventListener('abort', cancel);
      runAbort?.removeEventListener('abort', cancel);
    }
  }

  joinConcurrency(): ConcurrencyTicket | undefined {
    const value = this.run.evaluate(this.job.concurrency, this.contexts);
    if (value === null) return undefined;
    const group = typeof value === 'string' ? value : valueText((value as Record<string, Value>)['group'] ?? '');
    const cancelInProgress = typeof value === 'object' && !Array.isArray(value) && value['cancel-in-progress'] === true;
    const owner = `run ${this.run.runOptions.runId} ${this.record.key}`;
    return this.run.groups.join(group, owner, cancelInProgress, () => this.cancel.abort());
  }

  /** Waits for the environment's approval and the concurrency group; false when the job does not run. */
  async admitted(ticket: ConcurrencyTicket | undefined): Promise<boolean> {
    const options = this.run.runOptions;
    const environment = this.environmentName();
    const superseded = ticket?.superseded ?? new Promise<'superseded'>(() => undefined);
    if (environment !== '') {
      this.run.progress.jobWaiting(options.runId, this.record, `waiting for ${environment}'s approval`);
      const approve = options.approve ?? (() => Promise.resolve(true));
      const answer = await Promise.race([approve(environment, options.runId, this.job.id), superseded]);
      if (answer === 'superseded') return this.stop('cancelled', 'superseded by a newer run in its concurrency group');
      if (!answer) return this.stop('failure', `${environment}'s reviewer rejected the deployment`);
      this.contexts['secrets'] = { ...options.secrets, ...options.environmentSecrets?.[environment] };
    }
    if (ticket && (await ticket.start()) === 'superseded') {
      return this.stop('cancelled', 'superseded by a newer run in its concurrency group');
    }
    return true;
  }

  environmentName(): string {
    const value = this.run.evaluate(this.job.environment, this.contexts);
    if (value === null) return '';
    if (typeof value === 'string') return value;
    return valueText((value as Record<string, Value>)['name'] ?? '');
  }

  stop(result: Conclusion, note: string): false {
    this.record.result = result;
    this.record.note = note;
    return false;
  }

  status(): StatusFunctions {
    return {
      success: !this.failed && !this.cancel.signal.aborted,
      failure: this.failed,
      cancelled: this.cancel.signal.aborted,
    };
  }

  stepContexts(): Contexts {
    const jobStatus = this.cancel.signal.aborted ? 'cancelled' : this.failed ? 'failure' : 'success';
    return {
      ...this.contexts,
      job: { ...(this.contexts['job'] as Record<string, Value>), status: jobStatus },
      steps: this.steps,
      env: this.env,
      runner: { os: 'Linux', arch: 'X64', name: 'rehearsal', temp: this.runnerTemp() },
    };
  }

  folder(): string {
    const { workRoot, runId } = this.run.runOptions;
    const folder = join(workRoot, `run-${runId}`, this.record.key.replace(/[^\w.-]+/g, '_'));
    mkdirSync(join(folder, 'workspace'), { recursive: true });
    mkdirSync(join(folder, 'temp'), { recursive: true });
    return folder;
  }

  workspace(): string {
    return this.run.runOptions.workspace ?? join(this.folder(), 'workspace');
  }

  runnerTemp(): string {
    return join(this.folder(), 'temp');
  }

  async runSteps(): Promise<void> {
    const deadline = Date.now() + this.minutes(this.job.timeoutMinutes, this.contexts, 360);
    for (const step of this.job.steps) {
      const contexts = this.stepContexts();
      const name = this.stepName(step, contexts);
      const started = Date.now();
      let stepRecord: StepRecord;
      if (!evaluateCondition(step.if, contexts, this.status())) {
        stepRecord = { name, outcome: 'skipped', conclusion: 'skipped', durationMs: 0, errors: [], warnings: [] };
      } else {
        stepRecord = await this.runStep(step, name, contexts, deadline);
      }
      stepRecord.durationMs = Date.now() - started;
      this.record.steps.push(stepRecord);
      this.run.progress.stepFinished(this.run.runOptions.runId, this.record, stepRecord);
      if (Date.now() > deadline && !this.cancel.signal.aborted) {
        this.failed = true;
        this.record.note = `the job exceeded its timeout-minutes`;
        this.cancel.abort();
      }
    }
  }

  stepName(step: StepDefinition, contexts: Contexts): string {
    try {
      if (step.name !== undefined) return this.run.text(step.name, contexts);
    } catch {
      // Fall through to the default name.
    }
    if (step.uses !== undefined) return step.uses.replace(/@[0-9a-f]{40}$/, '');
    return `Run ${this.run.text(step.run, {}, '').split('\n')[0] ?? ''}`.slice(0, 60);
  }

  minutes(token: TemplateToken | undefined, contexts: Contexts, fallback: number): number {
    const value = this.run.evaluate(token, contexts);
    return (typeof value === 'number' ? value : fallback) * 60_000;
  }

  async runStep(step: StepDefinition, name: string, contexts: Contexts, jobDeadline: number): Promise<StepRecord> {
    let result: StepResult;
    let continueOnError = false;
    try {
      continueOnError = this.run.evaluate(step.continueOnError, contexts) === true;
      const stepEnv = { ...this.env, ...this.run.env(step.env, contexts) };
      const timeoutMs = Math.min(jobDeadline - Date.now(), this.minutes(step.timeoutMinutes, contexts, 360));
      const environment = this.stepEnvironment(stepEnv, Math.max(timeoutMs, 1));
      result = await this.executeStep(step, contexts, environment);
    } catch (error) {
      result = failedStep(`${this.run.file}:${step.line}: ${errorMessage(error)}`);
    }
    const outcome: Conclusion =
      result.exitCode === 0 ? 'success' : this.cancel.signal.aborted ? 'cancelled' : 'failure';
    const conclusion: Conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
    if (conclusion === 'failure') this.failed = true;
    Object.assign(this.env, result.exportedEnv);
    for (const value of result.masked) this.run.secrets.add(value);
    if (step.hasId) this.steps[step.id] = { outputs: result.outputs, outcome, conclusion };
    const errors = result.errors.length > 0 || result.exitCode === 0 ? result.errors : [result.tail];
    const redact = (text: string): string => this.run.secrets.redact(text);
    this.record.summary += redact(result.summary);
    return {
      name,
      outcome,
      conclusion,
      durationMs: 0,
      errors: errors.map(redact),
      warnings: result.warnings.map(redact),
    };
  }

  stepEnvironment(stepEnv: Record<string, string>, timeoutMs: number): StepEnvironment {
    const options = this.run.runOptions;
    const workspace = this.workspace();
    const github = this.run.github();
    const env: Record<string, string> = {
      ...options.baseEnv,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: options.event.name,
      GITHUB_SHA: options.event.sha,
      GITHUB_REF: options.event.ref,
      GITHUB_REF_NAME: valueText(github['ref_name'] ?? ''),
      GITHUB_REPOSITORY: options.event.repository,
      GITHUB_REPOSITORY_OWNER: valueText(github['repository_owner'] ?? ''),
      GITHUB_ACTOR: options.event.actor,
      GITHUB_SERVER_URL: options.serverUrl,
      GITHUB_API_URL: valueText(github['api_url'] ?? ''),
      GITHUB_RUN_ID: String(options.runId),
      GITHUB_RUN_NUMBER: String(options.runId),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW: options.workflow.name,
      GITHUB_JOB: this.job.id,
      GITHUB_WORKSPACE: workspace,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: this.runnerTemp(),
      ...stepEnv,
    };
    return {
      workspace,
      runnerTemp: this.runnerTemp(),
      env,
      event: options.event.payload,
      token: options.secrets['GITHUB_TOKEN'] ?? '',
      timeoutMs,
      signal: this.cancel.signal,
    };
  }

  async executeStep(step: StepDefinition, contexts: Contexts, environment: StepEnvironment): Promise<StepResult> {
    if (step.run !== undefined) {
      const directory = this.run.text(step.workingDirectory, contexts, '.');
      const script = this.run.text(step.run, contexts);
      const replaced = this.run.runOptions.replaceRun?.[script.trim()] ?? script;
      return runScript(replaced, join(environment.workspace, directory), environment);
    }
    const uses = step.uses ?? '';
    const inputs = this.run.env(step.with, contexts);
    if (uses.startsWith('./')) return runLocalAction(join(environment.workspace, uses), inputs, environment);
    return this.run.runOptions.actions(uses, step.line)(inputs, environment);
  }

  outputs(): Record<string, string> {
    if (this.job.outputs === undefined) return {};
    return this.run.env(this.job.outputs, this.stepContexts());
  }
}

/** Runs one workflow run to its end. */
export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRunResult> {
  return new WorkflowRun(options, await tokenEvaluator()).run();
}
