// `{{name}}` placeholders: values captured by earlier checks.
export const TEMPLATE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export function templateNames(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((match) => match[1] ?? '');
}

/** Replaces placeholders; captured values that are not text are written as JSON. */
export function fillTemplate(text: string, values: ReadonlyMap<string, unknown>): string {
  return text.replace(TEMPLATE, (whole, name: string) => {
    if (!values.has(name)) return whole;
    const value = values.get(name);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Fills placeholders in every string of a JSON value; a string that is one placeholder takes the value as it is. */
export function fillJsonTemplate(value: unknown, values: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}$/.exec(value);
    if (whole && values.has(whole[1] ?? '')) return values.get(whole[1] ?? '');
    return fillTemplate(value, values);
  }
  if (Array.isArray(value)) return value.map((item) => fillJsonTemplate(item, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillJsonTemplate(item, values)]));
  }
  return value;
}
