// The job summary: what was compared, each selected service with its reasons, and the rest.
import { code, details, escapeCell, raw, table } from '@shiprail/core';
import type { Comparison } from './comparison.ts';
import { shortSha } from './git.ts';
import type { Manifest } from './manifest.ts';
import type { Selection } from './selection.ts';

export interface DetectChangedServicesReport {
  manifest: Manifest;
  comparison: Comparison;
  selection: Selection;
  /** Changed files between base and head (0 when nothing was compared). */
  changedFiles: number;
}

/** What was compared, as a sentence. */
export function describeComparison(comparison: Comparison, changedFiles: number): string {
  switch (comparison.kind) {
    case 'diff': {
      const range = `${code(shortSha(comparison.base))}..${code(shortSha(comparison.head))}`;
      const files = `${changedFiles} changed ${changedFiles === 1 ? 'file' : 'files'}`;
      return `Compared ${range} (${escapeCell(comparison.label)}): ${files}.`;
    }
    case 'service':
      return `No comparison: ${escapeCell(comparison.reason)} selects ${code(comparison.service)} alone.`;
    case 'all':
      return `No comparison: ${escapeCell(comparison.reason)}.`;
  }
}

/** The job summary: what was compared, each selected service with its reasons, and the rest. */
export function renderSummary(report: DetectChangedServicesReport): string {
  const { manifest, comparison, selection } = report;
  const total = manifest.services.length;
  const source = manifest.discovered
    ? `${total} services discovered by ${code(manifest.file)} (no manifest)`
    : `${total} services in ${code(manifest.file)}`;
  const lines = [
    '### Changed services',
    '',
    `${describeComparison(comparison, report.changedFiles)} ${source}: **${selection.selected.length} selected**.`,
  ];
  if (comparison.kind === 'all' && comparison.warning !== undefined) {
    lines.push('', `> [!WARNING]`, `> ${escapeCell(comparison.warning)}`);
  }
  if (selection.selected.length > 0) {
    const rows = selection.selected.map(({ service, reasons }) => [
      raw(code(service.name)),
      service.image,
      service.resource,
      raw(reasons.map((reason) => escapeCell(reason)).join('<br>')),
    ]);
    lines.push('', table(['Service', 'Image', 'Resource', 'Why'], rows));
  }
  const chosen = new Set(selection.selected.map(({ service }) => service.name));
  const rest = manifest.services.filter((service) => !chosen.has(service.name)).map((service) => service.name);
  if (rest.length > 0) {
    lines.push(
      '',
      details(
        `Not selected (${rest.length})`,
        rest
          .sort()
          .map((name) => code(name))
          .join(', '),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
