// The tags of an image: the run as docker/metadata-action sees it, every rule applied, tags sanitized, checked and
// `latest` added.
import { ConfigurationError } from '@shiprail/core';
import { expressionValues } from './expressions.ts';
import { record, text } from './payload.ts';
import type { Flavor, TagRule } from './rules.ts';
import { isEnabled, RULE_FUNCTIONS, ruleError, type RuleScope } from './tag-rules.ts';

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

/** Characters other than letters, digits, `.`, `_`, `-` become `-` (docker/metadata-action's rule). */
export const sanitizeTag = (tag: string): string => tag.replace(/[^a-zA-Z0-9._-]+/g, '-');

/** A tag as registries accept it: 1-128 characters, the first a letter, digit or `_`. */
export function tagProblem(tag: string): string | undefined {
  if (tag.length > 128) return `is ${tag.length} characters long (at most 128)`;
  if (!/^[A-Za-z0-9_]/.test(tag)) return `starts with '${tag[0] ?? ''}' (a tag starts with a letter, digit or _)`;
  if (!/^[A-Za-z0-9_.-]+$/.test(tag)) return 'has characters other than letters, digits, ., _ and -';
  return undefined;
}

/** The tag a rule gave, sanitized and checked: an invalid one is the rule's mistake. */
function checkedTag(value: string, rule: TagRule): string {
  const tag = sanitizeTag(value);
  const problem = tagProblem(tag);
  if (problem !== undefined) throw ruleError(rule, `produced the tag '${tag}', which ${problem}`);
  return tag;
}

/** `latest`, with the flavor's prefix and suffix when `onlatest=true` asks for them. */
function latestTag(flavor: Flavor): ComputedTag {
  const tag = sanitizeTag(
    `${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`,
  );
  const problem = tagProblem(tag);
  if (problem !== undefined) {
    throw new ConfigurationError(`gives the latest tag '${tag}', which ${problem}`, { input: 'flavor' });
  }
  return { tag, rule: `flavor latest=${flavor.latest}` };
}

interface GivenTag extends ComputedTag {
  type: TagRule['type'];
  latest: boolean;
}

/**
 * Computes the tags docker/metadata-action computes for the same rules, flavor and context: each
 * enabled rule through its own function, by priority; the first tag is the version, duplicates are
 * dropped, `latest` follows the first rule that gave a tag (or the flavor), every value sanitized.
 * Invalid results are errors that name the rule.
 */
export function computeTags(rules: readonly TagRule[], flavor: Flavor, context: TagContext): TagPlan {
  const scope: RuleScope = { context, flavor, values: expressionValues(context) };
  const outcomes = rules.flatMap((rule) =>
    isEnabled(rule, scope) ? [{ rule, outcome: RULE_FUNCTIONS[rule.type](rule, scope) }] : [],
  );
  const warnings = outcomes.flatMap(({ outcome }) => (outcome.warning === undefined ? [] : [outcome.warning]));
  const given: GivenTag[] = outcomes.flatMap(({ rule, outcome }) =>
    outcome.tag === undefined || outcome.tag.value === ''
      ? []
      : [{ tag: checkedTag(outcome.tag.value, rule), rule: rule.source, type: rule.type, latest: outcome.tag.latest }],
  );
  const shaTag = given.find(({ type }) => type === 'sha')?.tag;
  const first = given[0];
  if (first === undefined) return { version: '', tags: [], shaTag, warnings };
  const tags = given
    .filter(({ tag }, index) => given.findIndex((other) => other.tag === tag) === index)
    .map(({ tag, rule }) => ({ tag, rule }));
  const latest = flavor.latest === 'auto' ? first.latest : flavor.latest === 'true';
  return { version: first.tag, tags: latest ? [...tags, latestTag(flavor)] : tags, shaTag, warnings };
}
