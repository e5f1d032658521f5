// The schema gate: each rendered overlay's objects checked against the Kubernetes schemas before anything
// is committed, and the check of `mode: check`, which renders a checkout's overlays and commits nothing.
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import { realpathSync } from 'node:fs';
import { kustomizationOf } from '../overlays.ts';
import { renderOverlay } from '../rendered.ts';
import { loadSchemaCatalog, type KubernetesVersion } from './catalog.ts';
import { validateRendered, type InvalidObject, type SchemaReport } from './validate.ts';

/** The gate's finding for one overlay. */
export interface OverlaySchemaReport extends SchemaReport {
  overlay: string;
  /** The overlay's kustomization file, relative to the repository root. */
  file: string;
}

/** Invalid objects named in a refusal; the summary and the log list them all. */
const NAMED_IN_ERROR = 5;

export function describeInvalid(invalid: InvalidObject): string {
  const issues = invalid.issues.map((issue) => `${issue.path} ${issue.message}`).join(', ');
  return escapeUntrusted(`${invalid.object} (${invalid.apiVersion}): ${issues}`);
}

/** The gate's refusal: a user mistake in the manifests, carrying every overlay's finding for the summary. */
export class SchemaGateRefusal extends ConfigurationError {
  readonly reports: readonly OverlaySchemaReport[];

  constructor(message: string, file: string, reports: readonly OverlaySchemaReport[]) {
    super(message, { file });
    this.reports = reports;
  }
}

/** Refuses the first overlay with an invalid object, naming its file, the objects and their fields. */
export function assertSchemaValid(reports: readonly OverlaySchemaReport[], version: KubernetesVersion): void {
  const broken = reports.find((report) => report.invalid.length > 0);
  if (broken === undefined) return;
  const shown = broken.invalid.slice(0, NAMED_IN_ERROR).map(describeInvalid);
  const more = broken.invalid.length - shown.length;
  throw new SchemaGateRefusal(
    `${broken.overlay} renders ${broken.invalid.length === 1 ? 'an object' : `${broken.invalid.length} objects`} ` +
      `that Kubernetes ${version} would refuse: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    broken.file,
    reports,
  );
}

/** Validates one overlay's rendered output (rendered once, for the edit's verification too). */
export async function gateRendered(
  version: KubernetesVersion,
  overlay: string,
  file: string,
  manifests: string,
): Promise<OverlaySchemaReport> {
  const catalog = await loadSchemaCatalog(version);
  return { overlay, file, ...validateRendered(catalog, manifests) };
}

/** Log lines: what was validated, and the custom resources that were not. */
export function schemaLines(reports: readonly OverlaySchemaReport[], version: KubernetesVersion): string[] {
  return reports.flatMap((report) => {
    const lines = [`${report.overlay}: ${report.validated} objects valid against the Kubernetes ${version} schemas`];
    if (report.invalid.length > 0) {
      lines[0] = `${report.overlay}: ${report.invalid.length} of ${report.validated} objects invalid for Kubernetes ${version}`;
      lines.push(...report.invalid.map((invalid) => `  ${describeInvalid(invalid)}`));
    }
    if (report.notValidated.length > 0) {
      lines.push(
        `${report.overlay}: not validated (no schema known): ${escapeUntrusted(report.notValidated.join(', '))}`,
      );
    }
    return lines;
  });
}

/** The custom resources not validated, `overlay: apiVersion kind/name` once each: the `not-validated` output. */
export const notValidatedList = (reports: readonly OverlaySchemaReport[]): string[] =>
  reports.flatMap((report) => report.notValidated.map((resource) => `${report.overlay}: ${resource}`));

/** `mode: check`: renders each overlay of the checkout at `root` and validates it; nothing is written. */
export async function checkOverlays(
  runtime: Runtime,
  root: string,
  overlays: readonly string[],
  version: KubernetesVersion,
): Promise<OverlaySchemaReport[]> {
  const realRoot = realpathSync(root);
  const reports: OverlaySchemaReport[] = [];
  for (const overlay of overlays) {
    const file = kustomizationOf(realRoot, overlay);
    const manifests = await renderOverlay(runtime, realRoot, overlay, file);
    reports.push(await gateRendered(version, overlay, file, manifests));
  }
  return reports;
}
