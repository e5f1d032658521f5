// `npm test`: the static checks (types, lint, formatting, generated READMEs, bundles) run beside the test
// suite rather than before it. Most suites spend their time waiting on servers, deadlines and child
// processes, so the checks use the cores the suite leaves idle. The suite's output streams as it runs; the
// checks' output is held and printed after it, so neither interleaves with the other.
//   npm test [-- <jest arguments>]   (first installs the missing Debian packages, or says how)
import { spawn } from 'node:child_process';
import { ensurePrerequisites } from '@shiprail/rehearsal/prerequisites';

/**
 * The package.json scripts that check without running tests, in the order a failure is best read.
 * `check:code` is `typecheck` and `lint` over one TypeScript program.
 */
const CHECKS = ['check:code', 'format:check', 'readme:check', 'bundle:check'];

interface Outcome {
  name: string;
  status: number;
  seconds: number;
  output: string;
}

/** Runs one npm script; its output is kept (held) or passed straight through (streamed). */
function runScript(name: string, args: readonly string[], mode: 'held' | 'streamed'): Promise<Outcome> {
  const started = Date.now();
  const npm = ['npm', 'run', '--silent', name, ...(args.length > 0 ? ['--', ...args] : [])];
  // The held checks yield to the suite: they fill the time its workers wait instead of slowing its slowest files.
  const [file = 'npm', ...argv] = mode === 'held' ? ['nice', '-n', '10', ...npm] : npm;
  const child = spawn(file, argv, {
    stdio: mode === 'held' ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) =>
      resolve({
        name,
        status: code ?? (signal === null ? 1 : 128),
        seconds: (Date.now() - started) / 1000,
        output: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
}

/** The checks one after another, so together they take one core at most. */
async function runChecks(): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const name of CHECKS) outcomes.push(await runScript(name, [], 'held'));
  return outcomes;
}

// The suite runs real programs: install the missing Debian packages when this process may, else stop
// with the one command to run.
if (!ensurePrerequisites('tests')) process.exit(1);

const [suite, checks] = await Promise.all([runScript('jest', process.argv.slice(2), 'streamed'), runChecks()]);
process.stdout.write('\nStatic checks (run beside the suite):\n');
for (const check of checks) {
  const mark = check.status === 0 ? 'passed' : `FAILED (exit ${check.status})`;
  process.stdout.write(`  ${check.name}: ${mark} in ${check.seconds.toFixed(1)}s\n`);
  if (check.status !== 0) process.stdout.write(check.output.replace(/^/gm, '    ') + '\n');
}
const failed = [suite, ...checks].filter((outcome) => outcome.status !== 0);
process.exitCode = failed.length === 0 ? 0 : 1;
