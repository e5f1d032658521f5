// Bundles each action's entry with ncc into dist/<action>/ (committed, as the runner executes it), and the
// `shiprail` command line into dist/cli/ (the package's bin, run by `npx` with no build step).
// `--check` bundles into memory and fails when dist/ differs from what the sources produce; it skips the
// bundling when dist/inputs.json, written by the last whole `npm run bundle`, records both the sources and
// the bundles as they are now.
import ncc from '@vercel/ncc';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { listActions, repoRoot } from '@shiprail/rehearsal/action-metadata';

const args = process.argv.slice(2);
const check = args.includes('--check');
const requested = args.filter((arg) => !arg.startsWith('--'));
/** The command line's bundle: an executable script rather than an action's entry. */
const CLI = 'cli';
const bundles = requested.length > 0 ? requested : [...listActions(), CLI];

/** `#!/usr/bin/env node` first: npm links the bin to the file itself, which the shell runs. */
const SHEBANG = '#!/usr/bin/env node\n';

async function bundle(id: string): Promise<Map<string, string>> {
  const entry =
    id === CLI ? join(repoRoot, 'packages', 'cli', 'bin', 'shiprail.ts') : join(repoRoot, 'actions', id, 'main.ts');
  const { code: bundled, assets } = await ncc(entry, {
    license: 'licenses.txt',
    quiet: true,
    sourceMap: false,
    minify: false,
    // Types are checked by `npm run typecheck`; the bundler only strips them.
    transpileOnly: true,
  });
  const code = id === CLI ? SHEBANG + bundled.replace(/^#!.*\n/, '') : bundled;
  const files = new Map<string, string>([['index.js', asciiOnly(code, 'index.js')]]);
  for (const [name, asset] of Object.entries(assets)) {
    const text = asset.source.toString();
    // Chunks (`<id>.index.js`) are modules loaded on first use, e.g. the YAML library.
    files.set(name, name.endsWith('.js') ? asciiOnly(text, name) : text);
  }
  return files;
}

/**
 * Non-ASCII characters written as \u escapes. Node decodes an all-ASCII file into a one-byte string, and
 * V8 compiles that, instead of decoding UTF-8 into a two-byte one: ~10 ms less per start of a bundle of
 * half a megabyte (`node --cpu-prof`: decodeUTF8). The characters stand in comments, strings, regular
 * expressions and identifiers, where the escape means the same; after an odd run of backslashes it would
 * not, and the bundle is refused.
 */
function asciiOnly(code: string, name: string): string {
  return code.replace(/(\\*)([\u0080-\u{10ffff}])/gu, (_match, backslashes: string, character: string) => {
    if (backslashes.length % 2 === 1) throw new Error(`${name}: a backslash before '${character}'`);
    const units = Array.from({ length: character.length }, (_, index) => character.charCodeAt(index));
    return backslashes + units.map((unit) => `\\u${unit.toString(16).padStart(4, '0')}`).join('');
  });
}

/** Every file below `folder` (node_modules left out), as paths from the repository root, in order. */
function filesBelow(folder: string): string[] {
  const path = join(repoRoot, folder);
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !join(entry.parentPath, entry.name).includes('/node_modules/'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
    .sort();
}

const sha256 = (paths: readonly string[]): string => {
  const hash = createHash('sha256');
  for (const path of paths)
    hash
      .update(`${path}\0`)
      .update(readFileSync(join(repoRoot, path)))
      .update('\0');
  return hash.digest('hex');
};

const RECORD = join(repoRoot, 'dist', 'inputs.json');

/**
 * What decides the bundles, over-approximated: every package's files, the action entries, this script,
 * the TypeScript settings and the lockfile (which pins ncc and every bundled dependency).
 */
const inputsDigest = (): string =>
  sha256([
    ...filesBelow('packages'),
    ...filesBelow('actions'),
    'scripts/bundle.ts',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.transpile.json',
  ]);

const outputDigests = (): Record<string, string> =>
  Object.fromEntries(
    filesBelow('dist')
      .filter((path) => path !== 'dist/inputs.json')
      .map((path) => [path, sha256([path])]),
  );

/** True when dist/inputs.json records the sources as they are and dist/ as it is. */
function recordedCurrent(): boolean {
  if (!existsSync(RECORD)) return false;
  const record = JSON.parse(readFileSync(RECORD, 'utf8')) as { inputs?: string; outputs?: Record<string, string> };
  return record.inputs === inputsDigest() && JSON.stringify(record.outputs) === JSON.stringify(outputDigests());
}

if (check && requested.length === 0 && recordedCurrent()) {
  console.log('dist/ is current: dist/inputs.json records these sources and these bundles');
  process.exit(0);
}

let stale = 0;
for (const id of bundles) {
  const started = Date.now();
  const files = await bundle(id);
  const outDir = join(repoRoot, 'dist', id);
  if (check) {
    const present = existsSync(outDir) ? readdirSync(outDir) : [];
    const differs = [...files].filter(([name, text]) => {
      const path = join(outDir, name);
      return !existsSync(path) || readFileSync(path, 'utf8') !== text;
    });
    const extra = present.filter((name) => !files.has(name));
    if (differs.length > 0 || extra.length > 0) {
      stale += 1;
      const names = [...differs.map(([name]) => name), ...extra].join(', ');
      console.error(`dist/${id} is not current (${names}): run \`npm run bundle\` and commit dist/`);
    } else {
      console.log(`dist/${id} is current`);
    }
  } else {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const [name, text] of files)
      writeFileSync(join(outDir, name), text, { mode: name === 'index.js' && id === CLI ? 0o755 : 0o644 });
    const size = (Buffer.byteLength(files.get('index.js') ?? '') / 1024 / 1024).toFixed(1);
    const chunks = [...files.keys()].filter((name) => name !== 'index.js' && name.endsWith('.js'));
    const loadedLater = chunks.length > 0 ? ` (and ${chunks.join(', ')}, loaded on first use)` : '';
    console.log(`dist/${id}/index.js ${size} MB${loadedLater} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}
if (stale > 0) process.exitCode = 1;
// Only a whole build vouches for every bundle; a partial one leaves the next check to bundle in full.
if (!check) {
  if (requested.length === 0)
    writeFileSync(RECORD, `${JSON.stringify({ inputs: inputsDigest(), outputs: outputDigests() }, null, 2)}\n`);
  else rmSync(RECORD, { force: true });
}
