// `trivy` for a rehearsal on a machine without Trivy: the recorded-reports scanner's command line.
import { runTrivyStandIn } from './trivy-cli.ts';

process.exitCode = await runTrivyStandIn(process.argv.slice(2), {
  log: (line) => process.stderr.write(`${line}\n`),
  stdout: (text) => process.stdout.write(text),
  cwd: process.cwd(),
});
