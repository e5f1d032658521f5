// A repository's own caller of the deploy workflow: which of its `.github/workflows/*.yml` calls it, what
// its `with:` inputs say (environments, overlays, GitOps repository, file paths), and the same caller as a
// rehearsal runs it, its registry, base URLs, Prometheus and waits pointed at the rehearsal's world.
import { ConfigurationError } from '@shiprail/core';
import { isMap, parse, parseDocument } from 'yaml';

/** A job of a workflow file calling the suite's reusable deploy workflow. */
export interface CallerJob {
  /** Path of the workflow file in the repository. */
  file: string;
  job: string;
  uses: string;
}

/** A `uses:` of the suite's reusable workflow (another repository's `.github/workflows/deploy.yml@ref`). */
export const CALLS_DEPLOY = /^[\w.-]+\/[\w.-]+\/\.github\/workflows\/deploy\.ya?ml@\S+$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The first job (files in name order) calling the deploy workflow; a ConfigurationError saying what is
 * missing when no workflow calls it. A file that is not YAML is skipped here: loading it later says why.
 */
export function findCaller(files: ReadonlyArray<{ path: string; text: string }>): CallerJob {
  const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));
  for (const { path, text } of sorted) {
    let workflow: unknown;
    try {
      workflow = parse(text);
    } catch {
      continue;
    }
    const jobs = isRecord(workflow) && isRecord(workflow['jobs']) ? workflow['jobs'] : {};
    for (const [job, definition] of Object.entries(jobs)) {
      const uses = isRecord(definition) ? definition['uses'] : undefined;
      if (typeof uses === 'string' && CALLS_DEPLOY.test(uses.trim())) return { file: path, job, uses: uses.trim() };
    }
  }
  const looked =
    sorted.length === 0
      ? 'there is no .github/workflows/*.yml'
      : `none of ${sorted.map((file) => file.path).join(', ')} does`;
  throw new ConfigurationError(
    `no workflow calls the deploy workflow (a job with \`uses: <owner>/shiprail/.github/workflows/deploy.yml@<ref>\`): ${looked}. Run \`shiprail init\` first: it writes one from what the repository declares`,
    { file: '.github/workflows' },
  );
}

/** What the world is shaped after, read from the caller's `with:` (each input's default when not given). */
export interface CallerPlan {
  environments: string[];
  canaryEnvironment: string;
  /** Overlay folder template: `{environment}` is replaced. */
  overlays: string;
  gitopsRepository: string;
  gitopsBranch: string;
  imagePrefix: string;
  servicesConfig: string;
  smokeChecks: string;
  canaryMetrics: string;
}

/** The most environments the deploy workflow promotes through, and the fewest. */
const MOST_ENVIRONMENTS = 8;
const FEWEST_ENVIRONMENTS = 2;
const ENVIRONMENT_NAME = /^[A-Za-z0-9_.-]+$/;

/** A comma or newline list, as deploy.yml's `environments` reads it. */
export const listOf = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** The plan of the world from the caller's evaluated `with:` values; mistakes name the caller's file. */
export function planCaller(inputs: Readonly<Record<string, string>>, file: string): CallerPlan {
  const given = (name: string, fallback: string): string => {
    const value = inputs[name]?.trim() ?? '';
    return value === '' ? fallback : value;
  };
  const environments = listOf(given('environments', 'dev, staging, production'));
  const wrong = environments.find((name) => !ENVIRONMENT_NAME.test(name));
  if (wrong !== undefined)
    throw new ConfigurationError(`environments: "${wrong}" is not an environment name`, { file });
  if (environments.length < FEWEST_ENVIRONMENTS || environments.length > MOST_ENVIRONMENTS) {
    throw new ConfigurationError(
      `environments: ${FEWEST_ENVIRONMENTS} to ${MOST_ENVIRONMENTS} names, got ${environments.length} (${environments.join(', ')})`,
      { file },
    );
  }
  const overlays = listOf(given('overlays', 'overlays/{environment}'));
  if (overlays.length !== 1 || overlays[0]?.includes('{service}') === true) {
    throw new ConfigurationError(
      `overlays: the rehearsal follows one overlay folder per environment (a template with {environment}); got ${overlays.join(', ')}`,
      { file },
    );
  }
  // What the caller names stays inside the repository: no absolute folder, no `..`.
  const template = overlays[0] ?? '';
  if (template.startsWith('/') || template.split('/').includes('..')) {
    throw new ConfigurationError(`overlays: ${template} leads outside the repository`, { file });
  }
  const gitopsRepository = given('gitops-repository', '');
  if (!/^[\w.-]+\/[\w.-]+$/.test(gitopsRepository) || gitopsRepository.split('/').some((part) => /^\.+$/.test(part))) {
    throw new ConfigurationError(`gitops-repository: "${gitopsRepository}" is not owner/name`, { file });
  }
  return {
    environments,
    canaryEnvironment: given('canary-environment', 'canary'),
    overlays: overlays[0] ?? '',
    gitopsRepository,
    gitopsBranch: given('gitops-branch', ''),
    imagePrefix: given('image-prefix', ''),
    servicesConfig: given('services-config', '.github/services.yml'),
    // An empty smoke-checks turns the smoke tests off; the others fall back to their defaults.
    smokeChecks: inputs['smoke-checks'] === undefined ? '.github/smoke.yml' : inputs['smoke-checks'].trim(),
    canaryMetrics: given('canary-metrics', '.github/canary.yml'),
  };
}

/** The overlay folder of an environment. */
export const overlayOf = (plan: Pick<CallerPlan, 'overlays'>, environment: string): string =>
  plan.overlays.replaceAll('{environment}', environment).replace(/\/+$/, '');

/**
 * The image prefix in the world's registry: the caller's prefix with its registry host (a first part with
 * a dot or a port, or localhost) replaced by the world's, so images keep their repository paths.
 */
export function worldImagePrefix(prefix: string, registryHost: string): string {
  const parts = prefix.split('/').filter((part) => part !== '');
  const first = parts[0] ?? '';
  const path = /[.:]/.test(first) || first === 'localhost' ? parts.slice(1) : parts;
  return [registryHost, ...(path.length > 0 ? path : ['library'])].join('/');
}

/** What the world gives the caller in place of what it names in production. */
export interface WorldInputs {
  imagePrefix: string;
  /** Base URL of each environment the world serves (none: smoke tests are skipped). */
  baseUrls: Record<string, string>;
  /** The world's Prometheus, or '' to judge no canary. */
  prometheusUrl: string;
  /** Whether Prometheus scrapes traffic sent to the canary's pods (else it holds recorded series). */
  canaryTraffic: boolean;
}

/**
 * The caller's workflow text with its call's inputs pointed at the world: the registry, each
 * environment's base URL, Prometheus, and waits a rehearsal can afford (a rollout given two minutes, the
 * canary judged on 15 s of traffic, or once on recorded series). Everything else (and every comment) is as the repository has it.
 */
export function rehearsalCaller(text: string, job: string, world: WorldInputs): string {
  const document = parseDocument(text);
  const path = ['jobs', job, 'with'];
  if (!isMap(document.getIn(path))) document.setIn(path, document.createNode({}));
  const set = (name: string, value: string): void => {
    document.setIn([...path, name], value);
  };
  set('image-prefix', world.imagePrefix);
  for (const older of ['base-url-dev', 'base-url-staging', 'base-url-production']) document.deleteIn([...path, older]);
  set(
    'base-urls',
    Object.entries(world.baseUrls)
      .map(([environment, url]) => `${environment}: ${url}`)
      .join('\n'),
  );
  set('prometheus-url', world.prometheusUrl);
  set('rollout-timeout', '2m');
  if (world.prometheusUrl !== '' && world.canaryTraffic) {
    // One judgement of the traffic's first 15 s, a sample a second, as the sample's canary is judged.
    set('canary-duration', '15s');
    set('canary-interval', '15s');
    set('canary-step', '1s');
  } else if (world.prometheusUrl !== '') set('canary-duration', '0');
  return document.toString();
}
