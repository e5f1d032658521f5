// Everything kustomize-bump decides before a side effect: where the repository is, the branch pushed to, the commit
// message.
import { ConfigurationError, type GitHubContext } from '@shiprail/core';
import { resolve } from 'node:path';
import { describeImageEntry } from './image-args.ts';
import { remoteUrlFor, type KustomizeBumpInputs } from './inputs.ts';
import type { ImageChange } from './kustomization-edit.ts';
import { renderCommitMessage, type Placeholder } from './message.ts';
import { pathInside, type OverlayEdit } from './overlays.ts';

/** Where the GitOps repository comes from: a remote to clone, or a clone of the workspace to borrow. */
export type RepositorySource = { kind: 'remote'; remoteUrl: string } | { kind: 'clone'; path: string };

/** Everything decided before any side effect. */
export interface KustomizeBumpPlan {
  inputs: KustomizeBumpInputs;
  source: RepositorySource;
  /** The placeholders that do not depend on the edits or the branch. */
  sourceValues: Pick<Record<Placeholder, string>, SourcePlaceholder>;
}

type SourcePlaceholder = 'images' | 'source-repository' | 'source-sha' | 'source-short-sha' | 'source-url' | 'run-url';

/** Validates what the inputs say about the repository and fixes what the commit message says of its source. */
export function planKustomizeBump(
  inputs: KustomizeBumpInputs,
  github: GitHubContext,
  tempDir: string,
): KustomizeBumpPlan {
  return { inputs, source: repositorySource(inputs, github, tempDir), sourceValues: sourceValues(inputs, github) };
}

/** An existing clone must lie in the workspace or in RUNNER_TEMP, where earlier steps put their clones. */
function repositorySource(inputs: KustomizeBumpInputs, github: GitHubContext, tempDir: string): RepositorySource {
  const clone = inputs['repository-path'];
  if (clone === '')
    return { kind: 'remote', remoteUrl: remoteUrlFor(inputs.repository || github.repository, github.serverUrl) };
  const path = resolve(github.workspace, clone);
  const roots = [github.workspace, tempDir].map((root) => resolve(root));
  if (roots.every((root) => pathInside(root, path) === undefined)) {
    throw new ConfigurationError(`'${clone}' is outside the workspace and RUNNER_TEMP`, { input: 'repository-path' });
  }
  return { kind: 'clone', path };
}

function sourceValues(inputs: KustomizeBumpInputs, github: GitHubContext): KustomizeBumpPlan['sourceValues'] {
  const { repository, sha, serverUrl, runId } = github;
  const server = serverUrl.replace(/\/+$/, '');
  return {
    images: inputs.images.map((image) => image.argument).join(', '),
    'source-repository': repository,
    'source-sha': sha,
    'source-short-sha': sha.slice(0, 7),
    'source-url': repository && sha ? `${server}/${repository}/commit/${sha}` : '',
    'run-url': repository && runId ? `${server}/${repository}/actions/runs/${runId}` : '',
  };
}

/** The branch pushed to: the bumped branch itself, or the pull request's head branch. */
export function targetBranch(
  inputs: Pick<KustomizeBumpInputs, 'mode' | 'overlays' | 'images'>,
  branch: string,
): string {
  return inputs.mode === 'pull-request' ? pullRequestBranch(branch, inputs) : branch;
}

/** One head branch per base, overlays and image names: a later bump of the same images updates its PR. */
export function pullRequestBranch(branch: string, inputs: Pick<KustomizeBumpInputs, 'overlays' | 'images'>): string {
  const names = inputs.images.map((image) => image.name).sort();
  const key = `${[...inputs.overlays].sort().join('\n')}\n--\n${names.join('\n')}`;
  // node:crypto is loaded here, on first use: only pull requests need a hash.
  const { createHash } = process.getBuiltinModule('node:crypto');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const label = names
    .map((name) => name.split('/').pop() ?? name)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 40);
  return `kustomize-bump/${branch}/${label}-${hash}`;
}

/** `before → after` of one image in one overlay. */
export function describeChange(change: ImageChange): string {
  const before = change.before === undefined ? `new entry ${change.name}` : describeImageEntry(change.before);
  return `${before} → ${describeImageEntry(change.after)}`;
}

/** The commit message (and pull request title and body) for these edits of `branch`. */
export function commitMessage(plan: KustomizeBumpPlan, branch: string, edits: readonly OverlayEdit[]): string {
  return renderCommitMessage(plan.inputs['commit-message'], {
    ...plan.sourceValues,
    overlays: edits.map((edit) => edit.overlay).join(', '),
    changes: edits
      .flatMap((edit) => edit.changes.map((change) => `- ${edit.overlay}: ${describeChange(change)}`))
      .join('\n'),
    branch,
  });
}
