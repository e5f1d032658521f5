// test-report's XML reader: XML 1.0 as test and coverage reports use it, read strictly. Elements,
// attributes, text, CDATA; comments, processing instructions, the XML declaration and a DOCTYPE without
// an internal subset are skipped. Entity declarations are refused outright (the "billion laughs"
// expansion, external entities): reports never declare entities, so only the five predefined entities and
// character references are decoded. One pass over the text with an explicit stack of open elements: time
// linear in the input and no recursion, whatever the nesting.
import { ConfigurationError } from '@shiprail/core';

export interface XmlElement {
  name: string;
  /** Values as XML normalizes them: literal tabs and line breaks are spaces, references decoded. */
  attributes: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** The element's own character data, CDATA included, line breaks as `\n` (its children's is theirs). */
  text: string;
}

/** Parses an XML document; malformed XML is a ConfigurationError at its file and line. Returns the root. */
export function parseXml(source: string, file: string): XmlElement {
  return new XmlReader(source, file).read();
}

/** The children named `name`, in document order. */
export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The first child named `name`, if any. */
export function firstChild(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

// Character codes the reader compares with.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const EXCLAMATION_MARK = 0x21;
const DOUBLE_QUOTE = 0x22;
const NUMBER_SIGN = 0x23;
const AMPERSAND = 0x26;
const SINGLE_QUOTE = 0x27;
const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const LESS_THAN = 0x3c;
const EQUALS = 0x3d;
const GREATER_THAN = 0x3e;
const QUESTION_MARK = 0x3f;
const OPEN_BRACKET = 0x5b;
const LOWER_X = 0x78;

/** The control characters and non-characters XML excludes (a file read as UTF-8 holds no lone surrogate). */
const ILLEGAL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** The five entities XML predefines; reports declare no others. */
function predefinedEntity(name: string): string | undefined {
  switch (name) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'apos':
      return "'";
    case 'quot':
      return '"';
    default:
      return undefined;
  }
}

const isSpace = (code: number): boolean => code === SPACE || code === LF || code === TAB || code === CR;

/** XML 1.0 (fifth edition) NameStartChar, by code point. */
function isNameStart(code: number): boolean {
  if (code < 0x80)
    return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code === 0x3a;
  return (
    (code >= 0xc0 && code <= 0x2ff && code !== 0xd7 && code !== 0xf7) ||
    (code >= 0x370 && code <= 0x1fff && code !== 0x37e) ||
    code === 0x200c ||
    code === 0x200d ||
    (code >= 0x2070 && code <= 0x218f) ||
    (code >= 0x2c00 && code <= 0x2fef) ||
    (code >= 0x3001 && code <= 0xd7ff) ||
    (code >= 0xf900 && code <= 0xfdcf) ||
    (code >= 0xfdf0 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0xeffff)
  );
}

/** XML 1.0 NameChar: a NameStartChar, or `-`, `.`, a digit, `·`, a combining mark, `‿` or `⁀`. */
function isNameChar(code: number): boolean {
  return (
    isNameStart(code) ||
    code === 0x2d ||
    code === 0x2e ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0xb7 ||
    (code >= 0x300 && code <= 0x36f) ||
    code === 0x203f ||
    code === 0x2040
  );
}

/** XML 1.0 Char, for character references (literal characters are checked once, by ILLEGAL_CHARACTER). */
const isXmlChar = (code: number): boolean =>
  code === TAB ||
  code === LF ||
  code === CR ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

/** A name from the document as an error message quotes it: never longer than a line's worth. */
const quoted = (name: string): string => (name.length > 60 ? `${name.slice(0, 60)}…` : name);

class XmlReader {
  private readonly source: string;
  private readonly file: string;
  /** The offset of the next character to read. */
  private position = 0;
  /** The elements open at `position`, outermost first, and the offsets of their `<`. */
  private readonly open: XmlElement[] = [];
  private readonly openedAt: number[] = [];
  private root: XmlElement | undefined;
  private doctypeSeen = false;

  constructor(source: string, file: string) {
    this.source = source;
    this.file = file;
  }

  read(): XmlElement {
    const illegal = ILLEGAL_CHARACTER.exec(this.source);
    if (illegal) {
      const code = illegal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      this.fail(`U+${code} is not a character XML allows`, illegal.index);
    }
    if (this.source.charCodeAt(0) === 0xfeff) this.position = 1;
    if (this.source.startsWith('<?xml', this.position) && isSpace(this.source.charCodeAt(this.position + 5))) {
      this.skipPast('?>', this.position, 'the XML declaration');
    }
    while (this.position < this.source.length) this.step();
    const unclosed = this.open.at(-1);
    if (unclosed) this.fail(`<${quoted(unclosed.name)}> is never closed`, this.openedAt.at(-1) ?? 0);
    if (!this.root) this.fail('no root element', this.source.length);
    return this.root;
  }

  /** Reads one piece: character data, or markup starting with `<`. */
  private step(): void {
    const { source, position } = this;
    const parent = this.open.at(-1);
    if (source.charCodeAt(position) !== LESS_THAN) {
      if (parent) this.characterData(parent);
      else this.spaceOutsideRoot();
      return;
    }
    const next = source.charCodeAt(position + 1);
    if (next === SLASH) this.endTag();
    else if (next === QUESTION_MARK) this.processingInstruction();
    else if (source.startsWith('<!--', position)) this.comment();
    else if (source.startsWith('<![CDATA[', position)) this.cdata(parent);
    else if (source.startsWith('<!DOCTYPE', position)) this.doctype();
    else if (source.startsWith('<!ENTITY', position)) this.refuseEntities(position);
    else if (next === EXCLAMATION_MARK) this.fail(`'<!' starts no comment, CDATA section or DOCTYPE`, position);
    else this.startTag(parent);
  }

  /** Text up to the next `<`, references decoded, line breaks normalized to `\n`. */
  private characterData(parent: XmlElement): void {
    const { source } = this;
    let text = '';
    let start = this.position;
    let index = start;
    while (index < source.length) {
      const code = source.charCodeAt(index);
      if (code === LESS_THAN) break;
      if (code === AMPERSAND) {
        text += lineBreaksAsLf(source.slice(start, index));
        this.position = index;
        text += this.reference();
        start = index = this.position;
      } else index += 1;
    }
    parent.text += text + lineBreaksAsLf(source.slice(start, index));
    this.position = index;
  }

  /** Outside the root element only white space may stand between the markup. */
  private spaceOutsideRoot(): void {
    this.skipSpace();
    if (this.position < this.source.length && this.source.charCodeAt(this.position) !== LESS_THAN) {
      this.fail(this.root ? 'text after the root element' : 'text before the root element', this.position);
    }
  }

  private startTag(parent: XmlElement | undefined): void {
    const start = this.position;
    this.position += 1;
    const name = this.name('an element name');
    const attributes = new Map<string, string>();
    for (;;) {
      const spaced = this.skipSpace();
      const code = this.source.charCodeAt(this.position);
      const empty = code === SLASH && this.source.charCodeAt(this.position + 1) === GREATER_THAN;
      if (code === GREATER_THAN || empty) {
        this.position += empty ? 2 : 1;
        this.place({ name, attributes, children: [], text: '' }, parent, start, empty);
        return;
      }
      if (this.position >= this.source.length) this.fail(`the start tag of <${quoted(name)}> is never closed`, start);
      if (!spaced && isNameStart(code)) {
        this.fail(`attributes of <${quoted(name)}> must be separated by white space`, this.position);
      }
      this.attribute(name, attributes);
    }
  }

  /** Reads `name = "value"` into `attributes`. */
  private attribute(element: string, attributes: Map<string, string>): void {
    const start = this.position;
    const name = this.name(`an attribute name in <${quoted(element)}>`);
    if (attributes.has(name)) this.fail(`attribute ${quoted(name)} is repeated`, start);
    this.skipSpace();
    if (this.source.charCodeAt(this.position) !== EQUALS) {
      this.fail(`attribute ${quoted(name)} has no '=' and value`, this.position);
    }
    this.position += 1;
    this.skipSpace();
    const quote = this.source.charCodeAt(this.position);
    if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) {
      this.fail(`the value of attribute ${quoted(name)} is not quoted`, this.position);
    }
    this.position += 1;
    attributes.set(name, this.attributeValue(quote, name));
  }

  /** An attribute value up to its closing quote: references decoded, literal white space as spaces. */
  private attributeValue(quote: number, name: string): string {
    const { source } = this;
    const opened = this.position - 1;
    let value = '';
    let start = this.position;
    // Tabs and line breaks are the only characters below a space once ILLEGAL_CHARACTER found none.
    let whiteSpace = false;
    let index = start;
    while (index < source.length) {
      const code = source.charCodeAt(index);
      if (code === quote || code === AMPERSAND) {
        const literal = source.slice(start, index);
        value += whiteSpace ? whiteSpaceAsSpaces(literal) : literal;
        this.position = index;
        if (code === quote) break;
        value += this.reference();
        start = index = this.position;
      } else {
        if (code < SPACE) whiteSpace = true;
        else if (code === LESS_THAN) this.fail(`'<' in the value of attribute ${quoted(name)}`, index);
        index += 1;
      }
    }
    if (index >= source.length) this.fail(`the value of attribute ${quoted(name)} is never closed`, opened);
    this.position += 1;
    return value;
  }

  /** Places a new element: the root, or its parent's last child; an open element until its end tag. */
  private place(element: XmlElement, parent: XmlElement | undefined, start: number, empty: boolean): void {
    if (parent) parent.children.push(element);
    else if (this.root) this.fail(`a second root element <${quoted(element.name)}>`, start);
    else this.root = element;
    if (empty) return;
    this.open.push(element);
    this.openedAt.push(start);
  }

  private endTag(): void {
    const start = this.position;
    this.position += 2;
    const name = this.name('an element name');
    this.skipSpace();
    if (this.source.charCodeAt(this.position) !== GREATER_THAN) {
      this.fail(`the end tag </${quoted(name)}> is not closed by '>'`, this.position);
    }
    const element = this.open.pop();
    const openedAt = this.openedAt.pop() ?? 0;
    if (!element) this.fail(`</${quoted(name)}> closes no open element`, start);
    if (element.name !== name) {
      const opened = this.lineOf(openedAt);
      this.fail(`</${quoted(name)}> closes <${quoted(element.name)}>, opened on line ${opened}`, start);
    }
    this.position += 1;
  }

  private processingInstruction(): void {
    const start = this.position;
    this.position += 2;
    const target = this.name('a processing instruction target');
    if (target.toLowerCase() === 'xml') this.fail('an XML declaration not at the start of the document', start);
    if (!this.source.startsWith('?>', this.position) && !isSpace(this.source.charCodeAt(this.position))) {
      this.fail(`the processing instruction <?${quoted(target)} is malformed`, this.position);
    }
    this.skipPast('?>', start, 'a processing instruction');
  }

  private comment(): void {
    const start = this.position;
    const dashes = this.source.indexOf('--', start + 4);
    if (dashes === -1) this.fail('a comment is never closed', start);
    if (this.source.charCodeAt(dashes + 2) !== GREATER_THAN) this.fail("'--' inside a comment", dashes);
    this.position = dashes + 3;
  }

  private cdata(parent: XmlElement | undefined): void {
    const start = this.position;
    if (!parent) this.fail('a CDATA section outside the root element', start);
    this.position += 9;
    const end = this.skipPast(']]>', start, 'a CDATA section');
    parent.text += lineBreaksAsLf(this.source.slice(start + 9, end));
  }

  /** `<!DOCTYPE name ...>` is skipped; an internal subset `[...]` is refused, as it may declare entities. */
  private doctype(): void {
    const start = this.position;
    if (this.root) this.fail('a DOCTYPE after the root element', start);
    if (this.doctypeSeen) this.fail('a second DOCTYPE', start);
    this.doctypeSeen = true;
    this.position += 9;
    if (!this.skipSpace()) this.fail('a DOCTYPE without a name', start);
    this.name('the DOCTYPE name');
    const { source } = this;
    for (let index = this.position; index < source.length; index += 1) {
      const code = source.charCodeAt(index);
      if (code === GREATER_THAN) {
        this.position = index + 1;
        return;
      }
      if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE) {
        index = source.indexOf(code === DOUBLE_QUOTE ? '"' : "'", index + 1);
        if (index === -1) break;
      } else if (code === OPEN_BRACKET) {
        const entity = source.indexOf('<!ENTITY', index);
        this.refuseEntities(entity === -1 ? index : entity);
      }
    }
    this.fail('the DOCTYPE is never closed', start);
  }

  private refuseEntities(offset: number): never {
    throw new ConfigurationError('declares XML entities (<!ENTITY>), which reports never do; refusing to expand them', {
      file: this.file,
      line: this.lineOf(offset),
    });
  }

  /** `&name;` or `&#...;`: one of the five predefined entities, or a character reference. */
  private reference(): string {
    const start = this.position;
    if (this.source.charCodeAt(start + 1) === NUMBER_SIGN) return this.characterReference();
    this.position += 1;
    const name = this.name("an entity name after '&'");
    if (this.source.charCodeAt(this.position) !== SEMICOLON) this.fail(`'&${quoted(name)}' is not ended by ';'`, start);
    const value = predefinedEntity(name);
    if (value === undefined) {
      this.fail(`&${quoted(name)}; is not an XML entity (only &lt; &gt; &amp; &apos; &quot; and &#...;)`, start);
    }
    this.position += 1;
    return value;
  }

  /** `&#65;` or `&#x41;`: a character XML allows, however many digits are written. */
  private characterReference(): string {
    const { source } = this;
    const start = this.position;
    const hex = source.charCodeAt(start + 2) === LOWER_X;
    const digits = start + (hex ? 3 : 2);
    let code = 0;
    let index = digits;
    for (; index < source.length; index += 1) {
      const digit = digitValue(source.charCodeAt(index), hex);
      if (digit === -1) break;
      code = Math.min(code * (hex ? 16 : 10) + digit, 0x110000);
    }
    if (index === digits || source.charCodeAt(index) !== SEMICOLON) {
      this.fail('a character reference is not &#digits; or &#xhex;', start);
    }
    if (!isXmlChar(code)) this.fail(`${quoted(source.slice(start, index + 1))} is not a character XML allows`, start);
    this.position = index + 1;
    return String.fromCodePoint(code);
  }

  /** Reads an XML name; a malformed one is an error naming `what` was expected. */
  private name(what: string): string {
    const { source } = this;
    const start = this.position;
    let index = start;
    while (index < source.length) {
      const code = source.codePointAt(index) ?? 0;
      if (!(index === start ? isNameStart(code) : isNameChar(code))) break;
      index += code > 0xffff ? 2 : 1;
    }
    if (index === start) this.fail(`${what} is expected here`, start);
    this.position = index;
    return source.slice(start, index);
  }

  /** Skips white space; tells whether there was any. */
  private skipSpace(): boolean {
    const start = this.position;
    while (this.position < this.source.length && isSpace(this.source.charCodeAt(this.position))) this.position += 1;
    return this.position > start;
  }

  /** Moves past the next `terminator` and returns its offset; an error at `start` when there is none. */
  private skipPast(terminator: string, start: number, what: string): number {
    const index = this.source.indexOf(terminator, this.position);
    if (index === -1) this.fail(`${what} is never closed`, start);
    this.position = index + terminator.length;
    return index;
  }

  private lineOf(offset: number): number {
    let line = 1;
    for (let index = 0; index < offset; index += 1) if (this.source.charCodeAt(index) === LF) line += 1;
    return line;
  }

  private fail(reason: string, offset: number): never {
    throw new ConfigurationError(`malformed XML: ${reason}`, { file: this.file, line: this.lineOf(offset) });
  }
}

function digitValue(code: number, hex: boolean): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (!hex) return -1;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** XML's end-of-line handling: `\r\n` and a lone `\r` are `\n`. */
const lineBreaksAsLf = (text: string): string => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);

/** XML's attribute-value normalization of literal white space: a tab, `\n`, `\r` or `\r\n` is one space. */
const whiteSpaceAsSpaces = (text: string): string => text.replace(/\r\n?|[\t\n]/g, ' ');
