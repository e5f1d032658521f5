// kustomize-bump's inputs, read and checked before anything is cloned, edited or pushed.
import { ConfigurationError, escapeUntrusted, type InputParser } from '@shiprail/core';
import { posix } from 'node:path';
import { parseImageArguments, type ImageArgument } from './image-args.ts';
import { DEFAULT_COMMIT_MESSAGE, checkCommitMessageTemplate } from './message.ts';

export const MODES = ['push', 'pull-request'] as const;
export type Mode = (typeof MODES)[number];
export const VERIFY_CHOICES = ['auto', 'true', 'false'] as const;
export type VerifyChoice = (typeof VERIFY_CHOICES)[number];

export interface KustomizeBumpInputs {
  /** `owner/name`, or a remote URL; '' means the workflow's own repository. */
  repository: string;
  'repository-path': string;
  token: string;
  /** '' means the remote's default branch. */
  branch: string;
  /** Overlay directories, relative to the repository root, normalised (`overlays/dev`). */
  overlays: string[];
  images: ImageArgument[];
  mode: Mode;
  'commit-message': string;
  'max-attempts': number;
  verify: VerifyChoice;
  'dry-run': boolean;
}

/** Reads and checks every input before anything is cloned, edited or pushed. */
export function parseInputs(parser: InputParser): KustomizeBumpInputs {
  const token = parser.secret('token');
  const repository = parser.string('repository');
  const repositoryPath = parser.string('repository-path');
  const branch = parser.string('branch');
  const overlays = parser.list('overlays');
  const imageLines = parser.list('images');
  const mode = parser.choice('mode', MODES, 'push');
  const commitMessage = parser.string('commit-message', DEFAULT_COMMIT_MESSAGE);
  const maxAttempts = parser.integer('max-attempts', 5, { min: 1, max: 100 });
  const verify = parser.choice('verify', VERIFY_CHOICES, 'auto');
  const dryRun = parser.boolean('dry-run', false);

  if (overlays.length === 0) {
    throw new ConfigurationError('is required: list the overlay directories, one per line', { input: 'overlays' });
  }
  if (imageLines.length === 0) {
    throw new ConfigurationError('is required: list images as `kustomize edit set image` takes them, one per line', {
      input: 'images',
    });
  }
  if (branch !== '' && !isBranchName(branch)) {
    throw new ConfigurationError(`'${branch}' is not a valid branch name`, { input: 'branch' });
  }
  if (mode === 'pull-request' && token === '') {
    throw new ConfigurationError('is required with mode pull-request: the pull request is opened through the API', {
      input: 'token',
    });
  }
  checkCommitMessageTemplate(commitMessage, 'commit-message');
  return {
    repository,
    'repository-path': repositoryPath,
    token,
    branch,
    overlays: [...new Set(overlays.map(normalizeOverlay))],
    images: parseImageArguments(imageLines, 'images'),
    mode,
    'commit-message': commitMessage,
    'max-attempts': maxAttempts,
    verify,
    'dry-run': dryRun,
  };
}

/** `./overlays/dev/` -> `overlays/dev`; paths outside the repository are refused. */
export function normalizeOverlay(overlay: string): string {
  const normalized = posix.normalize(overlay.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new ConfigurationError(`'${overlay}' must be a directory inside the repository, relative to its root`, {
      input: 'overlays',
    });
  }
  // kubectl would read `-h` or `--enable-helm` as a flag; no overlay directory is named like one.
  if (normalized.startsWith('-') || /[\x00-\x1f\x7f]/.test(normalized)) {
    throw new ConfigurationError(
      `'${escapeUntrusted(overlay)}' is not a directory name: it starts with '-' or holds control characters`,
      { input: 'overlays' },
    );
  }
  return normalized === '' ? '.' : normalized;
}

/** The rules of `git check-ref-format --branch`, enough to refuse what git would. */
export function isBranchName(name: string): boolean {
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.endsWith('.lock') || name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  if (name.split('/').some((part) => part.startsWith('.'))) return false;
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(name) && name !== '@';
}

/** The URL git talks to: an `owner/name` is looked up on the server the workflow runs on. */
export function remoteUrlFor(repository: string, serverUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || repository.startsWith('/') || /^[^/:]+@[^:]+:/.test(repository)) {
    return repository;
  }
  if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    return `${serverUrl.replace(/\/+$/, '')}/${repository.replace(/\.git$/, '')}.git`;
  }
  throw new ConfigurationError(`'${repository}' is neither owner/name nor a git URL`, { input: 'repository' });
}

/** `owner/name` of a repository given as owner/name or as a URL (for the pull request API). */
export function ownerAndName(repository: string): { owner: string; repo: string } | undefined {
  const match = /([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(repository);
  return match?.[1] !== undefined && match[2] !== undefined ? { owner: match[1], repo: match[2] } : undefined;
}
