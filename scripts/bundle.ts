// Bundles each action's entry with ncc into dist/<action>/ (committed, as the runner executes it), and the
// `shiprail` command line into dist/cli/ (the package's bin, run by `npx` with no build step).
// `--check` bundles into memory and fails when dist/ differs from what the sources produce.
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
