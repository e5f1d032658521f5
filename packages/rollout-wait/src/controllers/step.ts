// The controller half of the step: the commit history the inputs point at, the wait, the log lines,
// the `controllers` output and the summary section, and the error the step ends with when the
// controller did not apply the commit.
import { escapeUntrusted, formatDuration, type Runtime } from '@shiprail/core';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { KubeClient } from '../kube.ts';
import { ALL_NAMESPACES } from '../kube.ts';
import type { RolloutWaitInputs } from '../inputs.ts';
import { GitHistory, NO_HISTORY, type CommitHistory } from './history.ts';
import { shortSha } from './revision.ts';
import {
  describeTarget,
  waitForControllers,
  type Controller,
  type ControllerRef,
  type ControllerTarget,
  type ControllerWaitOutcome,
} from './wait.ts';

/** One object in the `controllers` output. */
export interface ControllerOutput {
  object: string;
  kind: string;
  namespace: string;
  name: string;
  revision: string;
  revisionChecked: boolean;
  done: boolean;
  verdict: string;
  reason: string;
  message: string;
}

export function controllerOutputs(targets: readonly ControllerTarget[]): ControllerOutput[] {
  return targets.map((target) => ({
    object: describeTarget(target),
    kind: target.kind,
    namespace: target.namespace,
    name: target.name,
    revision: target.verdict.revision,
    revisionChecked: target.verdict.revisionChecked,
    done: target.verdict.phase === 'done',
    verdict: target.verdict.phase,
    reason: target.verdict.reason,
    message: target.verdict.message,
  }));
}

const GIT_DEADLINE_MS = 60_000;

/**
 * The git environment of fetches from an https remote with a token: an `http.<origin>.extraHeader` given
 * through GIT_CONFIG_COUNT/KEY/VALUE, so the token is in no argv, no config file and no log.
 */
function tokenEnvironment(url: string, token: string, mask: (secret: string) => void): Record<string, string> {
  const environment = { GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', GIT_CONFIG_COUNT: '0' };
  if (token === '' || !/^https?:\/\//i.test(url)) return environment;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  mask(basic);
  return {
    ...environment,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${new URL(url).origin}/.extraheader`,
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
  };
}

/**
 * Where the history of the GitOps repository comes from: a clone at a path (fetched from its origin),
 * a URL or `owner/name` (fetched into a temporary repository when first needed), or none (our commit
 * itself must be applied; a later one is not recognised).
 */
export function commitHistory(runtime: Runtime, inputs: RolloutWaitInputs): CommitHistory {
  const given = inputs['gitops-repository'];
  if (given === '') return NO_HISTORY;
  const path = isAbsolute(given) ? given : resolve(runtime.cwd, given);
  const options = { exec: runtime.exec, branch: inputs['gitops-branch'], deadlineMs: GIT_DEADLINE_MS };
  if (!given.includes('://') && existsSync(path) && statSync(path).isDirectory()) {
    return new GitHistory({
      ...options,
      directory: path,
      url: undefined,
      env: tokenEnvironment('', '', (secret) => runtime.mask(secret)),
    });
  }
  const url = /^[\w.-]+\/[\w.-]+$/.test(given)
    ? `${runtime.env['GITHUB_SERVER_URL'] ?? 'https://github.com'}/${given}.git`
    : given;
  const directory = mkdtempSync(join(runtime.tempDir, 'gitops-history-'));
  return new GitHistory({
    ...options,
    directory,
    url,
    env: tokenEnvironment(url, inputs['gitops-token'], (secret) => runtime.mask(secret)),
  });
}

/** The repository sources must read, as the inputs name it: a path names none (any repository). */
const repositoryToMatch = (runtime: Runtime, given: string): string | undefined =>
  given === '' || (!given.includes('://') && existsSync(isAbsolute(given) ? given : resolve(runtime.cwd, given)))
    ? undefined
    : given;

export async function waitOnController(
  runtime: Runtime,
  client: KubeClient,
  inputs: RolloutWaitInputs,
  controller: Controller,
  named: readonly ControllerRef[],
): Promise<ControllerWaitOutcome> {
  const commit = inputs['gitops-commit'];
  runtime.log.info(
    `Waiting for ${controller === 'argocd' ? 'Argo CD' : 'Flux'} to apply ${shortSha(commit)} ${
      named.length > 0
        ? `to ${named.map(describeTarget).join(', ')}`
        : `wherever ${escapeUntrusted(inputs['gitops-paths'].join(', '))} is rendered`
    }`,
  );
  return waitForControllers(client, {
    controller,
    commit,
    touched: inputs['gitops-paths'],
    named,
    repository: repositoryToMatch(runtime, inputs['gitops-repository']),
    namespace: inputs['controller-namespace'] || ALL_NAMESPACES,
    history: commitHistory(runtime, inputs),
    clock: runtime.clock,
    timeoutMs: inputs.timeout,
    onProgress: (target) =>
      runtime.log.info(`${describeTarget(target)}: ${escapeUntrusted(runtime.redact(target.verdict.message))}`),
    onWarning: (message) => runtime.log.warning(escapeUntrusted(runtime.redact(message))),
  });
}

/** The error the step ends with when the controller did not apply the commit everywhere. */
export function controllerFailure(outcome: ControllerWaitOutcome, commit: string, timeoutMs: number): Error {
  if (outcome.error !== undefined) return outcome.error;
  const notDone = outcome.targets.filter((target) => target.verdict.phase !== 'done');
  const detail = notDone
    .map((target) => `${describeTarget(target)} (${target.verdict.reason}): ${target.verdict.message}`)
    .join('; ');
  if (outcome.result === 'timeout')
    return new Error(
      `timed out after ${formatDuration(timeoutMs)} waiting for the controller to apply ${shortSha(commit)}: ${detail}`,
    );
  return new Error(`the controller did not apply ${shortSha(commit)}: ${detail}`);
}
