// The `shiprail` command line: parses the arguments once, runs the command, and turns a user mistake
// (ConfigurationError) into one line naming the file and line; anything else is a failure of its own.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage, neutralizeCommandLines } from '@shiprail/core';
import { runInit } from './init/run.ts';
import type { CliSystem } from './system.ts';

export const USAGE = `Usage: shiprail <command> [options]

Commands:
  init [DIR]   Write the pipeline's configuration (.github/services.yml, .github/smoke.yml, the deploy
               workflow, environment overlays) from what the repository in DIR (default .) declares.

Options of init:
  --force             Overwrite files that exist (init shows their diff and leaves them otherwise).
  --dry-run           Print what would be written; write nothing.
  --workflow <ref>    The reusable workflow to call: owner/repo/.github/workflows/deploy.yml@<commit-sha>.
  -h, --help          This help.
`;

/** Exit codes: 0 done, 1 a mistake in the repository or a file left as it was, 2 a wrong command line. */
export async function runCli(argv: readonly string[], system: CliSystem): Promise<number> {
  const { terminal } = system;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        force: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        workflow: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    terminal.err(`shiprail: ${errorMessage(error)}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    terminal.out(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (command !== 'init') {
    terminal.err(`shiprail: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.length > 1) {
    terminal.err(`shiprail init: one directory at most, got ${rest.join(' ')}\n`);
    return 2;
  }
  const workflow = parsed.values.workflow;
  if (workflow !== undefined && !/^[\w.-]+\/[\w.-]+\/\.github\/workflows\/[\w.-]+\.ya?ml@[\w./-]+$/.test(workflow)) {
    terminal.err(`shiprail init: --workflow '${workflow}' is not owner/repo/.github/workflows/<file>.yml@<ref>\n`);
    return 2;
  }
  const directory = resolve(system.cwd, rest[0] ?? '.');
  if (!system.isDirectory(directory)) {
    terminal.err(`shiprail init: ${directory} is not a directory\n`);
    return 2;
  }
  try {
    return await runInit(
      {
        directory,
        force: parsed.values.force,
        dryRun: parsed.values['dry-run'],
        ...(workflow === undefined ? {} : { workflow }),
      },
      system,
    );
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    terminal.err(`shiprail init: ${neutralizeCommandLines(error.describe())}\nNothing was written.\n`);
    return 1;
  }
}
