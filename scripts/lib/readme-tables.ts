import { format, resolveConfig } from 'prettier';
import type { ActionMetadata } from '@shiprail/rehearsal/action-metadata';

const cell = (text: string): string =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

export function inputsTable(metadata: ActionMetadata): string {
  const rows = metadata.inputs.map((input) => {
    const fallback = input.default === undefined || input.default === '' ? '' : `\`${cell(input.default)}\``;
    return `| \`${input.name}\` | ${input.required ? 'yes' : 'no'} | ${fallback} | ${cell(input.description)} |`;
  });
  return ['| Input | Required | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function outputsTable(metadata: ActionMetadata): string {
  const rows = metadata.outputs.map((output) => `| \`${output.name}\` | ${cell(output.description)} |`);
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n');
}

function replaceBlock(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1)
    return `${text.trimEnd()}\n\n## ${marker === 'inputs' ? 'Inputs' : 'Outputs'}\n\n${block}\n`;
  return `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
}

/**
 * The README with its `<!-- inputs:start/end -->` and `<!-- outputs:start/end -->` blocks regenerated,
 * formatted as Prettier formats Markdown, so that the two checks agree.
 */
export async function renderReadmeTables(readme: string, metadata: ActionMetadata, path: string): Promise<string> {
  const header = readme.trim() === '' ? `# ${metadata.name}\n\n${metadata.description}\n` : readme;
  const text = replaceBlock(replaceBlock(header, 'inputs', inputsTable(metadata)), 'outputs', outputsTable(metadata));
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, parser: 'markdown', filepath: path });
}
