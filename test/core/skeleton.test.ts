// The shape of the house: every action package has the same skeleton (action.ts -> run.ts, inputs.ts,
// summary.ts, index.ts for tests), and nothing under packages/ reaches back into scripts/ or test/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { listActions, repoRoot } from '@shiprail/rehearsal/action-metadata';

const SKELETON = ['action.ts', 'run.ts', 'inputs.ts', 'summary.ts', 'index.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.[cm]?[jt]s$/.test(name) ? [path] : [];
  });
}

/** Every module a file names: static and dynamic imports and re-exports. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) found.push(match[1] ?? '');
  return found;
}

describe.each(listActions())('%s', (id) => {
  const src = join(repoRoot, 'packages', id, 'src');

  test.each(SKELETON)('has src/%s', (file) => {
    expect(existsSync(join(src, file))).toBe(true);
  });

  test('action.ts calls run.ts directly, never through index.ts', () => {
    const imports = specifiers(readFileSync(join(src, 'action.ts'), 'utf8'));
    expect(imports).toContain('./run.ts');
    expect(imports.filter((specifier) => /(^\.\.?\/|\/)index(\.ts)?$|^\.\.?$/.test(specifier))).toEqual([]);
  });

  test('its bundle carries its own sources and core’s, never its index.ts or what only tests use', () => {
    const dist = join(repoRoot, 'dist', id);
    const bundled = new Set(
      readdirSync(dist)
        .filter((name) => name.endsWith('.js'))
        .flatMap((name) => [
          ...readFileSync(join(dist, name), 'utf8').matchAll(/\.\/((?:packages|test)\/[\w./-]+\.ts)\b/g),
        ])
        .map((match) => match[1] ?? ''),
    );
    expect(bundled).toContain(`packages/${id}/src/run.ts`);
    const foreign = [...bundled].filter(
      (path) =>
        path === `packages/${id}/src/index.ts` ||
        !(path.startsWith(`packages/${id}/src/`) || path.startsWith('packages/core/src/')),
    );
    expect(foreign).toEqual([]);
  });

  test('no shipped file imports index.ts (it is the tests’ export list)', () => {
    const importers = sourceFiles(src).filter(
      (file) =>
        !file.endsWith(`${sep}index.ts`) &&
        specifiers(readFileSync(file, 'utf8')).some((specifier) => /^\.\.?\/(.*\/)?index\.ts$/.test(specifier)),
    );
    expect(importers.map((file) => relative(repoRoot, file))).toEqual([]);
  });
});

const packages = readdirSync(join(repoRoot, 'packages')).filter((name) =>
  statSync(join(repoRoot, 'packages', name)).isDirectory(),
);

test('the action packages are all packages but core and the tooling', () => {
  expect(packages).toEqual(expect.arrayContaining([...listActions(), 'core']));
});

describe.each(packages)('packages/%s', (name) => {
  test('imports nothing from scripts/ or test/', () => {
    const forbidden = [join(repoRoot, 'scripts'), join(repoRoot, 'test')];
    const offending = sourceFiles(join(repoRoot, 'packages', name)).flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => resolve(dirname(file), specifier))
        .filter((target) => forbidden.some((root) => target === root || target.startsWith(root + sep)))
        .map((target) => `${relative(repoRoot, file)} -> ${relative(repoRoot, target)}`),
    );
    expect(offending).toEqual([]);
  });

  test('imports the test kit only if it is the test kit', () => {
    const kit = sourceFiles(join(repoRoot, 'packages', name)).filter((file) =>
      specifiers(readFileSync(file, 'utf8')).some((specifier) => specifier.startsWith('@shiprail/testkit')),
    );
    expect(name === 'testkit' ? [] : kit.map((file) => relative(repoRoot, file))).toEqual([]);
  });
});
