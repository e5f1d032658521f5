// What a world's registry starts out holding (the busybox mirror, the images its environments already ran) is
// the same from one world to the next, and building it with buildah is most of a world's start. It is built
// once per machine and kept as a copy of the registry's storage, under a key naming everything it was built
// from; a later world with the same key copies that storage into its own registry instead of building.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The registry a snapshot is taken from or put into: its storage's root directory. */
export interface SnapshotRegistry {
  dataDirectory: string;
}

/** Where snapshots are kept: the user's cache directory (XDG), private to the user. */
export function snapshotRoot(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env['XDG_CACHE_HOME'];
  return join(
    cache === undefined || cache === '' ? join(homedir(), '.cache') : cache,
    'shiprail',
    'registry-snapshots',
  );
}

/** A snapshot's key: the digest of the parts that decide what was built (file contents, tree ids, names). */
export function snapshotKey(parts: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(`${bytes.length}:`).update(bytes);
  }
  return hash.digest('hex');
}

const PUBLISHED = 'published.json';

function readPublished(file: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fills `registry` with what `publish` pushes, from the snapshot under `key` when one exists; otherwise runs
 * `publish` and keeps a snapshot of the result. Returns what `publish` said it pushed. Two worlds starting
 * at once may both build: the first snapshot kept stays, the other is dropped.
 */
export async function publishOnce(
  registry: SnapshotRegistry,
  key: string,
  publish: () => Promise<string[]>,
  root: string = snapshotRoot(),
): Promise<{ published: string[]; fromSnapshot: boolean }> {
  const entry = join(root, key);
  const cached = existsSync(join(entry, 'data')) ? readPublished(join(entry, PUBLISHED)) : undefined;
  if (cached) {
    await cp(join(entry, 'data'), registry.dataDirectory, { recursive: true, force: true });
    return { published: cached, fromSnapshot: true };
  }
  // A damaged snapshot (cut short, edited) is replaced by this world's.
  if (existsSync(entry)) await rm(entry, { recursive: true, force: true });
  const published = await publish();
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(root, '.staging-'));
  try {
    await cp(registry.dataDirectory, join(staging, 'data'), { recursive: true });
    await writeFile(join(staging, PUBLISHED), JSON.stringify(published));
    await rename(staging, entry);
  } catch {
    // Another world kept its snapshot first, or the cache cannot be written: this world is filled already.
    await rm(staging, { recursive: true, force: true });
  }
  return { published, fromSnapshot: false };
}
