// Plans the deploy stages from the caller's environments: which GitHub environment each of the three
// environment stages deploys to (first, middle, last; the middle stage is skipped for two environments),
// each one's base URL, and whether a canary is judged before the last.
// In: ENVIRONMENTS (comma or newline list, in promotion order), BASE_URLS (YAML map, one `name: url` a
// line), BASE_URL_DEV / BASE_URL_STAGING / BASE_URL_PRODUCTION (the older one-input-per-environment form,
// used for environments of those names that BASE_URLS leaves out), PROMETHEUS_URL, CANARY_METRICS (path
// of the metrics file; the check runs in the caller's checkout).
// Out: first, middle, last, first-url, middle-url, last-url, canary ('true' or 'false'), environments
// (JSON array); a line of the job summary saying what judged the release.
import { appendFileSync, existsSync } from 'node:fs';

const MAX_ENVIRONMENTS = 3;
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
  const first = names[0];
  const last = names[names.length - 1];
  const middle = names.length === 3 ? names[1] : '';
  return {
    outputs: {
      first,
      middle,
      last,
      'first-url': urlOf(first),
      'middle-url': middle === '' ? '' : urlOf(middle),
      'last-url': urlOf(last),
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
    `middle=${outputs.middle}`,
    `last=${outputs.last}`,
    `first-url=${outputs['first-url']}`,
    `middle-url=${outputs['middle-url']}`,
    `last-url=${outputs['last-url']}`,
    `canary=${outputs.canary}`,
    `environments=${outputs.environments}`,
  ];
  appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  const chain = JSON.parse(outputs.environments);
  const judged =
    outputs.canary === 'true'
      ? `A canary judged on Prometheus (${metrics}) decides the promotion to ${outputs.last}.`
      : `No canary judged this release: ${outputs.last} is promoted after ${chain[chain.length - 2]}'s smoke test and approval.`;
  const line = `Environments: ${chain.join(' → ')}. ${judged}`;
  process.stdout.write(`${line.replace(/^::/, ': :')}\n`);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${line}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) main();
