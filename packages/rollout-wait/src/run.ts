import { ConfigurationError, formatDuration, type Runtime } from '@shiprail/core';
import { parseImages, parseInputs, parseResources, validateNamespace } from './inputs.ts';
import { createKubeClient, type KubeClient } from './kube.ts';
import { withKubeConfig } from './kubeconfig.ts';
import { diagnose, renderSummary, type ResourceReport } from './report.ts';
import { rollbackDeployment } from './rollback.ts';
import { waitForRollouts, type TrackedResource, type WaitOutcome } from './wait.ts';

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

/** Resources that did not finish get the reason Timeout when the deadline ended the wait. */
function markTimeouts(outcome: WaitOutcome): void {
  if (outcome.result !== 'timeout') return;
  for (const entry of outcome.resources) {
    if (entry.verdict.phase === 'progressing') entry.verdict = { ...entry.verdict, reason: 'Timeout' };
  }
}

async function rollBack(
  runtime: Runtime,
  client: KubeClient,
  unfinished: readonly TrackedResource[],
): Promise<Map<TrackedResource, string>> {
  const rollbacks = new Map<TrackedResource, string>();
  for (const entry of unfinished) {
    if (entry.ref.kind !== 'deployment' || entry.deleted || entry.object === undefined) continue;
    const label = `${entry.ref.namespace}/deployment/${entry.ref.name}`;
    try {
      const outcome = await rollbackDeployment(client, entry.ref.namespace, entry.ref.name);
      rollbacks.set(entry, outcome.message);
      if (outcome.rolledBack) runtime.log.notice(`${label}: ${outcome.message}`, { title: 'Rolled back' });
      else runtime.log.warning(`${label}: ${outcome.message}`);
    } catch (error) {
      const message = `rollback failed: ${error instanceof Error ? error.message : String(error)}`;
      rollbacks.set(entry, message);
      runtime.log.warning(`${label}: ${message}`);
    }
  }
  return rollbacks;
}

export async function runRolloutWait(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const refs = parseResources(inputs.resources);
  const images = parseImages(inputs.images);
  validateNamespace(inputs.namespace);
  if (inputs.timeout <= 0) throw new ConfigurationError('must be longer than 0s', { input: 'timeout' });

  await withKubeConfig(runtime, inputs, async (loaded) => {
    const namespace = inputs.namespace || loaded.contextNamespace || 'default';
    const client = createKubeClient(loaded.config);
    const resolved = refs.map((ref) => ({ ...ref, namespace: ref.namespace ?? namespace }));
    runtime.log.info(
      `Watching ${resolved.map((ref) => `${ref.namespace}/${ref.kind}/${ref.name}`).join(', ')} on ${loaded.server} (kubeconfig: ${loaded.source}), deadline ${formatDuration(inputs.timeout)}`,
    );
    const started = runtime.clock.now();
    const outcome = await waitForRollouts(client, resolved, {
      timeoutMs: inputs.timeout,
      failFast: inputs['fail-fast'],
      acceptPaused: inputs['accept-paused'],
      images,
      onProgress: (ref, verdict) => runtime.log.info(`${ref.namespace}/${ref.kind}/${ref.name}: ${verdict.message}`),
      onWarning: (message) => runtime.log.warning(message),
    });
    const elapsedMs = runtime.clock.now() - started;
    markTimeouts(outcome);

    const unfinished = outcome.resources.filter((entry) => entry.verdict.phase !== 'done');
    const rollbacks =
      inputs.rollback && outcome.result !== 'success'
        ? await rollBack(runtime, client, unfinished)
        : new Map<TrackedResource, string>();
    const diagnoses = new Map(
      await Promise.all(
        unfinished
          .filter((entry) => entry.verdict.phase === 'failed' || outcome.result === 'timeout')
          .slice(0, 5)
          .map(async (entry) => [entry, await diagnose(client, entry)] as const),
      ),
    );

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
        timeoutMs: inputs.timeout,
        unclaimedImages: outcome.unclaimedImages,
        server: loaded.server,
      }),
    );

    if (outcome.result === 'success') {
      runtime.log.info(`All ${outcome.resources.length} rollouts finished in ${formatDuration(elapsedMs)}`);
      return;
    }
    const notDone = outputs.filter((output) => !output.done);
    const detail = notDone.map((output) => `${output.resource} (${output.reason}): ${output.message}`).join('; ');
    if (outcome.result === 'timeout') {
      const images =
        outcome.unclaimedImages.length > 0 ? `; no pod template uses ${outcome.unclaimedImages.join(', ')}` : '';
      throw new Error(
        `timed out after ${formatDuration(inputs.timeout)} waiting for ${detail || 'the expected images'}${images}`,
      );
    }
    throw new Error(
      `rollout failed: ${
        outputs
          .filter((output) => output.reason !== 'Progressing' && !output.done)
          .map((output) => `${output.resource} (${output.reason}): ${output.message}`)
          .join('; ') || detail
      }`,
    );
  });
}
