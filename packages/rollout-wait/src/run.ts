// The step: inputs, kubeconfig, the wait, then (within a few seconds of the deadline) rollback,
// diagnostics, outputs, summary and the one error. Once the wait has started, `result` and `resources`
// are set on every way out.
import {
  ConfigurationError,
  errorMessage,
  escapeUntrusted,
  formatDuration,
  type Clock,
  type Runtime,
} from '@shiprail/core';
import type { TrackedResource } from './decide.ts';
import { diagnose } from './diagnosis.ts';
import { controllerFailure, controllerOutputs, waitOnController } from './controllers/step.ts';
import type { Controller, ControllerRef, ControllerWaitOutcome } from './controllers/wait.ts';
import {
  parseControllerObjects,
  parseImages,
  parseInputs,
  parseResources,
  validateNamespace,
  validateWaitInputs,
  type RolloutWaitInputs,
} from './inputs.ts';
import { KubeApi, type KubeClient } from './kube.ts';
import { loadKubeConfig, type LoadedKubeConfig } from './kubeconfig.ts';
import { rollbackDeployment } from './rollback.ts';
import { renderControllerSummary, renderSummary, type ResourceReport } from './summary.ts';
import { waitForRollouts, type RolloutWaitOutcome } from './wait.ts';

/** What rollback and diagnostics may take after the wait has ended, together. */
const AFTER_WAIT_MS = 5_000;
const DIAGNOSED_RESOURCES = 5;

export interface ResourceOutput {
  resource: string;
  namespace: string;
  done: boolean;
  message: string;
  reason: string;
}

export function resourceOutputs(
  resources: readonly TrackedResource[],
  rollbacks: ReadonlyMap<TrackedResource, string>,
): ResourceOutput[] {
  return resources.map((entry) => {
    const rollback = rollbacks.get(entry);
    return {
      resource: `${entry.ref.kind}/${entry.ref.name}`,
      namespace: entry.ref.namespace,
      done: entry.verdict.phase === 'done',
      message: rollback ? `${entry.verdict.message}; ${rollback}` : entry.verdict.message,
      reason: entry.verdict.reason,
    };
  });
}

/**
 * Resources that did not finish get the reason Timeout when the deadline ended the wait; one that was
 * never listed says why (the failure being retried, or no answer).
 */
export function markTimeouts(outcome: RolloutWaitOutcome, server: string): void {
  if (outcome.result !== 'timeout') return;
  for (const entry of outcome.resources) {
    if (entry.verdict.phase !== 'progressing') continue;
    const unanswered = `no answer from ${server} to the list of ${entry.ref.kind}s in namespace ${entry.ref.namespace}`;
    const message = entry.synced ? entry.verdict.message : (entry.problem ?? unanswered);
    entry.verdict = { ...entry.verdict, message, reason: 'Timeout' };
  }
}

/** An abort signal that fires after `ms` on the runtime's clock; `cancel` stops its timer. */
function deadlineSignal(clock: Clock, ms: number): { signal: AbortSignal; cancel: () => void } {
  const expiry = new AbortController();
  const cancelled = new AbortController();
  void clock.sleep(ms, cancelled.signal).then(() => expiry.abort(new Error(`no answer within ${formatDuration(ms)}`)));
  return { signal: expiry.signal, cancel: () => cancelled.abort() };
}

async function rollBack(
  runtime: Runtime,
  client: KubeClient,
  unfinished: readonly TrackedResource[],
  signal: AbortSignal,
): Promise<Map<TrackedResource, string>> {
  const rollbacks = new Map<TrackedResource, string>();
  for (const entry of unfinished) {
    if (entry.ref.kind !== 'deployment' || entry.deleted || entry.object === undefined) continue;
    const label = `${entry.ref.namespace}/deployment/${entry.ref.name}`;
    try {
      const outcome = await rollbackDeployment(client, entry.ref.namespace, entry.ref.name, signal);
      rollbacks.set(entry, outcome.message);
      if (outcome.rolledBack)
        runtime.log.notice(`${label}: ${escapeUntrusted(outcome.message)}`, { title: 'Rolled back' });
      else runtime.log.warning(`${label}: ${escapeUntrusted(outcome.message)}`);
    } catch (error) {
      const cause = escapeUntrusted(runtime.redact(errorMessage(error)));
      const message = `rollback failed: ${cause}`;
      rollbacks.set(entry, message);
      runtime.log.warning(`${label}: ${message}`);
    }
  }
  return rollbacks;
}

/** What obtaining credentials failed with: an exec plugin's own message (its stderr) is redacted. */
function credentialFailure(runtime: Runtime, loaded: LoadedKubeConfig): (error: unknown) => string {
  const plugin = loaded.config.getCurrentUser()?.exec as { command?: unknown } | undefined;
  return (error) => {
    const message = runtime.redact(errorMessage(error).trim());
    if (typeof plugin?.command !== 'string') return message;
    const reason = message || 'it exited with an error and wrote nothing to stderr';
    return `the exec credential plugin '${plugin.command}' failed: ${reason}`;
  };
}

/** Errors other than user mistakes carry server answers: redacted, and on one line. */
function shown(runtime: Runtime, error: Error): Error {
  if (error instanceof ConfigurationError) return error;
  return new Error(escapeUntrusted(runtime.redact(error.message)));
}

/** The error the step ends with, when it does not succeed. */
function failureOf(outcome: RolloutWaitOutcome, outputs: readonly ResourceOutput[], timeoutMs: number): Error {
  if (outcome.error !== undefined) return outcome.error;
  const notDone = outputs.filter((output) => !output.done);
  const detail = notDone.map((output) => `${output.resource} (${output.reason}): ${output.message}`).join('; ');
  if (outcome.result === 'timeout') {
    const images =
      outcome.unclaimedImages.length > 0 ? `; no pod template uses ${outcome.unclaimedImages.join(', ')}` : '';
    return new Error(
      `timed out after ${formatDuration(timeoutMs)} waiting for ${detail || 'the expected images'}${images}`,
    );
  }
  const failed = notDone.filter((output) => output.reason !== 'Progressing');
  return new Error(
    `rollout failed: ${failed.map((output) => `${output.resource} (${output.reason}): ${output.message}`).join('; ') || detail}`,
  );
}

/**
 * Waits for the controller to apply the GitOps commit; ends the step when it did not (outputs and
 * summary set), else says how long it took.
 */
async function controllerFirst(
  runtime: Runtime,
  client: KubeClient,
  inputs: RolloutWaitInputs,
  controller: Controller,
  named: readonly ControllerRef[],
): Promise<number> {
  const started = runtime.clock.now();
  const outcome: ControllerWaitOutcome = await waitOnController(runtime, client, inputs, controller, named);
  const elapsedMs = runtime.clock.now() - started;
  runtime.setOutput('controllers', controllerOutputs(outcome.targets));
  await runtime.appendSummary(renderControllerSummary(outcome, inputs['gitops-commit'], elapsedMs));
  if (outcome.result !== 'success') {
    runtime.setOutput('result', outcome.result);
    runtime.setOutput('resources', []);
    throw shown(runtime, controllerFailure(outcome, inputs['gitops-commit'], inputs.timeout));
  }
  if (inputs.resources.length === 0) {
    runtime.setOutput('result', 'success');
    runtime.setOutput('resources', []);
  }
  runtime.log.info(`The controller applied ${inputs['gitops-commit']} in ${formatDuration(elapsedMs)}`);
  return elapsedMs;
}

export async function runRolloutWait(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  validateWaitInputs(inputs);
  const named =
    inputs.controller === 'none'
      ? []
      : parseControllerObjects(inputs['gitops-objects'], inputs.controller, inputs['controller-namespace']);
  const refs = parseResources(inputs.resources);
  const images = parseImages(inputs.images);
  validateNamespace(inputs.namespace);
  if (inputs.timeout <= 0) throw new ConfigurationError('must be longer than 0s', { input: 'timeout' });
  const loaded = await loadKubeConfig(runtime, inputs);

  const clock = runtime.clock;
  const namespace = inputs.namespace || loaded.contextNamespace || 'default';
  const client = new KubeApi(loaded.config, clock, credentialFailure(runtime, loaded));
  const resolved = refs.map((ref) => ({ ...ref, namespace: ref.namespace ?? namespace }));
  let timeoutMs = inputs.timeout;
  if (inputs.controller !== 'none') {
    const spent = await controllerFirst(runtime, client, inputs, inputs.controller, named);
    if (resolved.length === 0) return;
    timeoutMs = Math.max(1, inputs.timeout - spent);
  }
  runtime.log.info(
    `Watching ${resolved.map((ref) => `${ref.namespace}/${ref.kind}/${ref.name}`).join(', ')} on ${escapeUntrusted(runtime.redact(loaded.server))} (kubeconfig: ${escapeUntrusted(loaded.source)}), deadline ${formatDuration(timeoutMs)}`,
  );
  const started = clock.now();
  const outcome = await waitForRollouts(client, resolved, {
    timeoutMs: timeoutMs,
    failFast: inputs['fail-fast'],
    acceptPaused: inputs['accept-paused'],
    images,
    clock,
    onProgress: (ref, verdict) =>
      runtime.log.info(`${ref.namespace}/${ref.kind}/${ref.name}: ${escapeUntrusted(runtime.redact(verdict.message))}`),
    onWarning: (message) => runtime.log.warning(escapeUntrusted(message)),
  });
  const elapsedMs = clock.now() - started;
  markTimeouts(outcome, loaded.server);

  // Rollback and diagnostics are for rollouts that were judged; an API failure gets neither.
  const unfinished = outcome.error ? [] : outcome.resources.filter((entry) => entry.verdict.phase !== 'done');
  const after = deadlineSignal(clock, AFTER_WAIT_MS);
  const rollbacks =
    inputs.rollback && outcome.result !== 'success'
      ? await rollBack(runtime, client, unfinished, after.signal)
      : new Map<TrackedResource, string>();
  // A resource that was never listed has nothing to diagnose: its message says why.
  const diagnosed = unfinished.filter(
    (entry) => entry.synced && (entry.verdict.phase === 'failed' || outcome.result === 'timeout'),
  );
  const diagnoses = new Map(
    await Promise.all(
      diagnosed
        .slice(0, DIAGNOSED_RESOURCES)
        .map(async (entry) => [entry, await diagnose(client, entry, after.signal)] as const),
    ),
  );
  after.cancel();

  const outputs = resourceOutputs(outcome.resources, rollbacks);
  runtime.setOutput('result', outcome.result);
  runtime.setOutput('resources', outputs);
  const reports: ResourceReport[] = outcome.resources.map((entry) => ({
    entry,
    diagnosis: diagnoses.get(entry),
    rollback: rollbacks.get(entry),
  }));
  await runtime.appendSummary(
    renderSummary(outcome.result, reports, {
      elapsedMs,
      timeoutMs: timeoutMs,
      unclaimedImages: outcome.unclaimedImages,
      server: loaded.server,
      stoppedBy: outcome.error === undefined ? undefined : errorMessage(outcome.error),
    }),
  );

  if (outcome.result !== 'success') throw shown(runtime, failureOf(outcome, outputs, timeoutMs));
  runtime.log.info(`All ${outcome.resources.length} rollouts finished in ${formatDuration(elapsedMs)}`);
}
