// The actions' metadata as their action.yml files declare it: the action list, inputs and outputs.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ActionInput {
  name: string;
  description: string;
  required: boolean;
  default: string | undefined;
}

export interface ActionOutput {
  name: string;
  description: string;
}

export interface ActionMetadata {
  /** The folder name under actions/, which is also the bundle name under dist/. */
  id: string;
  name: string;
  description: string;
  inputs: ActionInput[];
  outputs: ActionOutput[];
  runs: { using: string; main: string };
}

/** Every action folder that holds an action.yml, sorted. */
export function listActions(): string[] {
  return readdirSync(join(repoRoot, 'actions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'actions', entry.name, 'action.yml')))
    .map((entry) => entry.name)
    .sort();
}

export function actionYmlPath(id: string): string {
  return join(repoRoot, 'actions', id, 'action.yml');
}

const text = (value: unknown, fallback = ''): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : fallback;

export function readActionMetadata(id: string): ActionMetadata {
  return readActionMetadataFile(actionYmlPath(id), id);
}

/** The metadata of an action.yml anywhere (a checked-out copy of the suite, for instance). */
export function readActionMetadataFile(file: string, id: string): ActionMetadata {
  const document = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const section = (key: string): Record<string, Record<string, unknown>> =>
    (document[key] as Record<string, Record<string, unknown>> | undefined) ?? {};
  const runs = (document['runs'] as Record<string, string> | undefined) ?? {};
  return {
    id,
    name: text(document['name'], id),
    description: text(document['description']),
    inputs: Object.entries(section('inputs')).map(([name, spec]) => ({
      name,
      description: text(spec['description']),
      required: spec['required'] === true,
      default: spec['default'] === undefined ? undefined : text(spec['default']),
    })),
    outputs: Object.entries(section('outputs')).map(([name, spec]) => ({
      name,
      description: text(spec['description']),
    })),
    runs: { using: runs['using'] ?? '', main: runs['main'] ?? '' },
  };
}
