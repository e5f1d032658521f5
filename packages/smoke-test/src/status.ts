/** One accepted status: an exact code, or a class like 2xx (hundreds = 2). */
export type StatusPattern = { code: number } | { hundreds: number };

export type StatusExpectation = StatusPattern[];

const CODE = /^[1-5]\d\d$/;
const RANGE = /^([1-5])xx$/i;

function parsePattern(value: unknown): StatusPattern | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) return undefined;
  if (CODE.test(text)) return { code: Number(text) };
  const range = RANGE.exec(text);
  return range ? { hundreds: Number(range[1]) } : undefined;
}

/** `200`, `"2xx"`, `[200, 204]`, `[2xx, 301]`; undefined when the value is none of those. */
export function parseStatusExpectation(value: unknown): StatusExpectation | undefined {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return undefined;
  const patterns: StatusPattern[] = [];
  for (const item of items) {
    const pattern = parsePattern(item);
    if (pattern === undefined) return undefined;
    patterns.push(pattern);
  }
  return patterns;
}

export function statusMatches(expected: StatusExpectation, status: number): boolean {
  return expected.some((pattern) =>
    'code' in pattern ? pattern.code === status : Math.floor(status / 100) === pattern.hundreds,
  );
}

export function formatStatusExpectation(expected: StatusExpectation): string {
  const parts = expected.map((pattern) => ('code' in pattern ? String(pattern.code) : `${pattern.hundreds}xx`));
  return parts.length === 1 ? (parts[0] ?? '') : `one of ${parts.join(', ')}`;
}
