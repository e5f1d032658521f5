// How much history one sample of a query summarises: the range windows written in the PromQL. Samples
// taken closer together than that window share most of their data, so they are not independent.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A PromQL duration (`5m`, `1h30m`, `250ms`) in milliseconds; undefined for anything else. */
export function parsePromQLDuration(text: string): number | undefined {
  if (!/^(?:\d+(?:ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total;
}

/** Functions that read only the last one or two points of their range: the range is no memory. */
const LAST_POINT_FUNCTIONS = new Set(['irate', 'idelta', 'last_over_time', 'present_over_time']);

/** `[5m]`, `[5m:]` and `[5m:30s]`; label values inside quotes never match (they are skipped below). */
const RANGE = /\[\s*([0-9a-z]+)\s*(:\s*[0-9a-z]*\s*)?\]/g;

/**
 * The time span (ms) of data behind one sample of the query: the longest range window of a range
 * function, plus the ranges of the subqueries (which evaluate their inner expression over their own
 * range). 0 when the query has no range (a gauge, a recording rule).
 */
export function queryMemoryMs(query: string): number {
  const text = withoutStrings(query);
  let longestRange = 0;
  let subqueries = 0;
  for (const match of text.matchAll(RANGE)) {
    const duration = parsePromQLDuration(match[1] ?? '');
    if (duration === undefined) continue;
    if (match[2] !== undefined) subqueries += duration;
    else if (!LAST_POINT_FUNCTIONS.has(enclosingFunction(text, match.index))) {
      longestRange = Math.max(longestRange, duration);
    }
  }
  return longestRange + subqueries;
}

/** The query with the contents of string literals blanked, so that `code=~"5[0-9]"` is no range. */
function withoutStrings(query: string): string {
  return query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (literal) => ' '.repeat(literal.length));
}

/** The name of the function whose parentheses hold position `at`. */
function enclosingFunction(text: string, at: number): string {
  let depth = 0;
  for (let index = at - 1; index >= 0; index -= 1) {
    const character = text[index];
    if (character === ')') depth += 1;
    else if (character === '(') {
      if (depth === 0) return /([a-z_][a-z0-9_]*)\s*$/i.exec(text.slice(0, index))?.[1] ?? '';
      depth -= 1;
    }
  }
  return '';
}
