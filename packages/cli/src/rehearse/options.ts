// `shiprail rehearse`'s command line, parsed once into one typed object: what is rehearsed (a repository
// or one of the built-in sample's scenarios), for which event, and where the report goes.
import { resolve } from 'node:path';
import { EVENT_NAMES, type EventName } from '@shiprail/rehearsal/event-names';

export type RehearsalTarget =
  | { kind: 'repository'; directory: string; event: EventName; base?: string }
  /** A scenario of the built-in sample, by name (checked against the scenarios when the rehearsal loads). */
  | { kind: 'sample'; scenario: string };

export interface RehearseOptions {
  target: RehearsalTarget;
  /** Where the report (JSON) is written, resolved against the current folder. */
  report?: string;
}

/** The option values `rehearse` reads, as node:util's parseArgs gives them. */
export interface RehearseArguments {
  positionals: readonly string[];
  base?: string;
  event?: string;
  scenario?: string;
  report?: string;
}

const isEvent = (name: string): name is EventName => (EVENT_NAMES as readonly string[]).includes(name);

/** The options, or what is wrong with the command line (exit status 2). */
export function parseRehearseOptions(args: RehearseArguments, cwd: string): RehearseOptions | { error: string } {
  const report = args.report === undefined ? {} : { report: resolve(cwd, args.report) };
  if (args.report === '') return { error: '--report needs a file name' };
  if (args.positionals.length > 1) return { error: `one directory at most, got ${args.positionals.join(' ')}` };
  if (args.scenario !== undefined) {
    if (args.scenario === '') return { error: '--scenario needs a name' };
    const mixed = [
      ...(args.positionals.length > 0 ? ['DIR'] : []),
      ...(args.event === undefined ? [] : ['--event']),
      ...(args.base === undefined ? [] : ['--base']),
    ];
    if (mixed.length > 0)
      return {
        error: `--scenario plays the built-in sample with the events of the scenario: drop ${mixed.join(', ')}`,
      };
    return { target: { kind: 'sample', scenario: args.scenario }, ...report };
  }
  const event = args.event ?? 'push';
  if (!isEvent(event)) return { error: `--event '${event}' is none of ${EVENT_NAMES.join(', ')}` };
  if (args.base !== undefined && !/^[^\s-][^\s]*$/.test(args.base))
    return { error: `--base '${args.base}' is not a commit or branch name` };
  const directory = resolve(cwd, args.positionals[0] ?? '.');
  return {
    target: { kind: 'repository', directory, event, ...(args.base === undefined ? {} : { base: args.base }) },
    ...report,
  };
}
