// Writes the input and output tables of each action's README from its action.yml.
// `--check` fails when a README's tables differ from what action.yml says.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, readActionMetadata, repoRoot } from '@shiprail/rehearsal/action-metadata';
import { renderReadmeTables } from './lib/readme-tables.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const id of listActions()) {
  const path = join(repoRoot, 'actions', id, 'README.md');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const updated = await renderReadmeTables(current, readActionMetadata(id), path);
  if (updated === current) continue;
  if (check) {
    stale += 1;
    console.error(`actions/${id}/README.md tables are not current: run \`npm run readme\``);
  } else {
    writeFileSync(path, updated);
    console.log(`actions/${id}/README.md updated`);
  }
}
if (stale > 0) process.exitCode = 1;
