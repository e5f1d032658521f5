/** Reads of the untyped event payload. */
export const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
