// One job of a workflow run (one matrix combination): its concurrency group, its environment's approval,
// its env, its steps as the runner runs them (`if`, `continue-on-error`, timeouts, what steps export and
// mask) and its outputs. It is given what it needs from its run (a JobSetting) and never reaches back.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { errorMessage, type Redactor } from '@shiprail/core';
import { concurrencySetting, type ConcurrencyGroups, type ConcurrencyTicket } from './concurrency.ts';
import { deploymentRefusal, waitTimerMs } from './environments.ts';
import { evaluateCondition, valueText, type Contexts, type StatusFunctions, type Value } from './expressions.ts';
import { failedStep, runLocalAction, runScript, type StepEnvironment, type StepResult } from './steps.ts';
import type { TokenValues } from './token-values.ts';
import type { JobDefinition, StepDefinition } from './workflow.ts';
import type { Conclusion, JobRecord, ProgressListener, StepRecord, WorkflowRunOptions } from './workflow-run.ts';

/** A timer that ends early when `signal` aborts. */
function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** What a job's execution is given by its run. */
export interface JobSetting {
  options: WorkflowRunOptions;
  /** The run's tokens turned into values with GitHub's evaluator. */
  values: TokenValues;
  /** The github context of the run. */
  github: Record<string, Value>;
  concurrency: ConcurrencyGroups;
  progress: ProgressListener;
  /** Secrets and masked values removed from everything the run reports; steps add what they mask. */
  redactor: Redactor;
}

/** One job (one matrix combination) from its concurrency group and environment to its outputs. */
export class JobExecution {
  private readonly setting: JobSetting;
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

  constructor(setting: JobSetting, job: JobDefinition, record: JobRecord, contexts: Contexts) {
    this.setting = setting;
    this.job = job;
    this.record = record;
    this.contexts = contexts;
  }

  async execute(matrixAbort: AbortSignal): Promise<void> {
    const options = this.setting.options;
    const runAbort = options.signal;
    const cancel = (): void => this.cancel.abort();
    matrixAbort.addEventListener('abort', cancel, { once: true });
    runAbort?.addEventListener('abort', cancel, { once: true });
    const ticket = this.joinConcurrency();
    try {
      if (!(await this.admitted(ticket))) return;
      this.setting.progress.jobStarted(options.runId, this.record);
      this.env = {
        ...this.setting.values.strings(options.workflow.env, this.contexts),
      };
      this.env = { ...this.env, ...this.setting.values.strings(this.job.env, { ...this.contexts, env: this.env }) };
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
    const setting = concurrencySetting(this.setting.values.value(this.job.concurrency, this.contexts));
    if (setting === undefined) return undefined;
    const owner = `run ${this.setting.options.runId} ${this.record.key}`;
    return this.setting.concurrency.join(setting.group, owner, setting.cancelInProgress, () => this.cancel.abort());
  }

  /**
   * Waits for the environment (its deployment branch rule, wait timer and reviewer) and the concurrency
   * group; false when the job does not run.
   */
  async admitted(ticket: ConcurrencyTicket | undefined): Promise<boolean> {
    const options = this.setting.options;
    const environment = this.environmentName();
    const superseded = ticket?.superseded ?? new Promise<'superseded'>(() => undefined);
    if (environment !== '') {
      const refused = deploymentRefusal(options.environmentRules, environment, options.event.ref);
      if (refused !== undefined) return this.stop('failure', refused);
      const timer = waitTimerMs(options.environmentRules, environment);
      const waits = timer > 0 ? ` and its wait timer (${timer / 60_000} min)` : '';
      this.setting.progress.jobWaiting(options.runId, this.record, `waiting for ${environment}'s approval${waits}`);
      const approve = options.approve ?? (() => Promise.resolve(true));
      const sleep = options.sleep ?? realSleep;
      // The reviewer may answer while the timer runs; the job starts once both allow it.
      const allowed = Promise.all([
        approve(environment, options.runId, this.record.key),
        timer > 0 ? sleep(timer, this.cancel.signal) : undefined,
      ]).then(([answer]) => answer);
      const answer = await Promise.race([allowed, superseded]);
      if (answer === 'superseded') return this.stop('cancelled', 'superseded by a newer run in its concurrency group');
      if (this.cancel.signal.aborted) return this.stop('cancelled', `cancelled while waiting for ${environment}`);
      if (!answer) return this.stop('failure', `${environment}'s reviewer rejected the deployment`);
      this.contexts['secrets'] = { ...options.secrets, ...options.environmentSecrets?.[environment] };
    }
    if (ticket && (await ticket.start()) === 'superseded') {
      return this.stop('cancelled', 'superseded by a newer run in its concurrency group');
    }
    return true;
  }

  environmentName(): string {
    const value = this.setting.values.value(this.job.environment, this.contexts);
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
    const { workRoot, runId } = this.setting.options;
    const folder = join(workRoot, `run-${runId}`, this.record.key.replace(/[^\w.-]+/g, '_'));
    mkdirSync(join(folder, 'workspace'), { recursive: true });
    mkdirSync(join(folder, 'temp'), { recursive: true });
    return folder;
  }

  workspace(): string {
    return this.setting.options.workspace ?? join(this.folder(), 'workspace');
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
      this.setting.progress.stepFinished(this.setting.options.runId, this.record, stepRecord);
      if (Date.now() > deadline && !this.cancel.signal.aborted) {
        this.failed = true;
        this.record.note = `the job exceeded its timeout-minutes`;
        this.cancel.abort();
      }
    }
  }

  stepName(step: StepDefinition, contexts: Contexts): string {
    try {
      if (step.name !== undefined) return this.setting.values.text(step.name, contexts);
    } catch {
      // Fall through to the default name.
    }
    if (step.uses !== undefined) return step.uses.replace(/@[0-9a-f]{40}$/, '');
    return `Run ${this.setting.values.text(step.run, {}, '').split('\n')[0] ?? ''}`.slice(0, 60);
  }

  minutes(token: TemplateToken | undefined, contexts: Contexts, fallback: number): number {
    const value = this.setting.values.value(token, contexts);
    return (typeof value === 'number' ? value : fallback) * 60_000;
  }

  async runStep(step: StepDefinition, name: string, contexts: Contexts, jobDeadline: number): Promise<StepRecord> {
    let result: StepResult;
    let continueOnError = false;
    try {
      continueOnError = this.setting.values.value(step.continueOnError, contexts) === true;
      const stepEnv = { ...this.env, ...this.setting.values.strings(step.env, contexts) };
      const timeoutMs = Math.min(jobDeadline - Date.now(), this.minutes(step.timeoutMinutes, contexts, 360));
      const environment = this.stepEnvironment(stepEnv, Math.max(timeoutMs, 1));
      result = await this.executeStep(step, contexts, environment);
    } catch (error) {
      result = failedStep(`${this.setting.options.workflow.file}:${step.line}: ${errorMessage(error)}`);
    }
    const outcome: Conclusion =
      result.exitCode === 0 ? 'success' : this.cancel.signal.aborted ? 'cancelled' : 'failure';
    const conclusion: Conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
    if (conclusion === 'failure') this.failed = true;
    Object.assign(this.env, result.exportedEnv);
    for (const value of result.masked) this.setting.redactor.add(value);
    if (step.hasId) this.steps[step.id] = { outputs: result.outputs, outcome, conclusion };
    const errors = result.errors.length > 0 || result.exitCode === 0 ? result.errors : [result.tail];
    const redact = (text: string): string => this.setting.redactor.redact(text);
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
    const options = this.setting.options;
    const workspace = this.workspace();
    const github = this.setting.github;
    const env: Record<string, string> = {
      ...options.baseEnv,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: options.event.name,
      GITHUB_SHA: options.event.sha,
      GITHUB_REF: options.event.ref,
      GITHUB_REF_NAME: valueText(github['ref_name'] ?? ''),
      GITHUB_HEAD_REF: valueText(github['head_ref'] ?? ''),
      GITHUB_BASE_REF: valueText(github['base_ref'] ?? ''),
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
      // A step's own shell and working-directory, else the job's defaults.run, else the workflow's.
      const defaults = { ...this.setting.options.workflow.defaults, ...this.job.defaults };
      const directory = this.setting.values.text(step.workingDirectory, contexts, defaults.workingDirectory ?? '.');
      const script = this.setting.values.text(step.run, contexts);
      const replaced = this.setting.options.replaceRun?.[script.trim()] ?? script;
      const shell = step.shell !== '' ? step.shell : (defaults.shell ?? '');
      return runScript(replaced, join(environment.workspace, directory), environment, shell);
    }
    const uses = step.uses ?? '';
    const inputs = this.setting.values.strings(step.with, contexts);
    if (uses.startsWith('./')) return runLocalAction(join(environment.workspace, uses), inputs, environment);
    return this.setting.options.actions(uses, step.line)(inputs, environment);
  }

  outputs(): Record<string, string> {
    if (this.job.outputs === undefined) return {};
    return this.setting.values.strings(this.job.outputs, this.stepContexts());
  }
}
