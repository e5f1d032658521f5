// The build plan: every input checked and every path confined before any side effect, with the tags and
// labels computed, so that a mistake fails the step before minutes of building.
import { ConfigurationError, type GitHubContext } from '@shiprail/core';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { BuildPushInputs } from './inputs.ts';
import { expressionValues } from './tags/expressions.ts';
import { ociLabels, parseLabelLines } from './labels.ts';
import type { ImageReference } from '@shiprail/core/image-reference';
import { parseImageInput } from './image-input.ts';
import type { RegistryCredentials } from './registry.ts';
import { parseFlavor, parseTagRules } from './tags/rules.ts';
import { computeTags, tagContext, type TagContext, type TagPlan } from './tags/tags.ts';

/** What build-push does with the `oci-layout` directory. */
export interface LayoutPlan {
  /** Absolute path. */
  directory: string;
  /** `write`: build and write the image there (push: false); `push`: push what it holds, build nothing. */
  mode: 'write' | 'push';
}

/** Everything decided before any side effect: a plan that is valid or an error that says why. */
export interface BuildPlan {
  image: ImageReference;
  /** Absolute paths; '' when a layout is pushed and nothing is built. */
  contextDir: string;
  dockerfile: string;
  layout: LayoutPlan | undefined;
  tags: TagPlan;
  /** The event, ref and commit the tags were computed for. */
  context: TagContext;
  /** Full references, in the order the tags were computed. */
  references: string[];
  labels: Record<string, string>;
  credentials: RegistryCredentials | undefined;
}

const kindOf = (path: string): 'file' | 'directory' | 'missing' => {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
};

/** The path with every link followed; for a path that does not exist yet, its nearest existing parent's. */
const realOrSelf = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(resolve(path));
    return parent === resolve(path) ? parent : join(realOrSelf(parent), basename(path));
  }
};

const isWithin = (path: string, root: string): boolean => {
  const inside = relative(root, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
};

/**
 * A path the build reads: inside the workspace (or RUNNER_TEMP), links followed, or a mistake in
 * `input`. The build context is sent to the builder whole, so one outside would ship the runner's
 * files into an image.
 */
export function confinedPath(path: string, roots: readonly string[], input: string, written: string): string {
  const real = realOrSelf(path);
  if (roots.some((root) => isWithin(real, realOrSelf(root)))) return path;
  const via = real === resolve(path) ? '' : ` (through a link to ${real})`;
  throw new ConfigurationError(`'${written}' is outside the workspace${via}: give a path inside the repository`, {
    input,
  });
}

/** buildah reads `oci:PATH[:name]` and buildx a CSV `dest=PATH`: these characters would change the meaning. */
const LAYOUT_PATH_UNSAFE = /[,:"]/;

/** Validates `oci-layout`: confined, and for writing missing or empty (an image already there would be mixed in). */
function planLayout(inputs: BuildPushInputs, workspace: string, roots: readonly string[]): LayoutPlan | undefined {
  const written = inputs['oci-layout'];
  if (written === '') return undefined;
  const directory = confinedPath(resolve(workspace, written), roots, 'oci-layout', written);
  const kind = kindOf(directory);
  if (kind === 'file') throw new ConfigurationError(`${directory} is a file, not a directory`, { input: 'oci-layout' });
  if (inputs.push) return { directory, mode: 'push' };
  if (LAYOUT_PATH_UNSAFE.test(directory)) {
    throw new ConfigurationError(`${directory} contains one of , : " which builders cannot take in a path`, {
      input: 'oci-layout',
    });
  }
  if (kind === 'directory' && readdirSync(directory).length > 0) {
    throw new ConfigurationError(`${directory} is not empty: give a new or empty directory to write the image to`, {
      input: 'oci-layout',
    });
  }
  return { directory, mode: 'write' };
}

/** The build context and Dockerfile: confined, existing, of the right kind. */
function planSources(
  inputs: BuildPushInputs,
  workspace: string,
  roots: readonly string[],
): { contextDir: string; dockerfile: string } {
  const contextDir = confinedPath(resolve(workspace, inputs.context), roots, 'context', inputs.context);
  const contextKind = kindOf(contextDir);
  if (contextKind !== 'directory') {
    throw new ConfigurationError(
      `${contextDir} ${contextKind === 'missing' ? 'does not exist' : 'is a file, not a directory'}`,
      { input: 'context' },
    );
  }
  const dockerfile = confinedPath(
    inputs.dockerfile === '' ? join(contextDir, 'Dockerfile') : resolve(workspace, inputs.dockerfile),
    roots,
    inputs.dockerfile === '' ? 'context' : 'dockerfile',
    inputs.dockerfile === '' ? `${inputs.context}/Dockerfile` : inputs.dockerfile,
  );
  if (kindOf(dockerfile) !== 'file') {
    throw inputs.dockerfile === ''
      ? new ConfigurationError(`${contextDir} has no Dockerfile: set dockerfile when it is elsewhere`, {
          input: 'context',
        })
      : new ConfigurationError(`${dockerfile} does not exist`, { input: 'dockerfile' });
  }
  return { contextDir, dockerfile };
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*=/s;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates every input and computes tags and labels; touches nothing but `stat` of the paths. */
export function planBuild(
  inputs: BuildPushInputs,
  github: GitHubContext,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): BuildPlan {
  const image = parseImageInput(inputs.image);

  const username = inputs['registry-username'];
  const password = inputs['registry-password'];
  if (password !== '' && username === '') {
    throw new ConfigurationError('is empty while registry-password is set: give both', { input: 'registry-username' });
  }
  if (username !== '' && password === '') {
    throw new ConfigurationError('is empty while registry-username is set: give both', { input: 'registry-password' });
  }

  const roots = [github.workspace, ...(env['RUNNER_TEMP'] ? [env['RUNNER_TEMP']] : [])];
  const layout = planLayout(inputs, github.workspace, roots);
  const { contextDir, dockerfile } =
    layout?.mode === 'push' ? { contextDir: '', dockerfile: '' } : planSources(inputs, github.workspace, roots);

  for (const buildArg of inputs['build-args']) {
    if (!BUILD_ARG.test(buildArg)) {
      throw new ConfigurationError(`'${buildArg}' is not NAME=value`, { input: 'build-args' });
    }
  }
  for (const platform of inputs.platforms) {
    if (!PLATFORM.test(platform)) {
      throw new ConfigurationError(`'${platform}' is not a platform like linux/amd64 or linux/arm/v7`, {
        input: 'platforms',
      });
    }
  }
  if (inputs.target !== '' && !TARGET.test(inputs.target)) {
    throw new ConfigurationError(`'${inputs.target}' is not a build stage name`, { input: 'target' });
  }

  const rules = parseTagRules(inputs.tags);
  const flavor = parseFlavor(inputs.flavor);
  const context = tagContext(github, env, now);
  const tags = computeTags(rules, flavor, context);
  if ((inputs.push || layout !== undefined) && tags.tags.length === 0) {
    throw new ConfigurationError(
      `no rule gives a tag for this event (${github.eventName} on ${context.ref}): add one that does, e.g. type=sha`,
      { input: 'tags' },
    );
  }
  const labels = ociLabels(
    {
      repository: github.repository,
      serverUrl: github.serverUrl,
      sha: context.sha,
      payload: github.payload,
      version: tags.version,
      now,
    },
    parseLabelLines(inputs.labels, expressionValues(context)),
  );

  return {
    image,
    contextDir,
    dockerfile,
    layout,
    tags,
    context,
    references: tags.tags.map(({ tag }) => `${image.name}:${tag}`),
    labels,
    credentials: username === '' ? undefined : { username, password },
  };
}
