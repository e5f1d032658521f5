// Runs the benchmarks in bench/ (all, or those named) one after another under this Node.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

const requested = process.argv.slice(2);
const available = readdirSync(join(repoRoot, 'bench'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.slice(0, -3))
  .sort();
const selected = requested.length > 0 ? requested : available;
let failed = 0;
for (const name of selected) {
  if (!available.includes(name)) {
    console.error(`no benchmark named ${name} (have: ${available.join(', ')})`);
    failed += 1;
    continue;
  }
  console.log(`\n== ${name} ==`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(repoRoot, 'bench', `${name}.ts`)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed += 1;
}
if (failed > 0) process.exitCode = 1;
