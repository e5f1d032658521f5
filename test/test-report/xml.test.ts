// test-report's XML reader: well-formed documents and the tree they give, malformed ones and the reason and
// line they are refused with, hostile shapes (deep nesting, long runs) that must neither crash nor take
// more than linear time, and every XML report under test/fixtures/test-report read alike by the reader and
// by fast-xml-parser, a general-purpose parser.
import { parseJUnit, parseXml, type XmlElement } from '@shiprail/test-report';
import { XMLParser } from 'fast-xml-parser';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configurationMistake, samples } from './tools.ts';

/** An element as plain data, to compare whole trees. */
interface Tree {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: Tree[];
}

const plain = (element: XmlElement): Tree => ({
  name: element.name,
  attributes: Object.fromEntries(element.attributes),
  text: element.text,
  children: element.children.map(plain),
});

const tree = (name: string, attributes: Record<string, string> = {}, text = '', kids: Tree[] = []): Tree => ({
  name,
  attributes,
  text,
  children: kids,
});

describe('well-formed documents', () => {
  test.each<[string, string, Tree]>([
    ['an empty root', '<a/>', tree('a')],
    ['an empty root with an end tag and white space', '<a ></a >', tree('a')],
    ['attributes in double and single quotes', `<a x="1" y='2' z = "3"/>`, tree('a', { x: '1', y: '2', z: '3' })],
    ['quotes of the other kind inside a value', `<a x="it's" y='say "hi"'/>`, tree('a', { x: "it's", y: 'say "hi"' })],
    ['an empty attribute value', '<a x=""/>', tree('a', { x: '' })],
    [
      'children in document order, text around them',
      '<a>one<b/>two<c>three</c><b>four</b></a>',
      tree('a', {}, 'onetwo', [tree('b'), tree('c', {}, 'three'), tree('b', {}, 'four')]),
    ],
    ['CDATA joined with the text around it', '<a>x<![CDATA[ <y> & ]]>z</a>', tree('a', {}, 'x <y> & z')],
    ['an empty CDATA section', '<a><![CDATA[]]></a>', tree('a')],
    [
      'CDATA holding what looks like markup',
      '<a><![CDATA[<!-- --> &amp; ]]]]></a>',
      tree('a', {}, '<!-- --> &amp; ]]'),
    ],
    [
      'the five predefined entities',
      '<a q="&quot;&apos;">&lt;&gt;&amp;&apos;&quot;</a>',
      tree('a', { q: `"'` }, `<>&'"`),
    ],
    [
      'character references, decimal and hex, astral',
      '<a>&#65;&#x42;&#x6c;&#x1F600;&#0000068;</a>',
      tree('a', {}, 'ABl😀D'),
    ],
    ['CRLF and a lone CR in text become LF', '<a>1\r\n2\r3\n</a>', tree('a', {}, '1\n2\n3\n')],
    ['CRLF in CDATA becomes LF', '<a><![CDATA[1\r\n2]]></a>', tree('a', {}, '1\n2')],
    ['a character reference to CR stays CR', '<a>&#13;&#10;</a>', tree('a', {}, '\r\n')],
    [
      'literal tabs and line breaks in an attribute value become spaces, one for CRLF',
      '<a x="1\t2\n3\r\n4\r5"/>',
      tree('a', { x: '1 2 3 4 5' }),
    ],
    [
      'character references in an attribute value keep their characters',
      '<a x="1&#9;2&#10;3&#13;4"/>',
      tree('a', { x: '1\t2\n3\r4' }),
    ],
    [
      'a declaration, comments, processing instructions and a DOCTYPE skipped',
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by a tool -->\n<!DOCTYPE a SYSTEM "a.dtd">\n<?style x?>\n<a><!-- in --><?pi?>t</a>\n<!-- after -->\n',
      tree('a', {}, 't'),
    ],
    ['a DOCTYPE whose literal holds > and [', `<!DOCTYPE a PUBLIC "-//x>[" 'a.dtd'><a/>`, tree('a')],
    ['a byte order mark before the declaration', '\uFEFF<?xml version="1.0"?><a/>', tree('a')],
    ['white space around the root', ' \n\t<a/>\r\n ', tree('a')],
    [
      'names with namespaces, digits, dots, dashes and letters beyond ASCII',
      '<ns:a-1.b_c xml:lang="en" é·x="1"><日本/></ns:a-1.b_c>',
      tree('ns:a-1.b_c', { 'xml:lang': 'en', 'é·x': '1' }, '', [tree('日本')]),
    ],
    [
      'attributes named like object properties',
      '<a constructor="1" __proto__="2"/>',
      tree(
        'a',
        Object.fromEntries([
          ['constructor', '1'],
          ['__proto__', '2'],
        ]),
      ),
    ],
    ['a comment holding < & and single dashes', '<a><!-- <b> & - x - --></a>', tree('a')],
    [
      '<!ENTITY as the words of a comment or CDATA section, not a declaration',
      '<a><!-- <!ENTITY x "y"> --><![CDATA[<!ENTITY x "y">]]></a>',
      tree('a', {}, '<!ENTITY x "y">'),
    ],
    ['text with > and ]]> left as it is', '<a>x > y ]]></a>', tree('a', {}, 'x > y ]]>')],
  ])('%s', (_label, xml, expected) => {
    expect(plain(parseXml(xml, 'r.xml'))).toEqual(expected);
  });
});

describe('malformed documents: the reason and the line', () => {
  test.each<[string, string, string, number]>([
    ['an empty document', '', 'no root element', 1],
    ['white space only', '\n\n', 'no root element', 3],
    ['a comment only', '<!-- x -->\n', 'no root element', 2],
    ['text instead of XML', 'hello', 'text before the root element', 1],
    ['text before the root', '\nx<a/>', 'text before the root element', 2],
    ['text after the root', '<a/>\n\nx', 'text after the root element', 3],
    ['a reference after the root', '<a/>&#32;', 'text after the root element', 1],
    ['a second root element', '<a/>\n<b/>', 'a second root element <b>', 2],
    ['a mismatched end tag', '<a>\n<b>\n</a>', '</a> closes <b>, opened on line 2', 3],
    ['an unclosed element', '<a>\n<b>\n</b>\n', '<a> is never closed', 1],
    ['the innermost unclosed element', '<a>\n<b>\n', '<b> is never closed', 2],
    ['an end tag closing nothing', '</a>', '</a> closes no open element', 1],
    ['an end tag after the root', '<a/>\n</a>', '</a> closes no open element', 2],
    ['an end tag with an attribute', '<a></a x="1">', "the end tag </a> is not closed by '>'", 1],
    ['an unclosed start tag', '<a>\n<b x="1"', 'the start tag of <b> is never closed', 2],
    ['< in an attribute value', '<a\nx="<"/>', "'<' in the value of attribute x", 2],
    ['a duplicate attribute', '<a x="1"\n x="2"/>', 'attribute x is repeated', 2],
    [
      'attributes without white space between',
      '<a x="1"y="2"/>',
      'attributes of <a> must be separated by white space',
      1,
    ],
    ['an attribute without value', '<a x/>', "attribute x has no '=' and value", 1],
    ['an unquoted attribute value', '<a x=1/>', 'the value of attribute x is not quoted', 1],
    ['an unterminated attribute value', '<a>\n<b x="1/>\n', 'the value of attribute x is never closed', 2],
    ['an element name starting with a digit', '<1a/>', 'an element name is expected here', 1],
    ['an element name starting with a dash', '<a><-b/></a>', 'an element name is expected here', 1],
    ['an attribute name starting with a digit', '<a 1x="1"/>', 'an attribute name in <a> is expected here', 1],
    ['a space after <', '< a/>', 'an element name is expected here', 1],
    ['an unterminated comment', '<a>\n<!-- x</a>', 'a comment is never closed', 2],
    ['-- inside a comment', '<a><!-- x\n-- y --></a>', "'--' inside a comment", 2],
    ['a comment ending in --->', '<a><!-- x ---></a>', "'--' inside a comment", 1],
    ['an unterminated CDATA section', '<a>\n<![CDATA[x</a>', 'a CDATA section is never closed', 2],
    ['CDATA outside the root', '<![CDATA[x]]><a/>', 'a CDATA section outside the root element', 1],
    ['an unterminated processing instruction', '<a><?pi x</a>', 'a processing instruction is never closed', 1],
    ['an unterminated XML declaration', '<?xml version="1.0"', 'the XML declaration is never closed', 1],
    [
      'a declaration not at the start',
      '\n<?xml version="1.0"?><a/>',
      'an XML declaration not at the start of the document',
      2,
    ],
    [
      'a declaration after the root',
      '<a/><?xml version="1.0"?>',
      'an XML declaration not at the start of the document',
      1,
    ],
    ['a processing instruction without target', '<a><? x?></a>', 'a processing instruction target is expected here', 1],
    ['a DOCTYPE after the root', '<a/>\n<!DOCTYPE a>', 'a DOCTYPE after the root element', 2],
    ['a second DOCTYPE', '<!DOCTYPE a>\n<!DOCTYPE a>\n<a/>', 'a second DOCTYPE', 2],
    ['an unterminated DOCTYPE', '<!DOCTYPE a SYSTEM "a.dtd"', 'the DOCTYPE is never closed', 1],
    ['a DOCTYPE in lower case', '<!doctype a><a/>', "'<!' starts no comment, CDATA section or DOCTYPE", 1],
    [
      'an unknown entity',
      '<a>\n&nbsp;</a>',
      '&nbsp; is not an XML entity (only &lt; &gt; &amp; &apos; &quot; and &#...;)',
      2,
    ],
    [
      'an unknown entity in an attribute',
      '<a x="&copy;"/>',
      '&copy; is not an XML entity (only &lt; &gt; &amp; &apos; &quot; and &#...;)',
      1,
    ],
    ['a bare &', '<a>a & b</a>', "an entity name after '&' is expected here", 1],
    ['an entity without ;', '<a>&lt</a>', "'&lt' is not ended by ';'", 1],
    ['a character reference to NUL', '<a>&#0;</a>', '&#0; is not a character XML allows', 1],
    ['a character reference to a control character', '<a x="&#x1B;"/>', '&#x1B; is not a character XML allows', 1],
    ['a character reference to a surrogate', '<a>&#xD800;</a>', '&#xD800; is not a character XML allows', 1],
    ['a character reference to U+FFFE', '<a>&#65534;</a>', '&#65534; is not a character XML allows', 1],
    ['a character reference beyond Unicode', '<a>&#x110000;</a>', '&#x110000; is not a character XML allows', 1],
    ['a character reference without digits', '<a>&#;</a>', 'a character reference is not &#digits; or &#xhex;', 1],
    [
      'a character reference with a stray letter',
      '<a>&#12a;</a>',
      'a character reference is not &#digits; or &#xhex;',
      1,
    ],
    ['a literal control character', '<a>\n\u001b[31m</a>', 'U+001B is not a character XML allows', 2],
    ['a literal non-character', '<a>\uFFFF</a>', 'U+FFFF is not a character XML allows', 1],
  ])('%s', (_label, xml, reason, line) => {
    expect(configurationMistake(() => parseXml(xml, 'r.xml'))).toBe(`r.xml:${line}: malformed XML: ${reason}`);
  });

  test.each([
    ['in a DOCTYPE’s internal subset, at its line', '<!DOCTYPE a [\n\n<!ENTITY x "y">\n]>\n<a>&x;</a>', 3],
    ['outside a DOCTYPE', '<!ENTITY x "y">\n<a/>', 1],
    ['in the content', '<a>\n<!ENTITY x "y">\n</a>', 2],
    ['an internal subset declaring no entity', '<!DOCTYPE a\n[<!ATTLIST a x CDATA "1">]>\n<a/>', 2],
  ])('entity declarations are refused: %s', (_label, xml, line) => {
    expect(configurationMistake(() => parseXml(xml, 'r.xml'))).toBe(
      `r.xml:${line}: declares XML entities (<!ENTITY>), which reports never do; refusing to expand them`,
    );
  });

  test('names from the document are cut short in the reason', () => {
    const name = 'n'.repeat(10_000);
    expect(configurationMistake(() => parseXml(`<${name}>`, 'r.xml'))).toBe(
      `r.xml:1: malformed XML: <${'n'.repeat(60)}…> is never closed`,
    );
  });
});

describe('hostile shapes', () => {
  const DEPTH = 100_000;

  test('elements nested 100,000 deep give a tree', () => {
    let element: XmlElement | undefined = parseXml('<a>'.repeat(DEPTH) + 'x' + '</a>'.repeat(DEPTH), 'r.xml');
    let depth = 0;
    for (; element?.children[0]; element = element.children[0]) depth += 1;
    expect({ depth: depth + 1, text: element?.text }).toEqual({ depth: DEPTH, text: 'x' });
  });

  test('elements nested 100,000 deep and never closed give an error', () => {
    expect(configurationMistake(() => parseXml('<a>\n'.repeat(DEPTH), 'r.xml'))).toBe(
      `r.xml:${DEPTH}: malformed XML: <a> is never closed`,
    );
  });

  test('test suites nested 100,000 deep are read', () => {
    const xml = '<testsuite name="s">'.repeat(DEPTH) + '<testcase name="t"/>' + '</testsuite>'.repeat(DEPTH);
    const suites = parseJUnit(xml, 'r.xml');
    expect(suites.map((suite) => suite.cases.length)).toEqual([1]);
  });

  // Each is some MiB of one construct repeated; a reader that backtracks or rescans would take minutes.
  const MIB = 1024 * 1024;
  test.each<[string, () => string]>([
    ['many attributes', () => `<a ${Array.from({ length: MIB / 16 }, (_, index) => `a${index}="v"`).join(' ')}/>`],
    ['many references', () => `<a x="${'&amp;'.repeat(MIB / 5)}">${'&#x41;'.repeat(MIB / 6)}</a>`],
    ['many siblings', () => `<a>${'<b c="d">e</b>'.repeat(MIB / 14)}</a>`],
    ['many comments and CDATA sections', () => `<a>${'<!-- - --><![CDATA[]]]>'.repeat(MIB / 23)}</a>`],
    ['a long name', () => `<${'n'.repeat(4 * MIB)}/>`],
    ['a long attribute value of line breaks', () => `<a x="${'\r\n\t'.repeat(MIB)}"/>`],
  ])('%s: read in linear time', (_label, make) => {
    const xml = make();
    const started = performance.now();
    parseXml(xml, 'r.xml');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test.each<[string, () => string]>([
    ['digits of a character reference without end', () => `<a>&#${'9'.repeat(4 * MIB)}`],
    ['an unterminated comment of dashes', () => `<a><!-- ${'- '.repeat(2 * MIB)}`],
    ['attributes never closed', () => `<a${' x'.repeat(2 * MIB)}`],
    ['a DOCTYPE of quotes', () => `<!DOCTYPE a ${'"x" '.repeat(MIB)}`],
  ])('%s: refused in linear time', (_label, make) => {
    const xml = make();
    const started = performance.now();
    expect(configurationMistake(() => parseXml(xml, 'r.xml'))).toMatch(/^r\.xml:\d+: malformed XML: /);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('the fixtures read alike by this reader and by fast-xml-parser', () => {
  // Order preserved, values as strings, references decoded (htmlEntities is what turns character references
  // on; the fixtures hold no HTML entity, which this reader refuses).
  const reference = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: true,
    htmlEntities: true,
  });

  type Node = Record<string, unknown>;
  const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;

  /** fast-xml-parser's ordered output as the same plain tree: `{tag: [nodes], ':@': {attributes}}` or `{'#text'}`. */
  function fromReference(nodes: unknown[]): Tree[] {
    return nodes.filter(isNode).flatMap((node) => {
      const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
      if (name === undefined) return [];
      const content = Array.isArray(node[name]) ? (node[name] as unknown[]) : [];
      const text = content
        .filter(isNode)
        .map((child) => child['#text'])
        .filter((value) => typeof value === 'string')
        .join('');
      const attributes = isNode(node[':@']) ? (node[':@'] as Record<string, string>) : {};
      return [tree(name, { ...attributes }, text, fromReference(content))];
    });
  }

  function xmlFiles(directory: string): string[] {
    return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return xmlFiles(path);
      return entry.name.endsWith('.xml') ? [path] : [];
    });
  }
  const fixtures = xmlFiles(samples).map((path) => relative(samples, path));

  test('the fixtures hold the reports of every tool the action documents', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  test.each(fixtures)('%s', (fixture) => {
    const xml = readFileSync(join(samples, fixture), 'utf8');
    const expected = fromReference(reference.parse(xml) as unknown[]);
    expect([plain(parseXml(xml, fixture))]).toEqual(expected);
  });
});
