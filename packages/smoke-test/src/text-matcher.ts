import { compileRegex, type Regex } from './regex.ts';

/** A header or body expectation: text (exact for headers, contained for bodies) or `/regex/flags`. */
export type TextMatcher =
  { kind: 'exact' | 'substring'; text: string } | { kind: 'regex'; source: string; regex: Regex };

const REGEX_LITERAL = /^\/(.+)\/([imsu]*)$/s;

/** Parses a matcher, or returns why it cannot (as text, for the caller to place). */
export function parseTextMatcher(value: unknown, plain: 'exact' | 'substring'): TextMatcher | string {
  if (typeof value === 'number' || typeof value === 'boolean') return { kind: plain, text: String(value) };
  if (typeof value !== 'string') return 'expected text or a /regex/';
  const literal = REGEX_LITERAL.exec(value);
  if (!literal) return { kind: plain, text: value };
  const [, source = '', flags = ''] = literal;
  const regex = compileRegex(source, flags);
  if (typeof regex === 'string') return `invalid regular expression ${value}: ${regex}`;
  return { kind: 'regex', source: value, regex };
}

export function textMatches(matcher: TextMatcher, text: string): boolean {
  switch (matcher.kind) {
    case 'exact':
      return text.trim() === matcher.text.trim();
    case 'substring':
      return text.includes(matcher.text);
    case 'regex':
      return matcher.regex.test(text);
  }
}

export function formatTextMatcher(matcher: TextMatcher): string {
  switch (matcher.kind) {
    case 'exact':
      return `"${matcher.text}"`;
    case 'substring':
      return `to contain "${matcher.text}"`;
    case 'regex':
      return `to match ${matcher.source}`;
  }
}
