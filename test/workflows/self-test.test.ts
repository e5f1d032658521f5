// The CI workflow's self-test job, run by the rehearsal runner from ci.yml itself: every `uses:
// ./actions/<name>` step runs its bundle as the runner does, every check step runs with bash, and every
// expression is evaluated by GitHub's evaluator. The job's workspace is this working tree (already checked
// out, with node_modules installed), so checkout is a check that it is this repository and `npm ci` a
// check that the install is there. The sandbox's cluster follows the GitOps remote, so the rollout that
// rollout-wait watches is the one kustomize-bump's commit started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import {
  runWorkflow,
  type ThirdPartyAction,
  failedStep,
  succeededStep,
  readActionPins,
  resolveThirdParty,
  loadWorkflow,
} from '@shiprail/rehearsal/workflow';

const REPOSITORY = 'shiprail/shiprail';

/** Checkout in a workspace that already is a checkout of this repository. */
const workingTree: ThirdPartyAction = (inputs) =>
  Promise.resolve(
    (inputs['repository'] ?? '') === '' || inputs['repository'] === REPOSITORY
      ? succeededStep({ ref: 'refs/heads/main', commit: '' })
      : failedStep(`the self-test checks out ${inputs['repository'] ?? ''}, not this repository`),
  );

test('the self-test job passes: every action, run as users run it, gives the outputs it is checked for', async () => {
  const workRoot = mkdtempSync(join(tmpdir(), 'self-test-'));
  try {
    const workflow = await loadWorkflow(join(repoRoot, '.github', 'workflows', 'ci.yml'));
    const pins = readActionPins(join(repoRoot, '.github', 'action-pins.yml'));
    // Pins and majors are checked as for any rehearsal; only checkout is replaced.
    const thirdParty = resolveThirdParty({ repositories: {}, store: join(workRoot, 'store') }, workflow.file, pins);
    const run = await runWorkflow({
      workflow,
      runId: 1,
      event: {
        name: 'push',
        payload: {},
        sha: '0'.repeat(40),
        ref: 'refs/heads/main',
        repository: REPOSITORY,
        actor: 'octocat',
      },
      workflowRepository: REPOSITORY,
      workflowSha: '0'.repeat(40),
      inputs: {},
      secrets: { GITHUB_TOKEN: 'ghs_selfTestToken' },
      actions: (uses, line) =>
        uses.startsWith('actions/checkout@') && thirdParty(uses, line) ? workingTree : thirdParty(uses, line),
      serverUrl: 'https://github.com',
      workRoot,
      workspace: repoRoot,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? workRoot },
      jobs: ['self-test'],
      replaceRun: { 'npm ci': 'test -d node_modules/.bin' },
    });
    const job = run.jobs.find((record) => record.key === 'self-test');
    const failures = (job?.steps ?? [])
      .filter((step) => step.conclusion !== 'success')
      .map((step) => ({ step: step.name, conclusion: step.conclusion, errors: step.errors }));
    expect(failures).toEqual([]);
    expect(job?.result).toBe('success');
    expect(job?.steps.length).toBeGreaterThanOrEqual(20);
    // The checks that prove a real render and a rollout that progressed while rollout-wait watched it
    // (the sandbox's API server records each state the Deployment passed through): present and green.
    for (const check of [
      'kustomize-bump rendered the overlay with kubectl kustomize and committed the new digest',
      'rollout-wait watched the rollout to the new digest progress and complete',
    ]) {
      expect(job?.steps.find((step) => step.name === check)?.conclusion).toBe('success');
    }
    // The canary step fails by design (no data is never a pass) and continues.
    expect(job?.steps.find((step) => step.name === './actions/canary-analyze')?.outcome).toBe('failure');
    expect(run.jobs.find((record) => record.key === 'test')?.result).toBe('skipped');
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}, 300_000);
