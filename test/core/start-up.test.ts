// What every bundle compiles and loads before its first line of work. dist/<action>/index.js holds what
// every run needs; libraries only some runs need are chunks beside it, and Node's modules that only some
// runs need are loaded on first use. A bundle that stops at its inputs (none given) loads none of them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node24 } from '@shiprail/testkit';
import { listActions, repoRoot } from '@shiprail/rehearsal/action-metadata';

/** Node's modules that only some runs need. */
const LOADED_ON_FIRST_USE = ['child_process', 'crypto', 'fs/promises', 'http', 'https', 'readline', 'tls', 'zlib'];

/** What an action needs before it reads its inputs to the end, and why. */
const NEEDED_AT_START: Record<string, string[]> = {
  // It asks git for the repository's top level before it reads the manifest.
  'detect-changed-services': ['child_process'],
  // Their own modules import node:fs/promises statically, for the file work of every real run.
  'build-push': ['fs/promises'],
  'kustomize-bump': ['fs/promises'],
  'trivy-gate': ['fs/promises'],
};

/** kustomize-bump edits YAML on every run: its main file keeps the YAML parser. */
const YAML_IN_MAIN_FILE = new Set(['kustomize-bump']);

const workspace = mkdtempSync(join(tmpdir(), 'start-up-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** The Node modules a bundle loaded, started without inputs outside any repository. */
function modulesLoaded(id: string): { modules: string[]; stdout: string } {
  const report =
    "process.on('exit', () => process.getBuiltinModule('node:fs').writeSync(2, '\\nmodules ' + " +
    "JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));";
  const result = spawnSync(
    node24,
    ['--import', `data:text/javascript,${encodeURIComponent(report)}`, join(repoRoot, 'dist', id, 'index.js')],
    { cwd: workspace, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, encoding: 'utf8' },
  );
  const line = result.stderr.split('\n').find((text) => text.startsWith('modules ')) ?? 'modules []';
  return { modules: JSON.parse(line.slice('modules '.length)) as string[], stdout: result.stdout };
}

describe.each(listActions())('dist/%s', (id) => {
  const directory = join(repoRoot, 'dist', id);
  const main = readFileSync(join(directory, 'index.js'), 'utf8');

  test('every script is ASCII (Node decodes it into a one-byte string)', () => {
    for (const name of readdirSync(directory).filter((file) => file.endsWith('.js'))) {
      expect([name, /[^\u0000-\u007f]/u.test(readFileSync(join(directory, name), 'utf8'))]).toEqual([name, false]);
    }
  });

  test('the YAML parser is a chunk of its own, unless every run needs it', () => {
    expect(main.includes('class LineCounter')).toBe(YAML_IN_MAIN_FILE.has(id));
  });

  test('stopping at its inputs, it loads only the Node modules it needs then', () => {
    const { modules, stdout } = modulesLoaded(id);
    expect(stdout).toMatch(/^::error title=Configuration error::input '/m);
    const needed = NEEDED_AT_START[id] ?? [];
    expect(LOADED_ON_FIRST_USE.filter((name) => modules.includes(name))).toEqual(needed);
  });
});
