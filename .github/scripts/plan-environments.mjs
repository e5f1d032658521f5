// Plans the deploy stages from the caller's environments: the first and the last each have a job of
// their own, the ones between them (none to six) are the legs of one matrix job promoted one at a time in
// order; each one's base URL, and whether a canary is judged before the last.
// In: ENVIRONMENTS (comma or newline list, in promotion order), BASE_URLS (YAML map, one `name: url` a
// line), BASE_URL_DEV / BASE_URL_STAGING / BASE_URL_PRODUCTION (the older one-input-per-environment form,
// used for environments of those names that BASE_URLS leaves out), PROMETHEUS_URL, CANARY_METRICS (path
// of the metrics file; the check runs in the caller's checkout), CANARY_ENVIRONMENT, GITOPS_CONTROLLERS
// (JSON object of environment to `argocd` or `flux`), KUBECONFIG_STAGING_SET ('true' when the caller
// passes that secret).
// Out: first, last, first-url, last-url, middle (JSON array of the environments between them), base-urls
// (JSON object of every environment to its base URL, '' for none), canary ('true' or 'false'),
// environments (JSON array); a line of the job summary saying what judged the release.
import { appendFileSync, existsSync } from 'node:fs';

// Every environment is one more approval and one more rollout, one after the other, for every release;
// eight covers the longest chains teams promote through (dev, qa, uat, staging, preprod, perf, prod…).
export const MAX_ENVIRONMENTS = 8;
// GitHub environment names: letters, digits, '-', '_', '.', at most 255 characters.
const NAME = /^[A-Za-z0-9._-]{1,255}$/;

/** A value for a workflow command: it cannot start a `::command::` or break the line. */
const escape = (text) => String(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

function fail(input, message) {
  process.stdout.write(`::error title=deploy input ${input}::${escape(message)}\n`);
  process.exit(1);
}

export function parseEnvironments(text) {
  const names = text
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '' && !name.startsWith('#'));
  if (names.length < 2) return { error: 'name at least two environments, e.g. "dev, production"' };
  if (names.length > MAX_ENVIRONMENTS)
    return { error: `at most ${MAX_ENVIRONMENTS} environments are supported, got ${names.length}` };
  const invalid = names.find((name) => !NAME.test(name));
  if (invalid !== undefined) return { error: `"${invalid}" is not a GitHub environment name` };
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return { error: `"${repeated}" is named twice` };
  return { names };
}

/** The flat YAML map of base URLs: `name: url` a line; blank lines and comments are skipped. */
export function parseBaseUrls(text, environments) {
  const urls = {};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(["']?)([A-Za-z0-9._-]+)\1\s*:\s*(["']?)(\S+?)\3$/.exec(line);
    if (match === null) return { error: `line ${index + 1}: expected "environment: url", got "${line}"` };
    const [, , name, , url] = match;
    if (!environments.includes(name))
      return { error: `line ${index + 1}: "${name}" is not one of the environments (${environments.join(', ')})` };
    if (Object.hasOwn(urls, name)) return { error: `line ${index + 1}: "${name}" is given twice` };
    if (!/^https?:\/\/[^\s/]+/.test(url)) return { error: `line ${index + 1}: "${url}" is not an http(s) URL` };
    urls[name] = url;
  }
  return { urls };
}

/** The JSON object of environment to GitOps controller: keys are environments, values `argocd` or `flux`. */
export function parseControllers(text, environments) {
  let controllers;
  try {
    controllers = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch {
    return { error: 'expected a JSON object such as {"dev":"argocd","production":"flux"}' };
  }
  if (controllers === null || typeof controllers !== 'object' || Array.isArray(controllers))
    return { error: 'expected a JSON object such as {"dev":"argocd","production":"flux"}' };
  for (const [name, controller] of Object.entries(controllers)) {
    if (!environments.includes(name))
      return { error: `"${name}" is not one of the environments (${environments.join(', ')})` };
    if (controller !== 'argocd' && controller !== 'flux')
      return { error: `${name}: "${controller}" is not a controller (argocd or flux)` };
  }
  return { controllers };
}

export function plan(env, metricsFileExists) {
  const environments = parseEnvironments(env.ENVIRONMENTS ?? '');
  if (environments.error) return { input: 'environments', error: environments.error };
  const names = environments.names;
  const parsed = parseBaseUrls(env.BASE_URLS ?? '', names);
  if (parsed.error) return { input: 'base-urls', error: parsed.error };
  const older = { dev: env.BASE_URL_DEV, staging: env.BASE_URL_STAGING, production: env.BASE_URL_PRODUCTION };
  const urlOf = (name) => parsed.urls[name] ?? (Object.hasOwn(older, name) ? (older[name] ?? '') : '');
  const prometheus = (env.PROMETHEUS_URL ?? '').trim();
  if (prometheus !== '' && !metricsFileExists)
    return { input: 'canary-metrics', error: `prometheus-url is set but ${env.CANARY_METRICS} does not exist` };
  const canaryEnvironment = (env.CANARY_ENVIRONMENT ?? 'canary').trim();
  if (prometheus !== '' && !NAME.test(canaryEnvironment))
    return { input: 'canary-environment', error: `"${canaryEnvironment}" is not a GitHub environment name` };
  if (prometheus !== '' && names.includes(canaryEnvironment))
    return {
      input: 'canary-environment',
      error: `"${canaryEnvironment}" is also one of the environments: the canary needs an environment (and overlay) of its own`,
    };
  const controlled = parseControllers(env.GITOPS_CONTROLLERS ?? '{}', [...names, canaryEnvironment]);
  if (controlled.error) return { input: 'gitops-controllers', error: controlled.error };
  const middle = names.slice(1, -1);
  // One secret for several clusters would deploy them all to one; each keeps its environment's KUBECONFIG.
  if (env.KUBECONFIG_STAGING_SET === 'true' && middle.length > 1)
    return {
      input: 'secrets',
      error: `KUBECONFIG_STAGING is the kubeconfig of the one environment between the first and the last; ${middle.join(', ')} each take their environment's KUBECONFIG secret instead`,
    };
  return {
    outputs: {
      first: names[0],
      last: names[names.length - 1],
      'first-url': urlOf(names[0]),
      'last-url': urlOf(names[names.length - 1]),
      middle: JSON.stringify(middle),
      'base-urls': JSON.stringify(Object.fromEntries(names.map((name) => [name, urlOf(name)]))),
      canary: String(prometheus !== ''),
      environments: JSON.stringify(names),
    },
  };
}

function main() {
  const metrics = process.env.CANARY_METRICS ?? '';
  // The metrics path is the caller's: it stays inside the checkout.
  const inside = metrics !== '' && !metrics.startsWith('/') && !metrics.split(/[\\/]/).includes('..');
  const result = plan(process.env, inside && existsSync(metrics));
  if (result.error) fail(result.input, result.error);
  const { outputs } = result;
  // Names and URLs were checked to be one line each.
  const lines = [
    `first=${outputs.first}`,
    `last=${outputs.last}`,
    `first-url=${outputs['first-url']}`,
    `last-url=${outputs['last-url']}`,
    `middle=${outputs.middle}`,
    `base-urls=${outputs['base-urls']}`,
    `canary=${outputs.canary}`,
    `environments=${outputs.environments}`,
  ];
  appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  const chain = JSON.parse(outputs.environments);
  const judged =
    outputs.canary === 'true'
      ? `A canary in ${process.env.CANARY_ENVIRONMENT || 'canary'}, judged on Prometheus (${metrics}), decides the promotion to ${outputs.last}.`
      : `No canary judged this release: ${outputs.last} is promoted after ${chain[chain.length - 2]}'s smoke test and approval.`;
  const line = `Environments: ${chain.join(' → ')}. ${judged}`;
  process.stdout.write(`${line.replace(/^::/, ': :')}\n`);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${line}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) main();
