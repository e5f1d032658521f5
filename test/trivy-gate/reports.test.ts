// The gate on every real Trivy report shipped in test/fixtures/trivy-reports (Trivy's own golden outputs).
import {
  evaluateGate,
  parseIgnoreFile,
  parseReport,
  parseSeverityList,
  type SeverityCounts,
} from '@shiprail/trivy-gate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

const fixtures = join(repoRoot, 'test', 'fixtures', 'trivy-reports');
const load = (name: string) => parseReport(readFileSync(join(fixtures, name), 'utf8'), name);
const NOW = Date.UTC(2026, 10, 22);

const counts = (partial: Partial<SeverityCounts>): SeverityCounts => ({
  CRITICAL: 0,
  HIGH: 0,
  MEDIUM: 0,
  LOW: 0,
  UNKNOWN: 0,
  ...partial,
});

describe('counts per severity', () => {
  test.each([
    ['alpine-39.json', counts({ CRITICAL: 2, MEDIUM: 4 })],
    ['alpine-39-ignore-cveids.json', counts({ MEDIUM: 2 })],
    ['ubuntu-1804.json', counts({ MEDIUM: 4, LOW: 1 })],
    ['ubuntu-1804-ignore-unfixed.json', counts({ MEDIUM: 4 })],
    ['debian-stretch.json', counts({ MEDIUM: 4, LOW: 1 })],
    ['photon-30.json', counts({ CRITICAL: 2, HIGH: 1 })],
  ])('%s', (name, expected) => {
    const result = evaluateGate(load(name).findings, [], {
      severities: parseSeverityList('CRITICAL,HIGH', 'severity'),
      ignoreUnfixed: true,
      now: NOW,
    });
    expect(result.counts).toEqual(expected);
  });
});

interface Case {
  report: string;
  severity: string;
  ignoreUnfixed: boolean;
  /** Ignore file name and content, when the case has one. */
  ignore?: [string, string];
  blocking: number;
  passed: boolean;
}

const cases: Case[] = [
  { report: 'alpine-39.json', severity: 'CRITICAL,HIGH', ignoreUnfixed: true, blocking: 2, passed: false },
  { report: 'alpine-39.json', severity: 'MEDIUM', ignoreUnfixed: true, blocking: 4, passed: false },
  { report: 'alpine-39.json', severity: 'LOW,UNKNOWN', ignoreUnfixed: false, blocking: 0, passed: true },
  {
    report: 'alpine-39.json',
    severity: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
    ignoreUnfixed: false,
    blocking: 6,
    passed: false,
  },
  {
    report: 'alpine-39.json',
    severity: 'CRITICAL,HIGH',
    ignoreUnfixed: true,
    ignore: ['.trivyignore', '# musl: not reachable\nCVE-2019-14697 exp:2099-01-01\n'],
    blocking: 0,
    passed: true,
  },
  {
    report: 'alpine-39.json',
    severity: 'CRITICAL,HIGH',
    ignoreUnfixed: true,
    ignore: ['.trivyignore', 'CVE-2019-14697 exp:2025-01-01\n'],
    blocking: 2,
    passed: false,
  },
  {
    report: 'alpine-39.json',
    severity: 'CRITICAL',
    ignoreUnfixed: true,
    ignore: [
      '.trivyignore.yaml',
      'vulnerabilities:\n  - id: CVE-2019-14697\n    purls: ["pkg:apk/alpine/musl-utils"]\n',
    ],
    blocking: 1,
    passed: false,
  },
  { report: 'alpine-39-ignore-cveids.json', severity: 'CRITICAL,HIGH', ignoreUnfixed: true, blocking: 0, passed: true },
  { report: 'alpine-39-ignore-cveids.json', severity: 'MEDIUM', ignoreUnfixed: true, blocking: 2, passed: false },
  { report: 'ubuntu-1804.json', severity: 'CRITICAL,HIGH', ignoreUnfixed: true, blocking: 0, passed: true },
  { report: 'ubuntu-1804.json', severity: 'LOW', ignoreUnfixed: true, blocking: 0, passed: true },
  { report: 'ubuntu-1804.json', severity: 'LOW', ignoreUnfixed: false, blocking: 1, passed: false },
  { report: 'ubuntu-1804.json', severity: 'LOW,MEDIUM', ignoreUnfixed: true, blocking: 4, passed: false },
  { report: 'ubuntu-1804.json', severity: 'LOW,MEDIUM', ignoreUnfixed: false, blocking: 5, passed: false },
  {
    report: 'ubuntu-1804.json',
    severity: 'LOW,MEDIUM',
    ignoreUnfixed: false,
    ignore: ['.trivyignore', 'CVE-2019-5094\nCVE-2019-18276 exp:2030-06-30\n'],
    blocking: 0,
    passed: true,
  },
  { report: 'ubuntu-1804-ignore-unfixed.json', severity: 'MEDIUM', ignoreUnfixed: true, blocking: 4, passed: false },
  { report: 'debian-stretch.json', severity: 'CRITICAL,HIGH', ignoreUnfixed: true, blocking: 0, passed: true },
  { report: 'debian-stretch.json', severity: 'LOW', ignoreUnfixed: true, blocking: 0, passed: true },
  { report: 'debian-stretch.json', severity: 'LOW', ignoreUnfixed: false, blocking: 1, passed: false },
  { report: 'debian-stretch.json', severity: 'LOW,MEDIUM', ignoreUnfixed: false, blocking: 5, passed: false },
  {
    report: 'debian-stretch.json',
    severity: 'MEDIUM',
    ignoreUnfixed: true,
    ignore: [
      '.trivyignore.yaml',
      'vulnerabilities:\n  - id: CVE-2019-5094\n    purls:\n      - pkg:deb/debian/e2fsprogs\n      - pkg:deb/debian/libss2@1.43.4-2\n    statement: not used at run time\n',
    ],
    blocking: 2,
    passed: false,
  },
  { report: 'photon-30.json', severity: 'CRITICAL,HIGH', ignoreUnfixed: true, blocking: 3, passed: false },
  { report: 'photon-30.json', severity: 'CRITICAL', ignoreUnfixed: true, blocking: 2, passed: false },
  { report: 'photon-30.json', severity: 'MEDIUM,LOW', ignoreUnfixed: false, blocking: 0, passed: true },
  {
    report: 'photon-30.json',
    severity: 'CRITICAL,HIGH',
    ignoreUnfixed: true,
    ignore: ['.trivyignore.yaml', 'vulnerabilities:\n  - id: CVE-2019-5481\n    paths: ["testdata/fixtures/**"]\n'],
    blocking: 1,
    passed: false,
  },
  {
    report: 'photon-30.json',
    severity: 'CRITICAL,HIGH',
    ignoreUnfixed: true,
    ignore: ['.trivyignore.yaml', 'vulnerabilities:\n  - id: CVE-2019-5481\n    paths: ["other/**"]\n'],
    blocking: 3,
    passed: false,
  },
];

describe('blocking findings and the verdict', () => {
  test.each(cases)(
    '$report severity=$severity ignore-unfixed=$ignoreUnfixed -> $blocking blocking',
    async (testCase) => {
      const rules = testCase.ignore ? await parseIgnoreFile(testCase.ignore[1], testCase.ignore[0]) : [];
      const result = evaluateGate(load(testCase.report).findings, rules, {
        severities: parseSeverityList(testCase.severity, 'severity'),
        ignoreUnfixed: testCase.ignoreUnfixed,
        now: NOW,
      });
      expect({ blocking: result.blocking.length, passed: result.passed }).toEqual({
        blocking: testCase.blocking,
        passed: testCase.passed,
      });
      expect(result.blocking.length).toBe(Object.values(result.blockingCounts).reduce((a, b) => a + b, 0));
    },
  );
});

describe('agrees with what Trivy itself wrote', () => {
  const key = (finding: { id: string; pkgName: string }): string => `${finding.id} ${finding.pkgName}`;

  test('ignoring two CVE IDs leaves what trivy --ignorefile left (alpine-39-ignore-cveids)', async () => {
    const rules = await parseIgnoreFile('CVE-2019-14697\nCVE-2019-1549\n', '.trivyignore');
    const result = evaluateGate(load('alpine-39.json').findings, rules, {
      severities: parseSeverityList('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL', 'severity'),
      ignoreUnfixed: false,
      now: NOW,
    });
    expect([...result.blocking, ...result.others].map(key).sort()).toEqual(
      load('alpine-39-ignore-cveids.json').findings.map(key).sort(),
    );
    expect(result.ignored).toHaveLength(4);
  });

  test.each(['ubuntu-1804.json', 'debian-stretch.json'])(
    'ignore-unfixed keeps out of the gate what trivy --ignore-unfixed dropped (%s)',
    (name) => {
      const result = evaluateGate(load(name).findings, [], {
        severities: parseSeverityList('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL', 'severity'),
        ignoreUnfixed: true,
        now: NOW,
      });
      expect(result.blocking).toHaveLength(4);
      expect(result.unfixedSkipped).toBe(1);
      // Unfixed findings stay counted.
      expect(result.counts.LOW).toBe(1);
    },
  );

  test('ubuntu-1804 with ignore-unfixed gates exactly the findings of ubuntu-1804-ignore-unfixed', () => {
    const result = evaluateGate(load('ubuntu-1804.json').findings, [], {
      severities: parseSeverityList('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL', 'severity'),
      ignoreUnfixed: true,
      now: NOW,
    });
    expect(result.blocking.map(key).sort()).toEqual(load('ubuntu-1804-ignore-unfixed.json').findings.map(key).sort());
  });
});
