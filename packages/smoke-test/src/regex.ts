// Every regular expression a user writes (header, body, `matches`, JSONPath match() and search()) runs on
// RE2's linear-time engine: a pattern like `^(a+)+$` cannot stall the step, whatever the response holds.
import { RE2JS } from 're2js';
import { errorMessage } from '@shiprail/core';

/** A compiled user pattern. */
export interface Regex {
  /** Whether the pattern matches anywhere in the text. */
  test(text: string): boolean;
}

/** The JavaScript flags RE2 honours; `u` is how RE2 always reads patterns (by code point). */
const FLAG_BITS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0,
};

/** What RE2 leaves out, said once so a refused pattern tells the user what to change. */
const UNSUPPORTED = 'RE2 syntax: no backreferences or lookaround, repeat counts up to 1000';

/** Compiles a pattern written in JavaScript syntax, or returns why RE2 cannot run it. */
export function compileRegex(source: string, flags = ''): Regex | string {
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) return `the flag '${flag}' is not supported; use i, m, s or u`;
    bits |= bit;
  }
  try {
    // The translation covers JavaScript spellings RE2 writes differently (\u0041, (?<name>), [^]).
    return RE2JS.compile(RE2JS.translateRegExp(source), bits);
  } catch (error) {
    const reason = errorMessage(error).replace(/^error parsing regexp: /, '');
    return `${reason} (${UNSUPPORTED})`;
  }
}
