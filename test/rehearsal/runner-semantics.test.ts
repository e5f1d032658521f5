// The runner against what GitHub documents, one table per behaviour, each case a tiny workflow of `run:`
// steps run by the real runner: default shells and defaults.run, job continue-on-error, fail-fast and
// the strategy context, workflow and job concurrency, reusable workflow calls (typed inputs, required
// secrets, secrets: inherit, and the caller `shiprail init` writes against deploy.yml's interface), token
// permissions per job, environment branch rules and wait timers, push, pull_request and merge_group
// contexts, and checkout of a pull request's merge commit with its token.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderCallerWorkflow } from '@shiprail/cli';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';
import {
  ConcurrencyGroups,
  mergeGroupEvent,
  mergeQueueCommit,
  parseUses,
  pullRequestEvent,
  pullRequestMergeCommit,
  pushEvent,
  thirdPartyActions,
  type EnvironmentRules,
  type WorkflowRunOptions,
} from '@shiprail/rehearsal/workflow';
import { results, useWorkflowBench } from './workflow-bench.ts';

const bench = useWorkflowBench();
const header = 'on: push\njobs:\n';
const job = (steps: string, extra = ''): string =>
  `${header}  only:\n    runs-on: ubuntu-latest\n${extra}    steps:\n${steps}`;

describe('shells', () => {
  // With no `shell`, Linux runners run `bash -e {0}`: errexit but no pipefail, so a failing command on the
  // left of a pipe goes unnoticed. Only an explicit `shell: bash` runs `bash --noprofile --norc -eo
  // pipefail {0}`. `sh` is `sh -e {0}`; any other value is a command template with `{0}` for the script.
  // defaults.run.shell applies to run steps without their own shell, a job's defaults over the workflow's.
  test.each([
    ['no shell: a pipe succeeds when its last command does', '', '', 'false | true', 'success'],
    ['no shell: errexit still stops the script', '', '', 'false\ntrue', 'failure'],
    ['shell: bash adds pipefail', '', '        shell: bash\n', 'false | true', 'failure'],
    ['shell: sh', '', '        shell: sh\n', 'false | true', 'success'],
    ['a custom shell command', '', '        shell: bash -u {0}\n', 'echo "$NOT_SET"', 'failure'],
    ["the job's defaults.run.shell", '    defaults:\n      run:\n        shell: bash\n', '', 'false | true', 'failure'],
    [
      "a step's shell over the job's default",
      '    defaults:\n      run:\n        shell: bash\n',
      '        shell: sh\n',
      'false | true',
      'success',
    ],
  ])('%s', async (_what, jobDefaults, stepShell, script, result) => {
    const steps = `      - run: |\n${script
      .split('\n')
      .map((line) => `          ${line}`)
      .join('\n')}\n${stepShell}`;
    const run = await bench.rehearse(job(steps, jobDefaults));
    expect(results(run)).toEqual({ only: result });
  });

  test("the workflow's defaults.run (shell and working-directory) apply under a job without its own", async () => {
    const run = await bench.rehearse(`on: push
defaults:
  run:
    shell: bash
    working-directory: sub
jobs:
  only:
    runs-on: ubuntu-latest
    steps:
      - working-directory: .
        run: mkdir sub
      - run: test "$(basename "$PWD")" = sub && set -o | grep -q 'pipefail.*on'
`);
    expect(results(run)).toEqual({ only: 'success' });
  });
});

describe('job continue-on-error', () => {
  // A job with continue-on-error true that fails is shown failed, but the run is not failed by it; its
  // dependants run as though it passed (needs.<job>.result reads success, as GitHub reports it). The value
  // may be an expression, such as a matrix value marking an experimental leg, and such a leg failing does
  // not make fail-fast cancel the others.
  test.each([
    ['true', 'true', 'failure', 'success', 'success'],
    ['false', 'false', 'failure', 'skipped', 'failure'],
    ['an expression that is true', "${{ github.event_name == 'push' }}", 'failure', 'success', 'success'],
    ['an expression that is false', "${{ github.event_name != 'push' }}", 'failure', 'skipped', 'failure'],
  ])('continue-on-error: %s', async (_what, value, flaky, after, conclusion) => {
    const run = await bench.rehearse(`${header}
  flaky:
    runs-on: ubuntu-latest
    continue-on-error: ${value}
    steps:
      - run: exit 1
  after:
    needs: flaky
    runs-on: ubuntu-latest
    steps:
      - env:
          SEEN: \${{ needs.flaky.result }}
        run: test "$SEEN" = success
`);
    expect(results(run)).toEqual({ flaky, after });
    expect(run.conclusion).toBe(conclusion);
  });

  test('a matrix leg marked experimental fails without cancelling the others or failing the run', async () => {
    const run = await bench.rehearse(`${header}
  test:
    runs-on: ubuntu-latest
    continue-on-error: \${{ matrix.experimental }}
    strategy:
      max-parallel: 1
      matrix:
        include:
          - { node: next, experimental: true }
          - { node: '24', experimental: false }
    steps:
      - env:
          NODE: \${{ matrix.node }}
        run: test "$NODE" != next
`);
    expect(results(run)).toEqual({ 'test (next, true)': 'failure', 'test (24, false)': 'success' });
    expect(run.conclusion).toBe('success');
  });
});

describe('strategy', () => {
  // fail-fast defaults to true: a failing leg cancels the legs in progress and those queued; false lets
  // them go on. The strategy context gives fail-fast, job-index (from 0), job-total and max-parallel.
  test.each([
    ['omitted', '', ['failure', 'cancelled', 'cancelled'], 'true'],
    ['true', '      fail-fast: true\n', ['failure', 'cancelled', 'cancelled'], 'true'],
    ['false', '      fail-fast: false\n', ['failure', 'success', 'success'], 'false'],
    [
      'an expression',
      "      fail-fast: ${{ github.event_name != 'push' }}\n",
      ['failure', 'success', 'success'],
      'false',
    ],
  ])('fail-fast %s', async (_what, failFast, legs, seen) => {
    const log = bench.write(`strategy-${legs.join('-')}-${seen}-${failFast.length}.log`, '');
    const run = await bench.rehearse(
      `${header}
  legs:
    runs-on: ubuntu-latest
    strategy:
${failFast}      max-parallel: 1
      matrix:
        leg: [a, b, c]
    steps:
      - env:
          SEEN: \${{ strategy.fail-fast }} \${{ strategy.job-index }}/\${{ strategy.job-total }} \${{ strategy.max-parallel }}
          LEG: \${{ matrix.leg }}
        run: echo "$SEEN" >> "$LOG" && test "$LEG" != a
`,
      { baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LOG: log } },
    );
    expect(run.jobs.map((leg) => leg.result)).toEqual(legs);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(`${seen} 0/3 1`);
    if (seen === 'false') expect(lines).toEqual([`false 0/3 1`, `false 1/3 1`, `false 2/3 1`]);
  });

  test('a job without a strategy sees one leg of one', async () => {
    const run = await bench.rehearse(
      job(`      - env:
          SEEN: \${{ strategy.fail-fast }} \${{ strategy.job-index }}/\${{ strategy.job-total }} \${{ strategy.max-parallel }}
        run: test "$SEEN" = "true 0/1 1"
`),
    );
    expect(results(run)).toEqual({ only: 'success' });
  });
});

describe('concurrency', () => {
  // In a concurrency group at most one run (or job) runs and one is pending. A newer arrival replaces the
  // pending one, which is cancelled; with cancel-in-progress it cancels the running one too. A workflow's
  // own `concurrency` applies to its whole run, before any job starts.
  const waiting = `on: push
concurrency:
  group: deploy-\${{ github.ref }}
  cancel-in-progress: CANCEL
jobs:
  only:
    runs-on: ubuntu-latest
    steps:
      - run: while [ ! -e "$GO" ]; do sleep 0.05; done
`;

  /** Resolves once `check` holds, polling between turns of the event loop. */
  async function until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  test.each([
    ['cancel-in-progress cancels the running run', 'true', ['cancelled', 'success']],
    ['without it, the running run finishes and the newer one waits', 'false', ['success', 'success']],
  ])('%s', async (_what, cancel, conclusions) => {
    const groups = new ConcurrencyGroups();
    const go = join(bench.directory, `go-${cancel}`);
    let started = 0;
    const options: Partial<WorkflowRunOptions> = {
      concurrency: groups,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GO: go },
      progress: {
        jobStarted: () => (started += 1),
        jobWaiting: () => undefined,
        stepFinished: () => undefined,
        jobFinished: () => undefined,
      },
    };
    const yaml = waiting.replace('CANCEL', cancel);
    const first = bench.rehearse(yaml, options);
    await until(() => started === 1);
    const second = bench.rehearse(yaml, options);
    // The second run is in the group: waiting, or having cancelled the first.
    await until(() => groups.members('deploy-refs/heads/main').waiting !== undefined || groups.superseded.length > 0);
    writeFileSync(go, '');
    const runs = await Promise.all([first, second]);
    expect(runs.map((run) => run.conclusion)).toEqual(conclusions);
  });

  test('a newer pending run replaces the older pending one, which ends cancelled without running a job', async () => {
    const groups = new ConcurrencyGroups();
    const go = join(bench.directory, 'go-pending');
    let started = 0;
    const options: Partial<WorkflowRunOptions> = {
      concurrency: groups,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GO: go },
      progress: {
        jobStarted: () => (started += 1),
        jobWaiting: () => undefined,
        stepFinished: () => undefined,
        jobFinished: () => undefined,
      },
    };
    const yaml = waiting.replace('CANCEL', 'false');
    const group = 'deploy-refs/heads/main';
    const first = bench.rehearse(yaml, options);
    await until(() => started === 1);
    const second = bench.rehearse(yaml, options);
    await until(() => groups.members(group).waiting !== undefined);
    const third = bench.rehearse(yaml, options);
    const replaced = await second;
    expect(replaced.conclusion).toBe('cancelled');
    expect(replaced.jobs.map((record) => [record.result, record.steps.length, record.note])).toEqual([
      ['cancelled', 0, 'superseded by a newer run in its concurrency group'],
    ]);
    writeFileSync(go, '');
    expect((await first).conclusion).toBe('success');
    expect((await third).conclusion).toBe('success');
    expect(started).toBe(2);
  });

  test('a job calling a reusable workflow holds its group too: cancel-in-progress cancels the running call', async () => {
    const groups = new ConcurrencyGroups();
    const go = join(bench.directory, 'go-call');
    const path = bench.write(
      'waits.yml',
      `on: workflow_call\njobs:\n  inner:\n    runs-on: ubuntu-latest\n    steps:\n      - run: while [ ! -e "$GO" ]; do sleep 0.05; done\n`,
    );
    let started = 0;
    const options: Partial<WorkflowRunOptions> = {
      concurrency: groups,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GO: go },
      resolveWorkflow: () => ({ path, repository: 'acme/shop', sha: 'a'.repeat(40) }),
      progress: {
        jobStarted: (_run, record) => (started += record.key === 'call / inner' ? 1 : 0),
        jobWaiting: () => undefined,
        stepFinished: () => undefined,
        jobFinished: () => undefined,
      },
    };
    const yaml = `on: push\njobs:\n  call:\n    concurrency:\n      group: release\n      cancel-in-progress: true\n    uses: ./.github/workflows/waits.yml\n`;
    const first = bench.rehearse(yaml, options);
    await until(() => started === 1);
    const second = bench.rehearse(yaml, options);
    await until(() => groups.members('release').running?.endsWith(' call') === true && started === 2);
    writeFileSync(go, '');
    const runs = await Promise.all([first, second]);
    expect(runs.map((run) => [run.conclusion, results(run)])).toEqual([
      ['cancelled', { call: 'cancelled', 'call / inner': 'cancelled' }],
      ['success', { call: 'success', 'call / inner': 'success' }],
    ]);
  });
});

describe('reusable workflows', () => {
  // A caller passes only inputs the called workflow declares, of their declared type (a string input
  // takes numbers and booleans as text; a boolean or number input refuses a string, even from an
  // expression), every required one; optional ones take their default or their type's empty value.
  // Secrets are passed by name (each declared) or all of the caller's with `secrets: inherit`; a required
  // one missing stops the call. GitHub's own messages say which.
  const called = `on:
  workflow_call:
    inputs:
      image: { type: string, required: true }
      push: { type: boolean, default: true }
      replicas: { type: number, required: false }
      note: { type: string, required: false }
    secrets:
      DEPLOY_TOKEN: { required: true }
      OPTIONAL_TOKEN: { required: false }
    outputs:
      seen:
        value: \${{ jobs.inner.outputs.seen }}
jobs:
  inner:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.look.outputs.seen }}
    steps:
      - id: look
        env:
          INPUTS: \${{ toJSON(inputs) }}
          TOKENS: \${{ secrets.DEPLOY_TOKEN }},\${{ secrets.OPTIONAL_TOKEN }},\${{ secrets.UNDECLARED }}
          IMAGE: \${{ inputs.image }}
        run: |
          printf '%s' "$INPUTS" > "$RESULT"
          printf '%s' "$TOKENS" > "$RESULT.tokens"
          echo "seen=$IMAGE" >> "$GITHUB_OUTPUT"
`;
  const caller = (call: string): string => `on: push
jobs:
  call:
    uses: ./.github/workflows/called.yml
${call}
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - env:
          SEEN: \${{ needs.call.outputs.seen }}
        run: echo "$SEEN" > "$RESULT.seen"
`;
  const secrets = {
    GITHUB_TOKEN: 'ghs_unitTestToken',
    DEPLOY_TOKEN: 'deploy',
    OPTIONAL_TOKEN: 'optional',
    UNDECLARED: 'other',
  };

  test.each<[string, string, Record<string, unknown> | string, string?]>([
    [
      'inputs typed and defaulted, secrets by name',
      '    with:\n      image: api\n      replicas: 3\n    secrets:\n      DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}',
      { image: 'api', push: true, replicas: 3, note: '' },
      'deploy,,',
    ],
    [
      'a number and a boolean given to string inputs become text',
      '    with:\n      image: 7\n      note: true\n      push: false\n    secrets: inherit',
      { image: '7', push: false, replicas: 0, note: 'true' },
      'deploy,optional,other',
    ],
    [
      'secrets: inherit passes every secret of the caller',
      '    with:\n      image: api\n    secrets: inherit',
      { image: 'api', push: true, replicas: 0, note: '' },
      'deploy,optional,other',
    ],
    ['a required input missing', '    secrets: inherit', 'Input image is required, but not provided while calling.'],
    [
      'a required secret missing',
      '    with:\n      image: api\n    secrets:\n      OPTIONAL_TOKEN: ${{ secrets.OPTIONAL_TOKEN }}',
      'Secret DEPLOY_TOKEN is required, but not provided while calling.',
    ],
    [
      'a string for a boolean input',
      "    with:\n      image: api\n      push: ${{ 'yes' }}\n    secrets: inherit",
      "Input push: Unexpected type of value 'yes', expected type: Boolean.",
    ],
    [
      'a string for a number input',
      "    with:\n      image: api\n      replicas: '3'\n    secrets: inherit",
      "Input replicas: Unexpected type of value '3', expected type: Number.",
    ],
    [
      'an input the called workflow does not declare',
      '    with:\n      image: api\n      colour: red\n    secrets: inherit',
      'Invalid input, colour is not defined in the referenced workflow.',
    ],
    [
      'a secret the called workflow does not declare',
      '    with:\n      image: api\n    secrets:\n      DEPLOY_TOKEN: x\n      UNDECLARED: y',
      'Invalid secret, UNDECLARED is not defined in the referenced workflow.',
    ],
    // A rest parameter: jest takes a function with more parameters than a row has for a done-callback test.
  ])('%s', async (...[what, call, expected, tokens]) => {
    const path = bench.write('called.yml', called);
    const result = join(bench.directory, `call-${what.replace(/\W+/g, '-')}`);
    const run = await bench.rehearse(caller(call), {
      secrets,
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', RESULT: result },
      resolveWorkflow: (uses) => {
        expect(uses).toBe('./.github/workflows/called.yml');
        return { path, repository: 'acme/shop', sha: 'a'.repeat(40) };
      },
    });
    if (typeof expected === 'string') {
      expect(results(run)).toEqual({ call: 'failure', after: 'skipped' });
      expect(run.jobs[0]?.note).toBe(
        `workflow-${run.runId}.yml:4: Error calling workflow './.github/workflows/called.yml'. ${expected}`,
      );
      return;
    }
    expect(results(run)).toEqual({ call: 'success', 'call / inner': 'success', after: 'success' });
    expect(JSON.parse(readFileSync(result, 'utf8'))).toEqual(expected);
    expect(readFileSync(`${result}.tokens`, 'utf8')).toBe(tokens);
    // The called workflow's output reaches the caller's dependants.
    expect(readFileSync(`${result}.seen`, 'utf8').trim()).toBe(String(expected['image']));
  });
});

// The caller `shiprail init` writes, calling deploy.yml's own interface: its `workflow_call` block and
// every job's permissions as deploy.yml declares them, each job's steps left out. GitHub checks the call
// (inputs, required secrets through `secrets: inherit`) and that the caller job grants every permission a
// job of deploy.yml asks for before any job starts.
describe("the caller shiprail init writes, against deploy.yml's interface", () => {
  const standIn = (): string => {
    const deploy = parse(readFileSync(join(repoRoot, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
      on: unknown;
      permissions?: unknown;
      jobs: Record<string, { permissions?: unknown }>;
    };
    const jobs = Object.fromEntries(
      Object.entries(deploy.jobs).map(([id, definition]) => [
        id,
        { 'runs-on': 'ubuntu-latest', permissions: definition.permissions, steps: [{ run: 'true' }] },
      ]),
    );
    return stringify({ on: deploy.on, permissions: deploy.permissions, jobs });
  };
  const caller = renderCallerWorkflow({
    workflow: `acme/shiprail/.github/workflows/deploy.yml@${'a'.repeat(40)}`,
    defaultBranch: 'main',
    imagePrefix: { value: 'ghcr.io/acme', source: 'deploy/base/api.yaml:16' },
    overlays: { value: 'deploy/overlays/{environment}', source: 'deploy/overlays/dev' },
    environments: { value: ['dev', 'prod'], source: 'deploy/overlays/{dev,prod}' },
    smoke: true,
  }).content;

  test.each([
    ['with the GitOps token among its secrets', { GITOPS_TOKEN: 'gitops' }, 'success', ''],
    [
      'without it',
      {},
      'failure',
      "Error calling workflow 'acme/shiprail/.github/workflows/deploy.yml@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'. Secret GITOPS_TOKEN is required, but not provided while calling.",
    ],
  ])('%s', async (_what, secrets, result, note) => {
    const path = bench.write('deploy-interface.yml', standIn());
    const run = await bench.rehearse(caller, {
      secrets: { GITHUB_TOKEN: 'ghs_unitTestToken', ...secrets },
      vars: { PROMETHEUS_URL: 'http://127.0.0.1:9090', BASE_URL_DEV: 'http://dev', BASE_URL_PROD: 'http://prod' },
      resolveWorkflow: () => ({ path, repository: 'acme/shiprail', sha: 'a'.repeat(40) }),
    });
    expect(run.jobs[0]?.result).toBe(result);
    expect(run.jobs[0]?.note.replace(/^[^:]+:\d+: /, '')).toBe(note);
    if (result === 'success') {
      expect(run.jobs.find((record) => record.key === 'deploy / comment')?.permissions).toEqual({
        actions: 'read',
        contents: 'read',
        'pull-requests': 'write',
        metadata: 'read',
      });
    }
  });
});

describe('permissions', () => {
  // A job's GITHUB_TOKEN has the job's `permissions`, else the workflow's, else the repository's default
  // (restricted: contents and packages read; permissive: write to all but id-token); scopes a mapping
  // leaves out are none, metadata is always read. A called workflow's jobs inherit the calling job's
  // token and may narrow it; asking for more fails the call with GitHub's message.
  const workflow = (top: string, own: string): string =>
    `on: push\n${top}jobs:\n  only:\n    runs-on: ubuntu-latest\n${own}    steps:\n      - run: 'true'\n`;
  test.each<[string, string, string, 'restricted' | 'permissive', Record<string, string>]>([
    ['none set, restricted default', '', '', 'restricted', { contents: 'read', packages: 'read', metadata: 'read' }],
    [
      'the workflow grants, the job says nothing',
      'permissions:\n  contents: write\n  pull-requests: write\n',
      '',
      'permissive',
      { contents: 'write', 'pull-requests': 'write', metadata: 'read' },
    ],
    [
      "the job's own over the workflow's",
      'permissions: {}\n',
      '    permissions:\n      contents: read\n',
      'restricted',
      { contents: 'read', metadata: 'read' },
    ],
    ['permissions: {} leaves only metadata', 'permissions: {}\n', '', 'permissive', { metadata: 'read' }],
  ])('%s', async (_what, top, own, setting, expected) => {
    const run = await bench.rehearse(workflow(top, own), { defaultPermissions: setting });
    expect(run.jobs[0]?.permissions).toEqual(expected);
  });

  test('read-all and write-all, and the permissive default', async () => {
    const readAll = await bench.rehearse(workflow('permissions: read-all\n', ''));
    expect(readAll.jobs[0]?.permissions['id-token']).toBeUndefined();
    expect(readAll.jobs[0]?.permissions['issues']).toBe('read');
    const permissive = await bench.rehearse(workflow('', ''), { defaultPermissions: 'permissive' });
    expect(permissive.jobs[0]?.permissions['contents']).toBe('write');
    expect(permissive.jobs[0]?.permissions['id-token']).toBeUndefined();
    expect(permissive.jobs[0]?.permissions['models']).toBe('read');
  });

  test.each<[string, string, string, Record<string, string> | string]>([
    [
      'the called job inherits the caller job',
      'contents: write\n      pull-requests: write',
      '',
      { contents: 'write', 'pull-requests': 'write', metadata: 'read' },
    ],
    [
      'the called job narrows it',
      'contents: write',
      '    permissions:\n      contents: read\n',
      { contents: 'read', metadata: 'read' },
    ],
    [
      'the called job asks for more',
      'contents: read',
      '    permissions:\n      contents: write\n',
      "The nested job 'inner' is requesting 'contents: write', but is only allowed 'contents: read'.",
    ],
  ])('a called workflow: %s', async (what, callerPermissions, calledPermissions, expected) => {
    const path = bench.write(
      `permissions-${what.replace(/\W+/g, '-')}.yml`,
      `on: workflow_call\njobs:\n  inner:\n    runs-on: ubuntu-latest\n${calledPermissions}    steps:\n      - run: 'true'\n`,
    );
    const run = await bench.rehearse(
      `on: push\npermissions: {}\njobs:\n  call:\n    permissions:\n      ${callerPermissions}\n    uses: ./.github/workflows/called.yml\n`,
      { resolveWorkflow: () => ({ path, repository: 'acme/shop', sha: 'a'.repeat(40) }) },
    );
    if (typeof expected === 'string') {
      expect(results(run)).toEqual({ call: 'failure' });
      expect(run.jobs[0]?.note).toMatch(
        new RegExp(`^workflow-\\d+\\.yml:7: .*${expected.replace(/[.'()]/g, '\\$&')}$`),
      );
      return;
    }
    expect(results(run)).toEqual({ call: 'success', 'call / inner': 'success' });
    expect(run.jobs[1]?.permissions).toEqual(expected);
  });
});

describe('environment protection rules', () => {
  // Deployment branches and tags: without a rule any ref may deploy; "protected branches" allows only
  // branches with a protection rule; custom rules match names by pattern (`*` does not cross `/`). A pull
  // request's ref deploys as the branch `N/merge`. A ref the rules refuse fails the job before any step.
  const deploy = `${header}  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: 'true'\n`;
  const rules = (
    deploymentBranches: EnvironmentRules['environments'][string]['deploymentBranches'],
  ): EnvironmentRules => ({
    environments: { production: { deploymentBranches } },
    protectedBranches: ['main'],
  });
  test.each<[string, EnvironmentRules | undefined, string, string]>([
    ['no rules', undefined, 'refs/heads/feature', ''],
    ['a branch pattern', rules({ branches: ['main', 'release/*'] }), 'refs/heads/release/1.2', ''],
    ['* stops at /', rules({ branches: ['release/*'] }), 'refs/heads/release/1.2/fix', 'Branch "release/1.2/fix"'],
    ['a branch not listed', rules({ branches: ['main'] }), 'refs/heads/feature', 'Branch "feature"'],
    ['a tag pattern', rules({ branches: ['main'], tags: ['v*'] }), 'refs/tags/v1.0', ''],
    ['a tag under branch rules only', rules({ branches: ['main'] }), 'refs/tags/v1.0', 'Tag "v1.0"'],
    ['a protected branch', rules({ protectedOnly: true }), 'refs/heads/main', ''],
    ["a pull request's merge ref", rules({ protectedOnly: true }), 'refs/pull/7/merge', 'Branch "7/merge"'],
  ])('%s', async (_what, environmentRules, ref, refused) => {
    const asked: string[] = [];
    const run = await bench.rehearse(deploy, {
      event: { name: 'push', payload: {}, sha: 'a'.repeat(40), ref, repository: 'acme/shop', actor: 'octocat' },
      environmentRules,
      approve: (environment) => {
        asked.push(environment);
        return Promise.resolve(true);
      },
    });
    if (refused === '') {
      expect(results(run)).toEqual({ deploy: 'success' });
      return;
    }
    expect(results(run)).toEqual({ deploy: 'failure' });
    expect(run.jobs[0]?.steps).toEqual([]);
    expect(run.jobs[0]?.note).toBe(
      `${refused} is not allowed to deploy to production due to environment protection rules.`,
    );
    expect(asked).toEqual([]);
  });

  // A wait timer holds the job for its minutes once it reaches the environment; a reviewer's approval is
  // needed as well, and either may come first.
  test('a wait timer delays the job as long as it says, alongside the reviewer', async () => {
    const waited: number[] = [];
    const asked: string[] = [];
    const run = await bench.rehearse(deploy, {
      environmentRules: { environments: { production: { waitTimerMinutes: 30 } }, protectedBranches: [] },
      sleep: (ms) => {
        waited.push(ms);
        return Promise.resolve();
      },
      approve: (environment) => {
        asked.push(environment);
        return Promise.resolve(true);
      },
    });
    expect(results(run)).toEqual({ deploy: 'success' });
    expect(waited).toEqual([30 * 60_000]);
    expect(asked).toEqual(['production']);
  });
});

describe('events', () => {
  const repository = { fullName: 'acme/shop', defaultBranch: 'main' };
  const shas = { base: '', head: '', tip: '' };
  let path = '';
  // A repository whose main moved on after the feature branch left it.
  beforeAll(() => {
    path = join(bench.directory, 'shop');
    const identity = {
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    };
    const git = (...args: string[]): string =>
      execFileSync('git', ['-C', path, ...args], { env: { ...process.env, ...identity }, encoding: 'utf8' }).trim();
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', path]);
    const commit = (file: string): string => {
      writeFileSync(join(path, file), file);
      git('add', file);
      git('-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', file);
      return git('rev-parse', 'HEAD');
    };
    shas.base = commit('base');
    git('checkout', '--quiet', '-b', 'feature');
    shas.head = commit('feature');
    git('checkout', '--quiet', 'main');
    shas.tip = commit('main-moved-on');
  });

  // A merge_group run is on the queue's temporary branch: github.ref is refs/heads/gh-readonly-queue/…,
  // github.sha its head, and the event carries merge_group.head_sha and base_sha. A pull_request run is
  // on refs/pull/N/merge (ref_name N/merge) at the merge commit, with head_ref and base_ref naming the
  // pull request's branches; those two are empty for other events.
  const MERGE = 'f'.repeat(40);
  const eventOf = (name: string): WorkflowRunOptions['event'] => {
    if (name === 'merge_group') {
      const group = { baseBranch: 'main', baseSha: shas.tip, headSha: shas.head, pullRequest: 7 };
      return mergeGroupEvent(repository, group, 'octocat');
    }
    if (name === 'push') return pushEvent(repository, 'main', shas.base, shas.tip, 'octocat');
    const pull = { number: 7, base: { ref: 'main', sha: shas.tip }, head: { ref: 'feature', sha: shas.head } };
    return pullRequestEvent(repository, { ...pull, mergeSha: MERGE }, 'octocat');
  };
  test.each([
    ['merge_group', 'github.event.merge_group.head_sha', 'HEAD'],
    ['merge_group', 'github.event.merge_group.base_sha', 'BASE'],
    ['merge_group', 'github.sha', 'HEAD'],
    ['merge_group', 'github.ref', 'refs/heads/gh-readonly-queue/main/pr-7-BASE'],
    ['merge_group', 'github.ref_name', 'gh-readonly-queue/main/pr-7-BASE'],
    ['merge_group', 'github.event_name', 'merge_group'],
    ['merge_group', 'github.head_ref', ''],
    ['pull_request', 'github.sha', 'MERGE'],
    ['pull_request', 'github.ref', 'refs/pull/7/merge'],
    ['pull_request', 'github.ref_name', '7/merge'],
    ['pull_request', 'github.head_ref', 'feature'],
    ['pull_request', 'github.base_ref', 'main'],
    ['pull_request', 'github.event.pull_request.head.sha', 'HEAD'],
    ['push', 'github.ref_name', 'main'],
    ['push', 'github.head_ref', ''],
  ])('%s: %s', async (name, expression, expected) => {
    const event = eventOf(name);
    const run = await bench.rehearse(
      job(`      - env:
          SEEN: \${{ ${expression} }}
          HEAD_REF: \${{ github.head_ref }}
        run: test "$SEEN" = "$WANTED" && test "$GITHUB_REF" = "${event.ref}" && test "$GITHUB_HEAD_REF" = "$HEAD_REF"
`),
      {
        event,
        baseEnv: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          WANTED: expected.replace('HEAD', shas.head).replace('BASE', shas.tip).replace('MERGE', MERGE),
        },
      },
    );
    expect(results(run)).toEqual({ only: 'success' });
  });

  // actions/checkout without a ref checks out GITHUB_SHA: for a pull request that is the merge commit
  // GitHub made of the head into the base (refs/pull/N/merge), so the base's newer commits are there too;
  // in a merge queue, the queue's commit of the pull request onto the base. Its token is masked, and
  // persisted in the checkout's git config unless persist-credentials is false.
  const checkedOutEvent = async (name: string): Promise<WorkflowRunOptions['event']> => {
    if (name === 'push') return pushEvent(repository, 'main', shas.base, shas.tip, 'octocat');
    if (name === 'merge_group') {
      const entry = await mergeQueueCommit(path, { baseBranch: 'main', baseSha: shas.tip, pullRequest: 7 }, shas.head);
      return mergeGroupEvent(repository, entry, 'octocat');
    }
    const mergeSha = await pullRequestMergeCommit(path, 7, shas.tip, shas.head);
    const pull = { number: 7, base: { ref: 'main', sha: shas.tip }, head: { ref: 'feature', sha: shas.head } };
    return pullRequestEvent(repository, { ...pull, mergeSha }, 'octocat');
  };
  test.each([
    ['push', 'main-moved-on', 'feature', 'false'],
    ['pull_request', 'main-moved-on feature', '', 'true'],
    ['merge_group', 'main-moved-on feature', '', 'true'],
  ])('checkout on %s', async (name, present, absent, merge) => {
    const event = await checkedOutEvent(name);
    const actions = thirdPartyActions({ repositories: { 'acme/shop': path }, store: join(bench.directory, 'store') });
    const run = await bench.rehearse(
      job(`      - id: checkout
        uses: actions/checkout@v7
        with:
          token: plain-token-123
      - env:
          PRESENT: ${present}
          ABSENT: ${absent}
          MERGE: ${merge}
          HEAD_SHA: ${shas.head}
          REF: \${{ steps.checkout.outputs.ref }}
        run: |
          for file in $PRESENT; do test -f "$file"; done
          for file in $ABSENT; do test ! -e "$file"; done
          if [ "$MERGE" = true ]; then test "$(git rev-parse HEAD^2)" = "$HEAD_SHA"; fi
          test "$REF" = "$GITHUB_REF" && test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
          git config --get http.http://127.0.0.1:9/.extraheader | grep -q '^AUTHORIZATION: basic '
          echo "::error::token plain-token-123 $(git config --get http.http://127.0.0.1:9/.extraheader)"
          exit 1
`),
      {
        event,
        actions: (uses) => {
          const action = actions[parseUses(uses).action];
          if (action === undefined) throw new Error(`no action ${uses}`);
          return action;
        },
      },
    );
    const [checkout, check] = run.jobs[0]?.steps ?? [];
    expect(checkout?.outcome).toBe('success');
    // The check fails on purpose after its tests, to show what its error says: the token and the
    // credential made of it are masked.
    expect(check?.errors).toEqual(['token *** AUTHORIZATION: basic ***']);
  });
});
