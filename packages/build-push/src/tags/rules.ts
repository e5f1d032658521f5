// The tag rules and flavor of docker/metadata-action as users write them: lines split into fields, each
// field checked, parsed into typed rules with their priorities.
import { ConfigurationError, errorMessage } from '@shiprail/core';

/** The rule types of docker/metadata-action this action understands. */
export const RULE_TYPES = ['schedule', 'semver', 'match', 'edge', 'ref', 'raw', 'sha'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** Highest first: the first tag produced becomes the version, as in docker/metadata-action. */
const DEFAULT_PRIORITIES: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100,
};

export interface TagRule {
  type: RuleType;
  /** Attributes as written (keys lower-cased), with the type's defaults filled in. */
  attrs: Record<string, string>;
  priority: number;
  /** The line the user wrote: error messages and the summary name the rule by it. */
  source: string;
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false';
  prefix: string;
  prefixLatest: boolean;
  suffix: string;
  suffixLatest: boolean;
}

/**
 * Splits one rule line into its comma-separated fields; double quotes protect commas
 * (`"value=a,b"`), and a doubled quote inside quotes is a literal quote, as in CSV.
 */
export function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line.charAt(index);
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        current += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(current);
      current = '';
    } else current += char;
  }
  if (quoted) throw new Error('has an unclosed double quote');
  fields.push(current);
  return fields.filter((field) => field.trim() !== '');
}

/**
 * `key=value` of one rule field: the value is everything after the first `=`
 * (`pattern={{date 'YYYY' tz='Asia/Tokyo'}}`), as docker/metadata-action reads rules.
 */
function ruleKeyValue(field: string): [string, string] | [string] {
  const equals = field.indexOf('=');
  if (equals <= 0) return [field.trim()];
  return [field.slice(0, equals).trim().toLowerCase(), field.slice(equals + 1).trim()];
}

/**
 * `key=value` of one flavor field. Like docker/metadata-action, the value ends at the next `=`
 * (`prefix=a=b` reads as `a`), so that the same flavor gives the same tags.
 */
function flavorKeyValue(field: string): [string, string] | [string] {
  const parts = field.split('=').map((part) => part.trim());
  if (parts.length === 1) return [parts[0] ?? ''];
  return [(parts[0] ?? '').toLowerCase(), parts[1] ?? ''];
}

const has = (attrs: Record<string, string>, key: string): boolean => Object.hasOwn(attrs, key);

/** Parses one `tags` line; throws a ConfigurationError on input `tags` that quotes the rule. */
export function parseTagRule(line: string): TagRule {
  const fail = (reason: string): never => {
    throw new ConfigurationError(`rule '${line}' ${reason}`, { input: 'tags' });
  };
  let fields: string[];
  try {
    fields = splitFields(line);
  } catch (error) {
    return fail(errorMessage(error));
  }
  const attrs: Record<string, string> = {};
  let type: RuleType | undefined;
  for (const field of fields) {
    const pair = ruleKeyValue(field);
    if (pair.length === 1) {
      attrs['value'] = pair[0];
      continue;
    }
    const [key, value] = pair;
    if (key === 'type') {
      const known = RULE_TYPES.find((candidate) => candidate === value);
      if (known === undefined) {
        fail(`has an unknown type '${value}' (expected one of ${RULE_TYPES.join(', ')})`);
      }
      type = known;
    } else attrs[key] = value;
  }
  const ruleType: RuleType = type ?? 'raw';
  switch (ruleType) {
    case 'schedule':
      if (!has(attrs, 'pattern')) attrs['pattern'] = 'nightly';
      break;
    case 'semver':
      if (!has(attrs, 'pattern')) fail('needs a pattern, e.g. pattern={{version}}');
      if (!has(attrs, 'value')) attrs['value'] = '';
      if (!has(attrs, 'match')) attrs['match'] = '';
      break;
    case 'match':
      if (!has(attrs, 'pattern')) fail('needs a pattern, e.g. pattern=\\d+.\\d+');
      if (!has(attrs, 'group')) attrs['group'] = '0';
      if (Number.isNaN(Number(attrs['group']))) fail('has a group that is not a number');
      if (!has(attrs, 'value')) attrs['value'] = '';
      break;
    case 'edge':
      if (!has(attrs, 'branch')) attrs['branch'] = '';
      break;
    case 'ref':
      if (!has(attrs, 'event')) fail('needs an event: event=branch, event=tag or event=pr');
      if (!['branch', 'tag', 'pr'].includes(attrs['event'] ?? '')) {
        fail(`has an unknown event '${attrs['event'] ?? ''}' (expected branch, tag or pr)`);
      }
      if (attrs['event'] === 'pr' && !has(attrs, 'prefix')) attrs['prefix'] = 'pr-';
      break;
    case 'raw':
      if (!has(attrs, 'value')) fail('needs a value, e.g. type=raw,value=stable');
      break;
    case 'sha':
      if (!has(attrs, 'prefix')) attrs['prefix'] = 'sha-';
      if (!has(attrs, 'format')) attrs['format'] = 'short';
      if (!['short', 'long'].includes(attrs['format'] ?? '')) fail('has a format other than short or long');
      break;
  }
  if (!has(attrs, 'enable')) attrs['enable'] = 'true';
  let priority = DEFAULT_PRIORITIES[ruleType];
  if (has(attrs, 'priority')) {
    priority = Number(attrs['priority']);
    if (attrs['priority'] === '' || !Number.isFinite(priority)) fail('has a priority that is not a number');
  }
  return { type: ruleType, attrs, priority, source: line };
}

/** Parses every rule and orders them by priority, highest first; equal priorities keep their order. */
export function parseTagRules(lines: readonly string[]): TagRule[] {
  return lines.map(parseTagRule).sort((a, b) => b.priority - a.priority);
}

/** Parses `flavor` lines (`latest=auto`, `prefix=x,onlatest=true`, `suffix=...`). */
export function parseFlavor(lines: readonly string[]): Flavor {
  const flavor: Flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
  for (const line of lines) {
    const fail = (reason: string): never => {
      throw new ConfigurationError(`entry '${line}' ${reason}`, { input: 'flavor' });
    };
    let fields: string[] = [];
    try {
      fields = splitFields(line);
    } catch (error) {
      fail(errorMessage(error));
    }
    let onLatestFor: 'prefix' | 'suffix' | undefined;
    for (const field of fields) {
      const pair = flavorKeyValue(field);
      if (pair.length === 1) return fail('is not key=value (expected latest=, prefix=, suffix=, onlatest=)');
      const [key, value] = pair;
      switch (key) {
        case 'latest':
          if (value !== 'auto' && value !== 'true' && value !== 'false') fail('needs latest=auto, true or false');
          else flavor.latest = value;
          break;
        case 'prefix':
          flavor.prefix = value;
          onLatestFor = 'prefix';
          break;
        case 'suffix':
          flavor.suffix = value;
          onLatestFor = 'suffix';
          break;
        case 'onlatest':
          if (value !== 'true' && value !== 'false') fail('needs onlatest=true or false');
          if (onLatestFor === 'prefix') flavor.prefixLatest = value === 'true';
          if (onLatestFor === 'suffix') flavor.suffixLatest = value === 'true';
          break;
        default:
          fail(`has an unknown key '${key}' (expected latest, prefix, suffix, onlatest)`);
      }
    }
  }
  return flavor;
}
