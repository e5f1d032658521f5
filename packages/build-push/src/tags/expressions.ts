// The values tag templates may use: branch, tag, sha, base ref, dates, and whether this is the default branch.
import { record, text } from './payload.ts';
import type { TagContext } from './tags.ts';
import { formatDate, TemplateError, type TemplateHelper, type TemplateValue } from './template.ts';

export const shortSha = (sha: string, length: number): string => sha.slice(0, length);

export const stripHeads = (ref: string): string => ref.replace(/^refs\/heads\//, '');

/** `{{date 'format' tz='Zone'}}` and `{{commit_date ...}}`: moment.js formats, UTC unless `tz=` says otherwise. */
function dateHelper(epochMs: number): TemplateHelper {
  return (args, hash) => {
    for (const key of Object.keys(hash)) if (key !== 'tz') throw new TemplateError(`unknown ${key} attribute`);
    return formatDate(epochMs, args[0], hash['tz'] ?? 'UTC');
  };
}

/**
 * Whether the run is on the default branch, as docker/metadata-action decides it: the ref minus
 * `refs/heads/` names the default branch, or the event always runs on the default branch's last
 * commit (create, discussion, issues, schedule).
 */
export function isDefaultBranch(context: TagContext): boolean {
  const candidate = stripHeads(context.ref);
  if (candidate === '') return false;
  if (context.defaultBranch !== undefined && context.defaultBranch === candidate) return true;
  return /create|discussion|issues|schedule/.test(context.eventName);
}

/** The base branch: a tag push's `base_ref`, or a pull request's base. */
function baseRef(context: TagContext): string {
  const { ref, payload } = context;
  if (/^refs\/tags\//.test(ref) && typeof payload['base_ref'] === 'string') return stripHeads(payload['base_ref']);
  if (/^refs\/pull\//.test(ref)) return text(record(record(payload['pull_request'])['base'])['ref']) ?? '';
  return '';
}

/** The dates `type=schedule` patterns may use (and nothing else, as in docker/metadata-action). */
export function dateValues(context: TagContext): Record<string, TemplateValue> {
  return { date: dateHelper(context.now), commit_date: dateHelper(context.commitDate) };
}

/** The values every other expression may use: `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{is_default_branch}}`, ... */
export function expressionValues(context: TagContext): Record<string, TemplateValue> {
  const { ref } = context;
  const onDefault = isDefaultBranch(context);
  return {
    branch: /^refs\/heads\//.test(ref) ? stripHeads(ref) : '',
    tag: /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : '',
    sha: shortSha(context.sha, context.shortShaLength),
    base_ref: baseRef(context),
    is_default_branch: String(onDefault),
    is_not_default_branch: String(!onDefault),
    ...dateValues(context),
  };
}
