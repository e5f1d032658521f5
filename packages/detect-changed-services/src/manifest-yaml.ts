// Reading the manifest's YAML fast. Manifests of thousands of services are written in a small part of
// YAML (block mappings and sequences, one-line flow sequences, plain and quoted scalars); that part is read
// here in one pass. Any text outside it (anchors, tags, block scalars, flow mappings, duplicate keys,
// malformed YAML, ...) is read by the full YAML parser instead, which also reports syntax errors with
// their line. Lines of values are only looked up, with the full parser, when a mistake must be located.
import { yamlMistake, type ConfigurationError, type ParsedYaml, type YamlPath } from '@shiprail/core';

/**
 * Finds lines in a manifest. A manifest the fast reader read has no positions: then a mistake carries
 * the file only, and the manifest is read again with the full parser to report it at its line.
 */
export class ManifestLocator {
  readonly file: string;
  private readonly parsed: ParsedYaml | undefined;

  constructor(file: string, parsed?: ParsedYaml) {
    this.file = file;
    this.parsed = parsed;
  }

  /** The line of the value at `path` (or of its nearest existing parent). */
  line(path: YamlPath): number | undefined {
    return this.parsed?.lineOf(path);
  }

  /** A mistake about the value at `path`, at its line. */
  mistake(path: YamlPath, message: string): ConfigurationError {
    return yamlMistake({ file: this.file }, path, message, this.line(path));
  }

  /** A mistake about the key at the end of `path` (a misspelt key, a bad name), at the key's line. */
  keyMistake(path: YamlPath, message: string): ConfigurationError {
    return yamlMistake({ file: this.file }, path, message, this.parsed?.keyLineOf(path));
  }
}

export type BlockYamlResult = { ok: true; value: unknown } | { ok: false };

type Mapping = Record<string, unknown>;
interface Level {
  indent: number;
  node: Mapping | unknown[];
}

const OUTSIDE = { ok: false } as const;
/** Plain mapping keys the fast reader takes (no key YAML would read as a null, boolean or number). */
const ENTRY = /^([A-Za-z_][A-Za-z0-9_./-]*) *:(?: +(.*))?$/;
const RESERVED_KEYS = new Set(['__proto__', 'true', 'false', 'null', 'True', 'False', 'Null', 'TRUE', 'FALSE', 'NULL']);
/** Characters a plain scalar may not start with (indicators), in block and flow context. */
const INDICATOR = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?: |$))/;
const NULL = /^(?:~|null|Null|NULL)$/;
/** Plain scalars that can only be strings, unless they are one of KEYWORDS. */
const WORD = /^[A-Za-z_/][\w./-]*$/;
const KEYWORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const BOOLEAN = /^(?:true|True|TRUE|false|False|FALSE)$/;
const DECIMAL = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Core-schema forms left to the full parser (octal, hexadecimal, infinities, not-a-number). */
const SPECIAL_NUMBER = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/**
 * Reads YAML written as manifests usually are, with the value the full parser (YAML 1.2 core schema)
 * gives; `{ ok: false }` for any text outside that part of YAML.
 */
export function readBlockYaml(text: string): BlockYamlResult {
  if (/[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\uFEFF]/.test(text)) return OUTSIDE;
  const stack: Level[] = [];
  let root: Mapping | unknown[] | undefined;
  let pending: { map: Mapping; key: string; indent: number } | undefined;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === 32) indent += 1;
    const content = text.slice(indent, end);
    indent -= start;
    start = end + 1;
    if (content === '' || content.startsWith('#')) continue;
    const item = content === '-' || content.startsWith('- ');
    if (pending !== undefined) {
      const child = item && indent >= pending.indent ? [] : !item && indent > pending.indent ? {} : undefined;
      pending.map[pending.key] = child ?? null;
      if (child !== undefined) stack.push({ indent, node: child });
      pending = undefined;
    }
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Level;
      // A sequence may sit at its key's indentation: it ends at the next line that is not an item.
      if (top.indent > indent || (top.indent === indent && Array.isArray(top.node) && !item)) stack.pop();
      else break;
    }
    let level = stack[stack.length - 1];
    if (level === undefined) {
      if (root !== undefined || indent !== 0) return OUTSIDE;
      root = item ? [] : {};
      level = { indent, node: root };
      stack.push(level);
    }
    if (level.indent !== indent) return OUTSIDE;
    if (Array.isArray(level.node)) {
      if (!item) return OUTSIDE;
      const value = flowOrScalar(content.slice(1).trim());
      if (value === undefined || content.trim() === '-') return OUTSIDE;
      level.node.push(value.value);
      continue;
    }
    const entry = item ? null : ENTRY.exec(content);
    const key = entry?.[1];
    if (entry === null || key === undefined || RESERVED_KEYS.has(key) || Object.hasOwn(level.node, key)) {
      return OUTSIDE;
    }
    const rest = entry[2] ?? '';
    if (rest === '' || rest.startsWith('#')) {
      level.node[key] = null;
      pending = { map: level.node, key, indent };
      continue;
    }
    const value = flowOrScalar(rest);
    if (value === undefined) return OUTSIDE;
    level.node[key] = value.value;
  }
  return { ok: true, value: root ?? null };
}

/** A value read, or undefined for text outside the fast reader's part of YAML. */
type Read = { value: unknown } | undefined;

/** A one-line flow sequence of scalars, or a scalar; either may be followed by a comment. */
function flowOrScalar(text: string): Read {
  if (!text.startsWith('[')) return blockScalar(text);
  const close = text.indexOf(']');
  if (close === -1 || !isCommentOrEnd(text.slice(close + 1))) return undefined;
  const inner = text.slice(1, close);
  if (inner.trim() === '') return { value: [] };
  const items: unknown[] = [];
  for (const part of splitFlowItems(inner)) {
    const item = part.trim();
    if (item === '') return undefined;
    const read = item.startsWith("'") || item.startsWith('"') ? quoted(item) : plain(item, /[,[\]{}#]|: /);
    if (read === undefined) return undefined;
    items.push(read.value);
  }
  return { value: items };
}

/**
 * The items of a flow sequence's inside, split at commas outside quotes. Searches rather than walks the
 * characters: this runs once per line, before the engine has compiled anything.
 */
function splitFlowItems(inner: string): string[] {
  const parts: string[] = [];
  let from = 0;
  let index = 0;
  for (;;) {
    const comma = inner.indexOf(',', index);
    const quote = firstQuote(inner, index, comma === -1 ? inner.length : comma);
    if (quote !== -1) {
      const close = inner.indexOf(inner.charAt(quote), quote + 1);
      // An unclosed quote takes the rest of the text into the last item.
      if (close === -1) break;
      index = close + 1;
      continue;
    }
    if (comma === -1) break;
    parts.push(inner.slice(from, comma));
    from = comma + 1;
    index = from;
  }
  parts.push(inner.slice(from));
  return parts;
}

/** The position of the first quote character in `text` from `start` to before `end`, or -1. */
function firstQuote(text: string, start: number, end: number): number {
  const single = text.indexOf("'", start);
  const double = text.indexOf('"', start);
  const first = single === -1 ? double : double === -1 ? single : Math.min(single, double);
  return first < end ? first : -1;
}

function blockScalar(text: string): Read {
  if (text.startsWith("'") || text.startsWith('"')) return quoted(text);
  const comment = text.indexOf(' #');
  return plain((comment === -1 ? text : text.slice(0, comment)).trimEnd(), /: |:$/);
}

function isCommentOrEnd(rest: string): boolean {
  const trimmed = rest.trimStart();
  return trimmed === '' || (trimmed.startsWith('#') && trimmed.length < rest.length);
}

/** A quoted scalar that ends on its line: '' escapes in single quotes; no escapes in double quotes. */
function quoted(text: string): Read {
  const quote = text.charAt(0);
  let value = '';
  let from = 1;
  for (;;) {
    const close = text.indexOf(quote, from);
    if (close === -1) return undefined;
    const part = text.slice(from, close);
    if (quote === '"' && part.includes('\\')) return undefined;
    value += part;
    if (quote === "'" && text.charAt(close + 1) === "'") {
      value += "'";
      from = close + 2;
      continue;
    }
    return isCommentOrEnd(text.slice(close + 1)) ? { value } : undefined;
  }
}

/** A plain scalar, typed as the core schema types it. */
function plain(text: string, forbidden: RegExp): Read {
  // Most values are words and paths: strings, told apart from null and booleans with one test.
  if (WORD.test(text) && !KEYWORDS.has(text)) return { value: text };
  if (text === '' || INDICATOR.test(text) || forbidden.test(text) || SPECIAL_NUMBER.test(text)) return undefined;
  if (NULL.test(text)) return { value: null };
  if (BOOLEAN.test(text)) return { value: text.toLowerCase() === 'true' };
  if (DECIMAL.test(text)) return { value: Number(text) };
  return { value: text };
}
