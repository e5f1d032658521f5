// The CI workflow's self-test job, run here step by step: the sample environment from
// scripts/sandbox.ts, each `uses: ./actions/<name>` step through the runner harness, and each check
// step with bash, with `${{ env.* }}` and `${{ steps.*.outputs.* }}` evaluated as the runner would.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/action-metadata.ts';
import { node24, parseRunnerFile, runAction } from '../support/harness.ts';
import { loadWorkflow } from './workflow-file.ts';

const steps = loadWorkflow('ci.yml').jobs['self-test']?.steps ?? [];
const sandbox = (command: string): string =>
  execFileSync(node24, [join(repoRoot, 'scripts', 'sandbox.ts'), command], { cwd: repoRoot, encoding: 'utf8' });

let env: Record<string, string> = {};
beforeAll(() => {
  env = parseRunnerFile(sandbox('start'));
}, 120_000);
afterAll(() => sandbox('stop'));

test('the self-test job passes: every action, run as users run it, gives the outputs it is checked for', async () => {
  const outputs: Record<string, Record<string, string>> = {};
  const evaluate = (text: string): string =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_match, expression: string) => {
      const fromEnv = /^env\.(\w+)$/.exec(expression);
      if (fromEnv) return env[fromEnv[1] ?? ''] ?? '';
      const fromStep = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
      if (fromStep) return outputs[fromStep[1] ?? '']?.[fromStep[2] ?? ''] ?? '';
      throw new Error(`the self-test uses an expression this test cannot evaluate: ${expression}`);
    });
  const ran: string[] = [];
  for (const step of steps) {
    if (step.uses?.startsWith('actions/') || step.run?.includes('npm ci') || step.run?.includes('sandbox.ts')) continue;
    const label = step.name ?? step.id ?? step.uses ?? '';
    if (step.uses?.startsWith('./actions/')) {
      const inputs = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([key, value]) => [key, evaluate(String(value))]),
      );
      const run = await runAction(step.uses.slice('./actions/'.length), { inputs, workspace: repoRoot, env });
      if (step.id !== undefined) outputs[step.id] = run.outputs;
      if (step['continue-on-error'] !== true)
        expect({ step: label, exitCode: run.exitCode, errors: run.errors }).toEqual({
          step: label,
          exitCode: 0,
          errors: [],
        });
    } else if (step.run !== undefined) {
      const stepEnv = Object.fromEntries(
        Object.entries(step.env ?? {}).map(([key, value]) => [key, evaluate(String(value))]),
      );
      const result = spawnSync('bash', ['-e', '-c', step.run], {
        cwd: repoRoot,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env, ...stepEnv },
        encoding: 'utf8',
      });
      expect({ step: label, status: result.status, stderr: result.stderr }).toEqual({
        step: label,
        status: 0,
        stderr: '',
      });
    }
    ran.push(label);
  }
  expect(ran.length).toBeGreaterThanOrEqual(14);
}, 240_000);
