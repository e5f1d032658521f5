import { ConfigurationError } from '@shiprail/core';

export const DEFAULT_COMMIT_MESSAGE =
  'Deploy {{images}} to {{overlays}}\n\n{{changes}}\n\nSource: {{source-url}}\nRun: {{run-url}}';

export const PLACEHOLDERS = [
  'images',
  'overlays',
  'changes',
  'branch',
  'source-repository',
  'source-sha',
  'source-short-sha',
  'source-url',
  'run-url',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([a-z-]+)\s*\}\}/g;

export function checkCommitMessageTemplate(template: string, input: string): void {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!PLACEHOLDERS.some((known) => known === name)) {
      throw new ConfigurationError(`unknown placeholder {{${name}}}; known: ${PLACEHOLDERS.join(', ')}`, { input });
    }
  }
}

/** Fills `{{placeholder}}`s. A line that is only a label once its empty value is filled in is dropped. */
export function renderCommitMessage(template: string, values: Record<Placeholder, string>): string {
  const lines = template.split('\n').flatMap((line) => {
    let emptied = false;
    const filled = line
      .replace(PLACEHOLDER, (_, name: Placeholder) => {
        if (values[name] === '') emptied = true;
        return values[name];
      })
      .trimEnd();
    return emptied && /^[\p{L}\s-]*:?$/u.test(filled) ? [] : [filled];
  });
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
