// SARIF output checked against the SARIF 2.1.0 schema, and the job summary at small and large scale.
import { SUMMARY_LIMIT_BYTES } from '../../packages/core/src/markdown.ts';
import {
  buildSarif,
  evaluateGate,
  parseReport,
  parseSeverityList,
  renderSummary,
  SARIF_RESULT_LIMIT,
  severityRank,
  type GateResult,
  type ParsedReport,
} from '@shiprail/trivy-gate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import { syntheticTrivyReport } from '@shiprail/testkit';
import { sarifSchemaErrors } from './sarif-schema.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'trivy-reports');
const shipped = readdirSync(fixtures).filter((name) => name.endsWith('.json'));
const load = (name: string): ParsedReport => parseReport(readFileSync(join(fixtures, name), 'utf8'), name);

interface SarifRule {
  id: string;
  defaultConfiguration: { level: string };
  properties: { 'security-severity': string; tags: string[] };
  helpUri?: string;
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: { artifactLocation: { uri: string } };
    logicalLocations: Array<{ fullyQualifiedName: string }>;
  }>;
  properties: Record<string, string>;
}
interface SarifRun {
  tool: { driver: { name: string; rules: SarifRule[] } };
  results: SarifResult[];
}

const runOf = (log: { runs: unknown[] }): SarifRun => log.runs[0] as SarifRun;

describe('SARIF', () => {
  test.each(shipped)('%s: valid SARIF 2.1.0, one rule per vulnerability ID, one result per finding', (name) => {
    const report = load(name);
    const { log, omitted } = buildSarif(report.findings, report.info);
    expect(sarifSchemaErrors(JSON.parse(JSON.stringify(log)))).toEqual([]);
    const run = runOf(log);
    expect(omitted).toBe(0);
    expect(run.tool.driver.rules.map((rule) => rule.id).sort()).toEqual(
      [...new Set(report.findings.map((finding) => finding.id))].sort(),
    );
    expect(run.results).toHaveLength(report.findings.length);
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
    }
  });

  test('levels, security-severity, package and versions, locations', () => {
    const report = load('alpine-39.json');
    const run = runOf(buildSarif(report.findings, report.info).log);
    const musl = run.tool.driver.rules.find((rule) => rule.id === 'CVE-2019-14697');
    expect(musl).toMatchObject({
      defaultConfiguration: { level: 'error' },
      properties: { 'security-severity': '9.5', tags: ['vulnerability', 'security', 'CRITICAL'] },
      helpUri: 'https://avd.aquasec.com/nvd/cve-2019-14697',
    });
    const medium = run.tool.driver.rules.find((rule) => rule.id === 'CVE-2019-1549');
    expect(medium).toMatchObject({
      defaultConfiguration: { level: 'warning' },
      properties: { 'security-severity': '5.5' },
    });
    const result = run.results.find((entry) => entry.properties['package'] === 'musl');
    expect(result).toMatchObject({
      ruleId: 'CVE-2019-14697',
      level: 'error',
      properties: { package: 'musl', installedVersion: '1.1.20-r4', fixedVersion: '1.1.20-r5', severity: 'CRITICAL' },
    });
    expect(result?.message.text).toContain('Installed Version: 1.1.20-r4');
    expect(result?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      'testdata/fixtures/images/alpine-39.tar.gz',
    );
    expect(result?.locations[0]?.logicalLocations[0]?.fullyQualifiedName).toBe(
      'testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)',
    );
    const low = load('ubuntu-1804.json');
    const lowRun = runOf(buildSarif(low.findings, low.info).log);
    expect(lowRun.results.find((entry) => entry.ruleId === 'CVE-2019-18276')).toMatchObject({
      level: 'note',
      properties: { fixedVersion: '', status: 'affected' },
    });
  });

  test(`keeps the ${SARIF_RESULT_LIMIT} most severe results that code scanning accepts`, () => {
    const report = parseReport(JSON.stringify(syntheticTrivyReport({ findings: 30_000, targets: 60 })), 'big.json');
    const { log, omitted } = buildSarif(report.findings, report.info);
    const run = runOf(log);
    expect(run.results).toHaveLength(SARIF_RESULT_LIMIT);
    expect(omitted).toBe(5_000);
    // 30,000 findings hold 3,750 UNKNOWN and 11,250 LOW: the cut falls inside LOW, no UNKNOWN is kept.
    expect(run.results.some((result) => result.properties['severity'] === 'UNKNOWN')).toBe(false);
  });

  test('a synthetic report of 300 findings in 12 targets is valid SARIF too', () => {
    // Larger logs take Ajv minutes: the schema asks for unique rules, compared pairwise.
    const report = parseReport(JSON.stringify(syntheticTrivyReport({ findings: 300, targets: 12 })), 'mid.json');
    expect(sarifSchemaErrors(JSON.parse(JSON.stringify(buildSarif(report.findings, report.info).log)))).toEqual([]);
  });
});

const gateOf = (report: ParsedReport, severity = 'CRITICAL,HIGH'): GateResult =>
  evaluateGate(report.findings, [], {
    severities: parseSeverityList(severity, 'severity'),
    ignoreUnfixed: true,
    now: 0,
  });

const context = (reportPath: string) => ({
  subject: 'ghcr.io/acme/api@sha256:abc',
  severities: parseSeverityList('CRITICAL,HIGH', 'severity'),
  ignoreUnfixed: true,
  fail: true,
  reportPath,
  ignoreFiles: [],
  trivyVersion: '0.69.3',
});

describe('summary', () => {
  test('counts by severity, blocking findings linked, the rest folded', () => {
    const report = load('alpine-39.json');
    const summary = renderSummary(gateOf(report), context('report.json'));
    expect(summary).toContain('### Trivy gate: ❌ failed: 2 blocking');
    expect(summary).toContain('| **CRITICAL** | 2 | 2 | 0 |');
    expect(summary).toContain('| MEDIUM | 4 | 0 | 0 |');
    expect(summary).toContain('| **Total** | 6 | 2 | 0 |');
    expect(summary).toContain(
      '| [CVE-2019-14697](https://avd.aquasec.com/nvd/cve-2019-14697) | CRITICAL | musl | 1.1.20-r4 | 1.1.20-r5 | musl libc through 1.1.23 has an x87 floating-point stack adjustment imbalance, related to the math/i386/ directory. In … |',
    );
    expect(summary).toMatch(/<details><summary>Other findings \(4\): not blocking<\/summary>[\s\S]*CVE-2019-1551/);
    expect(summary.indexOf('#### Blocking findings (2)')).toBeLessThan(summary.indexOf('Other findings'));
    // One target in the image: no Target column.
    expect(summary).not.toContain('| Target |');
  });

  test('stays readable with 50,000 findings: rows are capped and the rest counted', () => {
    const report = parseReport(JSON.stringify(syntheticTrivyReport({ findings: 50_000, targets: 200 })), 'big.json');
    const result = gateOf(report);
    expect(result.counts).toEqual({ CRITICAL: 6250, HIGH: 6250, MEDIUM: 12500, LOW: 18750, UNKNOWN: 6250 });
    expect(result.blocking).toHaveLength(12_500);
    const summary = renderSummary(result, context('/tmp/report.json'));
    expect(Buffer.byteLength(summary)).toBeLessThan(SUMMARY_LIMIT_BYTES / 4);
    const findingRows = summary.split('\n').filter((line) => line.startsWith('| [CVE-'));
    expect(findingRows).toHaveLength(100 + 200);
    // Findings from many lock files and layers: each row says where.
    expect(summary).toContain('| Vulnerability | Severity | Package | Installed | Fixed | Title | Target |');
    expect(summary).toMatch(/\| app\/image \(debian 12\.\d+\) \|/);
    expect(summary).toContain('_…and 12400 more blocking findings: every finding is in `/tmp/report.json`._');
    expect(summary).toContain('_…and 37300 more findings: every finding is in `/tmp/report.json`._');
    // The most severe come first.
    const severities = findingRows.slice(0, 100).map((row) => row.split(' | ')[1] ?? '');
    expect([...severities].sort((a, b) => severityRank(a as never) - severityRank(b as never))).toEqual(severities);
  });
});
