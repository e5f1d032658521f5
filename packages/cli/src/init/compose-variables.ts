// Variables in compose files, substituted the way docker compose does: `.env` read as compose reads it,
// then $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt},
// ${VAR+alt} and $$ (a literal $). A variable nothing defines is an error that names it.
import { ConfigurationError, type MistakeLocation } from '@shiprail/core';

export type Variables = ReadonlyMap<string, string>;

/** A `.env` file: KEY=value lines, `export` allowed, quotes, comments; later values may use earlier ones. */
export function parseDotEnv(text: string, file: string, environment: Variables): Map<string, string> {
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) throw new ConfigurationError(`expected KEY=value, found '${line}'`, { file, line: index + 1 });
    const [, key = '', rest = ''] = match;
    values.set(key, dotEnvValue(rest, { file, line: index + 1 }, new Map([...values, ...environment])));
  });
  return values;
}

function dotEnvValue(rest: string, where: MistakeLocation, known: Variables): string {
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    const end = rest.indexOf(quote, 1);
    if (end < 0) throw new ConfigurationError(`unterminated ${quote} quote`, where);
    const inner = rest.slice(1, end);
    if (quote === "'") return inner;
    return substitute(inner.replace(/\\n/g, '\n').replace(/\\"/g, '"'), known, where);
  }
  // An unquoted value ends at a comment that follows whitespace.
  const value = rest.replace(/\s+#.*$/, '').trim();
  return substitute(value, known, where);
}

/**
 * `text` with its variables replaced. `where` locates errors: a variable nothing defines, a
 * `${VAR?message}` whose variable is unset, a malformed `${...}`.
 */
export function substitute(text: string, variables: Variables, where: MistakeLocation): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0) {
      result += text.slice(index);
      break;
    }
    result += text.slice(index, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      result += '$';
      index = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(text, dollar + 2);
      if (end < 0) throw new ConfigurationError(`unterminated variable '${text.slice(dollar)}'`, where);
      result += expand(text.slice(dollar + 2, end), variables, where);
      index = end + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1))?.[0];
      if (name === undefined) {
        result += '$';
        index = dollar + 1;
      } else {
        result += defined(name, variables, where);
        index = dollar + 1 + name.length;
      }
    }
  }
  return result;
}

/** The index of the `}` that closes a `${` whose body starts at `start` (nested `${...}` skipped). */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let index = start; index < text.length; index += 1) {
    if (text[index] === '{' && text[index - 1] === '$') depth += 1;
    if (text[index] === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}

function defined(name: string, variables: Variables, where: MistakeLocation): string {
  const value = variables.get(name);
  if (value === undefined) {
    throw new ConfigurationError(
      `the variable ${name} is not set: define it in .env (${name}=...) or give a default (\${${name}:-value})`,
      where,
    );
  }
  return value;
}

function expand(body: string, variables: Variables, where: MistakeLocation): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
  if (match === null) throw new ConfigurationError(`malformed variable '\${${body}}'`, where);
  const [, name = '', colon = '', operator, operand = ''] = match;
  if (operator === undefined) return defined(name, variables, where);
  const value = variables.get(name);
  // With ':', an empty value counts as unset.
  const isSet = value !== undefined && (colon === '' || value !== '');
  if (operator === '-') return isSet ? (value ?? '') : substitute(operand, variables, where);
  if (operator === '+') return isSet ? substitute(operand, variables, where) : '';
  if (!isSet) {
    const message = substitute(operand, variables, where);
    throw new ConfigurationError(`the variable ${name} is required${message === '' ? '' : `: ${message}`}`, where);
  }
  return value ?? '';
}
