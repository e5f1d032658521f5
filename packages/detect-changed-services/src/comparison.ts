// Which commits to compare: decided from the inputs and the event alone, then resolved with git (merge
// bases, forced pushes, new branches, tags), or every service when nothing can be compared.
import { ConfigurationError } from '@shiprail/core';
import { shortSha, ZERO_SHA, type GitHistory } from './git.ts';

/** What an event says about the commits to compare. */
export interface EventContext {
  eventName: string;
  payload: Record<string, unknown>;
  ref: string;
  sha: string;
  defaultBranch: string | undefined;
}

export interface ComparisonInputs {
  base: string;
  head: string;
  forceAll: boolean;
}

/** The decision taken from inputs and the event alone, before git is asked anything. */
export type ComparisonPlan =
  | { kind: 'all'; head: string; reason: string; warn: boolean }
  | { kind: 'merge-base'; base: string; head: string; explicit: boolean; label: string }
  | { kind: 'range'; base: string; head: string; label: string }
  | { kind: 'push'; before: string; after: string; branch: string; defaultBranch: string | undefined }
  | { kind: 'tag'; tag: string; head: string };

/** What was compared, once git answered. */
export type Comparison =
  | { kind: 'diff'; base: string; head: string; label: string }
  | { kind: 'all'; head: string; reason: string; warning: string | undefined }
  | { kind: 'service'; service: string; head: string; reason: string };

const field = (value: unknown, ...path: string[]): string | undefined => {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : undefined;
};

/** The service a tag is for: `<service>/v*` or `<service>@*`, when such a service exists. */
export function serviceOfTag(tag: string, services: ReadonlySet<string>): string | undefined {
  const slash = /^([^/]+)\/v/.exec(tag);
  if (slash?.[1] !== undefined && services.has(slash[1])) return slash[1];
  const at = /^([^@]+)@/.exec(tag);
  if (at?.[1] !== undefined && services.has(at[1])) return at[1];
  return undefined;
}

/**
 * Decides which commits to compare, from the table in docs/actions/detect-changed-services.md:
 * `force-all`, an explicit `base`, then the event (pull requests three-dot, merge queues base..head,
 * pushes before..after, tags, manual and scheduled runs). Events that name no commits select every
 * service, with a warning. It needs neither git nor the manifest, so that git can start on the comparison
 * while the manifest is read.
 */
export function planComparison(inputs: ComparisonInputs, event: EventContext): ComparisonPlan {
  const headOr = (eventHead: string | undefined): string =>
    inputs.head !== 'HEAD' ? inputs.head : (eventHead ?? 'HEAD');
  const everything = (reason: string, warn = false, eventHead?: string): ComparisonPlan => ({
    kind: 'all',
    head: headOr(eventHead),
    reason,
    warn,
  });
  const payload = event.payload;
  if (inputs.forceAll) return everything('force-all: true');
  if (inputs.base !== '') {
    return {
      kind: 'merge-base',
      base: inputs.base,
      head: headOr(undefined),
      explicit: true,
      label: `base ${shortSha(inputs.base)}`,
    };
  }
  switch (event.eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const base = field(payload, 'pull_request', 'base', 'sha');
      const head = field(payload, 'pull_request', 'head', 'sha');
      if (base === undefined || head === undefined) {
        return everything(`the ${event.eventName} event carries no pull_request.base.sha/head.sha`, true);
      }
      const number = payload['number'] ?? field(payload, 'pull_request', 'number');
      const into = field(payload, 'pull_request', 'base', 'ref');
      const label = `pull request${typeof number === 'number' ? ` #${number}` : ''}${into ? ` into ${into}` : ''}`;
      return { kind: 'merge-base', base, head: headOr(head), explicit: false, label };
    }
    case 'merge_group': {
      const base = field(payload, 'merge_group', 'base_sha');
      const head = field(payload, 'merge_group', 'head_sha');
      if (base === undefined || head === undefined) {
        return everything('the merge_group event carries no merge_group.base_sha/head_sha', true);
      }
      const into = field(payload, 'merge_group', 'base_ref')?.replace(/^refs\/heads\//, '');
      return { kind: 'range', base, head: headOr(head), label: `merge queue${into ? ` into ${into}` : ''}` };
    }
    case 'push': {
      const ref = field(payload, 'ref') ?? event.ref;
      const after = field(payload, 'after');
      const head = after === undefined || after === ZERO_SHA ? event.sha || undefined : after;
      if (ref.startsWith('refs/tags/')) {
        return { kind: 'tag', tag: ref.slice('refs/tags/'.length), head: headOr(head ?? ref) };
      }
      const before = field(payload, 'before');
      if (before === undefined || head === undefined) {
        return everything('the push event carries no before/after commits', true, head);
      }
      const branch = ref.replace(/^refs\/heads\//, '');
      return { kind: 'push', before, after: headOr(head), branch, defaultBranch: event.defaultBranch };
    }
    case 'workflow_dispatch':
      return everything('manual run (workflow_dispatch)', false, event.sha || undefined);
    case 'schedule':
      return everything('scheduled run', false, event.sha || undefined);
    default:
      return everything(
        `the ${event.eventName || 'unknown'} event names no commits to compare (give the base input to compare)`,
        true,
        event.sha || undefined,
      );
  }
}

/**
 * The two commits whose merge base and three-dot diff the plan most likely compares, when the event names
 * both: git can work on them before the comparison is resolved (`GitHistory.prefetch`).
 */
export function likelyComparison(plan: ComparisonPlan): readonly [string, string] | undefined {
  if (plan.kind === 'push' && plan.before !== ZERO_SHA) return [plan.before, plan.after];
  if (plan.kind === 'merge-base') return [plan.base, plan.head];
  return undefined;
}

/**
 * Carries a plan out with git: resolves commits, finds merge bases, and falls open when it cannot. A tag
 * named after one of `services` (`<service>/v*`, `<service>@*`) selects that service alone.
 */
export async function resolveComparison(
  plan: ComparisonPlan,
  git: GitHistory,
  services: ReadonlySet<string>,
): Promise<Comparison> {
  const failOpen = async (head: string, warning: string): Promise<Comparison> => ({
    kind: 'all',
    head: (await git.resolve(head)) ?? head,
    reason: `every service: ${warning}`,
    warning: `Selected every service: ${warning}`,
  });
  switch (plan.kind) {
    case 'all':
      return plan.warn
        ? failOpen(plan.head, plan.reason)
        : { kind: 'all', head: (await git.resolve(plan.head)) ?? plan.head, reason: plan.reason, warning: undefined };
    case 'merge-base': {
      const quick = await git.localMergeBase(plan.base, plan.head);
      if (quick !== undefined)
        return { kind: 'diff', base: quick, head: plan.head, label: `${plan.label} (merge base)` };
      const head = await git.ensureCommit(plan.head);
      if (head === undefined) return failOpen(plan.head, `the head commit ${shortSha(plan.head)} cannot be found`);
      const base = await git.ensureCommit(plan.base);
      if (base === undefined) {
        if (plan.explicit) {
          throw new ConfigurationError(
            `'${plan.base}' is not a commit, branch or tag of the repository (locally or on origin)`,
            { input: 'base' },
          );
        }
        return failOpen(head, `the base commit ${shortSha(plan.base)} cannot be fetched`);
      }
      const mergeBase = await git.mergeBase(base, head);
      if (mergeBase.sha === undefined) return failOpen(head, mergeBase.reason);
      return { kind: 'diff', base: mergeBase.sha, head, label: `${plan.label} (merge base)` };
    }
    case 'range': {
      const head = await git.ensureCommit(plan.head);
      const base = await git.ensureCommit(plan.base);
      if (head === undefined || base === undefined) {
        const missing = head === undefined ? plan.head : plan.base;
        return failOpen(plan.head, `the commit ${shortSha(missing)} cannot be fetched`);
      }
      return { kind: 'diff', base, head, label: plan.label };
    }
    case 'push':
      return resolvePush(plan, git, failOpen);
    case 'tag': {
      const service = serviceOfTag(plan.tag, services);
      if (service !== undefined) {
        return {
          kind: 'service',
          service,
          head: (await git.ensureCommit(plan.head)) ?? plan.head,
          reason: `tag ${plan.tag}`,
        };
      }
      const head = await git.ensureCommit(plan.head);
      if (head === undefined) return failOpen(plan.head, `the tag ${plan.tag} cannot be found`);
      const previous = await git.previousTag(
        head,
        (tag) => tag === plan.tag || serviceOfTag(tag, services) !== undefined,
      );
      if (previous === undefined) {
        return { kind: 'all', head, reason: `tag ${plan.tag}: no earlier tag to compare with`, warning: undefined };
      }
      const base = await git.resolve(previous);
      const mergeBase = base === undefined ? undefined : await git.mergeBase(base, head);
      if (mergeBase?.sha === undefined) return failOpen(head, `no merge base of ${previous} and ${plan.tag}`);
      return { kind: 'diff', base: mergeBase.sha, head, label: `tag ${plan.tag} since ${previous}` };
    }
  }
}

async function resolvePush(
  plan: Extract<ComparisonPlan, { kind: 'push' }>,
  git: GitHistory,
  failOpen: (head: string, warning: string) => Promise<Comparison>,
): Promise<Comparison> {
  if (plan.before !== ZERO_SHA && (await git.localMergeBase(plan.before, plan.after)) === plan.before) {
    return { kind: 'diff', base: plan.before, head: plan.after, label: `push to ${plan.branch}` };
  }
  const head = await git.ensureCommit(plan.after);
  if (head === undefined) return failOpen(plan.after, `the pushed commit ${shortSha(plan.after)} cannot be found`);
  let why: string;
  if (plan.before === ZERO_SHA) {
    why = `${plan.branch} is a new branch`;
  } else {
    const before = await git.ensureCommit(plan.before);
    const mergeBase = before === undefined ? undefined : await git.mergeBase(before, head);
    if (before !== undefined && mergeBase?.sha === before) {
      return { kind: 'diff', base: before, head, label: `push to ${plan.branch}` };
    }
    why =
      before === undefined
        ? `the previous tip ${shortSha(plan.before)} of ${plan.branch} is not on origin (a force push removed it)`
        : `the push to ${plan.branch} was forced (${shortSha(plan.before)} is not an ancestor of ${shortSha(head)})`;
  }
  // A new or rewritten branch is compared with where it left the default branch.
  if (plan.defaultBranch === undefined) {
    return failOpen(head, `${why} and the event names no default branch to compare with`);
  }
  if (plan.defaultBranch === plan.branch) {
    return failOpen(head, `${why}, and it is the default branch itself`);
  }
  const defaultHead = await git.ensureBranch(plan.defaultBranch);
  if (defaultHead === undefined) {
    return failOpen(head, `${why} and the default branch ${plan.defaultBranch} cannot be fetched`);
  }
  const mergeBase = await git.mergeBase(defaultHead, head);
  if (mergeBase.sha === undefined) return failOpen(head, `${why}: ${mergeBase.reason}`);
  return {
    kind: 'diff',
    base: mergeBase.sha,
    head,
    label: `push to ${plan.branch}: ${why}, compared with ${plan.defaultBranch} (merge base)`,
  };
}
