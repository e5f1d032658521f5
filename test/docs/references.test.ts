// The reference users read is in the repository: no file cites a contract outside it, and every relative
// link in docs/ and the READMEs leads to a file that exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

// The `shiprail` command's page is written with the command itself.
const WRITTEN_WITH_THE_CLI = 'docs/cli.md';

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
      if (file === WRITTEN_WITH_THE_CLI || existsSync(join(repoRoot, file))) continue;
      broken.push(`${page}: ${target}`);
    }
  }
  expect(broken).toEqual([]);
});
