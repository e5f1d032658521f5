// Many generated kustomizations and argument lists: the entries that result are always those of a
// straightforward model of kustomize's set image (a map by name, `*` keeps, replaced entries lose the
// fields the argument does not set), the file still parses, and the text before `images:` is untouched.
import { parseImageArguments, setKustomizationImages, type ImageEntry } from '@shiprail/kustomize-bump';
import { parse } from 'yaml';

/** A small deterministic generator (mulberry32), so a failure can be replayed by its seed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['api', 'ghcr.io/acme/web', 'localhost:5000/worker', 'zeta', 'b'];
const TAGS = ['1.0.0', '2', '3.2e2', 'v1-rc.1', 'latest'];
const DIGESTS = ['sha256:aaaa', 'sha256:bbbb'];
const NEW_NAMES = ['reg.example/x', 'localhost:5000/y', 'mirror/z'];

type Fields = Omit<ImageEntry, 'name'>;

function kustomizeModel(existing: ImageEntry[], args: ImageEntry[]): Map<string, Fields> {
  const result = new Map<string, Fields>();
  for (const entry of existing) if (!result.has(entry.name)) result.set(entry.name, strip(entry));
  for (const arg of args) {
    const before = result.get(arg.name);
    const after: Fields = {};
    for (const field of ['newName', 'newTag', 'digest'] as const) {
      const value = arg[field] === '*' ? before?.[field] : arg[field];
      if (value) after[field] = value;
    }
    result.set(arg.name, after);
  }
  return result;
}

function strip(entry: ImageEntry): Fields {
  const fields: Fields = {};
  for (const field of ['newName', 'newTag', 'digest'] as const) {
    const value = entry[field];
    if (value !== undefined) fields[field] = value;
  }
  return fields;
}

test.each(Array.from({ length: 400 }, (_, seed) => seed + 1))('seed %i', async (seed) => {
  const random = generator(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const chance = (p: number): boolean => random() < p;
  const eol = chance(0.2) ? '\r\n' : '\n';
  const indent = chance(0.5) ? '  ' : '';
  const quote = (value: string): string => pick([value, `"${value}"`, `'${value}'`]);

  const existing: ImageEntry[] = [];
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `${indent}- ../base`,
  ];
  const head = `${lines.join(eol)}${eol}`;
  const style = pick(['block', 'block', 'block', 'missing', 'empty', 'flow']);
  if (style !== 'missing') {
    const count = style === 'empty' ? 0 : 1 + Math.floor(random() * 4);
    const names = [...NAMES].sort(() => random() - 0.5).slice(0, count);
    const entries = names.map((name) => {
      const entry: ImageEntry = { name };
      if (chance(0.4)) entry.newName = pick(NEW_NAMES);
      if (chance(0.7)) entry.newTag = pick(TAGS);
      if (chance(0.3)) entry.digest = pick(DIGESTS);
      existing.push(entry);
      return entry;
    });
    if (style === 'flow' || style === 'empty') {
      const flow = entries.map(
        (entry) =>
          `{${Object.entries(entry)
            .map(([key, value]) => `${key}: ${key === 'name' ? value : `"${value}"`}`)
            .join(', ')}}`,
      );
      lines.push(`images: [${flow.join(', ')}]`);
    } else {
      lines.push(chance(0.5) ? 'images: # bumped by CI' : 'images:');
      for (const entry of entries) {
        if (chance(0.3)) lines.push(`${indent}# about ${entry.name}`);
        Object.entries(entry).forEach(([key, value]: [string, string], index) => {
          const text = key === 'name' ? value : quote(value);
          lines.push(`${indent}${index === 0 ? '- ' : '  '}${key}: ${text}${chance(0.2) ? ' # note' : ''}`);
        });
      }
    }
  }
  if (chance(0.5)) lines.push('namePrefix: prod-');
  const before = lines.join(eol) + (chance(0.8) ? eol : '');

  const argLines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
    const name = pick(NAMES);
    const tag = chance(0.6) ? `:${chance(0.15) ? '*' : pick(TAGS)}` : '';
    const digest = chance(0.3) || tag === '' ? `@${chance(0.15) ? '*' : pick(DIGESTS)}` : '';
    return chance(0.4) ? `${name}=${chance(0.2) ? '*' : pick(NEW_NAMES)}${tag}${digest}` : `${name}${tag}${digest}`;
  });
  const args = parseImageArguments(argLines);

  const after = (await setKustomizationImages(before, 'kustomization.yaml', args)).text;
  // Every scalar as the string it is written as, the way kustomize reads these fields.
  const parsed = parse(after, { schema: 'failsafe' }) as { images?: ImageEntry[]; namePrefix?: string };
  const actual = new Map((parsed.images ?? []).map((entry) => [entry.name, strip(entry)]));
  expect({ seed, argLines, entries: Object.fromEntries(actual) }).toEqual({
    seed,
    argLines,
    entries: Object.fromEntries(kustomizeModel(existing, args)),
  });
  expect(after.startsWith(head)).toBe(true);
  if (eol === '\r\n') expect(after.replace(/\r\n/g, '')).not.toContain('\n');
  if (before.includes('namePrefix')) expect(parsed.namePrefix).toBe('prod-');
});
