// What each tag rule type gives for a run (sha, ref, semver, match, schedule, raw, edge), and what all rules share.
import { ConfigurationError, errorMessage } from '@shiprail/core';
import semver from 'semver';
import { dateValues, shortSha, stripHeads } from './expressions.ts';
import type { Flavor, RuleType, TagRule } from './rules.ts';
import type { TagContext } from './tags.ts';
import { renderTemplate, TemplateError, type TemplateValue } from './template.ts';

/** What every rule reads: the run, the flavor, and the values its expressions may use. */
export interface RuleScope {
  context: TagContext;
  flavor: Flavor;
  values: Record<string, TemplateValue>;
}

/** A rule's tag before sanitizing, and whether `latest=auto` adds `latest` when it comes first. */
export interface RuleTag {
  value: string;
  latest: boolean;
}

/** What a rule gives for this run: a tag or none, and a warning when the user may not expect it. */
export interface RuleOutcome {
  tag?: RuleTag;
  warning?: string;
}

export type RuleFunction = (rule: TagRule, scope: RuleScope) => RuleOutcome;

export function ruleError(rule: TagRule, reason: string): ConfigurationError {
  return new ConfigurationError(`rule '${rule.source}' ${reason}`, { input: 'tags' });
}

const attr = (rule: TagRule, name: string): string => rule.attrs[name] ?? '';

const isTagRef = (ref: string): boolean => /^refs\/tags\//.test(ref);

/** Renders one template of the rule; a template that cannot be rendered is the rule's mistake. */
export function render(rule: TagRule, template: string, values: Readonly<Record<string, TemplateValue>>): string {
  try {
    return renderTemplate(template, values);
  } catch (error) {
    if (error instanceof TemplateError) throw ruleError(rule, error.message);
    throw error;
  }
}

/** The rule's `prefix=`/`suffix=` when written (even empty), else the flavor's. */
function withAffixes(value: string, rule: TagRule, scope: RuleScope): string {
  const prefix = Object.hasOwn(rule.attrs, 'prefix') ? attr(rule, 'prefix') : scope.flavor.prefix;
  const suffix = Object.hasOwn(rule.attrs, 'suffix') ? attr(rule, 'suffix') : scope.flavor.suffix;
  return `${render(rule, prefix, scope.values)}${value}${render(rule, suffix, scope.values)}`;
}

const tagged = (value: string, rule: TagRule, scope: RuleScope, latest: boolean): RuleOutcome => ({
  tag: { value: withAffixes(value, rule, scope), latest },
});

/** `enable=` after expansion: true or false, anything else is a mistake in the rule. */
export function isEnabled(rule: TagRule, scope: RuleScope): boolean {
  const enabled = render(rule, attr(rule, 'enable'), scope.values);
  if (enabled !== 'true' && enabled !== 'false') {
    throw ruleError(rule, `has enable='${enabled}' (expected true or false)`);
  }
  return enabled === 'true';
}

function pattern(rule: TagRule, name: string, source: string, flags?: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw ruleError(rule, `has a ${name} that is not a regular expression: ${errorMessage(error)}`);
  }
}

/** What `type=semver` and `type=match` look at: `value=` when given, else the pushed tag (undefined: none). */
function versionSubject(rule: TagRule, scope: RuleScope): string | undefined {
  if (attr(rule, 'value') !== '') return render(rule, attr(rule, 'value'), scope.values);
  if (!isTagRef(scope.context.ref)) return undefined;
  return scope.context.ref.replace(/^refs\/tags\//, '');
}

/** `type=schedule`: the pattern (dates only) on scheduled runs. */
export const scheduleTag: RuleFunction = (rule, scope) => {
  if (!/schedule/.test(scope.context.eventName)) return {};
  return tagged(render(rule, attr(rule, 'pattern'), dateValues(scope.context)), rule, scope, false);
};

/**
 * `type=semver`: the version's parts through the pattern; `match=` picks the version out of a tag
 * like `api/v1.2.3` (its first group). A pre-release only ever gets its full version (or `{{raw}}`),
 * so that a beta never moves `1.2`, `1` or `latest`.
 */
export const semverTag: RuleFunction = (rule, scope) => {
  const subject = versionSubject(rule, scope);
  if (subject === undefined) return {};
  // A match= that finds nothing is a warning, and the whole subject is tried, as docker/metadata-action does.
  const match = attr(rule, 'match');
  const picked = match === '' ? subject : pattern(rule, 'match', match).exec(subject)?.[1];
  const matchWarning = picked === undefined ? `${match} does not match ${subject}` : undefined;
  const raw = (picked ?? subject).replace(/\//g, '-');
  const parsed = semver.valid(raw) === null ? null : semver.parse(raw, { loose: true });
  if (parsed === null) {
    const reason = `${raw} is not a valid semver, so rule '${rule.source}' gives no tag`;
    return { warning: matchWarning === undefined ? reason : `${matchWarning}; ${reason}` };
  }
  const fields: Record<string, TemplateValue> = {
    raw: parsed.raw,
    version: parsed.version,
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
    prerelease: parsed.prerelease,
    build: parsed.build,
  };
  const release = parsed.prerelease.length === 0;
  const keepsPattern = release || /^\{\{\s*raw\s*\}\}$/.test(attr(rule, 'pattern'));
  const outcome = tagged(
    render(rule, keepsPattern ? attr(rule, 'pattern') : '{{version}}', fields),
    rule,
    scope,
    release,
  );
  return matchWarning === undefined ? outcome : { ...outcome, warning: matchWarning };
};

/** `type=match`: a group of a regular expression (`/.../flags` or plain) over the tag or `value=`. */
export const matchTag: RuleFunction = (rule, scope) => {
  const subject = versionSubject(rule, scope);
  if (subject === undefined) return {};
  const source = attr(rule, 'pattern');
  const literal = /^\/(.+)\/(.*)$/.exec(source);
  const expression = literal
    ? pattern(rule, 'pattern', literal[1] ?? '', literal[2])
    : pattern(rule, 'pattern', source);
  const found = subject.match(expression);
  if (found === null) return { warning: `${source} does not match ${subject}, so rule '${rule.source}' gives no tag` };
  const group = found[Number(attr(rule, 'group'))];
  if (group === undefined) {
    return {
      warning: `group ${attr(rule, 'group')} does not exist in ${source}, so rule '${rule.source}' gives no tag`,
    };
  }
  return tagged(group, rule, scope, true);
};

/** `type=ref,event=branch|tag|pr`: the branch, the tag (which moves `latest`), or the PR number. */
export const refTag: RuleFunction = (rule, scope) => {
  const { ref } = scope.context;
  switch (attr(rule, 'event')) {
    case 'branch':
      return /^refs\/heads\//.test(ref) ? tagged(stripHeads(ref), rule, scope, false) : {};
    case 'tag':
      return isTagRef(ref) ? tagged(ref.replace(/^refs\/tags\//, ''), rule, scope, true) : {};
    case 'pr':
      return /^refs\/pull\//.test(ref)
        ? tagged(ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''), rule, scope, false)
        : {};
    default:
      return {};
  }
};

/** `type=edge`: `edge` on pushes to the default branch (or `branch=`). */
export const edgeTag: RuleFunction = (rule, scope) => {
  const { ref, defaultBranch } = scope.context;
  if (!/^refs\/heads\//.test(ref)) return {};
  const branch = attr(rule, 'branch') !== '' ? attr(rule, 'branch') : defaultBranch;
  if (branch === undefined) {
    return {
      warning: `rule '${rule.source}' gives no tag: the event payload does not name the default branch (add branch=<name>)`,
    };
  }
  return branch === stripHeads(ref) ? tagged('edge', rule, scope, false) : {};
};

/** `type=raw`: the value, expressions expanded. */
export const rawTag: RuleFunction = (rule, scope) =>
  tagged(render(rule, attr(rule, 'value'), scope.values), rule, scope, false);

/** `type=sha`: the commit, short (`DOCKER_METADATA_SHORT_SHA_LENGTH`) or long. */
export const shaTag: RuleFunction = (rule, scope) => {
  const { sha, shortShaLength } = scope.context;
  if (sha === '') return {};
  return tagged(attr(rule, 'format') === 'short' ? shortSha(sha, shortShaLength) : sha, rule, scope, false);
};

/** One function per rule type. */
export const RULE_FUNCTIONS: Record<RuleType, RuleFunction> = {
  schedule: scheduleTag,
  semver: semverTag,
  match: matchTag,
  ref: refTag,
  edge: edgeTag,
  raw: rawTag,
  sha: shaTag,
};
