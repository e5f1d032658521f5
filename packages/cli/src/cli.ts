// The `shiprail` command line: parses the arguments once, runs the command, and turns a user mistake
// (ConfigurationError) into one line naming the file and line; anything else is a failure of its own.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage, neutralizeCommandLines } from '@shiprail/core';
import { runInit } from './init/run.ts';
import { parseRehearseOptions } from './rehearse/options.ts';
import type { CliSystem } from './system.ts';

export const USAGE = `Usage: shiprail <command> [options]

Commands:
  init [DIR]       Write the pipeline's configuration (.github/services.yml, .github/smoke.yml, the
                   deploy workflow, environment overlays) from what the repository in DIR (default .)
                   declares.
  rehearse [DIR]   Run the repository's own caller workflow and the deploy workflow it calls on this
                   machine (a registry, a GitOps remote and a cluster per environment on 127.0.0.1),
                   rehearsing a push of its last commit, and report what each environment runs.

Options of init:
  --force             Overwrite files that exist (init shows their diff and leaves them otherwise).
  --dry-run           Print what would be written; write nothing.
  --workflow <ref>    The reusable workflow to call: owner/repo/.github/workflows/deploy.yml@<commit-sha>.

Options of rehearse:
  --event <name>      push (default), pull_request (HEAD as a pull request into its branch at the base) or
                      merge_group (that pull request in the branch's merge queue).
  --base <ref>        The commit the push starts from, and the pull request's base (default HEAD^).
  --scenario <name>   Play one of the built-in sample's scenarios instead (DIR, --event and --base unused).
  --report <file>     Write the report (JSON: jobs, environments, pushed images, GitOps history) to <file>.

  -h, --help          This help.
`;

/** The options each command takes (the rest are refused). */
const COMMAND_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  init: ['force', 'dry-run', 'workflow'],
  rehearse: ['event', 'base', 'scenario', 'report'],
};

/** The rehearsal's module, or why it cannot be loaded here. */
type LoadedRehearsal = { module: typeof import('./rehearse/run.ts') } | { unavailable: string };

/**
 * The rehearsal, loaded when `rehearse` runs: it is the suite's own sources (the workflow, the actions'
 * bundles, the runner), so the bundled command line reaches them through the package, not a copy. Where
 * they cannot load (not a checkout, or a Node without TypeScript's types stripped), it says what to do.
 */
export async function loadRehearsal(specifier = '@shiprail/cli/rehearse'): Promise<LoadedRehearsal> {
  try {
    return { module: (await import(/* webpackIgnore: true */ specifier)) as typeof import('./rehearse/run.ts') };
  } catch (error) {
    return {
      unavailable: `it runs the suite's own workflow and actions from a checkout of it, on Node 24 (git clone the suite, npm ci, then run it there): ${errorMessage(error)}`,
    };
  }
}

/** `shiprail rehearse`: exit codes as init's, 2 also when the machine lacks a program the rehearsal runs. */
async function rehearseCommand(
  positionals: readonly string[],
  values: { event?: string; base?: string; scenario?: string; report?: string },
  system: CliSystem,
): Promise<number> {
  const options = parseRehearseOptions({ positionals, ...values }, system.cwd);
  if ('error' in options) {
    system.terminal.err(`shiprail rehearse: ${options.error}\n`);
    return 2;
  }
  if (options.target.kind === 'repository' && !system.isDirectory(options.target.directory)) {
    system.terminal.err(`shiprail rehearse: ${options.target.directory} is not a directory\n`);
    return 2;
  }
  try {
    const rehearsal = await loadRehearsal();
    if ('unavailable' in rehearsal) {
      system.terminal.err(`shiprail rehearse: ${neutralizeCommandLines(rehearsal.unavailable)}\n`);
      return 2;
    }
    return await rehearsal.module.runRehearse(options, system);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    system.terminal.err(`shiprail rehearse: ${neutralizeCommandLines(error.describe())}\n`);
    return 1;
  }
}

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
        event: { type: 'string' },
        base: { type: 'string' },
        scenario: { type: 'string' },
        report: { type: 'string' },
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
  // Boolean options default to false: only those given count.
  const foreign = Object.entries(parsed.values)
    .filter(([option, value]) => option !== 'help' && value !== false)
    .map(([option]) => option)
    .filter((option) => !(COMMAND_OPTIONS[command] ?? []).includes(option));
  if (!(command in COMMAND_OPTIONS)) {
    terminal.err(`shiprail: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (foreign.length > 0) {
    terminal.err(
      `shiprail ${command}: ${foreign.map((option) => `--${option}`).join(', ')} is not an option of ${command}\n`,
    );
    return 2;
  }
  if (command === 'rehearse') return rehearseCommand(rest, parsed.values, system);
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
