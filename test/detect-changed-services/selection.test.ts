import {
  buildMatcher,
  changedEntries,
  changedPaths,
  detectToolchain,
  matrixEntry,
  NO_TOOLCHAIN,
  parseManifest,
  parseNameStatus,
  selectAll,
  selectServices,
} from '@shiprail/detect-changed-services';
import { MANIFEST } from './repo.ts';

const manifest = await parseManifest(MANIFEST, '.github/services.yml');
const matcher = buildMatcher(manifest);

function select(paths: string[], includeDependents = true): Record<string, string[]> {
  const selection = selectServices(manifest, matcher, paths, { includeDependents });
  return Object.fromEntries(selection.selected.map(({ service, reasons }) => [service.name, reasons]));
}

describe('selectServices', () => {
  test.each<[string, string[], Record<string, string[]>]>([
    ['nothing changed', [], {}],
    ['an unrelated file', ['README.md', 'docs/guide.md'], {}],
    ["a service's own file", ['services/worker/src/worker.ts'], { worker: ['services/worker/src/worker.ts'] }],
    ['an excluded file', ['services/api/README.md'], {}],
    [
      're-included after an exclude',
      ['services/api/docs/openapi.md'],
      {
        api: ['services/api/docs/openapi.md'],
        web: ['depends on api (services/api/docs/openapi.md)'],
      },
    ],
    [
      'a library, reaching services transitively',
      ['libs/auth/index.ts'],
      {
        api: ['depends on auth via users (libs/auth/index.ts)'],
        web: ['depends on auth via api (libs/auth/index.ts)'],
      },
    ],
    [
      'a service another service depends on',
      ['services/api/src/server.ts', 'services/api/src/routes.ts'],
      {
        api: ['services/api/src/server.ts', 'services/api/src/routes.ts'],
        web: ['depends on api (services/api/src/server.ts)'],
      },
    ],
    [
      'a global file',
      ['package-lock.json', 'services/web/src/index.ts'],
      {
        api: ['global: package-lock.json'],
        web: ['global: package-lock.json', 'services/web/src/index.ts'],
        worker: ['global: package-lock.json'],
      },
    ],
    ['a global exclusion', ['.github/workflows/docs.yml'], {}],
  ])('%s', (_, paths, expected) => {
    expect(select(paths)).toEqual(expected);
  });

  test('include-dependents: false keeps only services whose own files changed', () => {
    expect(select(['libs/auth/index.ts', 'services/api/src/server.ts'], false)).toEqual({
      api: ['services/api/src/server.ts'],
    });
  });

  test('a global change selects all; otherwise all is false', () => {
    expect(selectServices(manifest, matcher, ['.github/workflows/deploy.yml'], { includeDependents: true }).all).toBe(
      true,
    );
    expect(selectServices(manifest, matcher, ['services/web/a.ts'], { includeDependents: true }).all).toBe(false);
  });

  test('many changed files are quoted up to a limit, then counted', () => {
    const paths = Array.from({ length: 14 }, (_, index) => `services/worker/f${index}.ts`);
    const reasons = select(paths)['worker'] ?? [];
    expect(reasons).toHaveLength(11);
    expect(reasons[10]).toBe('and 4 more changed files');
  });

  test('a file moved from one service to another selects both', () => {
    const files = parseNameStatus('R087\0services/api/src/jobs.ts\0services/worker/src/jobs.ts\0M\0README.md\0');
    expect(files).toEqual([
      { status: 'R', from: 'services/api/src/jobs.ts', path: 'services/worker/src/jobs.ts' },
      { status: 'M', path: 'README.md' },
    ]);
    expect(Object.keys(select(changedPaths(files)))).toEqual(['api', 'web', 'worker']);
  });

  test('matrix entries carry the fields the reference names', () => {
    const selection = selectServices(manifest, matcher, ['services/worker/x.ts'], { includeDependents: true });
    expect(selection.selected.map(matrixEntry)).toEqual([
      {
        service: 'worker',
        path: 'services/worker',
        context: '.',
        dockerfile: 'services/worker/Containerfile',
        image: 'worker',
        resource: 'statefulset/worker',
        test: '',
        'test-reports': '',
        coverage: '',
        'min-coverage': '',
        toolchain: NO_TOOLCHAIN,
        'test-image': '',
        build: '',
        'integration-test': '',
        container: '',
        'helm-values': {},
        reasons: ['services/worker/x.ts'],
      },
    ]);
  });

  test('matrix entries carry the toolchain, test image, build and integration-test keys of the manifest', async () => {
    const declared = await parseManifest(
      [
        'services:',
        '  orders:',
        '    path: services/orders',
        '    toolchain: {go: "1.26", node: 22}',
        '    test-image: mcr.microsoft.com/dotnet/sdk:10.0',
        '    build: ko build --push=false --oci-layout-path "$IMAGE_OUTPUT" .',
        '    integration-test: go test -tags integration ./it/...',
        '    container: server',
        '    helm-values:',
        '      repository: orders.image.repository',
        '      tag: orders.image.tag',
        '',
      ].join('\n'),
      'services.yml',
    );
    const [selected] = selectAll(declared, 'all').selected;
    expect(
      selected && matrixEntry({ ...selected, toolchain: detectToolchain(selected.service.toolchain, () => undefined) }),
    ).toMatchObject({
      toolchain: { ...NO_TOOLCHAIN, go: '1.26', node: '22' },
      'test-image': 'mcr.microsoft.com/dotnet/sdk:10.0',
      build: 'ko build --push=false --oci-layout-path "$IMAGE_OUTPUT" .',
      'integration-test': 'go test -tags integration ./it/...',
      container: 'server',
      'helm-values': { repository: 'orders.image.repository', tag: 'orders.image.tag' },
    });
  });

  test.each([
    ['    toolchain: {go: "1.26", zig: "0.13"}', "'zig'"],
    ['    toolchain: {node: "$(curl x)"}', 'is not a version'],
    ['    toolchain: 1.26', 'expected a map of tool to version'],
    ['    test-image: "golang 1.26"', 'is not an image name'],
    ['    build: ""', 'expected a command'],
  ])('%s is refused', async (line, message) => {
    await expect(
      parseManifest(['services:', '  orders:', '    path: services/orders', line, ''].join('\n'), 'services.yml'),
    ).rejects.toThrow(message);
  });

  test('matrix entries carry the test keys of the manifest', async () => {
    const withTests = await parseManifest(
      [
        'services:',
        '  api:',
        '    path: services/api',
        '    test: npm test',
        "    test-reports: 'services/api/reports/*.xml'",
        '    coverage: services/api/coverage/lcov.info',
        '    min-coverage: 72.5',
        '',
      ].join('\n'),
      '.github/services.yml',
    );
    const [selected] = selectServices(withTests, buildMatcher(withTests), ['services/api/a.ts'], {
      includeDependents: true,
    }).selected;
    expect(selected && matrixEntry(selected)).toMatchObject({
      test: 'npm test',
      'test-reports': 'services/api/reports/*.xml',
      coverage: 'services/api/coverage/lcov.info',
      'min-coverage': '72.5',
    });
  });
});

describe('parseNameStatus', () => {
  test.each([
    ['', []],
    [
      'A\0a b.txt\0D\0x\0',
      [
        { status: 'A', path: 'a b.txt' },
        { status: 'D', path: 'x' },
      ],
    ],
    [
      'C100\0a\0b\0T\0link\0',
      [
        { status: 'C', from: 'a', path: 'b' },
        { status: 'T', path: 'link' },
      ],
    ],
  ])('%j', (output, files) => {
    expect(parseNameStatus(output)).toEqual(files);
  });

  test('a copy counts at its new path only; a rename at both', () => {
    expect(
      changedPaths([
        { status: 'C', from: 'a', path: 'b' },
        { status: 'R', from: 'c', path: 'd' },
      ]),
    ).toEqual(['b', 'c', 'd']);
  });
});

describe('manifest entries that changed', () => {
  const edit = (from: string, to: string): string => {
    if (!MANIFEST.includes(from)) throw new Error(`MANIFEST has no ${from}`);
    return MANIFEST.replace(from, to);
  };
  test.each<[string, string | undefined, string, Record<string, string>]>([
    ['the same text', MANIFEST, MANIFEST, {}],
    ['comments and blank lines only (positions move)', MANIFEST, `# moved\n\n${MANIFEST}`, {}],
    ['a global rule only', MANIFEST, edit('  - package-lock.json\n', '  - yarn.lock\n'), {}],
    ["a service's resource", MANIFEST, edit('statefulset/worker', 'deployment/worker'), { worker: 'changed' }],
    [
      "a service's paths",
      MANIFEST,
      edit("'services/api/docs/openapi.md'", "'services/api/openapi.yaml'"),
      { api: 'changed' },
    ],
    ["a library's dependsOn", MANIFEST, edit('    dependsOn: [auth]\n', ''), { users: 'changed' }],
    ['a service added', MANIFEST, `${MANIFEST}  cart:\n    path: services/cart\n`, { cart: 'added' }],
    ['a service removed', MANIFEST, MANIFEST.replace(/ {2}worker:[\s\S]*$/, ''), {}],
    [
      'no manifest at the base',
      undefined,
      MANIFEST,
      { api: 'added', auth: 'added', users: 'added', web: 'added', worker: 'added' },
    ],
  ])('%s', async (_, before, after, expected) => {
    const parsedAfter = await parseManifest(after, '.github/services.yml');
    const parsedBefore = before === undefined ? undefined : await parseManifest(before, '.github/services.yml');
    const changed = changedEntries(parsedBefore, parsedAfter);
    expect(Object.fromEntries(changed)).toEqual(
      Object.fromEntries(Object.entries(expected).map(([name, how]) => [name, `.github/services.yml: entry ${how}`])),
    );
  });

  test.each<[string, Record<string, string>, Record<string, string[]>]>([
    [
      "a service's entry: the service and its dependants",
      { api: 'm: entry changed' },
      { api: ['m: entry changed'], web: ['depends on api (m: entry changed)'] },
    ],
    [
      "a library's entry: the services that depend on it",
      { auth: 'm: entry changed' },
      {
        api: ['depends on auth via users (m: entry changed)'],
        web: ['depends on auth via api (m: entry changed)'],
      },
    ],
  ])('selects %s', (_, entries, expected) => {
    const selection = selectServices(manifest, matcher, [], {
      includeDependents: true,
      changedEntries: new Map(Object.entries(entries)),
    });
    expect(Object.fromEntries(selection.selected.map(({ service, reasons }) => [service.name, reasons]))).toEqual(
      expected,
    );
  });
});
