// A synthetic Trivy JSON report (schema version 2) of any size, for the trivy-gate benchmark and tests.
// Deterministic: the same arguments give the same report.

const SEVERITY_CYCLE = ['CRITICAL', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'LOW', 'UNKNOWN'];
const STATUS_CYCLE = ['fixed', 'fixed', 'fixed', 'affected', 'will_not_fix', 'fixed', 'fix_deferred', 'end_of_life'];

export interface SyntheticReportOptions {
  findings: number;
  targets: number;
}

export function syntheticTrivyReport(options: SyntheticReportOptions): Record<string, unknown> {
  const perTarget = Math.ceil(options.findings / options.targets);
  const results: Array<Record<string, unknown>> = [];
  let made = 0;
  for (let target = 0; target < options.targets; target += 1) {
    const vulnerabilities: Array<Record<string, unknown>> = [];
    for (let index = 0; index < perTarget && made < options.findings; index += 1, made += 1) {
      const status = STATUS_CYCLE[made % STATUS_CYCLE.length] ?? 'fixed';
      const pkg = `pkg-${target}-${index % 40}`;
      const version = `1.${index % 7}.${made % 13}`;
      vulnerabilities.push({
        VulnerabilityID: `CVE-2024-${10000 + (made % 5000)}`,
        PkgID: `${pkg}@${version}`,
        PkgName: pkg,
        PkgPath: target % 2 === 0 ? '' : `app/node_modules/${pkg}/package.json`,
        PkgIdentifier: { PURL: `pkg:npm/${pkg}@${version}`, UID: made.toString(16) },
        InstalledVersion: version,
        ...(status === 'fixed' ? { FixedVersion: `${version}-patched` } : {}),
        Status: status,
        Severity: SEVERITY_CYCLE[made % SEVERITY_CYCLE.length],
        PrimaryURL: `https://avd.aquasec.com/nvd/cve-2024-${10000 + (made % 5000)}`,
        Title: `${pkg}: synthetic vulnerability number ${made}`,
        Description: `A synthetic finding for benchmarks: ${'detail '.repeat(20)}`,
        References: [`https://example.invalid/advisory/${made}`],
      });
    }
    results.push({
      Target: target % 2 === 0 ? `app/image (debian 12.${target})` : `app/lockfile-${target}/package-lock.json`,
      Class: target % 2 === 0 ? 'os-pkgs' : 'lang-pkgs',
      Type: target % 2 === 0 ? 'debian' : 'npm',
      Vulnerabilities: vulnerabilities,
    });
  }
  return {
    SchemaVersion: 2,
    Trivy: { Version: '0.69.3' },
    ArtifactName: 'ghcr.io/acme/synthetic@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    ArtifactType: 'container_image',
    Results: results,
  };
}
