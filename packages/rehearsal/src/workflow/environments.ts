// An environment's protection rules besides its reviewers, as the repository's settings define them: a
// wait timer before its jobs start, and which branches or tags may deploy to it. A job whose ref the
// rules do not allow fails before it starts.
import picomatch from 'picomatch';

export interface DeploymentBranches {
  /** Only branches with a branch protection rule (`protectedBranches`) may deploy; tags may not. */
  protectedOnly?: boolean;
  /** Name patterns of the branches that may deploy (`*` stops at `/`, `**` does not). */
  branches?: string[];
  /** Name patterns of the tags that may deploy. */
  tags?: string[];
}

export interface EnvironmentSettings {
  /** Minutes a job waits after it reaches the environment before it may start. */
  waitTimerMinutes?: number;
  /** Absent: every branch and tag may deploy (GitHub's default). */
  deploymentBranches?: DeploymentBranches;
}

/** The repository's environment settings and its protected branches. */
export interface EnvironmentRules {
  environments: Record<string, EnvironmentSettings>;
  protectedBranches: string[];
}

/** What a ref deploys as: refs/pull/7/merge deploys as the branch `7/merge`, as GitHub names it. */
function refKind(ref: string): { kind: 'Branch' | 'Tag'; name: string } {
  if (ref.startsWith('refs/tags/')) return { kind: 'Tag', name: ref.slice('refs/tags/'.length) };
  return { kind: 'Branch', name: ref.replace(/^refs\/(heads|pull)\//, '') };
}

/** Why `ref` may not deploy to `environment`, in GitHub's words, or undefined when it may. */
export function deploymentRefusal(
  rules: EnvironmentRules | undefined,
  environment: string,
  ref: string,
): string | undefined {
  const allowed = rules?.environments[environment]?.deploymentBranches;
  if (allowed === undefined) return undefined;
  const { kind, name } = refKind(ref);
  const matches = (patterns: string[] | undefined): boolean =>
    (patterns ?? []).some((pattern) => picomatch.isMatch(name, pattern, { dot: true }));
  const ok = allowed.protectedOnly
    ? kind === 'Branch' && (rules?.protectedBranches ?? []).includes(name)
    : kind === 'Branch'
      ? matches(allowed.branches)
      : matches(allowed.tags);
  return ok
    ? undefined
    : `${kind} "${name}" is not allowed to deploy to ${environment} due to environment protection rules.`;
}

/** The wait timer of an environment in milliseconds (0: none). */
export function waitTimerMs(rules: EnvironmentRules | undefined, environment: string): number {
  return (rules?.environments[environment]?.waitTimerMinutes ?? 0) * 60_000;
}
