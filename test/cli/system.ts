// The CLI's side effects for tests: the real disk, git and kubectl, a recorded terminal, no environment.
import { nodeSystem, runCli, type CliSystem } from '@shiprail/cli';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const initFixtures = fileURLToPath(new URL('../fixtures/init/', import.meta.url));

export interface RecordingSystem extends CliSystem {
  output: string[];
  errors: string[];
  questions: string[];
}

export function recordingSystem(
  cwd: string,
  options: { interactive?: boolean; answer?: string } = {},
): RecordingSystem {
  const output: string[] = [];
  const errors: string[] = [];
  const questions: string[] = [];
  return {
    ...nodeSystem(join(cwd, 'shiprail.js')),
    cwd,
    env: {},
    suiteWorkflow: () => undefined,
    output,
    errors,
    questions,
    terminal: {
      out: (text) => output.push(text),
      err: (text) => errors.push(text),
      interactive: options.interactive ?? false,
      ask: (question) => {
        questions.push(question);
        return Promise.resolve(options.answer ?? '');
      },
    },
  };
}

const made: string[] = [];

/** A copy of a fixture monorepo in a fresh folder named `name`. */
export function copyFixture(fixture: string, name = fixture): string {
  const parent = mkdtempSync(join(tmpdir(), 'init-'));
  made.push(parent);
  const target = join(parent, name);
  cpSync(join(initFixtures, fixture), target, { recursive: true });
  return target;
}

export function removeCopies(): void {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** `shiprail init` on `directory` with these arguments: exit code and what it printed. */
export async function runInitOn(
  directory: string,
  args: string[] = [],
  options: { interactive?: boolean; answer?: string } = {},
): Promise<{ code: number; system: RecordingSystem }> {
  const system = recordingSystem(directory, options);
  const code = await runCli(['init', ...args], system);
  return { code, system };
}
