// `kustomize edit set image` applied to a kustomization's text: the images entries kustomize would write,
// everything else in the file kept byte for byte.
import { parseYamlDocument, type ParsedYaml } from '@shiprail/core';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  stringify,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { IMAGE_FIELDS, resolveImageEntry, sameImageEntry, type ImageEntry, type ImageField } from './image-args.ts';

/** What one argument did to one kustomization: `before` is absent for an entry that was added. */
export interface ImageChange {
  name: string;
  before?: ImageEntry;
  after: ImageEntry;
}

export interface KustomizationEdit {
  text: string;
  changes: ImageChange[];
}

/** A replacement of `text.slice(start, end)`; `order` keeps insertions at one position in sequence. */
interface Splice {
  start: number;
  end: number;
  text: string;
  order: number;
}

interface ExistingEntry {
  node: YAMLMap;
  entry: ImageEntry;
}

/**
 * Applies `kustomize edit set image` arguments to the text of a kustomization. The resulting `images:`
 * entries are those kustomize writes; everything else in the file is kept byte for byte: the document
 * is parsed with positions and only the affected scalars, lines and entries are spliced.
 */
export async function setKustomizationImages(
  text: string,
  file: string,
  imageArguments: ImageEntry[],
): Promise<KustomizationEdit> {
  const parsed = await parseYamlDocument(text, { file });
  const root = parsed.document.contents;
  if (root !== null && !(isMap(root) && !root.flow)) {
    throw parsed.mistake([], 'a kustomization must be a block mapping of fields (apiVersion, kind, resources, …)');
  }
  const imagesPair = root?.items.find((pair) => isScalar(pair.key) && pair.key.value === 'images');
  const imagesValue = imagesPair?.value ?? null;
  // `images: []` is as empty as `images:`: entries are written as a block list, as kustomize does.
  const sequence = isSeq(imagesValue) && imagesValue.items.length > 0 ? imagesValue : undefined;
  const emptyValue =
    imagesValue === null || (isScalar(imagesValue) && imagesValue.value === null) || isSeq(imagesValue);
  if (sequence === undefined && !emptyValue) {
    throw parsed.mistake(['images'], 'must be a list of entries with name, newName, newTag and digest');
  }
  const existing = readEntries(parsed, sequence);

  const editor = new SpliceList(text);
  const changes: ImageChange[] = [];
  const added: ImageEntry[] = [];
  const replaced = new Map<YAMLMap, ImageEntry>();
  const dropped = new Set<YAMLMap>();
  for (const argument of imageArguments) {
    const matches = existing.filter((candidate) => candidate.entry.name === argument.name);
    const [first, ...duplicates] = matches;
    const after = resolveImageEntry(argument, first?.entry);
    if (first === undefined) {
      added.push(after);
      changes.push({ name: after.name, after });
      continue;
    }
    // kustomize keeps one entry per name: later duplicates are folded into the first.
    for (const duplicate of duplicates) dropped.add(duplicate.node);
    if (sameImageEntry(first.entry, after) && duplicates.length === 0) continue;
    replaced.set(first.node, after);
    changes.push({ name: after.name, before: first.entry, after });
  }
  if (changes.length === 0) return { text, changes };

  if (sequence !== undefined && sequence.flow) {
    editor.replace(sequence.range, renderFlowSequence(text, existing, replaced, dropped, added));
  } else {
    for (const [node, after] of replaced) editEntry(editor, node, after);
    for (const node of dropped) editor.remove(lineStart(text, node.range?.[0] ?? 0), lineEndAfter(text, node));
    if (added.length > 0) insertEntries(editor, root, imagesPair, sequence, existing, added);
  }
  return { text: editor.apply(), changes };
}

/** The `images:` entries of a kustomization, in file order (the order kustomize applies them in). */
export async function readKustomizationImages(text: string, file: string): Promise<ImageEntry[]> {
  const parsed = await parseYamlDocument(text, { file });
  const root = parsed.document.contents;
  const images = isMap(root) ? root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'images') : undefined;
  const value = images?.value;
  return isSeq(value) ? readEntries(parsed, value).map(({ entry }) => entry) : [];
}

function readEntries(parsed: ParsedYaml, sequence: YAMLSeq | undefined): ExistingEntry[] {
  return (sequence?.items ?? []).map((item, index) => {
    if (!isMap(item)) throw parsed.mistake(['images', index], 'an images entry must be a mapping with a name');
    const entry: Partial<ImageEntry> = {};
    for (const pair of item.items) {
      const field = fieldOf(pair);
      if (field === undefined) continue;
      if (!isScalar(pair.value)) throw parsed.mistake(['images', index, field], 'must be a plain value');
      const value = scalarText(pair.value);
      if (value !== '') entry[field] = value;
    }
    if (entry.name === undefined) throw parsed.mistake(['images', index], 'an images entry needs a name');
    return { node: item, entry: { ...entry, name: entry.name } };
  });
}

function fieldOf(pair: Pair): ImageField | undefined {
  if (!isScalar(pair.key)) return undefined;
  const key = pair.key.value;
  return IMAGE_FIELDS.find((field) => field === key);
}

/** The value as written: `1.10` stays `1.10` (kustomize reads every field as a string). */
function scalarText(node: Scalar): string {
  if (node.value === null) return '';
  if (typeof node.source === 'string') return node.source;
  const value: unknown = node.value;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** A scalar in the style the file used for it; new values are quoted only when YAML needs it. */
function renderScalar(value: string, style: Scalar.Type | undefined, flow = false): string {
  if (style === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  const plain = stringify(value, { lineWidth: 0 }).trimEnd();
  return flow && /[,[\]{}]/.test(plain) ? JSON.stringify(value) : plain;
}

function entryFields(entry: ImageEntry): Array<[ImageField, string]> {
  return IMAGE_FIELDS.flatMap((field) => {
    const value = entry[field];
    return value === undefined ? [] : [[field, value] as [ImageField, string]];
  });
}

/** Updates an existing entry in place: changed values, removed fields, new fields at its end. */
function editEntry(editor: SpliceList, node: YAMLMap, after: ImageEntry): void {
  if (node.flow) {
    editor.replace(node.range, renderFlowEntry(node, after));
    return;
  }
  const { text } = editor;
  const present = new Set<ImageField>();
  let lastKept: Pair | undefined;
  node.items.forEach((pair, index) => {
    const field = fieldOf(pair);
    if (field === undefined) {
      lastKept = pair;
      return;
    }
    const value = after[field];
    const scalar = pair.value as Scalar;
    if (value === undefined) {
      removePair(editor, node.items, index);
      return;
    }
    present.add(field);
    lastKept = pair;
    if (scalarText(scalar) !== value) editor.replace(scalar.range, renderScalar(value, scalar.type));
  });
  const missing = entryFields(after).filter(([field]) => !present.has(field));
  if (missing.length === 0 || lastKept === undefined) return;
  const firstKey = node.items[0]?.key as Node;
  const indent = ' '.repeat(column(text, firstKey.range?.[0] ?? 0));
  const at = lineEnd(text, contentEnd(lastKept));
  editor.insert(at, missing.map(([field, value]) => `\n${indent}${field}: ${renderScalar(value, undefined)}`).join(''));
}

function removePair(editor: SpliceList, pairs: Pair[], index: number): void {
  const { text } = editor;
  const pair = pairs[index];
  const key = pair?.key as Node | undefined;
  if (pair === undefined || !key?.range) return;
  const start = lineStart(text, key.range[0]);
  if (text.slice(start, key.range[0]).trim() === '') {
    const end = nextLineStart(text, contentEnd(pair));
    // On a last line without a newline, the line break before it goes instead.
    const from =
      end === text.length && !text.endsWith('\n') && start > 0 ? start - (text[start - 2] === '\r' ? 2 : 1) : start;
    editor.remove(from, end);
    return;
  }
  // The pair shares its line with the entry's dash: the next key moves up onto that line.
  const nextKey = pairs[index + 1]?.key as Node | undefined;
  if (nextKey?.range) editor.remove(key.range[0], nextKey.range[0]);
}

function insertEntries(
  editor: SpliceList,
  root: YAMLMap | null,
  imagesPair: Pair | undefined,
  sequence: YAMLSeq | undefined,
  existing: ExistingEntry[],
  added: ImageEntry[],
): void {
  const { text } = editor;
  const sorted = [...added].sort((left, right) => compareNames(left.name, right.name));
  const firstItem = existing[0]?.node;
  if (sequence !== undefined && firstItem?.range) {
    const itemStart = firstItem.range[0];
    const dashPrefix = text.slice(lineStart(text, itemStart), itemStart);
    const prefix = /^ *- +$/.test(dashPrefix) ? dashPrefix : '- ';
    const render = (entry: ImageEntry): string => renderBlockEntry(entry, prefix);
    // New entries go where kustomize's name order puts them; existing entries keep their places.
    const pending = [...sorted];
    for (const { node, entry } of existing) {
      const before = takeBefore(pending, entry.name);
      if (before.length > 0) editor.insert(entryInsertionPoint(text, node), before.map(render).join('\n') + '\n');
    }
    if (pending.length > 0) {
      const last = existing[existing.length - 1]?.node ?? firstItem;
      // At the start of the line after the last entry: clear of edits to that entry's own lines.
      const at = nextLineStart(text, contentEnd(last));
      const block = pending.map(render).join('\n');
      editor.insert(at, at === text.length && !text.endsWith('\n') ? `\n${block}` : `${block}\n`);
    }
    return;
  }
  const prefix = `${' '.repeat(sequenceIndent(text, root))}- `;
  const lines = sorted.map((entry) => renderBlockEntry(entry, prefix)).join('\n');
  if (imagesPair === undefined) {
    const keyIndent = ' '.repeat(column(text, (root?.items[0]?.key as Node | undefined)?.range?.[0] ?? 0));
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    editor.insert(text.length, `${separator}${keyIndent}images:\n${lines}\n`);
    return;
  }
  // `images:` with no value (or `[]`): the entries go below the key, a comment on its line stays.
  const key = imagesPair.key as Node;
  const colon = text.indexOf(':', key.range?.[1] ?? 0);
  const value = imagesPair.value as Node | null;
  const written = value?.range && value.range[1] > value.range[0] ? value.range : undefined;
  const end = lineEnd(text, colon + 1);
  if (written !== undefined) {
    // `images: []` or `images: ~` lose the value (and the space before it when nothing follows).
    if (text.slice(written[1], end).trim() === '') editor.remove(colon + 1, end);
    else editor.remove(written[0], written[1]);
  }
  editor.insert(end, `\n${lines}`);
}

function renderBlockEntry(entry: ImageEntry, prefix: string): string {
  const continuation = ' '.repeat(prefix.length);
  return entryFields(entry)
    .map(([field, value], index) => `${index === 0 ? prefix : continuation}${field}: ${renderScalar(value, undefined)}`)
    .join('\n');
}

/** A flow entry keeps its key order and quoting; new fields follow in kustomize's order. */
function renderFlowEntry(node: YAMLMap | undefined, after: ImageEntry): string {
  const parts: string[] = [];
  const written = new Set<string>();
  for (const pair of node?.items ?? []) {
    const field = fieldOf(pair);
    const keyText = isScalar(pair.key) ? String(pair.key.value) : '';
    if (field === undefined) {
      parts.push(
        `${keyText}: ${isScalar(pair.value) ? renderScalar(scalarText(pair.value), pair.value.type, true) : String(pair.value)}`,
      );
      continue;
    }
    const value = after[field];
    if (value === undefined) continue;
    written.add(field);
    parts.push(`${field}: ${renderScalar(value, (pair.value as Scalar).type, true)}`);
  }
  for (const [field, value] of entryFields(after)) {
    if (!written.has(field)) parts.push(`${field}: ${renderScalar(value, undefined, true)}`);
  }
  return `{${parts.join(', ')}}`;
}

function renderFlowSequence(
  text: string,
  existing: ExistingEntry[],
  replaced: Map<YAMLMap, ImageEntry>,
  dropped: Set<YAMLMap>,
  added: ImageEntry[],
): string {
  const pending = [...added].sort((left, right) => compareNames(left.name, right.name));
  const parts: string[] = [];
  for (const { node, entry } of existing) {
    for (const newEntry of takeBefore(pending, entry.name)) parts.push(renderFlowEntry(undefined, newEntry));
    if (dropped.has(node)) continue;
    const after = replaced.get(node);
    parts.push(after === undefined ? text.slice(node.range?.[0], node.range?.[1]) : renderFlowEntry(node, after));
  }
  for (const entry of pending) parts.push(renderFlowEntry(undefined, entry));
  return `[${parts.join(', ')}]`;
}

/** Removes and returns the leading entries of a sorted list that sort before `name`. */
function takeBefore(sorted: ImageEntry[], name: string): ImageEntry[] {
  let count = 0;
  while (count < sorted.length && compareNames(sorted[count]?.name ?? '', name) < 0) count += 1;
  return sorted.splice(0, count);
}

/** kustomize sorts entries by name, byte-wise (Go string order). */
function compareNames(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

/** The indentation of `- ` under a key that other block lists of the file use (0 when none). */
function sequenceIndent(text: string, root: YAMLMap | null): number {
  for (const pair of root?.items ?? []) {
    const value = pair.value;
    const key = pair.key as Node;
    if (!isSeq(value) || value.flow || !value.range || !key.range) continue;
    return Math.max(0, column(text, value.range[0]) - column(text, key.range[0]));
  }
  return 0;
}

/** Above an entry and the comment lines directly over it (they describe it). */
function entryInsertionPoint(text: string, node: YAMLMap): number {
  let start = lineStart(text, node.range?.[0] ?? 0);
  while (start > 0) {
    const previous = lineStart(text, start - 1);
    if (!text.slice(previous, start).trim().startsWith('#')) break;
    start = previous;
  }
  return start;
}

/** Where a node's own text ends (block collections end at their last value, not the next line). */
function contentEnd(node: Node | Pair | null | undefined): number {
  if (node === null || node === undefined) return 0;
  if (isPair(node)) return Math.max(contentEnd(node.value as Node), contentEnd(node.key as Node));
  const asNode = node;
  if ((isMap(asNode) || isSeq(asNode)) && !asNode.flow) {
    const items = asNode.items as Array<Node | Pair>;
    const last = items[items.length - 1];
    if (last !== undefined) return contentEnd(last);
  }
  return asNode.range?.[1] ?? 0;
}

function lineEndAfter(text: string, node: Node): number {
  return nextLineStart(text, contentEnd(node));
}

function nextLineStart(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end + 1;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The end of the line's content: before its `\n` (or `\r\n`). */
function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  if (end < 0) return text.length;
  return end > offset && text[end - 1] === '\r' ? end - 1 : end;
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

class SpliceList {
  readonly text: string;
  private readonly splices: Splice[] = [];

  constructor(text: string) {
    this.text = text;
  }

  replace(range: readonly number[] | null | undefined, replacement: string): void {
    if (range?.[0] === undefined || range[1] === undefined) throw new Error('YAML node without a position');
    this.add(range[0], range[1], replacement);
  }

  remove(start: number, end: number): void {
    this.add(start, end, '');
  }

  insert(at: number, addition: string): void {
    this.add(at, at, addition);
  }

  /** New lines follow the file's line endings. */
  private add(start: number, end: number, text: string): void {
    const eol = this.text.includes('\r\n') ? '\r\n' : '\n';
    this.splices.push({ start, end, text: text.replace(/\n/g, eol), order: this.splices.length });
  }

  apply(): string {
    // At one position, insertions come before a removal that starts there.
    const ordered = [...this.splices].sort(
      (left, right) => left.start - right.start || left.end - right.end || left.order - right.order,
    );
    let result = '';
    let cursor = 0;
    let previousRemoved = false;
    for (const splice of ordered) {
      const removal = splice.text === '' && splice.end > splice.start;
      if (splice.start < cursor) {
        // Two removals may share a line break (the last line of a file without one): remove both.
        if (!(removal && previousRemoved)) throw new Error('overlapping edits of one kustomization');
        cursor = Math.max(cursor, splice.end);
        continue;
      }
      result += this.text.slice(cursor, splice.start) + splice.text;
      cursor = splice.end;
      previousRemoved = removal;
    }
    return result + this.text.slice(cursor);
  }
}
