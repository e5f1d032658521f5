// Trivy's JSON report read into findings, checked as it is read.
import { ConfigurationError, errorMessage } from '@shiprail/core';
import { normalizeSeverity, type Severity } from './severity.ts';

/** One vulnerability of one package in one target, as the gate sees it. */
export interface Finding {
  id: string;
  severity: Severity;
  /** The report's `Results[].Target`: an image's OS, or a lock file or binary inside it. */
  target: string;
  targetClass: string;
  targetType: string;
  pkgName: string;
  /** Where the package was found inside the target (language packages), '' when Trivy gives none. */
  pkgPath: string;
  purl: string;
  installed: string;
  fixed: string;
  /** Trivy's vendor status: fixed, affected, will_not_fix, fix_deferred, end_of_life, ... ('' when absent). */
  status: string;
  title: string;
  description: string;
  primaryUrl: string;
}

export interface ReportInfo {
  artifactName: string;
  artifactType: string;
  trivyVersion: string;
  /** Targets in the report, with or without findings. */
  targets: number;
}

export interface ParsedReport {
  info: ReportInfo;
  findings: Finding[];
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * Reads a Trivy JSON report (schema version 2). A report without `Results`, or a result without
 * `Vulnerabilities`, has no findings; anything that is not such a report is the user's mistake, named by
 * file.
 */
export function parseReport(content: string, file: string): ParsedReport {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    const reason = errorMessage(error);
    throw new ConfigurationError(`is not JSON (${reason}); give the file Trivy wrote with --format json`, { file });
  }
  if (!isObject(document)) {
    throw new ConfigurationError('is not a Trivy JSON report: expected an object with SchemaVersion 2', { file });
  }
  const schemaVersion = document['SchemaVersion'];
  if (schemaVersion !== 2) {
    const found = schemaVersion === undefined ? 'no SchemaVersion' : `SchemaVersion ${JSON.stringify(schemaVersion)}`;
    throw new ConfigurationError(
      `is not a Trivy JSON report of schema version 2 (it has ${found}); scan with Trivy 0.20 or later and --format json`,
      { file },
    );
  }
  const results = document['Results'] ?? [];
  if (!Array.isArray(results)) {
    throw new ConfigurationError('Results is not a list: the report is damaged', { file });
  }
  const findings: Finding[] = [];
  results.forEach((result: unknown, resultIndex) => {
    if (!isObject(result)) {
      throw new ConfigurationError(`Results[${resultIndex}] is not an object: the report is damaged`, { file });
    }
    const vulnerabilities = result['Vulnerabilities'] ?? [];
    if (!Array.isArray(vulnerabilities)) {
      throw new ConfigurationError(`Results[${resultIndex}].Vulnerabilities is not a list: the report is damaged`, {
        file,
      });
    }
    const target = text(result['Target']);
    const targetClass = text(result['Class']);
    const targetType = text(result['Type']);
    vulnerabilities.forEach((vulnerability: unknown, index) => {
      const id = isObject(vulnerability) ? text(vulnerability['VulnerabilityID']) : '';
      if (!isObject(vulnerability) || id === '') {
        throw new ConfigurationError(
          `Results[${resultIndex}].Vulnerabilities[${index}] has no VulnerabilityID: the report is damaged`,
          { file },
        );
      }
      const identifier = vulnerability['PkgIdentifier'];
      findings.push({
        id,
        severity: normalizeSeverity(vulnerability['Severity']),
        target,
        targetClass,
        targetType,
        pkgName: text(vulnerability['PkgName']),
        pkgPath: text(vulnerability['PkgPath']),
        purl: isObject(identifier) ? text(identifier['PURL']) : '',
        installed: text(vulnerability['InstalledVersion']),
        fixed: text(vulnerability['FixedVersion']),
        status: text(vulnerability['Status']),
        title: text(vulnerability['Title']),
        description: text(vulnerability['Description']),
        primaryUrl: text(vulnerability['PrimaryURL']),
      });
    });
  });
  const trivy = document['Trivy'];
  return {
    info: {
      artifactName: text(document['ArtifactName']),
      artifactType: text(document['ArtifactType']),
      trivyVersion: isObject(trivy) ? text(trivy['Version']) : '',
      targets: results.length,
    },
    findings,
  };
}

/**
 * Statuses under which the vendor ships no fix. Trivy's `--ignore-unfixed` keeps every status but
 * `fixed`; a report without a status (older Trivy, some ecosystems) is judged by FixedVersion alone.
 */
const STATUSES_WITHOUT_FIX = new Set([
  'affected',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
  'under_investigation',
  'not_affected',
]);

/** Whether a fixed version can be installed: the thing `ignore-unfixed` asks. */
export function hasFix(finding: Pick<Finding, 'status' | 'fixed'>): boolean {
  if (finding.status === 'fixed') return true;
  if (STATUSES_WITHOUT_FIX.has(finding.status)) return false;
  return finding.fixed !== '';
}

/** Where a person reads about the vulnerability: Trivy's PrimaryURL, else NVD or the GitHub advisory. */
export function advisoryLink(finding: Pick<Finding, 'id' | 'primaryUrl'>): string {
  if (/^https?:\/\//.test(finding.primaryUrl)) return finding.primaryUrl;
  if (/^CVE-\d+-\d+$/i.test(finding.id)) return `https://nvd.nist.gov/vuln/detail/${finding.id.toUpperCase()}`;
  if (/^GHSA-/i.test(finding.id)) return `https://github.com/advisories/${finding.id}`;
  return '';
}
