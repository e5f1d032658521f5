// The reference users read is in the repository: no file cites a contract outside it, every relative
// link in docs/ and the READMEs leads to a file that exists, and the pages name every manifest key the
// parser accepts and every scenario the rehearsal plays.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseManifest } from '@shiprail/detect-changed-services';
import { SCENARIO_NAMES } from '@shiprail/rehearsal';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file !== '' && existsSync(join(repoRoot, file)));

test('no file cites a contract outside the repository', () => {
  const citing = tracked
    .filter(
      (file) =>
        !file.startsWith('dist/') &&
        file !== 'test/docs/references.test.ts' &&
        /\.(?:ts|js|md|ya?ml|json|sh)$/.test(file),
    )
    .filter((file) => /\bSPEC(?:\.md\b|\b(?!IAL))/.test(readFileSync(join(repoRoot, file), 'utf8')));
  expect(citing).toEqual([]);
});

test('every relative link of docs/ and the READMEs leads to a file of the repository', () => {
  const pages = tracked.filter(
    (file) => file.endsWith('.md') && (file.startsWith('docs/') || /README\.md$/.test(file)),
  );
  expect(pages).toEqual(expect.arrayContaining(['docs/index.md', 'docs/manifest.md', 'docs/rehearsal.md']));
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(repoRoot, page), 'utf8');
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      // URLs, anchors, and a sample summary's empty links (`<>`).
      if (/^[a-z]+:/.test(target) || target.startsWith('#') || target === '<>') continue;
      const file = relative(repoRoot, join(repoRoot, dirname(page), target.replace(/#.*$/, '')));
      if (existsSync(join(repoRoot, file))) continue;
      broken.push(`${page}: ${target}`);
    }
  }
  expect(broken).toEqual([]);
});

const page = (file: string): string => readFileSync(join(repoRoot, 'docs', file), 'utf8');

/** The keys a table of the page names in its first column. */
const tableKeys = (text: string): Set<string> =>
  new Set([...text.matchAll(/^\| `([^`]+)` +\|/gm)].map(([, key = '']) => key));

/** The keys the parser accepts where `yaml` puts an unknown one, from its error message. */
async function acceptedKeys(yaml: string): Promise<string[]> {
  const error = await parseManifest(yaml, 'services.yml').then(
    () => undefined,
    (caught: unknown) => caught,
  );
  const accepted = /\(expected ([^)]+)\)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (accepted === undefined) throw new Error(`no list of accepted keys in ${String(error)}`);
  return accepted.split(', ');
}

test('docs/manifest.md names every key the manifest accepts, and no other', async () => {
  const documented = tableKeys(page('manifest.md'));
  const accepted = [
    ...(await acceptedKeys('unknown-key: 1\n')),
    ...(await acceptedKeys('services:\n  api:\n    path: api\n    unknown-key: 1\n')),
  ];
  expect([...documented].sort()).toEqual([...new Set(accepted)].sort());
});

test('docs/rehearsal.md lists every scenario', () => {
  const documented = tableKeys(page('rehearsal.md'));
  expect(SCENARIO_NAMES.filter((name) => !documented.has(name))).toEqual([]);
});
