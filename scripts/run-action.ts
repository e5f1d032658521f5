// Runs one bundled action on this machine as the GitHub runner would, and prints its outputs and summary.
//   node scripts/run-action.ts <action> [--input name=value]... [--event-name push] [--event payload.json]
//        [--workspace dir] [--sha sha] [--ref refs/heads/main]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listActions } from '@shiprail/rehearsal/action-metadata';
import { runBundledAction } from '@shiprail/rehearsal/workflow';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    input: { type: 'string', multiple: true, short: 'i' },
    'event-name': { type: 'string' },
    event: { type: 'string' },
    workspace: { type: 'string' },
    sha: { type: 'string' },
    ref: { type: 'string' },
  },
});
const [id] = positionals;
if (id === undefined || !listActions().includes(id)) {
  console.error(`usage: run-action.ts <${listActions().join('|')}> [--input name=value]...`);
  process.exit(2);
}
const inputs: Record<string, string> = {};
for (const pair of values.input ?? []) {
  const equals = pair.indexOf('=');
  if (equals < 1) {
    console.error(`--input takes name=value, got '${pair}'`);
    process.exit(2);
  }
  inputs[pair.slice(0, equals)] = pair.slice(equals + 1);
}
const run = await runBundledAction(id, {
  inputs,
  echo: true,
  workspace: resolve(values.workspace ?? process.cwd()),
  ...(values['event-name'] === undefined ? {} : { eventName: values['event-name'] }),
  ...(values.event === undefined
    ? {}
    : { event: JSON.parse(readFileSync(values.event, 'utf8')) as Record<string, unknown> }),
  ...(values.sha === undefined ? {} : { sha: values.sha }),
  ...(values.ref === undefined ? {} : { ref: values.ref }),
});
console.log('\n-- outputs --');
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value}`);
console.log('\n-- job summary --');
console.log(run.summary);
process.exitCode = run.exitCode;
