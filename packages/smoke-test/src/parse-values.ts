// The small pieces every section parser of the check file shares: where mistakes are collected, and
// how scalars (durations, flags) are read and described.
import { ConfigurationError, MAX_TIMER_MS, parseDuration, type YamlPath } from '@shiprail/core';

/** A plain mapping (not a list, not a scalar). */
export const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Collects every mistake in the file, each with its path and line, so that one run tells the user
 * everything to fix; the first one's line is where the annotation points.
 */
export class Mistakes {
  readonly found: ConfigurationError[] = [];
  private readonly make: (path: YamlPath, message: string) => ConfigurationError;

  constructor(make: (path: YamlPath, message: string) => ConfigurationError) {
    this.make = make;
  }

  add(path: YamlPath, message: string): undefined {
    this.found.push(this.make(path, message));
    return undefined;
  }

  unknownKeys(value: Record<string, unknown>, path: YamlPath, allowed: readonly string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.add([...path, key], `unknown ${what} '${key}'; expected one of ${allowed.join(', ')}`);
    }
  }
}

/** A duration (`500ms`, `10s`, `2m`, or plain seconds), at most what one timer can wait (as for inputs). */
export function parseDurationAt(value: unknown, path: YamlPath, mistakes: Mistakes): number | undefined {
  const ms =
    typeof value === 'number' && value >= 0
      ? value * 1000
      : typeof value === 'string'
        ? parseDuration(value)
        : undefined;
  if (ms === undefined) {
    return mistakes.add(path, `expected a duration like 500ms, 10s or 2m, got ${describeValue(value)}`);
  }
  if (ms > MAX_TIMER_MS) return mistakes.add(path, `${describeValue(value)} is longer than 24 days`);
  return ms;
}

export function parseBoolean(value: unknown, path: YamlPath, mistakes: Mistakes): boolean | undefined {
  if (typeof value !== 'boolean') return mistakes.add(path, `expected true or false, got ${describeValue(value)}`);
  return value;
}

/** How a value reads in an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value) ?? typeof value;
}
