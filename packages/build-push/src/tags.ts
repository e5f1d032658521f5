import { ConfigurationError } from '@shiprail/core';
import semver from 'semver';
import { record, text } from './payload.ts';
import type { Flavor, TagRule } from './rules.ts';
import { formatDate, renderTemplate, TemplateError, type TemplateHelper, type TemplateValue } from './template.ts';

/** What the tag rules look at: the workflow run as docker/metadata-action sees it. */
export interface TagContext {
  eventName: string;
  /** For `pull_request_target` this is already `refs/pull/<n>/merge`, as docker/metadata-action sets it. */
  ref: string;
  sha: string;
  payload: Record<string, unknown>;
  defaultBranch: string | undefined;
  /** When the run started (ms): `{{date}}` and the `created` label. */
  now: number;
  /** The commit's date (ms), from the event payload; `now` when the payload has none. */
  commitDate: number;
  shortShaLength: number;
}

export interface ComputedTag {
  tag: string;
  /** The rule that produced the tag (as written), or `flavor latest=...` for `latest`. */
  rule: string;
}

export interface TagPlan {
  /** The first tag produced (highest priority): the `version` output and label. */
  version: string;
  tags: ComputedTag[];
  /** The tag of the first enabled `type=sha` rule: what `reuse-existing` looks for. */
  shaTag: string | undefined;
  warnings: string[];
}

const DEFAULT_SHORT_SHA_LENGTH = 7;

function commitDateOf(payload: Record<string, unknown>, sha: string): number | undefined {
  const commits = Array.isArray(payload['commits']) ? (payload['commits'] as unknown[]) : [];
  const candidates = [...commits.map(record), record(payload['head_commit'])];
  const found = candidates.find((commit) => commit['id'] === sha && typeof commit['timestamp'] === 'string');
  const parsed = found ? Date.parse(String(found['timestamp'])) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}

export interface ContextSource {
  eventName: string;
  ref: string;
  sha: string;
  payload: Record<string, unknown>;
  defaultBranch: string | undefined;
}

/**
 * The context docker/metadata-action derives from the run: `pull_request_target` gets the PR merge
 * ref; `DOCKER_METADATA_PR_HEAD_SHA=true` makes pull requests use their head commit instead of
 * GITHUB_SHA (the merge commit); `DOCKER_METADATA_SHORT_SHA_LENGTH` changes the short SHA's length.
 */
export function tagContext(
  github: ContextSource,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): TagContext {
  let { ref, sha } = github;
  if (/pull_request_target/.test(github.eventName)) ref = `refs/pull/${String(github.payload['number'])}/merge`;
  if (/true/i.test(env['DOCKER_METADATA_PR_HEAD_SHA'] ?? '') && /pull_request/.test(github.eventName)) {
    const headSha = text(record(record(github.payload['pull_request'])['head'])['sha']);
    if (headSha !== undefined) sha = headSha;
  }
  const lengthSetting = env['DOCKER_METADATA_SHORT_SHA_LENGTH'];
  let shortShaLength = DEFAULT_SHORT_SHA_LENGTH;
  if (lengthSetting !== undefined && lengthSetting !== '') {
    shortShaLength = Number(lengthSetting);
    if (!Number.isInteger(shortShaLength) || shortShaLength < 1) {
      throw new ConfigurationError(`DOCKER_METADATA_SHORT_SHA_LENGTH must be a whole number, got '${lengthSetting}'`);
    }
  }
  return {
    eventName: github.eventName,
    ref,
    sha,
    payload: github.payload,
    defaultBranch: github.defaultBranch,
    now,
    commitDate: commitDateOf(github.payload, sha) ?? now,
    shortShaLength,
  };
}

export const shortSha = (sha: string, length: number): string => sha.slice(0, length);

/** Characters other than letters, digits, `.`, `_`, `-` become `-` (docker/metadata-action's rule). */
export const sanitizeTag = (tag: string): string => tag.replace(/[^a-zA-Z0-9._-]+/g, '-');

/** A tag as registries accept it: 1-128 characters, the first a letter, digit or `_`. */
export function tagProblem(tag: string): string | undefined {
  if (tag.length > 128) return `is ${tag.length} characters long (at most 128)`;
  if (!/^[A-Za-z0-9_]/.test(tag)) return `starts with '${tag[0] ?? ''}' (a tag starts with a letter, digit or _)`;
  if (!/^[A-Za-z0-9_.-]+$/.test(tag)) return 'has characters other than letters, digits, ., _ and -';
  return undefined;
}

function dateHelper(epochMs: number): TemplateHelper {
  return (args, hash) => {
    for (const key of Object.keys(hash)) if (key !== 'tz') throw new TemplateError(`unknown ${key} attribute`);
    return formatDate(epochMs, args[0] ?? '', hash['tz'] ?? 'UTC');
  };
}

const stripHeads = (ref: string): string => ref.replace(/^refs\/heads\//, '');

/** The values every expression may use: `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{base_ref}}`, ... */
function globalValues(context: TagContext): Record<string, TemplateValue> {
  const { ref, payload } = context;
  const branch = /^refs\/heads\//.test(ref) ? stripHeads(ref) : '';
  const tag = /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : '';
  let baseRef = '';
  if (tag !== '' && typeof payload['base_ref'] === 'string') baseRef = stripHeads(payload['base_ref']);
  else if (/^refs\/pull\//.test(ref)) baseRef = text(record(record(payload['pull_request'])['base'])['ref']) ?? '';
  // Compared with the ref minus refs/heads/ whatever the ref is, as docker/metadata-action does;
  // these events always run on the default branch's last commit.
  const candidate = stripHeads(ref);
  const isDefault =
    candidate !== '' &&
    ((context.defaultBranch !== undefined && context.defaultBranch === candidate) ||
      /create|discussion|issues|schedule/.test(context.eventName));
  return {
    branch,
    tag,
    sha: shortSha(context.sha, context.shortShaLength),
    base_ref: baseRef,
    is_default_branch: String(isDefault),
    date: dateHelper(context.now),
    commit_date: dateHelper(context.commitDate),
  };
}

/**
 * Computes the tags docker/metadata-action computes for the same rules, flavor and context: rules
 * by priority, the first tag is the version, duplicates dropped, `latest` decided by the first rule
 * that produced a tag (or forced by flavor), every value sanitized. Invalid results are errors that
 * name the rule.
 */
export function computeTags(rules: readonly TagRule[], flavor: Flavor, context: TagContext): TagPlan {
  const globals = globalValues(context);
  const warnings: string[] = [];
  const produced: ComputedTag[] = [];
  let latest: boolean | undefined;
  let shaTag: string | undefined;

  for (const rule of rules) {
    const fail = (reason: string): never => {
      throw new ConfigurationError(`rule '${rule.source}' ${reason}`, { input: 'tags' });
    };
    const render = (template: string, values: Record<string, TemplateValue> = globals): string => {
      try {
        return renderTemplate(template, values);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    };
    const withAffixes = (value: string): string => {
      let result = value;
      if (Object.hasOwn(rule.attrs, 'prefix')) result = `${render(rule.attrs['prefix'] ?? '')}${result}`;
      else if (flavor.prefix !== '') result = `${render(flavor.prefix)}${result}`;
      if (Object.hasOwn(rule.attrs, 'suffix')) result = `${result}${render(rule.attrs['suffix'] ?? '')}`;
      else if (flavor.suffix !== '') result = `${result}${render(flavor.suffix)}`;
      return result;
    };
    const attr = (name: string): string => rule.attrs[name] ?? '';

    const enabled = render(attr('enable'));
    if (enabled !== 'true' && enabled !== 'false') fail(`has enable='${enabled}' (expected true or false)`);
    if (enabled !== 'true') continue;

    let value: string | undefined;
    let latestByRule = false;
    const isTagRef = /^refs\/tags\//.test(context.ref);
    switch (rule.type) {
      case 'schedule':
        if (/schedule/.test(context.eventName)) {
          value = withAffixes(render(attr('pattern'), { date: globals['date'], commit_date: globals['commit_date'] }));
        }
        break;
      case 'semver': {
        if (!isTagRef && attr('value') === '') break;
        let raw = attr('value') !== '' ? render(attr('value')) : context.ref.replace(/^refs\/tags\//, '');
        // match= picks the version out of tags like api/v1.2.3 (its first group).
        if (attr('match') !== '') {
          let picked: string | undefined;
          try {
            picked = raw.match(new RegExp(attr('match')))?.[1];
          } catch (error) {
            return fail(`has a match that is not a regular expression: ${error instanceof Error ? error.message : ''}`);
          }
          if (picked === undefined) warnings.push(`${attr('match')} does not match ${raw}`);
          else raw = picked;
        }
        raw = raw.replace(/\//g, '-');
        if (semver.valid(raw) === null) {
          warnings.push(`${raw} is not a valid semver, so rule '${rule.source}' gives no tag`);
          break;
        }
        const parsed = semver.parse(raw, { loose: true });
        if (parsed === null) break;
        const fields: Record<string, TemplateValue> = {
          raw: parsed.raw,
          version: parsed.version,
          major: parsed.major,
          minor: parsed.minor,
          patch: parsed.patch,
          prerelease: parsed.prerelease,
          build: parsed.build,
        };
        // Pre-releases only ever get their full version (or {{raw}}): a beta must not move 1.2 or 1.
        if (semver.prerelease(raw) !== null) {
          value = withAffixes(
            render(/^\{\{\s*raw\s*\}\}$/.test(attr('pattern')) ? attr('pattern') : '{{version}}', fields),
          );
        } else {
          value = withAffixes(render(attr('pattern'), fields));
          latestByRule = true;
        }
        break;
      }
      case 'match': {
        if (!isTagRef && attr('value') === '') break;
        const subject = attr('value') !== '' ? render(attr('value')) : context.ref.replace(/^refs\/tags\//, '');
        const pattern = attr('pattern');
        const literal = /^\/(.+)\/(.*)$/.exec(pattern);
        let found: RegExpMatchArray | null;
        try {
          found = subject.match(literal ? new RegExp(literal[1] ?? '', literal[2]) : new RegExp(pattern));
        } catch (error) {
          return fail(`has a pattern that is not a regular expression: ${error instanceof Error ? error.message : ''}`);
        }
        if (found === null) {
          warnings.push(`${pattern} does not match ${subject}, so rule '${rule.source}' gives no tag`);
          break;
        }
        const group = found[Number(attr('group'))];
        if (group === undefined) {
          warnings.push(`group ${attr('group')} does not exist in ${pattern}, so rule '${rule.source}' gives no tag`);
          break;
        }
        value = withAffixes(group);
        latestByRule = true;
        break;
      }
      case 'ref':
        if (attr('event') === 'branch' && /^refs\/heads\//.test(context.ref)) {
          value = withAffixes(stripHeads(context.ref));
        } else if (attr('event') === 'tag' && isTagRef) {
          value = withAffixes(context.ref.replace(/^refs\/tags\//, ''));
          latestByRule = true;
        } else if (attr('event') === 'pr' && /^refs\/pull\//.test(context.ref)) {
          value = withAffixes(context.ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''));
        }
        break;
      case 'edge': {
        if (!/^refs\/heads\//.test(context.ref)) break;
        const branch = attr('branch') !== '' ? attr('branch') : context.defaultBranch;
        if (branch === undefined) {
          warnings.push(
            `rule '${rule.source}' gives no tag: the event payload does not name the default branch (add branch=<name>)`,
          );
          break;
        }
        if (branch === stripHeads(context.ref)) value = withAffixes('edge');
        break;
      }
      case 'raw':
        value = withAffixes(render(attr('value')));
        break;
      case 'sha':
        if (context.sha === '') break;
        value = withAffixes(attr('format') === 'short' ? shortSha(context.sha, context.shortShaLength) : context.sha);
        break;
    }
    if (value === undefined || value === '') continue;
    const tag = sanitizeTag(value);
    const problem = tagProblem(tag);
    if (problem !== undefined) fail(`produced the tag '${tag}', which ${problem}`);
    if (rule.type === 'sha' && shaTag === undefined) shaTag = tag;
    if (!produced.some((existing) => existing.tag === tag)) produced.push({ tag, rule: rule.source });
    latest ??= flavor.latest === 'auto' ? latestByRule : flavor.latest === 'true';
  }

  const first = produced[0];
  if (first === undefined) return { version: '', tags: [], shaTag, warnings };
  if (latest === true) {
    const tag = sanitizeTag(
      `${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`,
    );
    const problem = tagProblem(tag);
    if (problem !== undefined) {
      throw new ConfigurationError(`gives the latest tag '${tag}', which ${problem}`, { input: 'flavor' });
    }
    produced.push({ tag, rule: `flavor latest=${flavor.latest}` });
  }
  return { version: first.tag, tags: produced, shaTag, warnings };
}
