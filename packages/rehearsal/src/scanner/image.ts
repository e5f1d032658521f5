// An image as a scanner reads it: an OCI image layout directory (what build-push writes before the push),
// its manifest, config and layers, and the files of the merged layers a scanner looks at, with the layer
// each came from. Whiteouts remove what lower layers wrote, as a container's filesystem would.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { normalizeTarPath, tarEntries } from './tar.ts';

export interface ImageLayer {
  /** The layer blob's digest (compressed, as the manifest names it). */
  digest: string;
  /** The digest of its uncompressed tar, from the config's `rootfs.diff_ids`. */
  diffId: string;
  mediaType: string;
}

export interface ImageFile {
  content: Buffer;
  layer: ImageLayer;
}

export interface ScannedImage {
  /** The config's digest: Trivy's ImageID. */
  imageId: string;
  config: Record<string, unknown>;
  layers: ImageLayer[];
  /** The files `wanted` accepted, as the merged layers have them: path (without leading `/`) → content. */
  files: Map<string, ImageFile>;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string };
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** The path of a blob in the layout, refusing a digest that is not `sha256:<hex>` (it names a file). */
function blobPath(layout: string, digest: string | undefined): string {
  const match = /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(digest ?? '');
  if (!match) throw new Error(`the image layout names a blob '${digest ?? ''}' that is not a digest`);
  return join(layout, 'blobs', match[1] ?? '', match[2] ?? '');
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** The manifest an index names for this platform (linux/amd64 first, as Trivy picks), else its first. */
function pickManifest(manifests: Descriptor[]): Descriptor | undefined {
  const linux = manifests.filter((entry) => (entry.platform?.os ?? 'linux') === 'linux');
  return linux.find((entry) => (entry.platform?.architecture ?? 'amd64') === 'amd64') ?? linux[0] ?? manifests[0];
}

/** The image manifest of an OCI layout, following indexes down to one image. */
async function layoutManifest(layout: string): Promise<Record<string, unknown>> {
  let document = await readJson(join(layout, 'index.json')).catch((error: unknown) => {
    throw new Error(`${layout} is not an OCI image layout (no readable index.json): ${String(error)}`);
  });
  for (let depth = 0; depth < 4; depth += 1) {
    const manifests = document['manifests'];
    if (!Array.isArray(manifests)) return document;
    const chosen = pickManifest(manifests as Descriptor[]);
    if (chosen === undefined) throw new Error(`${layout} holds no image: its index lists no manifest`);
    document = await readJson(blobPath(layout, chosen.digest));
    const mediaType = typeof document['mediaType'] === 'string' ? document['mediaType'] : chosen.mediaType;
    if (!INDEX_TYPES.has(mediaType ?? '')) return document;
  }
  throw new Error(`${layout}: indexes nest deeper than an image's would`);
}

/** A layer's tar stream: gzip layers are decompressed; zstd is refused by name. */
function layerStream(path: string, mediaType: string): Readable {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) {
    throw new Error(`a layer is zstd-compressed (${mediaType}); this scanner reads tar and gzip layers`);
  }
  const file = createReadStream(path);
  return mediaType.endsWith('gzip') || mediaType.endsWith('+gzip') ? file.pipe(createGunzip()) : file;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Applies one layer's entries to the merged files: whiteouts first remove, then the layer's files land. */
async function applyLayer(
  files: Map<string, ImageFile>,
  layer: ImageLayer,
  stream: Readable,
  wanted: (path: string) => boolean,
): Promise<void> {
  const removeUnder = (directory: string): void => {
    for (const path of [...files.keys()]) if (directory === '' || path.startsWith(`${directory}/`)) files.delete(path);
  };
  for await (const entry of tarEntries(stream, wanted)) {
    const slash = entry.path.lastIndexOf('/');
    const directory = slash === -1 ? '' : entry.path.slice(0, slash);
    const base = entry.path.slice(slash + 1);
    if (base === OPAQUE) removeUnder(directory);
    else if (base.startsWith(WHITEOUT)) {
      const removed = normalizeTarPath(`${directory}/${base.slice(WHITEOUT.length)}`);
      files.delete(removed);
      removeUnder(removed);
    } else if (entry.content !== undefined) files.set(entry.path, { content: entry.content, layer });
    else if (entry.type !== 'directory') files.delete(entry.path);
  }
}

/** Reads an OCI image layout directory: its manifest, config and the `wanted` files of its merged layers. */
export async function readImageLayout(layout: string, wanted: (path: string) => boolean): Promise<ScannedImage> {
  const manifest = await layoutManifest(layout);
  const configDescriptor = manifest['config'] as Descriptor | undefined;
  const config = await readJson(blobPath(layout, configDescriptor?.digest));
  const rootfs = config['rootfs'] as { diff_ids?: string[] } | undefined;
  const diffIds = rootfs?.diff_ids ?? [];
  const descriptors = (manifest['layers'] ?? []) as Descriptor[];
  if (!Array.isArray(descriptors)) throw new Error(`${layout}: the image manifest's layers are not a list`);
  const layers = descriptors.map((descriptor, index) => ({
    digest: descriptor.digest ?? '',
    diffId: diffIds[index] ?? '',
    mediaType: descriptor.mediaType ?? '',
  }));
  const files = new Map<string, ImageFile>();
  for (const layer of layers) {
    await applyLayer(files, layer, layerStream(blobPath(layout, layer.digest), layer.mediaType), wanted);
  }
  return { imageId: configDescriptor?.digest ?? '', config, layers, files };
}
