import { ConfigurationError, type GitHubContext } from '@shiprail/core';
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { BuildPushInputs } from './inputs.ts';
import { ociLabels, parseLabelLines } from './labels.ts';
import { parseImageReference, type ImageReference } from './reference.ts';
import type { RegistryCredentials } from './registry.ts';
import { parseFlavor, parseTagRules } from './rules.ts';
import { computeTags, tagContext, type TagContext, type TagPlan } from './tags.ts';

/** Everything decided before any side effect: a plan that is valid or an error that says why. */
export interface BuildPlan {
  image: ImageReference;
  contextDir: string;
  dockerfile: string;
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
  const image = parseImageReference(inputs.image);

  const username = inputs['registry-username'];
  const password = inputs['registry-password'];
  if (password !== '' && username === '') {
    throw new ConfigurationError('is empty while registry-password is set: give both', { input: 'registry-username' });
  }
  if (username !== '' && password === '') {
    throw new ConfigurationError('is empty while registry-username is set: give both', { input: 'registry-password' });
  }

  const contextDir = resolve(github.workspace, inputs.context);
  const contextKind = kindOf(contextDir);
  if (contextKind !== 'directory') {
    throw new ConfigurationError(
      `${contextDir} ${contextKind === 'missing' ? 'does not exist' : 'is a file, not a directory'}`,
      { input: 'context' },
    );
  }
  const dockerfile =
    inputs.dockerfile === ''
      ? join(contextDir, 'Dockerfile')
      : isAbsolute(inputs.dockerfile)
        ? inputs.dockerfile
        : resolve(github.workspace, inputs.dockerfile);
  if (kindOf(dockerfile) !== 'file') {
    throw new ConfigurationError(
      `${dockerfile} does not exist${inputs.dockerfile === '' ? ' (the default is <context>/Dockerfile)' : ''}`,
      { input: 'dockerfile' },
    );
  }

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
  if (inputs.push && tags.tags.length === 0) {
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
    parseLabelLines(inputs.labels),
  );

  return {
    image,
    contextDir,
    dockerfile,
    tags,
    context,
    references: tags.tags.map(({ tag }) => `${image.name}:${tag}`),
    labels,
    credentials: username === '' ? undefined : { username, password },
  };
}
