// The SARIF log for GitHub code scanning: one result per finding, the most severe kept under GitHub's limit.
import { advisoryLink, type Finding, type ReportInfo } from './trivy-report.ts';
import { SEVERITIES, type Severity } from './severity.ts';

/** GitHub code scanning rejects a run with more results than this; the most severe are kept. */
export const SARIF_RESULT_LIMIT = 25_000;

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  UNKNOWN: 'note',
};

/**
 * GitHub reads `security-severity` (0.0-10.0) into critical (9.0+), high (7.0+), medium (4.0+) and low.
 * The score follows the severity the gate used, not one vendor's CVSS, so code scanning and the gate
 * agree about every finding.
 */
const SECURITY_SEVERITY: Record<Severity, string> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  UNKNOWN: '0.0',
};

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: unknown[];
}

export interface SarifOutput {
  log: SarifLog;
  /** Findings left out because of SARIF_RESULT_LIMIT. */
  omitted: number;
}

/** An artifact URI: the target's path without Trivy's `(os version)` suffix, percent-encoded. */
function artifactUri(finding: Finding, info: ReportInfo): string {
  const path = finding.pkgPath || finding.target.replace(/\s+\([^)]*\)$/, '') || info.artifactName || 'image';
  return encodeURI(path.replace(/\\/g, '/'));
}

/** node:crypto is loaded by the first fingerprint: a step that writes no SARIF need not load it. */
const fingerprint = (finding: Finding): string =>
  process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update([finding.id, finding.target, finding.pkgPath, finding.pkgName, finding.installed].join('\u0000'))
    .digest('hex');

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per vulnerability ID (its most severe finding sets the
 * rule's level), one result per finding with the package, installed and fixed versions and where it is.
 */
export function buildSarif(findings: readonly Finding[], info: ReportInfo): SarifOutput {
  // Most severe first; findings of one severity keep their order.
  const ordered = SEVERITIES.flatMap((severity) => findings.filter((finding) => finding.severity === severity));
  const kept = ordered.slice(0, SARIF_RESULT_LIMIT);
  const rules = new Map<string, { index: number; finding: Finding }>();
  for (const finding of kept) {
    // Ordered most severe first: the first finding of an ID is its most severe.
    if (!rules.has(finding.id)) rules.set(finding.id, { index: rules.size, finding });
  }
  const driverRules = [...rules.values()].map(({ finding }) => {
    const link = advisoryLink(finding);
    const summary = finding.title || finding.id;
    return {
      id: finding.id,
      name: finding.targetClass === 'lang-pkgs' ? 'LanguageSpecificPackageVulnerability' : 'OsPackageVulnerability',
      shortDescription: { text: summary },
      fullDescription: { text: finding.description || summary },
      ...(link === '' ? {} : { helpUri: link }),
      help: {
        text: `Vulnerability ${finding.id}\nSeverity: ${finding.severity}\n${summary}${link ? `\n${link}` : ''}`,
        markdown: `**Vulnerability ${finding.id}**\n\nSeverity: ${finding.severity}\n\n${summary}${link ? `\n\n[${finding.id}](${link})` : ''}`,
      },
      defaultConfiguration: { level: LEVEL[finding.severity] },
      properties: {
        tags: ['vulnerability', 'security', finding.severity],
        precision: 'very-high',
        'security-severity': SECURITY_SEVERITY[finding.severity],
      },
    };
  });
  const results = kept.map((finding) => {
    const rule = rules.get(finding.id);
    const fixed = finding.fixed || 'none';
    return {
      ruleId: finding.id,
      ruleIndex: rule?.index ?? 0,
      level: LEVEL[finding.severity],
      message: {
        text:
          `Package: ${finding.pkgName}\nInstalled Version: ${finding.installed}\nVulnerability: ${finding.id}\n` +
          `Severity: ${finding.severity}\nFixed Version: ${fixed}` +
          (advisoryLink(finding) ? `\nLink: ${advisoryLink(finding)}` : ''),
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(finding, info), uriBaseId: 'ROOTPATH' },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
          },
          logicalLocations: [{ fullyQualifiedName: finding.target, kind: 'package' }],
        },
      ],
      partialFingerprints: { 'trivyFinding/v1': fingerprint(finding) },
      properties: {
        package: finding.pkgName,
        installedVersion: finding.installed,
        fixedVersion: finding.fixed,
        ...(finding.status === '' ? {} : { status: finding.status }),
        ...(finding.purl === '' ? {} : { purl: finding.purl }),
        severity: finding.severity,
      },
    };
  });
  return {
    log: {
      $schema: SARIF_SCHEMA_URI,
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'Trivy',
              fullName: 'Trivy Vulnerability Scanner',
              informationUri: 'https://github.com/aquasecurity/trivy',
              ...(info.trivyVersion === '' ? {} : { version: info.trivyVersion }),
              rules: driverRules,
            },
          },
          results,
          columnKind: 'utf16CodeUnits',
          originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
          properties: {
            artifactName: info.artifactName,
            artifactType: info.artifactType,
          },
        },
      ],
    },
    omitted: ordered.length - kept.length,
  };
}
