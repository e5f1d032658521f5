import { EntityDecoder, XML } from '@nodable/entities';
import { ConfigurationError, errorMessage } from '@shiprail/core';
import { XMLParser } from 'fast-xml-parser';
import { SyntaxValidator } from 'fast-xml-validator';

/** An element as the parser gives it: attributes under `@_name`, text under `#text`, children by tag name. */
export interface XmlElement {
  [key: string]: unknown;
}

/** The root element of a document, with its tag name. */
export interface XmlRoot {
  tag: string;
  element: XmlElement;
}

/** Elements that may repeat, so they are always arrays whatever one document holds. */
const REPEATED = new Set([
  'testsuite',
  'testcase',
  'failure',
  'error',
  'skipped',
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
  'system-out',
  'system-err',
  'package',
  'class',
  'counter',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // The five predefined entities and character references (`&#10;` in pytest's messages) only:
  // entity declarations are refused before parsing.
  processEntities: true,
  entityDecoder: new EntityDecoder({ namedEntities: XML, numericAllowed: true }),
  isArray: (name) => REPEATED.has(name),
  // Callbacks get the parser's path matcher rather than a path string built for every tag.
  jPath: false,
});

/** Line (1-based) of an offset in a text. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) line += 1;
  return line;
}

/**
 * Parses an XML document strictly: malformed XML is a ConfigurationError at its file and line. Entity
 * declarations are refused outright (the "billion laughs" expansion and external entities): test and
 * coverage reports never declare entities.
 */
export function parseXml(text: string, file: string): XmlRoot {
  const entity = /<!ENTITY/i.exec(text);
  if (entity) {
    throw new ConfigurationError('declares XML entities (<!ENTITY>), which reports never do; refusing to expand them', {
      file,
      line: lineAt(text, entity.index),
    });
  }
  try {
    SyntaxValidator.validate(text);
  } catch (error) {
    const line = error instanceof Error && 'line' in error && typeof error.line === 'number' ? error.line : undefined;
    const reason = errorMessage(error);
    throw new ConfigurationError(`malformed XML: ${reason}`, { file, ...(line === undefined ? {} : { line }) });
  }
  const document = parser.parse(text) as XmlElement;
  const tag = Object.keys(document).find((key) => !key.startsWith('?') && !key.startsWith('#'));
  const element = tag === undefined ? undefined : document[tag];
  if (tag === undefined) throw new ConfigurationError('holds no XML element', { file });
  return { tag, element: asElement(Array.isArray(element) ? (element[0] as unknown) : element) };
}

/** An element value in one shape: `<a/>` and `<a>text</a>` parse to strings, the others to objects. */
export function asElement(value: unknown): XmlElement {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as XmlElement;
  return typeof value === 'string' ? { '#text': value } : {};
}

/** The children named `tag`, as elements. */
export function children(element: XmlElement, tag: string): XmlElement[] {
  const value = element[tag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item: unknown) => asElement(item));
}

/** An attribute's value, or undefined. */
export function attribute(element: XmlElement, name: string): string | undefined {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The element's text (CDATA included). */
export function text(element: XmlElement): string {
  const value = element['#text'];
  return typeof value === 'string' ? value : '';
}
