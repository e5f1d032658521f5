import { createRequire } from 'node:module';
import type { Document } from 'yaml';
import { ConfigurationError, type MistakeLocation } from './errors.ts';

type YamlLibrary = typeof import('yaml');
let library: YamlLibrary | undefined;

/**
 * The YAML library, loaded on first use rather than at start-up: a step may parse no YAML at all, or
 * only when a faster reader declines or a mistake must be located. In a bundle `require` is the
 * bundler's, which runs the library's code only now; elsewhere (tests, scripts) Node's.
 */
export const yamlLibrary = (): YamlLibrary =>
  (library ??=
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundler's lazy require, see above
    (typeof require === 'function' ? require('yaml') : createRequire(import.meta.url)('yaml')) as YamlLibrary);

export type YamlPath = ReadonlyArray<string | number>;

export interface ParsedYaml {
  document: Document.Parsed;
  value: unknown;
  /** The 1-based line of the node at `path` (or of its nearest existing parent). */
  lineOf(path: YamlPath): number | undefined;
  /** A ConfigurationError about the node at `path`, located at its line. */
  mistake(path: YamlPath, message: string): ConfigurationError;
}

/**
 * Parses YAML with positions kept, so that every later complaint about the content can name the file
 * (or input) and line. Syntax errors become ConfigurationError at the offending line.
 */
export function parseYamlDocument(text: string, where: MistakeLocation): ParsedYaml {
  const { LineCounter, isNode, parseDocument } = yamlLibrary();
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
  return {
    document,
    value: toPlainValue(document, where),
    lineOf,
    mistake: (path, message) => {
      const line = lineOf(path);
      const at = formatYamlPath(path);
      return new ConfigurationError(at === '' ? message : `${at}: ${message}`, {
        ...where,
        ...(line === undefined ? {} : { line }),
      });
    },
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

/** `checks[2].expect.status` */
export function formatYamlPath(path: YamlPath): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}
