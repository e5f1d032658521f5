import { compileRule, GLOB_OPTIONS, GlobError, PathMatcher, splitRule } from '@shiprail/detect-changed-services';
import picomatch from 'picomatch';

/** The plain reading of the rules: every rule of an owner tested in order, the last match decides. */
function naiveMatcher(owners: string[][]): (path: string) => number[] {
  const compiled = owners.map((rules) =>
    rules.map((rule) => {
      const { include, glob } = splitRule(rule);
      return { include, test: picomatch(glob, GLOB_OPTIONS) };
    }),
  );
  return (path) => {
    const selected: number[] = [];
    compiled.forEach((rules, owner) => {
      let verdict = false;
      for (const rule of rules) if (rule.test(path)) verdict = rule.include;
      if (verdict) selected.push(owner);
    });
    return selected;
  };
}

function indexedMatcher(owners: string[][]): (path: string) => number[] {
  const matcher = new PathMatcher(owners.map((rules) => ({ rules: rules.map((pattern) => ({ pattern })) })));
  return (path) => {
    return Array.from(matcher.found.subarray(0, matcher.match(path))).sort((a, b) => a - b);
  };
}

const naiveOwners = (owners: string[][], path: string): number[] => naiveMatcher(owners)(path);
const indexedOwners = (owners: string[][], path: string): number[] => indexedMatcher(owners)(path);

const OWNERS = [
  ['package-lock.json', '.github/workflows/**', '!.github/workflows/docs.yml'],
  ['services/api/**', '!services/api/**/*.md', 'services/api/docs/openapi.md'],
  ['services/web/**'],
  ['services/{worker,cron}/**', '!**/*.test.ts'],
  ['**/*.proto'],
  ['libs/*/src/**', '!libs/legacy/**'],
  ['./tools/build.sh', 'Makefile'],
  ['!services/api/**', 'services/api/**'],
  ['services/api/**', '!services/api/**'],
  ['services/a?i/config.*'],
  ['services/api/**/*.test.ts', 'services/api/**/*.', 'docs site/**', './services/web/**/*.html'],
];

const PATHS = [
  'package-lock.json',
  'services/package-lock.json',
  '.github/workflows/deploy.yml',
  '.github/workflows/docs.yml',
  'services/api/src/server.ts',
  'services/api/README.md',
  'services/api/docs/guide.md',
  'services/api/docs/openapi.md',
  'services/api',
  'services/apix/main.go',
  'services/api/.env.example',
  'services/web/index.html',
  'services/worker/job.ts',
  'services/worker/job.test.ts',
  'services/cron/tab.ts',
  'services/other/x.ts',
  'proto/shop.proto',
  'services/api/proto/api.proto',
  'libs/auth/src/index.ts',
  'libs/legacy/src/old.ts',
  'libs/auth/README.md',
  'tools/build.sh',
  'Makefile',
  'sub/Makefile',
  'services/api/config.yaml',
  'services/abi/config.json',
  'README.md',
  'services/api/src/server.test.ts',
  'services/api/src/trailing.',
  'docs site/index.md',
  'docs site',
];

describe('PathMatcher', () => {
  test.each(PATHS.map((path) => [path]))('%s: the index selects exactly what testing every rule selects', (path) => {
    expect(indexedOwners(OWNERS, path)).toEqual(naiveOwners(OWNERS, path));
  });

  test.each([
    ['services/api/src/a.ts', [1, 7]],
    ['services/api/README.md', [7]],
    ['services/api/docs/openapi.md', [1, 7]],
    ['.github/workflows/docs.yml', []],
    ['.github/workflows/deploy.yml', [0]],
    ['services/worker/job.test.ts', []],
    ['services/api/proto/api.proto', [1, 4, 7]],
    ['tools/build.sh', [6]],
    ['sub/Makefile', []],
    ['services/abi/config.json', [9]],
  ])('%s selects owners %j (last matching rule wins)', (path, expected) => {
    expect(indexedOwners(OWNERS, path)).toEqual(expected);
  });

  test('an owner whose rules only exclude selects nothing', () => {
    expect(indexedOwners([['!services/api/**']], 'services/api/a.ts')).toEqual([]);
    expect(indexedOwners([['!services/api/**']], 'other.ts')).toEqual([]);
  });

  test('random paths over many owners agree with the plain reading', () => {
    const owners = Array.from({ length: 40 }, (_, index) => [
      `services/s${index}/**`,
      `!services/s${index}/**/*.md`,
      ...(index % 5 === 0 ? [`services/s${index}/docs/keep.md`, `shared/s${index}-*.json`] : []),
    ]);
    let seed = 7;
    const next = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    const indexed = indexedMatcher(owners);
    const naive = naiveMatcher(owners);
    const leaves = ['a.ts', 'b.md', 'docs/keep.md', 'docs/x.md', 'deep/er/c.go'];
    for (let round = 0; round < 400; round += 1) {
      const path =
        next(4) === 0 ? `shared/s${next(45)}-${next(3)}.json` : `services/s${next(45)}/${leaves[next(leaves.length)]}`;
      expect({ path, owners: indexed(path) }).toEqual({ path, owners: naive(path) });
    }
  });
});

describe('PathMatcher on many rule shapes', () => {
  const SHAPES = [
    (d: string) => [`${d}/**`, `!${d}/**/*.md`],
    (d: string) => [`${d}/**/*.{ts,js}`, `!${d}/**/*.test.ts`],
    (d: string) => [`${d}/src/**`, `${d}/*.json`, `!${d}/src/gen/**`],
    (d: string) => [`${d}/**/@(a|b)*`, `${d}/?/x`, `${d}/[ab]*.md`],
    (d: string) => [d, `${d}/**/**`, `!${d}/**/.md`],
    (d: string) => [`!${d}/**`, `${d}/**/*.md`, `${d}/docs/**/keep*`],
    (d: string) => [`${d}/**/*.`, `${d}/**/*..md`, `${d}/**/*-x.md`],
  ];
  const directories = ['a', 'a/b', 'a/b/c', 'svc', 'svc/one', 'svc/two', 'x.md'];
  const owners = directories.flatMap((directory) => SHAPES.map((shape) => shape(directory)));
  owners.push(['**/*.md', '!docs/**'], ['*.json', 'Makefile', 'svc/one/Makefile']);
  const names = [
    'x.ts',
    'x.test.ts',
    'README.md',
    '.md',
    'a.md',
    'b',
    'ab.md',
    'keep.txt',
    'x.',
    'y..md',
    'z-x.md',
    'p.json',
  ];
  const folders = [
    '',
    'a',
    'a/b',
    'a/b/c',
    'a/b/c/d',
    'svc',
    'svc/one',
    'svc/one/src',
    'svc/one/src/gen',
    'svc/two/docs/z',
    'docs',
    'x.md',
    'a/x',
    'svc/one/?',
  ];
  const paths = [
    ...folders.flatMap((folder) => names.map((name) => (folder === '' ? name : `${folder}/${name}`))),
    ...directories,
    'Makefile',
    'svc/one/Makefile',
  ];

  test.each([
    ['sorted, as git lists them', [...paths].sort()],
    [
      'in no order',
      [...paths].sort((a, b) => ((a.length * 31 + b.charCodeAt(0)) % 7) - ((b.length * 31 + a.charCodeAt(0)) % 7)),
    ],
  ])('%s: the index selects exactly what testing every rule selects', (_, order) => {
    const indexed = indexedMatcher(owners);
    const naive = naiveMatcher(owners);
    for (const path of order) expect({ path, owners: indexed(path) }).toEqual({ path, owners: naive(path) });
  });
});

describe('compileRule', () => {
  test.each([
    ['services/api/**', true, 'services/api'],
    ['!services/api/**/*.md', false, 'services/api'],
    ['./tools/**', true, 'tools'],
    ['package-lock.json', true, ''],
    ['services/api/config.yaml', true, 'services/api'],
    ['services/api/**/*.md', true, 'services/api'],
    ['**/*.proto', true, ''],
    ['services/{a,b}/**', true, 'services'],
    ['services/a\\*b/**', true, 'services'],
    ['*/api/**', true, ''],
  ])('%s: include %s, anchored at %j', (pattern, include, anchor) => {
    const compiled = compileRule({ pattern });
    expect({ include: compiled.include, anchor: compiled.anchor }).toEqual({ include, anchor });
  });

  test.each([
    ['services/[z-a]/**', /cannot be compiled: .*Range out of order/],
    ['services/{api/**', /cannot be compiled/],
    ['/services/api/**', /relative to the repository root/],
    ['services/api/', /matches no file; write 'services\/api\/\*\*'/],
    ['!', /it is empty/],
  ])('%s is rejected', (pattern, message) => {
    expect(() => compileRule({ pattern, at: ['global', 0] })).toThrow(GlobError);
    expect(() => compileRule({ pattern, at: ['global', 0] })).toThrow(message);
  });
});
