// `npm run demo` is the README's first command: it rehearses deploy.yml's happy scenario on a machine
// with the Debian packages packages/rehearsal/src/prerequisites.ts lists, ends as the pipeline promises,
// and writes the report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import type { Report } from '@shiprail/rehearsal';
import { node24 } from '@shiprail/testkit';

test('the demo rehearses deploy.yml: every job green, every environment on the release, and a report', () => {
  const directory = mkdtempSync(join(tmpdir(), 'demo-test-'));
  try {
    const reportFile = join(directory, 'report.json');
    const result = spawnSync(node24, [join(repoRoot, 'scripts', 'demo.ts'), '--report', reportFile], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(result.stderr).not.toMatch(/Error/);
    const table = result.stdout.slice(result.stdout.indexOf('\nJobs\n'));
    for (const job of [
      'detect',
      'build (api)',
      'build (worker)',
      'release',
      'dev',
      'middle (staging)',
      'canary',
      'production',
    ]) {
      expect(table).toMatch(new RegExp(`\\n${job.replace(/[()]/g, '\\$&')} +✔ success`));
    }
    expect(result.stdout).toMatch(/✔ happy ended as the pipeline promises/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    expect(Object.keys(report)).toEqual([
      'scenario',
      'jobs',
      'environments',
      'pushed',
      'gitops',
      'comment',
      'summaries',
    ]);
    expect(report.scenario).toBe('happy');
    // Every environment of the rehearsal's world, whether or not this scenario's caller deploys to it.
    expect(Object.keys(report.environments)).toEqual([
      'dev',
      'qa',
      'staging',
      'preprod',
      'canary',
      'prod-canary',
      'production',
    ]);
    expect(report.environments['production']?.['api']).toBe(report.pushed.find((image) => image.includes('/api@')));
    expect(result.status).toBe(0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 660_000);
