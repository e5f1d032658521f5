import { IgnoreMatcher, type IgnoreRule } from './ignore.ts';
import { hasFix, type Finding } from './report.ts';
import { emptyCounts, severityRank, type Severity, type SeverityCounts } from './severity.ts';

export interface GateOptions {
  /** Severities that fail the gate. */
  severities: ReadonlySet<Severity>;
  /** Keep findings without an installable fix out of the gate (they stay in counts and the report). */
  ignoreUnfixed: boolean;
  /** The current time (ms since the epoch): ignore entries expire against it. */
  now: number;
}

export interface IgnoredFinding {
  finding: Finding;
  rule: IgnoreRule;
}

export interface RuleUse {
  rule: IgnoreRule;
  /** Findings the entry matches (for an expired entry: would match, had it not expired). */
  matches: number;
}

export interface GateResult {
  passed: boolean;
  /** Findings after ignores, by severity, fixed or not. */
  counts: SeverityCounts;
  /** Findings after ignores that fail the gate, most severe first. */
  blocking: Finding[];
  /** Findings after ignores that do not fail the gate, most severe first. */
  others: Finding[];
  /** Findings an active ignore entry removed. */
  ignored: IgnoredFinding[];
  /** Findings of a gated severity left out only because no fix exists (ignore-unfixed). */
  unfixedSkipped: number;
  /** Blocking counts by severity. */
  blockingCounts: SeverityCounts;
  /** Ignore entries whose date has passed: no longer applied. */
  expired: RuleUse[];
  /** Active ignore entries that matched no finding of this report. */
  unused: IgnoreRule[];
}

// Ordinal comparison: localeCompare costs a third of a second over 50,000 findings.
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const bySeverity = (a: Finding, b: Finding): number =>
  severityRank(a.severity) - severityRank(b.severity) || compareText(a.id, b.id) || compareText(a.pkgName, b.pkgName);

/** Applies the ignore entries, counts, and decides. Pure: the same inputs give the same result. */
export function evaluateGate(
  findings: readonly Finding[],
  rules: readonly IgnoreRule[],
  options: GateOptions,
): GateResult {
  const isActive = (rule: IgnoreRule): boolean => rule.expiresAt === undefined || rule.expiresAt >= options.now;
  const active = rules.filter(isActive);
  const expiredRules = rules.filter((rule) => !isActive(rule));
  const activeMatcher = new IgnoreMatcher(active);
  const expiredMatcher = new IgnoreMatcher(expiredRules);
  const activeUses = new Map<IgnoreRule, number>();
  const expiredUses = new Map<IgnoreRule, number>(expiredRules.map((rule) => [rule, 0]));

  const counts = emptyCounts();
  const blockingCounts = emptyCounts();
  const blocking: Finding[] = [];
  const others: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  let unfixedSkipped = 0;

  for (const finding of findings) {
    const rule = activeMatcher.match(finding);
    if (rule) {
      activeUses.set(rule, (activeUses.get(rule) ?? 0) + 1);
      ignored.push({ finding, rule });
      continue;
    }
    if (expiredRules.length > 0) {
      const lapsed = expiredMatcher.match(finding);
      if (lapsed) expiredUses.set(lapsed, (expiredUses.get(lapsed) ?? 0) + 1);
    }
    counts[finding.severity] += 1;
    if (!options.severities.has(finding.severity)) {
      others.push(finding);
    } else if (options.ignoreUnfixed && !hasFix(finding)) {
      unfixedSkipped += 1;
      others.push(finding);
    } else {
      blockingCounts[finding.severity] += 1;
      blocking.push(finding);
    }
  }
  blocking.sort(bySeverity);
  others.sort(bySeverity);
  return {
    passed: blocking.length === 0,
    counts,
    blocking,
    others,
    ignored,
    unfixedSkipped,
    blockingCounts,
    expired: expiredRules.map((rule) => ({ rule, matches: expiredUses.get(rule) ?? 0 })),
    unused: active.filter((rule) => !activeUses.has(rule)),
  };
}
