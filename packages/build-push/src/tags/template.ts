/**
 * The `{{expression}}` templates of docker/metadata-action's rules (`{{branch}}`, `{{sha}}`,
 * `{{version}}`, `{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`): the Handlebars subset its rules use, with
 * Handlebars' output rules (missing names are empty, `{{x}}` is HTML-escaped, `{{{x}}}` is not).
 */
export type TemplateHelper = (args: readonly (string | undefined)[], hash: Readonly<Record<string, string>>) => string;
export type TemplateValue = string | number | readonly (string | number)[] | null | undefined | TemplateHelper;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"'`=]/g, (char) => HTML_ESCAPES[char] ?? char);

/** A template that cannot be rendered: the caller names the rule it came from. */
export class TemplateError extends Error {}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*([A-Za-z_][\w.-]*=)?('[^']*'|"[^"]*"|[^\s'"]+)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(expression)) !== null) {
    tokens.push(`${match[1] ?? ''}${match[2] ?? ''}`);
    end = pattern.lastIndex;
  }
  if (expression.slice(end).trim() !== '') {
    throw new TemplateError(`cannot read the expression {{${expression}}}`);
  }
  return tokens;
}

const isQuoted = (token: string): boolean => /^(['"]).*\1$/s.test(token) && token.length >= 2;

/**
 * A helper's argument as Handlebars reads it: a quoted string or a number is itself; a bare word
 * (`{{date YYYYMMDD}}`) is a lookup of that name, which is a value or nothing.
 */
function argument(token: string, values: Readonly<Record<string, TemplateValue>>): string | undefined {
  if (isQuoted(token)) return token.slice(1, -1);
  if (/^-?\d+(?:\.\d+)?$/.test(token) || token === 'true' || token === 'false') return token;
  const value = Object.hasOwn(values, token) ? values[token] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function evaluate(expression: string, values: Readonly<Record<string, TemplateValue>>): string {
  const [name = '', ...rest] = tokenize(expression);
  if (/^[#/^>!]/.test(name) || name === 'else') {
    throw new TemplateError(`{{${expression}}} is not supported: only values like {{version}} or {{date 'YYYY'}}`);
  }
  const args: (string | undefined)[] = [];
  const hash: Record<string, string> = {};
  for (const token of rest) {
    const pair = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(token);
    if (pair) hash[pair[1] ?? ''] = argument(pair[2] ?? '', values) ?? '';
    else args.push(argument(token, values));
  }
  const value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (typeof value === 'function') return value(args, hash);
  if (value === null || value === undefined) return '';
  return Array.isArray(value) ? value.join(',') : String(value);
}

export function renderTemplate(template: string, values: Readonly<Record<string, TemplateValue>>): string {
  let output = '';
  let position = 0;
  const pattern = /\{\{\{([^}]*)\}\}\}|\{\{([^}]*)\}\}/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(template)) !== null) {
    output += template.slice(position, match.index);
    output += match[1] !== undefined ? evaluate(match[1], values) : escapeHtml(evaluate(match[2] ?? '', values));
    position = match.index + match[0].length;
  }
  const tail = template.slice(position);
  if (tail.includes('{{')) throw new TemplateError(`has an unclosed {{ in '${template}'`);
  return output + tail;
}

/**
 * Formats a date with moment.js tokens (the format language docker/metadata-action's `{{date}}`
 * takes). Without a format, moment's ISO 8601 form: `2020-01-10T00:30:00Z` in UTC, else with the
 * zone's offset (`2020-01-10T09:30:00+09:00`).
 */
export function formatDate(epochMs: number, format: string | undefined, timeZone = 'UTC'): string {
  let parts: Record<string, string>;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    parts = Object.fromEntries(formatter.formatToParts(new Date(epochMs)).map((part) => [part.type, part.value]));
  } catch {
    throw new TemplateError(`unknown time zone '${timeZone}'`);
  }
  const year = parts['year'] ?? '';
  const hour = Number(parts['hour'] ?? '0');
  const pad = (value: number, length = 2): string => String(value).padStart(length, '0');
  const wallClock = Date.UTC(
    Number(year),
    Number(parts['month']) - 1,
    Number(parts['day']),
    hour,
    Number(parts['minute']),
    Number(parts['second']),
  );
  const offsetMinutes = Math.round((wallClock - Math.floor(epochMs / 1000) * 1000) / 60_000);
  const offset = (separator: string): string =>
    `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}${separator}${pad(Math.abs(offsetMinutes) % 60)}`;
  const tokens: Record<string, () => string> = {
    YYYY: () => year,
    YY: () => year.slice(-2),
    MM: () => parts['month'] ?? '',
    M: () => String(Number(parts['month'])),
    DD: () => parts['day'] ?? '',
    D: () => String(Number(parts['day'])),
    HH: () => pad(hour),
    H: () => String(hour),
    hh: () => pad(hour % 12 === 0 ? 12 : hour % 12),
    h: () => String(hour % 12 === 0 ? 12 : hour % 12),
    mm: () => parts['minute'] ?? '',
    m: () => String(Number(parts['minute'])),
    ss: () => parts['second'] ?? '',
    s: () => String(Number(parts['second'])),
    SSS: () => pad(epochMs % 1000, 3),
    A: () => (hour < 12 ? 'AM' : 'PM'),
    a: () => (hour < 12 ? 'am' : 'pm'),
    X: () => String(Math.floor(epochMs / 1000)),
    x: () => String(epochMs),
    ZZ: () => offset(''),
    Z: () => offset(':'),
  };
  const pattern = format || (offsetMinutes === 0 ? 'YYYY-MM-DD[T]HH:mm:ss[Z]' : 'YYYY-MM-DD[T]HH:mm:ssZ');
  return pattern.replace(
    /\[([^\]]*)]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|A|a|X|x|ZZ|Z/g,
    (token, literal?: string) => (literal !== undefined ? literal : (tokens[token]?.() ?? token)),
  );
}
