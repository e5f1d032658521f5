// Reading action inputs: one parser with typed getters that name the input in every mistake, and list and header line
// parsing.
import { ConfigurationError, errorMessage } from './errors.ts';
import { MAX_TIMER_MS, parseDuration } from './duration.ts';
import { parseYamlDocument } from './yaml.ts';

/** Reads one raw input as the runner passes it (`INPUT_<NAME>`); '' when it is not set. */
export type InputSource = (name: string) => string;

/** Called for every input an action reads, with the default the code applies: the contract test uses it. */
export type InputObserver = (name: string, codeDefault: string | undefined) => void;

export interface NumberBounds {
  min?: number;
  max?: number;
}

/**
 * Parses raw inputs into typed values, once, before any side effect. Every method names the input in
 * its error. Actions read every declared input unconditionally so that the contract test (inputs read
 * == inputs declared, code defaults == action.yml defaults) sees all of them.
 */
export class InputParser {
  private readonly source: InputSource;
  private readonly mask: (secret: string) => void;
  private readonly observe: InputObserver | undefined;

  constructor(source: InputSource, mask: (secret: string) => void, observe?: InputObserver) {
    this.source = source;
    this.mask = mask;
    this.observe = observe;
  }

  private raw(name: string, codeDefault: string | undefined): string {
    this.observe?.(name, codeDefault);
    const value = this.source(name).trim();
    return value === '' ? (codeDefault ?? '') : value;
  }

  /** A string input; `fallback` is both the code's and action.yml's default. */
  string(name: string, fallback = ''): string {
    return this.raw(name, fallback === '' ? undefined : fallback);
  }

  /** An input that must be given. */
  required(name: string): string {
    const value = this.raw(name, undefined);
    if (value === '') throw new ConfigurationError('is required but was not given', { input: name });
    return value;
  }

  /** A secret: masked before anything else can print it. Never trimmed beyond a final newline. */
  secret(name: string): string {
    this.observe?.(name, undefined);
    const value = this.source(name).replace(/\r?\n$/, '');
    if (value.trim() === '') return '';
    this.mask(value);
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.mask(line.trim());
    return value;
  }

  /** Strict `true` / `false`, as the spec asks: no `yes`, `1` or `True`. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name, String(fallback));
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ConfigurationError(`expected true or false, got '${value}'`, { input: name });
  }

  /** A duration in milliseconds: `90s`, `10m`, `1h30m`, `500ms` or plain seconds. */
  duration(name: string, fallback: string): number {
    const value = this.raw(name, fallback);
    const ms = parseDuration(value);
    if (ms === undefined) {
      throw new ConfigurationError(`expected a duration like 90s, 10m, 1h30m or plain seconds, got '${value}'`, {
        input: name,
      });
    }
    if (ms > MAX_TIMER_MS) {
      throw new ConfigurationError(`'${value}' is longer than 24 days, the longest a step can wait`, {
        input: name,
      });
    }
    return ms;
  }

  /** A whole number within bounds. */
  integer(name: string, fallback: number, bounds: NumberBounds = {}): number {
    const value = this.number(name, fallback, bounds);
    if (!Number.isInteger(value)) {
      throw new ConfigurationError(`expected a whole number, got '${value}'`, { input: name });
    }
    return value;
  }

  /** A number within bounds. */
  number(name: string, fallback: number, bounds: NumberBounds = {}): number {
    const value = this.raw(name, String(fallback));
    const parsed = Number(value);
    if (value === '' || !Number.isFinite(parsed)) {
      throw new ConfigurationError(`expected a number, got '${value}'`, { input: name });
    }
    if (bounds.min !== undefined && parsed < bounds.min) {
      throw new ConfigurationError(`must be at least ${bounds.min}, got ${parsed}`, { input: name });
    }
    if (bounds.max !== undefined && parsed > bounds.max) {
      throw new ConfigurationError(`must be at most ${bounds.max}, got ${parsed}`, { input: name });
    }
    return parsed;
  }

  /** One of a fixed set of words. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name, fallback);
    const found = choices.find((choice) => choice === value);
    if (found === undefined) {
      throw new ConfigurationError(`expected one of ${choices.join(', ')}, got '${value}'`, { input: name });
    }
    return found;
  }

  /** A newline-separated list: blank lines and `#` comments are ignored. */
  list(name: string, fallback = ''): string[] {
    return parseList(this.raw(name, fallback === '' ? undefined : fallback));
  }

  /** JSON text, parsed; undefined when not given. */
  json(name: string): unknown {
    const value = this.raw(name, undefined);
    if (value === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      const reason = errorMessage(error);
      throw new ConfigurationError(`is not valid JSON: ${reason}`, { input: name });
    }
  }

  /** YAML text, parsed (errors carry the input name and line); undefined when not given. */
  async yaml(name: string): Promise<unknown> {
    const value = this.raw(name, undefined);
    if (value === '') return undefined;
    return (await parseYamlDocument(value, { input: name })).value;
  }
}

/** Splits a newline list input: trims lines, drops blank lines and `#` comments. */
export function parseList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Parses `Name: value` lines (headers inputs). Names keep their case; values may contain colons. */
export function parseHeaderLines(lines: readonly string[], input: string): Array<[string, string]> {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new ConfigurationError("expected header lines like 'Name: value'", { input });
    }
    return [name, line.slice(colon + 1).trim()];
  });
}
