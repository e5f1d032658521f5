// The image's labels: the OCI annotations from the repository and the run, and the user's own label lines.
import { ConfigurationError } from '@shiprail/core';
import { record, text as optionalText } from './tags/payload.ts';
import { renderTemplate, TemplateError, type TemplateValue } from './tags/template.ts';

export interface LabelSource {
  /** `owner/name` */
  repository: string;
  serverUrl: string;
  sha: string;
  payload: Record<string, unknown>;
  version: string;
  now: number;
}

const text = (value: unknown): string => optionalText(value) ?? '';

/**
 * Parses `labels` lines (`key=value`); the value may contain `=`. Expressions are expanded first
 * (`org.opencontainers.image.ref.name={{branch}}`), as docker/metadata-action does.
 */
export function parseLabelLines(
  lines: readonly string[],
  values: Readonly<Record<string, TemplateValue>> = {},
): Array<[string, string]> {
  return lines.map((written) => {
    let line: string;
    try {
      line = renderTemplate(written, values);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      throw new ConfigurationError(`'${written}' ${error.message}`, { input: 'labels' });
    }
    const equals = line.indexOf('=');
    const key = equals > 0 ? line.slice(0, equals).trim() : '';
    if (key === '' || /\s/.test(key)) {
      throw new ConfigurationError(`'${written}' is not a label: write key=value`, { input: 'labels' });
    }
    return [key, line.slice(equals + 1).trim()];
  });
}

/**
 * The OCI labels docker/metadata-action writes, from the run and the event's repository, then the
 * user's own (which win), sorted by key. Labels whose value is empty are left out.
 */
export function ociLabels(source: LabelSource, extra: ReadonlyArray<[string, string]>): Record<string, string> {
  const repository = record(source.payload['repository']);
  const url = text(repository['html_url']) || (source.repository ? `${source.serverUrl}/${source.repository}` : '');
  const labels = new Map<string, string>([
    ['org.opencontainers.image.title', text(repository['name']) || (source.repository.split('/')[1] ?? '')],
    ['org.opencontainers.image.description', text(repository['description'])],
    ['org.opencontainers.image.url', url],
    ['org.opencontainers.image.source', url],
    ['org.opencontainers.image.version', source.version],
    ['org.opencontainers.image.created', new Date(source.now).toISOString()],
    ['org.opencontainers.image.revision', source.sha],
    ['org.opencontainers.image.licenses', text(record(repository['license'])['spdx_id'])],
  ]);
  for (const [key, value] of extra) labels.set(key, value);
  return Object.fromEntries(
    [...labels].filter(([, value]) => value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
