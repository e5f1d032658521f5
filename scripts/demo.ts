// Rehearses the reusable workflow on this machine on the built-in sample: `shiprail rehearse --scenario`,
// `.github/workflows/deploy.yml` itself run by the rehearsal runner against a sample monorepo, a registry,
// a GitOps remote, one simulated cluster per environment that follows Git, and Prometheus, all on
// 127.0.0.1 and removed at the end.
//   npm run demo -- [--scenario NAME] [--report FILE]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeSystem, runCli } from '@shiprail/cli';

const { values } = parseArgs({
  options: { scenario: { type: 'string', default: 'happy' }, report: { type: 'string' } },
});
process.exitCode = await runCli(
  [
    'rehearse',
    '--scenario',
    values.scenario ?? 'happy',
    ...(values.report === undefined ? [] : ['--report', values.report]),
  ],
  nodeSystem(fileURLToPath(import.meta.url)),
);
