// The generated tables of the reference: each action's inputs and outputs from its action.yml, and the
// reusable workflow's inputs, secrets and outputs from its `on.workflow_call`.
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';
import type { ActionInput, ActionMetadata, ActionOutput } from '@shiprail/rehearsal/action-metadata';

const cell = (text: string): string =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

export function inputsTable(metadata: Pick<ActionMetadata, 'inputs'>): string {
  const rows = metadata.inputs.map((input) => {
    const fallback = input.default === undefined || input.default === '' ? '' : `\`${cell(input.default)}\``;
    return `| \`${input.name}\` | ${input.required ? 'yes' : 'no'} | ${fallback} | ${cell(input.description)} |`;
  });
  return ['| Input | Required | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function outputsTable(metadata: Pick<ActionMetadata, 'outputs'>): string {
  const rows = metadata.outputs.map((output) => `| \`${output.name}\` | ${cell(output.description)} |`);
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n');
}

const HEADINGS: Readonly<Record<string, string>> = { inputs: 'Inputs', secrets: 'Secrets', outputs: 'Outputs' };

function replaceBlock(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) return `${text.trimEnd()}\n\n## ${HEADINGS[marker] ?? marker}\n\n${block}\n`;
  return `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
}

async function formatMarkdown(text: string, path: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, parser: 'markdown', filepath: path });
}

/**
 * The README with its `<!-- inputs:start/end -->` and `<!-- outputs:start/end -->` blocks regenerated,
 * formatted as Prettier formats Markdown, so that the two checks agree.
 */
export async function renderReadmeTables(readme: string, metadata: ActionMetadata, path: string): Promise<string> {
  const header = readme.trim() === '' ? `# ${metadata.name}\n\n${metadata.description}\n` : readme;
  const text = replaceBlock(replaceBlock(header, 'inputs', inputsTable(metadata)), 'outputs', outputsTable(metadata));
  return formatMarkdown(text, path);
}

/** What a reusable workflow declares under `on.workflow_call`. */
export interface WorkflowInterface {
  inputs: ActionInput[];
  secrets: ActionInput[];
  outputs: ActionOutput[];
}

type Section = Record<string, Record<string, unknown> | null>;

const scalar = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

export function readWorkflowInterface(workflowYaml: string): WorkflowInterface {
  const document = (parse(workflowYaml) ?? {}) as { on?: { workflow_call?: Record<string, Section | undefined> } };
  const call = document.on?.workflow_call ?? {};
  const entries = (key: string): Array<[string, Record<string, unknown>]> =>
    Object.entries(call[key] ?? {}).map(([name, spec]) => [name, spec ?? {}]);
  const declared = (key: string): ActionInput[] =>
    entries(key).map(([name, spec]) => ({
      name,
      description: scalar(spec['description']) ?? '',
      required: spec['required'] === true,
      default: scalar(spec['default']),
    }));
  return {
    inputs: declared('inputs'),
    secrets: declared('secrets'),
    outputs: entries('outputs').map(([name, spec]) => ({ name, description: scalar(spec['description']) ?? '' })),
  };
}

function secretsTable(secrets: readonly ActionInput[]): string {
  const rows = secrets.map(
    (secret) => `| \`${secret.name}\` | ${secret.required ? 'yes' : 'no'} | ${cell(secret.description)} |`,
  );
  return ['| Secret | Required | Description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The workflow's page with its `inputs`, `secrets` and `outputs` blocks regenerated from the workflow file. */
export async function renderWorkflowTables(page: string, workflow: WorkflowInterface, path: string): Promise<string> {
  let text = replaceBlock(page, 'inputs', inputsTable(workflow));
  text = replaceBlock(text, 'secrets', secretsTable(workflow.secrets));
  text = replaceBlock(text, 'outputs', outputsTable(workflow));
  return formatMarkdown(text, path);
}
