// An OCI image layout a build command wrote, read and verified blob by blob before anything of it is pushed.
import { ConfigurationError, escapeUntrusted } from '@shiprail/core';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryClient } from './registry.ts';

/** A content descriptor of an OCI image layout (or of a manifest inside it). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A manifest or index of the layout, with its exact bytes: they are pushed as they are. */
export interface LayoutManifest extends Descriptor {
  body: Uint8Array;
}

/** An OCI image layout holding one image (a manifest, or an index of manifests), read and verified. */
export interface OciLayout {
  directory: string;
  /** The manifest or index `index.json` names: its digest is the image's digest in any registry. */
  top: LayoutManifest;
  /** Every manifest below the top one, children before the index that names them. */
  children: LayoutManifest[];
  /** Config and layer blobs of every manifest, each once. */
  blobs: Descriptor[];
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const IMAGE_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Indexes inside indexes: deeper than this is not an image a builder wrote. */
const MAX_DEPTH = 4;

const mistake = (message: string): ConfigurationError => new ConfigurationError(message, { input: 'oci-layout' });

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** A descriptor from JSON, or a mistake that says where it was read. */
function descriptorOf(value: unknown, where: string): Descriptor {
  const { mediaType, digest, size } = record(value);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw mistake(`${where} has no valid digest (sha256:<64 hex>)`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw mistake(`${where} has no valid size`);
  return { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
}

/** node:crypto is loaded by the first digest: a step that stops at its inputs reads no layout. */
const digestOf = (algorithm: string, bytes: Uint8Array): string =>
  `${algorithm}:${process.getBuiltinModule('node:crypto').createHash(algorithm).update(bytes).digest('hex')}`;

/** The blob a descriptor names, verified: a regular file (no link out) of that size and digest. */
export async function readBlob(directory: string, descriptor: Descriptor): Promise<Uint8Array> {
  const [algorithm = '', hex = ''] = descriptor.digest.split(':');
  const path = join(directory, 'blobs', algorithm, hex);
  const shown = `blobs/${algorithm}/${hex}`;
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) throw mistake(`${directory} lacks ${shown}: the layout is incomplete`);
  if (!stats.isFile()) throw mistake(`${directory}: ${shown} is not a regular file`);
  if (stats.size !== descriptor.size) {
    throw mistake(`${directory}: ${shown} has ${stats.size} bytes where ${descriptor.size} are named`);
  }
  const bytes = await readFile(path);
  const actual = digestOf(algorithm, bytes);
  if (actual !== descriptor.digest) throw mistake(`${directory}: ${shown} has digest ${actual}: it was altered`);
  return bytes;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw mistake(`${path} does not exist: ${what}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw mistake(`${path} is not JSON`);
  }
}

/** Walks a manifest and everything below it, collecting child manifests and blobs in push order. */
async function collect(layout: OciLayout, manifest: LayoutManifest, depth: number, seen: Set<string>): Promise<void> {
  let parsed: Record<string, unknown>;
  try {
    parsed = record(JSON.parse(Buffer.from(manifest.body).toString('utf8')));
  } catch {
    throw mistake(`${layout.directory}: manifest ${manifest.digest} is not JSON`);
  }
  const where = `${layout.directory}: manifest ${manifest.digest}`;
  if (INDEX_TYPES.has(manifest.mediaType)) {
    if (depth >= MAX_DEPTH) throw mistake(`${where} nests indexes deeper than ${MAX_DEPTH}`);
    const entries = Array.isArray(parsed['manifests']) ? (parsed['manifests'] as unknown[]) : [];
    for (const [position, entry] of entries.entries()) {
      const descriptor = descriptorOf(entry, `${where}, manifests[${position}],`);
      if (seen.has(descriptor.digest)) continue;
      seen.add(descriptor.digest);
      const child = { ...descriptor, body: await readBlob(layout.directory, descriptor) };
      await collect(layout, child, depth + 1, seen);
      layout.children.push(child);
    }
    return;
  }
  if (!IMAGE_TYPES.has(manifest.mediaType)) {
    throw mistake(`${where} has media type '${escapeUntrusted(manifest.mediaType)}', which is no image manifest`);
  }
  const layers = Array.isArray(parsed['layers']) ? (parsed['layers'] as unknown[]) : [];
  const blobs = [parsed['config'], ...layers].map((entry, position) =>
    descriptorOf(entry, position === 0 ? `${where}, config,` : `${where}, layers[${position - 1}],`),
  );
  for (const blob of blobs) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    await readBlob(layout.directory, blob);
    layout.blobs.push(blob);
  }
}

/**
 * Reads and verifies the OCI image layout in `directory`: `oci-layout`, an `index.json` naming one
 * image, and every blob below it present with the digest and size its descriptor names.
 */
export async function readLayout(directory: string): Promise<OciLayout> {
  const marker = record(await readJson(join(directory, 'oci-layout'), 'it is not an OCI image layout'));
  if (typeof marker['imageLayoutVersion'] !== 'string') {
    throw mistake(`${join(directory, 'oci-layout')} has no imageLayoutVersion`);
  }
  const index = record(await readJson(join(directory, 'index.json'), 'the layout has no index'));
  const entries = Array.isArray(index['manifests']) ? (index['manifests'] as unknown[]) : [];
  if (entries.length !== 1) {
    throw mistake(`${join(directory, 'index.json')} names ${entries.length} images where one is expected`);
  }
  const descriptor = descriptorOf(entries[0], `${join(directory, 'index.json')}, manifests[0],`);
  const top = { ...descriptor, body: await readBlob(directory, descriptor) };
  const layout: OciLayout = { directory, top, children: [], blobs: [] };
  await collect(layout, top, 0, new Set([top.digest]));
  return layout;
}

export interface LayoutPush {
  uploaded: number;
  present: number;
}

/**
 * Pushes a layout byte for byte: blobs the registry lacks (asked first), then every child manifest
 * by digest, then the top manifest under each tag. The registry must report the layout's digest.
 */
export async function pushLayout(
  registry: RegistryClient,
  layout: OciLayout,
  tags: readonly string[],
): Promise<LayoutPush> {
  const counts: LayoutPush = { uploaded: 0, present: 0 };
  for (const blob of layout.blobs) {
    if (await registry.hasBlob(blob.digest)) {
      counts.present += 1;
      continue;
    }
    await registry.uploadBlob(blob.digest, await readBlob(layout.directory, blob));
    counts.uploaded += 1;
  }
  const puts: Array<[string, LayoutManifest]> = [
    ...layout.children.map((child): [string, LayoutManifest] => [child.digest, child]),
    ...tags.map((tag): [string, LayoutManifest] => [tag, layout.top]),
  ];
  for (const [reference, manifest] of puts) {
    const reported = await registry.putManifest(reference, manifest);
    if (reported !== manifest.digest) {
      throw new Error(
        `the registry reports ${escapeUntrusted(reported)} for ${reference}, not the layout's ${manifest.digest}`,
      );
    }
  }
  return counts;
}
