// A world's registry contents built once per machine (registry-snapshot.ts), against real registries: the
// first world builds and keeps a snapshot, a later one with the same key serves the same image without
// building, and a different key, a damaged snapshot or two worlds at once each end with a filled registry.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';
import { publishOnce, snapshotKey, snapshotRoot } from '../../packages/rehearsal/src/servers/registry-snapshot.ts';
import { pushTestImage, servedManifest } from '../build-push/fixtures.ts';

const registries: RunningRegistry[] = [];
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'registry-snapshots-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));
afterAll(() => Promise.all(registries.map((registry) => registry.stop())));

async function registry(): Promise<RunningRegistry> {
  const started = await startRegistry();
  registries.push(started);
  return started;
}

/** A publish that pushes one image (its content naming the build) and counts how often it ran. */
function publisher(target: RunningRegistry, content: string): { runs: number; publish: () => Promise<string[]> } {
  const counted = {
    runs: 0,
    publish: async (): Promise<string[]> => {
      counted.runs += 1;
      await pushTestImage(target.url, 'acme/api', '0.1.0', content);
      return ['acme/api:0.1.0'];
    },
  };
  return counted;
}

const neverCalled = (): Promise<string[]> => Promise.reject(new Error('a snapshot was there: nothing is built'));

test.each([
  { a: ['ab', 'c'], b: ['a', 'bc'], same: false },
  { a: ['ab', 'c'], b: ['ab', 'c'], same: true },
  { a: ['x', Buffer.from('y')], b: ['x', 'y'], same: true },
  { a: ['x'], b: ['x', ''], same: false },
])('snapshotKey($a) and snapshotKey($b) are the same: $same', ({ a, b, same }) => {
  expect(snapshotKey(a) === snapshotKey(b)).toBe(same);
  expect(snapshotKey(a)).toMatch(/^[0-9a-f]{64}$/);
});

test.each([
  { env: { XDG_CACHE_HOME: '/var/cache/me' }, root: '/var/cache/me/shiprail/registry-snapshots' },
  { env: { XDG_CACHE_HOME: '' }, home: true },
  { env: {}, home: true },
])('snapshots are kept under $env', ({ env, root: expected, home }) => {
  const found = snapshotRoot(env);
  if (home) expect(found).toMatch(/\/\.cache\/shiprail\/registry-snapshots$/);
  else expect(found).toBe(expected);
});

test('the first world builds and keeps a snapshot; the next serves the same image without building', async () => {
  const first = await registry();
  const building = publisher(first, 'built once');
  const built = await publishOnce(first, 'key-1', building.publish, root);
  expect(built).toEqual({ published: ['acme/api:0.1.0'], fromSnapshot: false });
  expect(building.runs).toBe(1);
  expect(readdirSync(root)).toEqual(['key-1']);

  const second = await registry();
  expect(await servedManifest(second.url, 'acme/api', '0.1.0')).toBeUndefined();
  const copied = await publishOnce(second, 'key-1', neverCalled, root);
  expect(copied).toEqual({ published: ['acme/api:0.1.0'], fromSnapshot: true });
  const original = await servedManifest(first.url, 'acme/api', '0.1.0');
  expect((await servedManifest(second.url, 'acme/api', '0.1.0'))?.digest).toBe(original?.digest);
  // Its blobs came along: the layer is served, not only the tag.
  const manifest = JSON.parse(original?.body ?? '{}') as { layers: Array<{ digest: string }> };
  const layer = await fetch(`${second.url}/v2/acme/api/blobs/${manifest.layers[0]?.digest ?? ''}`);
  expect(await layer.text()).toBe('built once');
});

test('another key builds again; a damaged snapshot is built over', async () => {
  const first = await registry();
  await publishOnce(first, 'key-1', publisher(first, 'one').publish, root);
  const second = await registry();
  const other = publisher(second, 'two');
  expect((await publishOnce(second, 'key-2', other.publish, root)).fromSnapshot).toBe(false);
  expect(other.runs).toBe(1);

  writeFileSync(join(root, 'key-2', 'published.json'), '{"not": "a list"}');
  const third = await registry();
  const rebuilt = publisher(third, 'three');
  expect(await publishOnce(third, 'key-2', rebuilt.publish, root)).toEqual({
    published: ['acme/api:0.1.0'],
    fromSnapshot: false,
  });
  expect(rebuilt.runs).toBe(1);
  expect(await servedManifest(third.url, 'acme/api', '0.1.0')).toBeDefined();
  // The damaged snapshot was replaced by the rebuilt one.
  expect((await publishOnce(await registry(), 'key-2', neverCalled, root)).fromSnapshot).toBe(true);
});

test('two worlds starting at once both build; one snapshot is kept and nothing half-made is left', async () => {
  const [left, right] = [await registry(), await registry()];
  const results = await Promise.all([
    publishOnce(left, 'same', publisher(left, 'left').publish, root),
    publishOnce(right, 'same', publisher(right, 'right').publish, root),
  ]);
  expect(results.map((result) => result.fromSnapshot)).toEqual([false, false]);
  expect(readdirSync(root)).toEqual(['same']);
  for (const filled of [left, right]) expect(await servedManifest(filled.url, 'acme/api', '0.1.0')).toBeDefined();
});
