// The gate: ignore entries applied to the findings, counted by severity, and the pass or fail decision.
import { IgnoreMatcher, type IgnoreRule } from './ignore.ts';
import { hasFix, type Finding } from './trivy-report.ts';
import { emptyCounts, SEVERITIES, type Severity, type SeverityCounts } from './severity.ts';

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
  /** Findings after ignores that fail the gate, most severe first, in report order within a severity. */
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

type Buckets = Record<Severity, Finding[]>;
const emptyBuckets = (): Buckets => ({ CRITICAL: [], HIGH: [], MEDIUM: [], LOW: [], UNKNOWN: [] });

/**
 * Most severe first, in report order within a severity (Trivy orders each result by severity and ID).
 * Bucketing is linear: a comparison sort of 50,000 findings costs more than the decision itself.
 */
const flatten = (buckets: Buckets): Finding[] => SEVERITIES.flatMap((severity) => buckets[severity]);

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
  const blocking = emptyBuckets();
  const others = emptyBuckets();
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
      others[finding.severity].push(finding);
    } else if (options.ignoreUnfixed && !hasFix(finding)) {
      unfixedSkipped += 1;
      others[finding.severity].push(finding);
    } else {
      blockingCounts[finding.severity] += 1;
      blocking[finding.severity].push(finding);
    }
  }
  const blockingFindings = flatten(blocking);
  return {
    passed: blockingFindings.length === 0,
    counts,
    blocking: blockingFindings,
    others: flatten(others),
    ignored,
    unfixedSkipped,
    blockingCounts,
    expired: expiredRules.map((rule) => ({ rule, matches: expiredUses.get(rule) ?? 0 })),
    unused: active.filter((rule) => !activeUses.has(rule)),
  };
}
