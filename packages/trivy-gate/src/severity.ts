import { ConfigurationError } from '@shiprail/core';

/** Trivy's severities, most severe first. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type SeverityCounts = Record<Severity, number>;

export const emptyCounts = (): SeverityCounts => ({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });

/** Rank for sorting: 0 is the most severe. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

const isSeverity = (value: string): value is Severity => (SEVERITIES as readonly string[]).includes(value);

/** A report's severity as Trivy writes it; an empty or unknown word is UNKNOWN, as Trivy treats it. */
export function normalizeSeverity(value: unknown): Severity {
  const word = typeof value === 'string' ? value.toUpperCase() : '';
  return isSeverity(word) ? word : 'UNKNOWN';
}

/** `CRITICAL,HIGH` (commas, spaces or newlines; any case) into a set; an unknown name is a mistake. */
export function parseSeverityList(text: string, input: string): Set<Severity> {
  const names = text
    .split(/[\s,]+/)
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new ConfigurationError(`name at least one severity: ${SEVERITIES.join(', ')}`, { input });
  }
  const severities = new Set<Severity>();
  for (const name of names) {
    if (!isSeverity(name)) {
      throw new ConfigurationError(`unknown severity '${name}': use ${SEVERITIES.join(', ')}`, { input });
    }
    severities.add(name);
  }
  return severities;
}
