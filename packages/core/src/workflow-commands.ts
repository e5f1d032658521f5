// The runner's side of a step: inputs in INPUT_* variables, workflow commands (`::name props::data`) on
// standard output, outputs and the job summary appended to the files the runner names. The format is
// the one @actions/core writes; that package is not loaded here because its module graph (an HTTP
// client, for OIDC tokens no action asks for) costs each step about a tenth of a second of start-up.
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

/** Where an annotation points, as the runner's `file`, `line` and `col` properties. */
export interface CommandAnnotation {
  title?: string;
  file?: string;
  startLine?: number;
  startColumn?: number;
}

type CommandProperties = ReadonlyArray<readonly [string, string | number | undefined]>;

const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const unescapeData = (text: string): string => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/** The data of every `::name …::data` command a step printed, unescaped, in order. */
export function commandData(stdout: string, name: string): string[] {
  const pattern = new RegExp(`^::${name}(?: [^:]*)?::(.*)$`, 'gm');
  return [...stdout.matchAll(pattern)].map((match) => unescapeData(match[1] ?? ''));
}

const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::name key=value,key=value::data`, every part escaped so that it cannot end the line or the command. */
export function workflowCommand(name: string, properties: CommandProperties, data: string): string {
  // Empty values and 0 are left out, as the runner reads them as absent.
  const present = properties.filter(([, value]) => value !== undefined && value !== '' && value !== 0);
  const shown = present.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
  return `::${name}${shown === '' ? '' : ` ${shown}`}::${escapeData(data)}`;
}

const issue = (name: string, data: string, properties: CommandProperties = []): void => {
  process.stdout.write(workflowCommand(name, properties, data) + EOL);
};

const annotationProperties = (annotation: CommandAnnotation): CommandProperties => [
  ['title', annotation.title],
  ['file', annotation.file],
  ['line', annotation.startLine],
  ['col', annotation.startColumn],
];

/** An input as the runner passes it (`INPUT_<NAME>`, spaces as underscores), trimmed; '' when unset. */
export const getInput = (name: string): string =>
  (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();

/** A plain log line: the caller escapes what must not start a command. */
export const info = (message: string): void => {
  process.stdout.write(message + EOL);
};

export const debug = (message: string): void => issue('debug', message);
export const warning = (message: string, annotation: CommandAnnotation = {}): void =>
  issue('warning', message, annotationProperties(annotation));
export const error = (message: string, annotation: CommandAnnotation = {}): void =>
  issue('error', message, annotationProperties(annotation));
export const notice = (message: string, annotation: CommandAnnotation = {}): void =>
  issue('notice', message, annotationProperties(annotation));

/** Masks the secret in the rest of the job's log. */
export const setSecret = (secret: string): void => issue('add-mask', secret);

/** Runs `body` inside a foldable group of the log. */
export async function group<T>(name: string, body: () => Promise<T>): Promise<T> {
  issue('group', name);
  try {
    return await body();
  } finally {
    issue('endgroup', '');
  }
}

/**
 * `name<<delimiter`, the value, the delimiter: the form of multi-line values in the runner's files. The
 * delimiter is one the value does not contain, so the value can never end early and write another entry.
 */
export function fileCommandEntry(name: string, value: string): string {
  let delimiter = 'ghadelimiter_';
  while (value.includes(delimiter) || name.includes(delimiter)) {
    delimiter = `ghadelimiter_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  }
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}

/** Sets a step output: in the runner's GITHUB_OUTPUT file, or as a command where there is none. */
export function setOutput(name: string, value: string): void {
  const file = process.env['GITHUB_OUTPUT'] ?? '';
  if (file === '') {
    process.stdout.write(EOL);
    issue('set-output', value, [['name', name]]);
    return;
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, `${fileCommandEntry(name, value)}${EOL}`, { encoding: 'utf8' });
}

/** Appends Markdown (and a line end) to the job summary file the runner names in GITHUB_STEP_SUMMARY. */
export async function appendSummary(markdown: string): Promise<void> {
  const file = process.env['GITHUB_STEP_SUMMARY'] ?? '';
  if (file === '') {
    throw new Error(
      'Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.',
    );
  }
  // node:fs/promises is loaded on first use: a step that stops at its inputs writes no summary.
  const { access, appendFile, constants } = process.getBuiltinModule('node:fs/promises');
  try {
    await access(file, constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
  }
  await appendFile(file, markdown + EOL, { encoding: 'utf8' });
}
