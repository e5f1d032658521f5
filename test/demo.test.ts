// `npm run demo` is the README's first command: the program that rehearses deploy.yml, prints each job and
// a table, writes the report and exits 0 when the scenario ends as the pipeline promises. It runs the
// program as a person does, on the shortest scenario, failing-test, which is judged here from its report;
// every other scenario's run is tested in test/rehearsal/scenarios-*.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import type { Report } from '@shiprail/rehearsal';
import { node24 } from '@shiprail/testkit';
import { DEPLOY_JOBS, jobs } from './rehearsal/scenario-suite.ts';

test('npm run demo rehearses deploy.yml: a line per job, the job table, the report file and exit code 0', () => {
  const directory = mkdtempSync(join(tmpdir(), 'demo-test-'));
  try {
    const reportFile = join(directory, 'report.json');
    const result = spawnSync(
      node24,
      [join(repoRoot, 'scripts', 'demo.ts'), '--scenario', 'failing-test', '--report', reportFile],
      // The recorded reports scan even where Trivy is installed, so the report says the same everywhere.
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, SHIPRAIL_REHEARSAL_SCANNER: 'recorded' },
      },
    );
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.stdout).toContain('Rehearsing .github/workflows/deploy.yml: scenario failing-test');
    const table = result.stdout.slice(result.stdout.indexOf('\nJobs\n'));
    const expectedRows: Array<[string, string]> = [
      ['plan', '✔ success'],
      ['detect', '✔ success'],
      ['test (api)', '✘ failure'],
      ['test (worker)', '✔ success'],
      ['build', '– skipped'],
      ['dev', '– skipped'],
      ['production', '– skipped'],
    ];
    for (const [job, conclusion] of expectedRows) {
      expect(table).toMatch(new RegExp(`\\n${job.replace(/[()]/g, '\\$&')} +${conclusion}`));
    }
    expect(result.stdout).toMatch(/✔ failing-test ended as the pipeline promises/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    expect(Object.keys(report)).toEqual([
      'scenario',
      'commit',
      'jobs',
      'environments',
      'pushed',
      'tags',
      'scan',
      'gitops',
      'comment',
      'summaries',
      'permissions',
      'clusters',
      'steps',
    ]);
    // deploy.yml grants nothing at the top; detect asks for contents: read alone.
    expect(report.permissions['detect']).toEqual({ contents: 'read', metadata: 'read' });
    expect(report.scenario).toBe('failing-test');
    // api's test fails: nothing is built or pushed, no environment changes.
    expect(report.jobs).toEqual(jobs({ api: 'failure' }, { api: 'skipped' }, 'skipped', []));
    // The toolchain set-up steps before them are skipped: the sample's services declare none.
    expect(
      (report.steps['test (api)'] ?? [])
        .filter((step) => step.name.endsWith(' the tests'))
        .map((step) => [step.name, step.conclusion]),
    ).toEqual([
      ['Run the tests', 'failure'],
      ['Report the tests', 'failure'],
    ]);
    expect(report.pushed).toEqual([]);
    for (const environment of DEPLOY_JOBS)
      for (const service of ['api', 'web', 'worker'])
        expect(report.environments[environment]?.[service]).toMatch(new RegExp(`/acme/${service}:0\\.1\\.0$`));
    expect(report.gitops).toEqual(['Initial GitOps layout']);
    expect(report.clusters).toEqual({});
    // What scanned, in the report and on screen.
    expect(report.scan).toBe('recorded reports');
    expect(result.stdout).toMatch(/\nImages scanned by recorded reports\n/);
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
    expect(result.status).toBe(0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 330_000);
