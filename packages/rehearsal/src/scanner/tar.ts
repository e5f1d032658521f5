// Reading a tar stream (an image layer) entry by entry, keeping the content of only the files asked for:
// a layer of hundreds of megabytes passes through without being held.
import type { Readable } from 'node:stream';

export interface TarEntry {
  /** The path as the layer names it, without a leading `./` or `/`. */
  path: string;
  /** `file`, `directory`, `symlink`, `hardlink` or `other`. */
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The content, for regular files `wanted` accepted; else undefined. */
  content: Buffer | undefined;
}

const BLOCK = 512;

const TYPES: Readonly<Record<string, TarEntry['type']>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'directory',
  '2': 'symlink',
  '1': 'hardlink',
};

/** The NUL-terminated text of a header field. */
function field(header: Buffer, start: number, length: number): string {
  const slice = header.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** A numeric field: octal text, or GNU's base-256 form for sizes of 8 GiB and more. */
function numeric(header: Buffer, start: number, length: number): number {
  if ((header[start] ?? 0) & 0x80) {
    let value = 0;
    for (let index = start + 1; index < start + length; index += 1) value = value * 256 + (header[index] ?? 0);
    return value;
  }
  const text = field(header, start, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** The `path` record of a PAX extended header (`<length> path=<value>\n` records). */
function paxPath(records: Buffer): string | undefined {
  let offset = 0;
  while (offset < records.length) {
    const space = records.indexOf(0x20, offset);
    const length = Number.parseInt(records.subarray(offset, space).toString('ascii'), 10);
    if (space === -1 || !Number.isFinite(length) || length <= 0) return undefined;
    const record = records.subarray(space + 1, offset + length - 1).toString('utf8');
    if (record.startsWith('path=')) return record.slice('path='.length);
    offset += length;
  }
  return undefined;
}

export const normalizeTarPath = (path: string): string => path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');

/** Reads bytes from a stream on demand. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Exactly `length` bytes, or undefined at the end of the stream. */
  async read(length: number): Promise<Buffer | undefined> {
    while (this.buffered.length < length) {
      const next = await this.iterator.next();
      if (next.done === true) return undefined;
      this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    }
    const bytes = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return bytes;
  }

  /** Skips `length` bytes without keeping them. */
  async skip(length: number): Promise<void> {
    let left = length;
    while (left > 0) {
      if (this.buffered.length === 0) {
        const next = await this.iterator.next();
        if (next.done === true) throw new Error('the layer ends inside an entry: it is truncated');
        this.buffered = next.value;
      }
      const taken = Math.min(left, this.buffered.length);
      this.buffered = this.buffered.subarray(taken);
      left -= taken;
    }
  }
}

/**
 * Every entry of a tar stream, in order; the content of a regular file is read when `wanted(path)` says
 * so. GNU long names and PAX paths are honoured.
 */
export async function* tarEntries(stream: Readable, wanted: (path: string) => boolean): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(stream);
  let longName: string | undefined;
  for (;;) {
    const header = await reader.read(BLOCK);
    if (header === undefined || header.every((byte) => byte === 0)) return;
    const size = numeric(header, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const flag = String.fromCharCode(header[156] ?? 0);
    if (flag === 'L' || flag === 'x') {
      const body = (await reader.read(padded)) ?? Buffer.alloc(0);
      longName = flag === 'L' ? field(body, 0, size) : (paxPath(body.subarray(0, size)) ?? longName);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    longName = undefined;
    const path = normalizeTarPath(name);
    const type = TYPES[flag] ?? 'other';
    if (type === 'file' && wanted(path)) {
      const body = await reader.read(padded);
      if (body === undefined) throw new Error(`the layer ends inside ${path}: it is truncated`);
      yield { path, type, content: Buffer.from(body.subarray(0, size)) };
    } else {
      await reader.skip(padded);
      yield { path, type, content: undefined };
    }
  }
}
