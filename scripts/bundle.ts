// Bundles each action's entry with ncc into dist/<action>/ (committed, as the runner executes it).
// `--check` bundles into memory and fails when dist/ differs from what the sources produce.
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, repoRoot } from './lib/action-metadata.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const requested = args.filter((arg) => !arg.startsWith('--'));
const actions = requested.length > 0 ? requested : listActions();

async function bundle(id: string): Promise<Map<string, string>> {
  const entry = join(repoRoot, 'actions', id, 'main.ts');
  const { code, assets } = await ncc(entry, {
    license: 'licenses.txt',
    quiet: true,
    sourceMap: false,
    minify: false,
    // Types are checked by `npm run typecheck`; the bundler only strips them.
    transpileOnly: true,
  });
  const files = new Map<string, string>([['index.js', code]]);
  for (const [name, asset] of Object.entries(assets)) files.set(name, asset.source.toString());
  return files;
}

let stale = 0;
for (const id of actions) {
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
    for (const [name, text] of files) writeFileSync(join(outDir, name), text);
    const size = (Buffer.byteLength(files.get('index.js') ?? '') / 1024 / 1024).toFixed(1);
    console.log(`dist/${id}/index.js ${size} MB in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}
if (stale > 0) process.exitCode = 1;
