// Ignore files: both of Trivy's formats, expiry, and matching by ID, paths and package URLs.
import {
  evaluateGate,
  IgnoreMatcher,
  packageUrlMatches,
  parseExpiry,
  parseIgnoreFile,
  parsePackageUrl,
  parseSeverityList,
  type Finding,
} from '@shiprail/trivy-gate';
import { ConfigurationError } from '@shiprail/core';

const finding = (overrides: Partial<Finding>): Finding => ({
  id: 'CVE-2024-0001',
  severity: 'HIGH',
  target: 'ghcr.io/acme/api (debian 12.5)',
  targetClass: 'os-pkgs',
  targetType: 'debian',
  pkgName: 'openssl',
  pkgPath: '',
  purl: 'pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12.5',
  installed: '3.0.11-1',
  fixed: '3.0.13-1',
  status: 'fixed',
  title: 'openssl: a flaw',
  description: '',
  primaryUrl: '',
  ...overrides,
});

describe('.trivyignore lines', () => {
  test('IDs, comments, blank lines, expiry dates and words Trivy ignores', async () => {
    const rules = await parseIgnoreFile(
      '# accepted risks\n\nCVE-2024-0001\n  CVE-2024-0002   exp:2025-03-01  \nGHSA-xxxx-yyyy-zzzz some note exp:2030-12-31 # trailing\nCVE-2024-0003 # exp:not-a-date is a comment\n',
      '.trivyignore',
    );
    expect(rules.map(({ id, expires, expiresAt, line }) => ({ id, expires, expiresAt, line }))).toEqual([
      { id: 'CVE-2024-0001', expires: '', expiresAt: undefined, line: 3 },
      { id: 'CVE-2024-0002', expires: '2025-03-01', expiresAt: Date.UTC(2025, 2, 1), line: 4 },
      { id: 'GHSA-xxxx-yyyy-zzzz', expires: '2030-12-31', expiresAt: Date.UTC(2030, 11, 31), line: 5 },
      { id: 'CVE-2024-0003', expires: '', expiresAt: undefined, line: 6 },
    ]);
  });

  test.each([
    ['CVE-1 exp:2025-1-01', 1],
    ['CVE-1\nCVE-2 exp:2025-02-29', 2],
    ['CVE-1\n\nCVE-3 exp:tomorrow', 3],
    ['exp:2025-01-01', 1],
  ])('%j is refused at line %i', async (content, line) => {
    const caught: unknown = await parseIgnoreFile(content, 'sec/.trivyignore').catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).location).toEqual({ file: 'sec/.trivyignore', line });
  });
});

describe('.trivyignore.yaml', () => {
  test('entries with paths, purls, expiry and statement; other sections are accepted', async () => {
    const rules = await parseIgnoreFile(
      [
        'vulnerabilities:',
        '  - id: CVE-2024-0001',
        '    paths:',
        '      - "usr/lib/**"',
        '    purls: ["pkg:deb/debian/openssl"]',
        '    expired_at: 2027-01-31',
        '    statement: only used by the build stage',
        '  - id: CVE-2024-0002',
        '    expired_at: "2026-05-01T12:00:00Z"',
        'misconfigurations:',
        '  - id: AVD-DS-0002',
        'secrets: []',
        '',
      ].join('\n'),
      '.trivyignore.yaml',
    );
    expect(rules).toEqual([
      {
        id: 'CVE-2024-0001',
        paths: ['usr/lib/**'],
        purls: ['pkg:deb/debian/openssl'],
        expires: '2027-01-31',
        expiresAt: Date.UTC(2027, 0, 31),
        statement: 'only used by the build stage',
        file: '.trivyignore.yaml',
        line: 2,
      },
      {
        id: 'CVE-2024-0002',
        paths: [],
        purls: [],
        expires: '2026-05-01T12:00:00Z',
        expiresAt: Date.UTC(2026, 4, 1, 12),
        statement: '',
        file: '.trivyignore.yaml',
        line: 8,
      },
    ]);
  });

  test('an empty file ignores nothing', async () => {
    expect(await parseIgnoreFile('', 'x.yaml')).toEqual([]);
    expect(await parseIgnoreFile('vulnerabilities:\n', 'x.yaml')).toEqual([]);
  });

  test.each([
    ['- id: CVE-1\n', 1, /expected a mapping/],
    ['vulns:\n  - id: CVE-1\n', 1, /unknown section 'vulns'/],
    ['vulnerabilities:\n  id: CVE-1\n', 2, /expected a list/],
    ['vulnerabilities:\n  - CVE-1\n', 2, /expected an entry like/],
    ['vulnerabilities:\n  - paths: [a]\n', 2, /every entry needs an `id`/],
    ['vulnerabilities:\n  - id: CVE-1\n    paths: a/**\n', 3, /paths: expected a list of strings/],
    ['vulnerabilities:\n  - id: CVE-1\n    expired_at: 31.12.2025\n', 3, /is not a date/],
    ['vulnerabilities:\n  - id: CVE-1\n    expired_at: 2025-13-01\n', 3, /is not a date/],
    [
      'vulnerabilities:\n  - id: CVE-1\n\n    purls:\n      - pkg:npm/a\n      - npm/b\n',
      6,
      /'npm\/b' is not a package URL/,
    ],
  ])('%j is refused at line %i', async (content, line, message) => {
    const caught: unknown = await parseIgnoreFile(content, '.trivyignore.yaml').catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).message).toMatch(message);
    expect((caught as ConfigurationError).location).toEqual({ file: '.trivyignore.yaml', line });
  });
});

describe('expiry dates', () => {
  test.each([
    ['2025-01-31', Date.UTC(2025, 0, 31)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2025-02-29', undefined],
    ['2025-06-01T08:30:00+02:00', Date.UTC(2025, 5, 1, 6, 30)],
    ['next week', undefined],
  ])('%s', (text, expected) => {
    expect(parseExpiry(text)).toBe(expected);
  });

  test('an entry applies up to its date and stops at midnight UTC of that date, as in Trivy', async () => {
    const rules = await parseIgnoreFile('CVE-2024-0001 exp:2026-03-01\n', '.trivyignore');
    const options = (now: number) => ({ severities: parseSeverityList('HIGH', 's'), ignoreUnfixed: true, now });
    const before = evaluateGate([finding({})], rules, options(Date.UTC(2026, 1, 28, 23, 59)));
    expect(before.ignored).toHaveLength(1);
    expect(before.expired).toEqual([]);
    const after = evaluateGate([finding({})], rules, options(Date.UTC(2026, 2, 1, 0, 0, 1)));
    expect(after.ignored).toEqual([]);
    expect(after.blocking).toHaveLength(1);
    expect(after.expired).toEqual([{ rule: rules[0], matches: 1 }]);
    expect(after.unused).toEqual([]);
  });
});

describe('package URLs', () => {
  test('parses the parts', () => {
    expect(parsePackageUrl('pkg:npm/%40babel/core@7.24.0?foo=bar#lib/x')).toEqual({
      type: 'npm',
      namespace: '@babel',
      name: 'core',
      version: '7.24.0',
      qualifiers: new Map([['foo', 'bar']]),
      subpath: 'lib/x',
    });
    expect(parsePackageUrl('debian/openssl')).toBeUndefined();
    expect(parsePackageUrl('pkg:')).toBeUndefined();
  });

  const target = 'pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12.5';
  test.each([
    ['pkg:deb/debian/openssl', true],
    ['pkg:deb/debian/openssl@3.0.11-1', true],
    ['pkg:deb/debian/openssl@3.0.13-1', false],
    ['pkg:deb/debian/openssl?arch=amd64', true],
    ['pkg:deb/debian/openssl?arch=arm64', false],
    ['pkg:deb/ubuntu/openssl', false],
    ['pkg:rpm/debian/openssl', false],
    ['pkg:deb/debian/libssl3', false],
  ])('%s matches %s: %s', (pattern, expected) => {
    const parsedPattern = parsePackageUrl(pattern);
    const parsedTarget = parsePackageUrl(target);
    if (!parsedPattern || !parsedTarget) throw new Error('unparsed');
    expect(packageUrlMatches(parsedPattern, parsedTarget)).toBe(expected);
  });
});

describe('IgnoreMatcher', () => {
  const rule = (yaml: string) => parseIgnoreFile(`vulnerabilities:\n${yaml}`, '.trivyignore.yaml');

  test.each([
    ['  - id: CVE-2024-0001\n', {}, true],
    ['  - id: CVE-2024-0002\n', {}, false],
    ['  - id: CVE-2024-0001\n    paths: ["ghcr.io/acme/*"]\n', {}, true],
    [
      '  - id: CVE-2024-0001\n    paths: ["app/**/package.json"]\n',
      { pkgPath: 'app/node_modules/x/package.json' },
      true,
    ],
    [
      '  - id: CVE-2024-0001\n    paths: ["app/*/package.json"]\n',
      { pkgPath: 'app/node_modules/x/package.json' },
      false,
    ],
    ['  - id: CVE-2024-0001\n    paths: ["other/**"]\n', {}, false],
    ['  - id: CVE-2024-0001\n    purls: ["pkg:deb/debian/openssl"]\n', {}, true],
    ['  - id: CVE-2024-0001\n    purls: ["pkg:deb/debian/curl"]\n', {}, false],
    ['  - id: CVE-2024-0001\n    purls: ["pkg:deb/debian/curl"]\n', { purl: '' }, true],
    ['  - id: CVE-2024-0001\n    paths: ["ghcr.io/**"]\n    purls: ["pkg:deb/debian/curl"]\n', {}, false],
  ])('%j on %j: %s', async (yaml, overrides, expected) => {
    const matcher = new IgnoreMatcher(await rule(yaml));
    expect(matcher.match(finding(overrides)) !== undefined).toBe(expected);
  });

  test('the first matching entry wins and unused entries are reported', async () => {
    const rules = await rule(
      '  - id: CVE-2024-0001\n    statement: first\n  - id: CVE-2024-0001\n    statement: second\n',
    );
    const result = evaluateGate([finding({})], rules, {
      severities: parseSeverityList('HIGH', 's'),
      ignoreUnfixed: true,
      now: 0,
    });
    expect(result.ignored.map((ignored) => ignored.rule.statement)).toEqual(['first']);
    expect(result.unused.map((unused) => unused.statement)).toEqual(['second']);
  });
});

describe('ignore-unfixed uses Status, then FixedVersion', () => {
  test.each([
    ['fixed', '1.1', true],
    ['affected', '', false],
    ['will_not_fix', '', false],
    ['fix_deferred', '', false],
    ['end_of_life', '', false],
    ['affected', '1.1', false],
    ['', '1.1', true],
    ['', '', false],
    ['unknown', '1.1', true],
  ])('status %j, fixed version %j: blocks=%s', (status, fixed, blocks) => {
    const result = evaluateGate([finding({ status, fixed })], [], {
      severities: parseSeverityList('HIGH', 's'),
      ignoreUnfixed: true,
      now: 0,
    });
    expect(result.blocking.length === 1).toBe(blocks);
    expect(result.counts.HIGH).toBe(1);
  });
});
