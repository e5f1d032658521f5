// The recorded advisories: every finding of the real Trivy reports kept in packages/rehearsal/recorded-scans/
// (see its SOURCE.md), as "this package at this version, on this OS release, has this vulnerability", and
// the report Trivy writes (JSON, schema version 2) for the packages an image holds.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageLayer } from './image.ts';
import type { DetectedOs, InstalledPackage } from './packages.ts';

export const RECORDED_REPORTS = fileURLToPath(new URL('../../recorded-scans', import.meta.url));

export interface RecordedAdvisory {
  family: string;
  /** The release the advisory holds for, as Trivy's databases key it (`releaseKey`). */
  release: string;
  pkgName: string;
  installedVersion: string;
  /** The finding as the recorded report gives it, without what belongs to one scan (layer, package UID). */
  vulnerability: Record<string, unknown>;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const items = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);

/**
 * The release an OS advisory is kept under, as Trivy's databases key them: Alpine by major.minor
 * (3.9.4 → 3.9), Debian by major (9.9 → 9), Ubuntu and the others by the whole VERSION_ID.
 */
export function releaseKey(family: string, name: string): string {
  const parts = name.split('.');
  if (family === 'alpine') return parts.slice(0, 2).join('.');
  if (family === 'debian') return parts[0] ?? name;
  return name;
}

/** Fields of a recorded finding that describe one scan, not the vulnerability: recomputed per image. */
const PER_SCAN = new Set(['PkgIdentifier', 'Layer', 'Fingerprint']);

/** Every OS-package finding of one recorded report, as advisories. */
export function advisoriesOfReport(report: unknown): RecordedAdvisory[] {
  if (!isObject(report) || !isObject(report['Metadata']) || !isObject(report['Metadata']['OS'])) return [];
  const os = report['Metadata']['OS'];
  const family = text(os['Family']);
  const release = releaseKey(family, text(os['Name']));
  const results = items(report['Results']);
  return results
    .filter((result): result is JsonObject => isObject(result) && result['Class'] === 'os-pkgs')
    .flatMap((result) => items(result['Vulnerabilities']))
    .filter(isObject)
    .map((finding) => ({
      family,
      release,
      pkgName: text(finding['PkgName']),
      installedVersion: text(finding['InstalledVersion']),
      vulnerability: Object.fromEntries(Object.entries(finding).filter(([key]) => !PER_SCAN.has(key))),
    }));
}

/** The advisories of every recorded report in `folder`. */
export function loadRecordedAdvisories(folder: string = RECORDED_REPORTS): RecordedAdvisory[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => advisoriesOfReport(JSON.parse(readFileSync(join(folder, name), 'utf8'))));
}

/** The OS releases the recorded advisories cover, as `family release` (`alpine 3.9`). */
export const coveredReleases = (advisories: readonly RecordedAdvisory[]): string[] => [
  ...new Set(advisories.map((advisory) => `${advisory.family} ${advisory.release}`)),
];

/** The advisories that hold for one installed package: same OS release, same name, same version. */
export function advisoriesFor(
  os: DetectedOs,
  pkg: Pick<InstalledPackage, 'name' | 'version'>,
  advisories: readonly RecordedAdvisory[],
): RecordedAdvisory[] {
  const release = releaseKey(os.family, os.name);
  return advisories.filter(
    (advisory) =>
      advisory.family === os.family &&
      advisory.release === release &&
      advisory.pkgName === pkg.name &&
      advisory.installedVersion === pkg.version,
  );
}

/** The package URL Trivy gives an OS package (`pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4`). */
export function packageUrl(os: DetectedOs, pkg: Pick<InstalledPackage, 'name' | 'version' | 'arch'>): string {
  const type = os.family === 'alpine' ? 'apk' : 'deb';
  const epoch = /^(\d+):(.*)$/.exec(pkg.version);
  const version = epoch?.[2] ?? pkg.version;
  const qualifiers = [
    ...(pkg.arch === '' ? [] : [`arch=${encodeURIComponent(pkg.arch)}`]),
    `distro=${type === 'apk' ? os.name : `${os.family}-${os.name}`}`,
    ...(epoch ? [`epoch=${epoch[1] ?? ''}`] : []),
  ];
  return `pkg:${type}/${os.family}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(version)}?${qualifiers.join('&')}`;
}

export interface ScanFilters {
  /** Severities reported (`--severity`); findings of others are left out, as Trivy leaves them out. */
  severities: ReadonlySet<string>;
  /** `--ignore-unfixed`: only findings with a fixed version. */
  ignoreUnfixed: boolean;
}

export interface ImageFindings {
  os: DetectedOs | undefined;
  packages: InstalledPackage[];
  /** The layer that wrote each package database file. */
  layerOf: (file: string) => ImageLayer | undefined;
}

/** The findings of one image's OS packages, in Trivy's order (package name, then vulnerability ID). */
export function osVulnerabilities(
  image: ImageFindings,
  advisories: readonly RecordedAdvisory[],
  filters: ScanFilters,
): JsonObject[] {
  const { os } = image;
  if (os === undefined) return [];
  const found: JsonObject[] = [];
  for (const pkg of image.packages) {
    const layer = image.layerOf(pkg.file);
    for (const advisory of advisoriesFor(os, pkg, advisories)) {
      const vulnerability = advisory.vulnerability;
      if (!filters.severities.has(text(vulnerability['Severity']) || 'UNKNOWN')) continue;
      if (filters.ignoreUnfixed && vulnerability['Status'] !== 'fixed') continue;
      const { VulnerabilityID, PkgID, PkgName, InstalledVersion, FixedVersion, Status, ...rest } = vulnerability;
      found.push({
        VulnerabilityID,
        PkgID: PkgID ?? `${pkg.name}@${pkg.version}`,
        PkgName,
        PkgIdentifier: { PURL: packageUrl(os, pkg) },
        InstalledVersion,
        ...(FixedVersion === undefined ? {} : { FixedVersion }),
        Status,
        ...(layer ? { Layer: { Digest: layer.digest, DiffID: layer.diffId } } : {}),
        ...rest,
      });
    }
  }
  return found.sort(
    (a, b) =>
      text(a['PkgName']).localeCompare(text(b['PkgName'])) ||
      text(a['VulnerabilityID']).localeCompare(text(b['VulnerabilityID'])),
  );
}
