// The step's top function: plan, then reuse this commit's image, push an OCI layout an earlier step built,
// or build and push, and report tags, digest and labels.
import { mkdir } from 'node:fs/promises';
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import {
  buildahBuilder,
  buildxBuilder,
  dockerEngineAnswers,
  effectiveCache,
  type Builder,
  type BuildRequest,
} from './builders.ts';
import { storedCredentials } from './credentials.ts';
import { parseInputs, type BuildPushInputs } from './inputs.ts';
import { pushLayout, readLayout } from './layout.ts';
import { planBuild, type BuildPlan } from './plan.ts';
import { RegistryClient, type RegistryCredentials } from './registry.ts';
import { renderSummary, type Outcome } from './summary.ts';

/** Credentials from the inputs, else those an earlier login step stored (masked all the same). */
function registryCredentials(plan: BuildPlan, runtime: Runtime): RegistryCredentials | undefined {
  if (plan.credentials !== undefined) return plan.credentials;
  const stored = storedCredentials(plan.image.registry, runtime.env);
  if (stored !== undefined) runtime.mask(stored.password);
  return stored;
}

async function chooseBuilder(inputs: BuildPushInputs, runtime: Runtime): Promise<Builder> {
  const name =
    inputs.builder === 'auto' ? ((await dockerEngineAnswers(runtime)) ? 'buildx' : 'buildah') : inputs.builder;
  return name === 'buildx' ? buildxBuilder(runtime) : buildahBuilder(runtime);
}

/** Puts the manifest `digest` points at under every tag in `tags` (no pull, no rebuild). */
async function addTags(registry: RegistryClient, digest: string, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  const manifest = await registry.getManifest(digest);
  if (manifest === undefined) throw new Error(`the registry has no manifest ${digest} to tag`);
  for (const tag of tags) await registry.putManifest(tag, { ...manifest, digest });
}

interface ReuseCheck {
  /** The digest of this commit's existing image, when there is one to reuse. */
  digest?: string;
  /** Why the image is reused or built, for the summary. */
  why: string;
}

/** Looks for this commit's image (its `sha-<short>` tag) when reuse is asked for and possible. */
async function findReusable(
  plan: BuildPlan,
  inputs: BuildPushInputs,
  registry: RegistryClient | undefined,
): Promise<ReuseCheck> {
  const shaTag = plan.tags.shaTag;
  if (!inputs.push) return { why: 'push is false' };
  if (!inputs['reuse-existing']) return { why: 'reuse-existing is false' };
  if (shaTag === undefined) return { why: 'no type=sha rule gives a tag to look for' };
  if (registry === undefined) return { why: 'the registry API could not be used without credentials' };
  const existing = await registry.headManifest(shaTag);
  return existing === undefined
    ? { why: `${shaTag} is not in the registry yet` }
    : { digest: existing.digest, why: `${shaTag} already exists` };
}

/**
 * Whether this step can speak to the registry: wrong credentials fail here, before minutes of
 * building. Without any credentials, buildx may still push through a Docker credential helper this
 * step cannot read: then the registry API is skipped (no reuse) and buildx's own digest is trusted.
 */
async function registryAccess(
  inputs: BuildPushInputs,
  registry: RegistryClient,
  credentials: RegistryCredentials | undefined,
  builder: Builder,
  runtime: Runtime,
): Promise<boolean> {
  if (!inputs.push) return false;
  try {
    await registry.checkAccess('pull,push');
    return true;
  } catch (error) {
    if (!(error instanceof ConfigurationError) || credentials !== undefined || builder.name !== 'buildx') throw error;
    runtime.log.warning(`${error.message}; building without reuse-existing and trusting docker's own login`);
    return false;
  }
}

async function buildAndPush(
  plan: BuildPlan,
  inputs: BuildPushInputs,
  builder: Builder,
  registry: RegistryClient | undefined,
  credentials: RegistryCredentials | undefined,
  runtime: Runtime,
): Promise<Outcome> {
  const request: BuildRequest = {
    image: plan.image,
    contextDir: plan.contextDir,
    dockerfile: plan.dockerfile,
    tags: plan.references,
    labels: plan.labels,
    buildArgs: inputs['build-args'],
    target: inputs.target,
    platforms: inputs.platforms,
    push: inputs.push,
    ociLayout: plan.layout?.mode === 'write' ? plan.layout.directory : '',
    cache: inputs.cache,
    githubCache:
      Boolean(runtime.env['ACTIONS_RUNTIME_TOKEN']) &&
      Boolean(runtime.env['ACTIONS_CACHE_URL'] ?? runtime.env['ACTIONS_RESULTS_URL']),
  };
  // Builders write into the directory but do not create its parents.
  if (request.ociLayout !== '') await mkdir(request.ociLayout, { recursive: true });
  const result = await runtime.log.group(`Build with ${builder.name}`, () => builder.build(request, credentials));
  const how = `built with ${builder.name} (cache: ${effectiveCache(request, builder.name)})`;
  if (!inputs.push && request.ociLayout !== '') {
    // The digest of what was written is the digest any registry will report for it, byte for byte.
    const layout = await readLayout(request.ociLayout);
    return {
      digest: layout.top.digest,
      verdict: 'Built',
      decision: `${how}, written as an OCI image layout to ${request.ociLayout}, not pushed (push: false)`,
    };
  }
  if (!inputs.push) return { digest: '', verdict: 'Built', decision: `${how}, not pushed (push: false)` };
  if (registry === undefined) return { digest: result.digest, verdict: 'Built', decision: `${how} and pushed` };

  // The digest output is what the registry serves for the pushed tag.
  const first = plan.tags.tags[0]?.tag ?? '';
  let digest = result.digest;
  const served = await registry.headManifest(first);
  if (served !== undefined && served.digest !== '') {
    if (digest !== '' && served.digest !== digest) {
      runtime.log.warning(
        `${builder.name} reported ${digest} but the registry serves ${escapeUntrusted(served.digest)} for ${first}`,
      );
    }
    digest = served.digest;
  }
  const pushed = new Set(result.pushedTags);
  await addTags(
    registry,
    digest,
    plan.tags.tags.map(({ tag }) => tag).filter((tag) => !pushed.has(`${plan.image.name}:${tag}`)),
  );
  return { digest, verdict: 'Built', decision: `${how} and pushed` };
}

/** Pushes the image an earlier build-push step wrote as an OCI image layout: nothing is built. */
async function pushFromLayout(
  plan: BuildPlan,
  directory: string,
  registry: RegistryClient,
  runtime: Runtime,
): Promise<Outcome> {
  const layout = await readLayout(directory);
  await registry.checkAccess('pull,push');
  const counts = await runtime.log.group(`Push ${layout.top.digest} from ${escapeUntrusted(directory)}`, () =>
    pushLayout(
      registry,
      layout,
      plan.tags.tags.map(({ tag }) => tag),
    ),
  );
  runtime.log.info(`blobs: ${counts.uploaded} uploaded, ${counts.present} already in the registry`);
  return {
    digest: layout.top.digest,
    verdict: 'Pushed',
    decision: `pushed from the OCI image layout ${directory} (${counts.uploaded} blobs uploaded, ${counts.present} already there), nothing was built`,
  };
}

function setPlanOutputs(plan: BuildPlan, runtime: Runtime): void {
  runtime.setOutput('tags', plan.references.join('\n'));
  runtime.setOutput('version', plan.tags.version);
  runtime.setOutput('labels', plan.labels);
}

/** The build-push action: validate and plan, then reuse the commit's image or build and push it. */
export async function runBuildPush(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const plan = planBuild(inputs, runtime.github, runtime.env, runtime.clock.now());
  for (const warning of plan.tags.warnings) runtime.log.warning(warning);
  runtime.log.info(`Tags:\n${plan.references.join('\n')}`);

  if (inputs['dry-run']) {
    setPlanOutputs(plan, runtime);
    runtime.setOutput('built', false);
    await runtime.appendSummary(renderSummary(plan, undefined));
    return;
  }

  const credentials = registryCredentials(plan, runtime);
  const registry = new RegistryClient(plan.image, {
    fetch: runtime.fetch,
    credentials,
    sleep: (ms) => runtime.clock.sleep(ms),
    mask: (secret) => runtime.mask(secret),
    redact: (text) => runtime.redact(text),
    onRetry: (message) => runtime.log.warning(`registry ${plan.image.registry}: ${message}`),
  });
  if (plan.layout?.mode === 'push') {
    await finish(plan, await pushFromLayout(plan, plan.layout.directory, registry, runtime), runtime);
    return;
  }
  const builder = await chooseBuilder(inputs, runtime);
  const reachable = await registryAccess(inputs, registry, credentials, builder, runtime);

  let outcome: Outcome;
  const reuse = await findReusable(plan, inputs, reachable ? registry : undefined);
  runtime.log.info(`reuse-existing: ${reuse.why}`);
  const existing = reuse.digest;
  if (existing !== undefined) {
    const shaTag = plan.tags.shaTag ?? '';
    await addTags(
      registry,
      existing,
      plan.tags.tags.map(({ tag }) => tag).filter((tag) => tag !== shaTag),
    );
    outcome = {
      digest: existing,
      verdict: 'Reused',
      decision: `${reuse.why}: the other tags were added to its digest, nothing was built`,
    };
  } else {
    outcome = await buildAndPush(plan, inputs, builder, reachable ? registry : undefined, credentials, runtime);
    outcome.decision = `${outcome.decision} (${reuse.why})`;
  }

  await finish(plan, outcome, runtime);
}

async function finish(plan: BuildPlan, outcome: Outcome, runtime: Runtime): Promise<void> {
  setPlanOutputs(plan, runtime);
  runtime.setOutput('digest', outcome.digest);
  runtime.setOutput('ref', outcome.digest === '' ? '' : `${plan.image.name}@${outcome.digest}`);
  runtime.setOutput('built', outcome.verdict === 'Built');
  if (plan.layout !== undefined) runtime.setOutput('oci-layout', plan.layout.directory);
  await runtime.appendSummary(renderSummary(plan, outcome));
}
