// YAML documents read for users' files: parsed once, aliases bounded, mistakes that name the path and line.
import type { Document } from 'yaml';
import { ConfigurationError, type MistakeLocation } from './errors.ts';

type YamlLibrary = typeof import('yaml');
let library: Promise<YamlLibrary> | undefined;

/**
 * The YAML library, loaded on first use rather than at start-up: a step may parse no YAML at all, or
 * only when a faster reader declines or a mistake must be located. In a bundle it is a file of its own
 * beside index.js, so that a step that reads no YAML does not even compile it.
 */
const loadYamlLibrary = (): Promise<YamlLibrary> => (library ??= import('yaml'));

export type YamlPath = ReadonlyArray<string | number>;

export interface ParsedYaml {
  document: Document.Parsed;
  value: unknown;
  /** The 1-based line of the node at `path` (or of its nearest existing parent). */
  lineOf(path: YamlPath): number | undefined;
  /** The 1-based line of the mapping key at the end of `path`, else as `lineOf`. */
  keyLineOf(path: YamlPath): number | undefined;
  /** A ConfigurationError about the node at `path`, located at its line. */
  mistake(path: YamlPath, message: string): ConfigurationError;
  /** A ConfigurationError about the key at the end of `path` (an unknown or misspelt key), at the key's line. */
  keyMistake(path: YamlPath, message: string): ConfigurationError;
}

/**
 * Parses YAML with positions kept, so that every later complaint about the content can name the file
 * (or input) and line. Syntax errors become ConfigurationError at the offending line.
 */
export async function parseYamlDocument(text: string, where: MistakeLocation): Promise<ParsedYaml> {
  const { LineCounter, isMap, isNode, isScalar, parseDocument } = await loadYamlLibrary();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = document.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0].line ?? lineCounter.linePos(firstError.pos[0]).line;
    const reason = firstError.message.split('\n')[0] ?? 'malformed YAML';
    throw new ConfigurationError(`malformed YAML: ${reason}`, { ...where, line });
  }
  const lineOf = (path: YamlPath): number | undefined => {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const keyLineOf = (path: YamlPath): number | undefined => {
    const parent = path.length <= 1 ? document.contents : document.getIn(path.slice(0, -1), true);
    const key = path[path.length - 1];
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
    const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    return offset === undefined ? lineOf(path) : lineCounter.linePos(offset).line;
  };
  return {
    document,
    value: toPlainValue(document, where),
    lineOf,
    keyLineOf,
    mistake: (path, message) => yamlMistake(where, path, message, lineOf(path)),
    keyMistake: (path, message) => yamlMistake(where, path, message, keyLineOf(path)),
  };
}

/** The document as plain values; aliases that would multiply it beyond reason are the author's mistake. */
function toPlainValue(document: Document.Parsed, where: MistakeLocation): unknown {
  try {
    return document.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new ConfigurationError(`too many YAML alias expansions (${error.message}); write the values out`, where);
    }
    throw error;
  }
}

/** A mistake about the value at `path` of a YAML text: the path leads the message, at the line when it is known. */
export function yamlMistake(
  where: MistakeLocation,
  path: YamlPath,
  message: string,
  line: number | undefined,
): ConfigurationError {
  const at = formatYamlPath(path);
  return new ConfigurationError(at === '' ? message : `${at}: ${message}`, {
    ...where,
    ...(line === undefined ? {} : { line }),
  });
}

/** `checks[2].expect.status` */
export function formatYamlPath(path: YamlPath): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}
