// Rehearses the reusable workflow on this machine: `.github/workflows/deploy.yml` itself, run by the
// rehearsal runner against a sample monorepo, a registry, a GitOps remote, one simulated cluster per
// environment that follows Git, and Prometheus, all on 127.0.0.1 and removed at the end.
//   npm run demo -- [--scenario NAME] [--report FILE]
import { escapeUntrusted } from '@shiprail/core';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { jobTable, progressPrinter, rehearse, SCENARIO_NAMES, scenarioNamed, startWorld } from '@shiprail/rehearsal';
import { ensurePrerequisites, terminalIo } from '@shiprail/rehearsal/prerequisites';

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { scenario: { type: 'string', default: 'happy' }, report: { type: 'string' } },
  });
  const scenario = scenarioNamed(values.scenario ?? 'happy');
  if (!ensurePrerequisites('demo', terminalIo(), process.env, scenario.programs)) return 2;
  console.log(bold(`Rehearsing .github/workflows/deploy.yml: scenario ${scenario.name}`));
  console.log(`${scenario.description}\n(scenarios: ${SCENARIO_NAMES.join(', ')})\n`);
  const started = Date.now();
  const world = await startWorld(scenario.world);
  try {
    console.log(`World ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    const result = await rehearse(world, scenario, {
      progress: progressPrinter(
        (line) => console.log(line),
        () => scenario.holdUntilNext !== undefined,
      ),
    });
    console.log(`\n${bold('Jobs')}\n${jobTable(result.runs)}`);
    console.log(`\n${bold('What each environment runs')}`);
    const width = Math.max(...Object.keys(result.report.environments).map((name) => name.length));
    for (const [environment, images] of Object.entries(result.report.environments)) {
      console.log(
        `  ${environment.padEnd(width)} ${Object.entries(images)
          .map(([service, image]) => `${service}=${image.replace(/^.*\//, '')}`)
          .join('  ')}`,
      );
    }
    const passedOver = world.scan.note === undefined ? '' : ` (${escapeUntrusted(world.scan.note)})`;
    console.log(`\n${bold('Images scanned by')} ${result.report.scan}${passedOver}`);
    console.log(`\n${bold('GitOps history')}\n${result.report.gitops.map((subject) => `  ${subject}`).join('\n')}`);
    const unapplied = Object.entries(result.report.clusters);
    if (unapplied.length > 0) {
      const lines = unapplied.map(
        ([environment, why]) => `  ${environment}: ${why.split('\n').map(escapeUntrusted).join('\n    ')}`,
      );
      console.log(`\n${bold('What the clusters did not apply')}\n${lines.join('\n')}`);
    }
    if (values.report !== undefined) writeFileSync(values.report, `${JSON.stringify(result.report, null, 2)}\n`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.broken.length === 0) {
      console.log(`\n${bold(`✔ ${scenario.name} ended as the pipeline promises`)} (${seconds}s in all)`);
      return 0;
    }
    console.log(`\n${bold(`✘ ${scenario.name} did not end as the pipeline promises`)} (${seconds}s in all):`);
    for (const promise of result.broken) console.log(`  - ${promise}`);
    return 1;
  } finally {
    await world.stop();
  }
}

process.exitCode = await main();
