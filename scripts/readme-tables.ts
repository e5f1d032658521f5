// Writes the input and output tables of each action's README from its action.yml, and the reusable
// workflow's tables in docs/workflow.md from deploy.yml. `--check` fails when a page's tables differ.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, readActionMetadata, repoRoot } from '@shiprail/rehearsal/action-metadata';
import { readWorkflowInterface, renderReadmeTables, renderWorkflowTables } from './lib/readme-tables.ts';

const check = process.argv.includes('--check');
let stale = 0;

function update(page: string, current: string, updated: string): void {
  if (updated === current) return;
  if (check) {
    stale += 1;
    console.error(`${page} tables are not current: run \`npm run readme\``);
  } else {
    writeFileSync(join(repoRoot, page), updated);
    console.log(`${page} updated`);
  }
}

for (const id of listActions()) {
  const page = join('actions', id, 'README.md');
  const path = join(repoRoot, page);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  update(page, current, await renderReadmeTables(current, readActionMetadata(id), path));
}

const workflowPage = join(repoRoot, 'docs', 'workflow.md');
const workflowPageText = readFileSync(workflowPage, 'utf8');
const workflow = readWorkflowInterface(readFileSync(join(repoRoot, '.github', 'workflows', 'deploy.yml'), 'utf8'));
update('docs/workflow.md', workflowPageText, await renderWorkflowTables(workflowPageText, workflow, workflowPage));
if (stale > 0) process.exitCode = 1;
