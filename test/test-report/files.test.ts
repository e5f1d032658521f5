// Globs over a real directory tree: what they match, what they refuse, and that nothing outside the
// workspace is ever matched or read.
import { BoundedReader, MAX_FILE_BYTES, expandGlobs, workspaceFiles } from '@shiprail/test-report';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { configurationMistake } from './tools.ts';

let root: string;
let workspace: string;
let outside: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'test-report-files-'));
  workspace = join(root, 'workspace');
  outside = join(root, 'outside');
  const files = [
    'services/api/reports/junit.xml',
    'services/api/reports/junit-slow.xml',
    'services/web/junit.xml',
    'services/web/node_modules/dep/junit.xml',
    '.git/junit.xml',
    'cart/target/surefire-reports/TEST-a.xml',
    'cart/target/surefire-reports/TEST-b.xml',
    'cart/target/surefire-reports/a.txt',
  ];
  for (const file of files) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    writeFileSync(join(workspace, file), '<testsuite/>');
  }
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.xml'), '<testsuite/>');
  symlinkSync(join(outside, 'secret.xml'), join(workspace, 'services/linked.xml'));
  symlinkSync(outside, join(workspace, 'services/linked-dir'));
  symlinkSync(join(workspace, 'services/web/junit.xml'), join(workspace, 'services/inside-link.xml'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('report globs', () => {
  test.each([
    ['a plain path', ['services/web/junit.xml'], ['services/web/junit.xml']],
    ['a ./ prefix', ['./services/web/junit.xml'], ['services/web/junit.xml']],
    [
      '** across services, not into node_modules, .git or linked directories',
      ['**/junit*.xml'],
      ['services/api/reports/junit-slow.xml', 'services/api/reports/junit.xml', 'services/web/junit.xml'],
    ],
    [
      'node_modules when the glob names it',
      ['services/web/node_modules/**/*.xml'],
      ['services/web/node_modules/dep/junit.xml'],
    ],
    [
      'Surefire’s reports',
      ['**/surefire-reports/TEST-*.xml'],
      ['cart/target/surefire-reports/TEST-a.xml', 'cart/target/surefire-reports/TEST-b.xml'],
    ],
    [
      'an exclusion',
      ['services/**/*.xml', '!**/*-slow.xml', '!services/web/junit.xml', '!services/linked.xml'],
      ['services/api/reports/junit.xml', 'services/inside-link.xml'],
    ],
    ['overlapping globs, once each', ['services/web/*.xml', 'services/*/junit.xml'], ['services/web/junit.xml']],
    ['an absolute path inside the workspace', ['<workspace>/services/web/junit.xml'], ['services/web/junit.xml']],
    ['a link to a file inside', ['services/inside-link.xml'], ['services/inside-link.xml']],
  ])('%s', (_label, globs, expected) => {
    const lines = globs.map((glob) => glob.replace('<workspace>', workspace));
    expect(expandGlobs(lines, workspace, 'reports')).toEqual(expected);
  });

  test.each([
    ['a glob that matches nothing', ['services/api/*.xml'], "input 'reports': no file matches 'services/api/*.xml'"],
    ['a path that does not exist', ['missing.xml'], "input 'reports': no file matches 'missing.xml'"],
    [
      '..',
      ['../outside/secret.xml'],
      "input 'reports': '../outside/secret.xml' leaves the workspace ('..'); give paths relative to it",
    ],
    [
      '.. inside a glob',
      ['services/../../outside/*.xml'],
      "input 'reports': 'services/../../outside/*.xml' leaves the workspace ('..'); give paths relative to it",
    ],
    [
      'an absolute path outside',
      ['<outside>/secret.xml'],
      "input 'reports': '<outside>/secret.xml' is outside the workspace; give paths relative to it",
    ],
    [
      'a link out of the workspace',
      ['services/linked.xml'],
      "input 'reports': 'services/linked.xml' is a symbolic link out of the workspace",
    ],
    [
      'a link out matched by a glob',
      ['services/*.xml'],
      "input 'reports': 'services/linked.xml' is a symbolic link out of the workspace",
    ],
    [
      'a file through a linked directory',
      ['services/linked-dir/secret.xml'],
      "input 'reports': 'services/linked-dir/secret.xml' is a symbolic link out of the workspace",
    ],
  ])('%s is refused', (_label, globs, message) => {
    const lines = globs.map((glob) => glob.replace('<outside>', outside));
    expect(configurationMistake(() => expandGlobs(lines, workspace, 'reports'))).toBe(
      message.replace('<outside>', outside),
    );
  });

  test('the location resolver sees workspace files only, and no link out', () => {
    const files = workspaceFiles(workspace);
    expect(
      ['services/web/junit.xml', 'services/linked.xml', 'services/linked-dir/secret.xml', 'services', 'nope'].map(
        (path) => files.exists(path),
      ),
    ).toEqual([true, false, false, false, false]);
  });

  test('a file over the size bound is refused before it is read, naming the file', () => {
    const big = join(workspace, 'big.xml');
    writeFileSync(big, '');
    truncateSync(big, MAX_FILE_BYTES + 1);
    expect(configurationMistake(() => new BoundedReader(workspace).read('big.xml'))).toBe(
      'big.xml: is 64.0 MiB; test-report reads files up to 64.0 MiB',
    );
    rmSync(big);
  });
});
