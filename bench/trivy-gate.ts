// trivy-gate on a synthetic report of 50,000 findings across 200 targets: read + parse + ignore file +
// decision + summary (+ SARIF), against the baseline of reading the same file and JSON.parse alone.
// Budget: the gate (without SARIF) in under 1 s.
import {
  evaluateGate,
  buildSarif,
  parseIgnoreFile,
  parseReport,
  parseSeverityList,
  renderSummary,
} from '@shiprail/trivy-gate';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticTrivyReport } from '@shiprail/testkit';
import { median } from './lib/timing.ts';

const FINDINGS = 50_000;
const TARGETS = 200;
const ROUNDS = 5;
const BUDGET_MS = 1000;

const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

const work = mkdtempSync(join(tmpdir(), 'trivy-gate-bench-'));
const reportPath = join(work, 'report.json');
writeFileSync(reportPath, JSON.stringify(syntheticTrivyReport({ findings: FINDINGS, targets: TARGETS })));
const sizeMiB = readFileSync(reportPath).length / 1024 / 1024;

// An ignore file of 300 entries: plain IDs, path-scoped, PURL-scoped, expired and never matching.
const ignoreLines: string[] = ['vulnerabilities:'];
for (let index = 0; index < 300; index += 1) {
  ignoreLines.push(`  - id: CVE-2024-${10000 + index * 7}`);
  if (index % 3 === 1) ignoreLines.push(`    paths: ["app/lockfile-*/package-lock.json"]`);
  if (index % 3 === 2) ignoreLines.push(`    purls: ["pkg:npm/pkg-${index % 200}-${index % 40}"]`);
  if (index % 5 === 0) ignoreLines.push('    expired_at: 2025-01-01');
}
const ignoreText = ignoreLines.join('\n');
const now = Date.UTC(2026, 0, 1);

async function time(body: () => unknown): Promise<number> {
  collect();
  const started = performance.now();
  await body();
  return performance.now() - started;
}

let sink = 0;
const baseline: number[] = [];
const gateTimes: number[] = [];
const sarifTimes: number[] = [];
const decisionTimes: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  baseline.push(
    await time(() => {
      const parsed = JSON.parse(readFileSync(reportPath, 'utf8')) as { Results: unknown[] };
      sink += parsed.Results.length;
    }),
  );
  let gated: ReturnType<typeof evaluateGate> | undefined;
  let report: ReturnType<typeof parseReport> | undefined;
  gateTimes.push(
    await time(async () => {
      report = parseReport(readFileSync(reportPath, 'utf8'), reportPath);
      const rules = await parseIgnoreFile(ignoreText, '.trivyignore.yaml');
      const severities = parseSeverityList('CRITICAL,HIGH', 'severity');
      gated = evaluateGate(report.findings, rules, { severities, ignoreUnfixed: true, now });
      const summary = renderSummary(gated, {
        subject: 'ghcr.io/acme/synthetic@sha256:0',
        severities,
        ignoreUnfixed: true,
        fail: true,
        reportPath,
        ignoreFiles: ['.trivyignore.yaml'],
        trivyVersion: '0.69.3',
      });
      sink += summary.length;
    }),
  );
  decisionTimes.push(
    await time(async () => {
      if (!report) return;
      const rules = await parseIgnoreFile(ignoreText, '.trivyignore.yaml');
      const decided = evaluateGate(report.findings, rules, {
        severities: parseSeverityList('CRITICAL,HIGH', 'severity'),
        ignoreUnfixed: true,
        now,
      });
      sink += decided.blocking.length;
    }),
  );
  sarifTimes.push(
    await time(() => {
      if (!gated || !report) return;
      sink += JSON.stringify(buildSarif([...gated.blocking, ...gated.others], report.info).log).length;
    }),
  );
  if (round === 0 && gated) {
    console.log(
      `report: ${FINDINGS} findings in ${TARGETS} targets, ${sizeMiB.toFixed(1)} MiB; ` +
        `blocking ${gated.blocking.length}, ignored ${gated.ignored.length}, expired entries ${gated.expired.length}, unused ${gated.unused.length}`,
    );
  }
}

const baselineMs = median(baseline);
const gateMs = median(gateTimes);
const sarifMs = median(sarifTimes);
const decisionMs = median(decisionTimes);
const peakMiB = process.resourceUsage().maxRSS / 1024;
console.log(`baseline (read + JSON.parse):                 ${baselineMs.toFixed(0)} ms`);
console.log(
  `gate (read, parse, ignores, decide, summary): ${gateMs.toFixed(0)} ms  = ${(gateMs / baselineMs).toFixed(2)}x baseline  ` +
    `(budget ${BUDGET_MS} ms: ${gateMs < BUDGET_MS ? 'within' : 'OVER'})`,
);
console.log(
  `  of which ignores + decision on parsed findings: ${decisionMs.toFixed(0)} ms  = ${(decisionMs / baselineMs).toFixed(2)}x baseline`,
);
console.log(
  `SARIF for every finding kept (25,000 max):    ${sarifMs.toFixed(0)} ms  = ${(sarifMs / baselineMs).toFixed(2)}x baseline`,
);
console.log(
  `peak memory (max RSS of this process):        ${peakMiB.toFixed(0)} MiB  (median of ${ROUNDS} rounds; checksum ${sink})`,
);
rmSync(work, { recursive: true, force: true });
