// The rehearsal runner on small workflows made of `run:` steps: job order, needs and outputs, status
// functions, matrix expansion, env and GITHUB_ENV, continue-on-error, environments and their reviewers,
// concurrency superseding, and constructs it refuses with the file and line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '@shiprail/core';
import { ConcurrencyGroups, type Value, expandMatrix } from '@shiprail/rehearsal/workflow';
import { results, useWorkflowBench } from './workflow-bench.ts';

const bench = useWorkflowBench();

const header = 'on: push\njobs:\n';

test('jobs run after their needs, and read their outputs', async () => {
  const run = await bench.rehearse(`${header}
  last:
    needs: [first, second]
    runs-on: ubuntu-latest
    steps:
      - env:
          A: \${{ needs.first.outputs.word }}
          B: \${{ needs.second.outputs.word }}
        run: test "$A $B" = "hello world"
  second:
    needs: first
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.say.outputs.word }}
    steps:
      - id: say
        run: echo "word=world" >> "$GITHUB_OUTPUT"
  first:
    runs-on: ubuntu-latest
    outputs:
      word: \${{ steps.say.outputs.word }}
    steps:
      - id: say
        run: |
          {
            echo 'word<<EOF'
            echo hello
            echo 'EOF'
          } >> "$GITHUB_OUTPUT"
`);
  expect(run.jobs.map((job) => job.key)).toEqual(['first', 'second', 'last']);
  expect(results(run)).toEqual({ first: 'success', second: 'success', last: 'success' });
  expect(run.jobs[0]?.outputs).toEqual({ word: 'hello' });
});

test('a failed job skips its dependents unless their condition says otherwise', async () => {
  const run = await bench.rehearse(`${header}
  broken:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
  dependent:
    needs: broken
    runs-on: ubuntu-latest
    steps:
      - run: 'true'
  transitive:
    needs: dependent
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: 'true'
  on-failure:
    needs: broken
    if: failure() && needs.broken.result == 'failure'
    runs-on: ubuntu-latest
    steps:
      - run: 'true'
  always:
    needs: dependent
    if: always()
    runs-on: ubuntu-latest
    steps:
      - env:
          RESULT: \${{ needs.dependent.result }}
        run: test "$RESULT" = skipped
`);
  expect(results(run)).toEqual({
    broken: 'failure',
    dependent: 'skipped',
    transitive: 'success',
    'on-failure': 'success',
    always: 'success',
  });
  expect(run.conclusion).toBe('failure');
});

test('steps: outcome and conclusion under continue-on-error, status functions, GITHUB_ENV and env precedence', async () => {
  const run = await bench.rehearse(
    `${header}
env:
  LEVEL: workflow
  KEPT: workflow
jobs:
  steps:
    runs-on: ubuntu-latest
    env:
      LEVEL: job
    outputs:
      seen: \${{ steps.report.outputs.seen }}
    steps:
      - id: flaky
        continue-on-error: true
        run: exit 1
      - id: after
        if: steps.flaky.outcome == 'failure' && steps.flaky.conclusion == 'success'
        run: echo "EXPORTED=from-env-file" >> "$GITHUB_ENV"
      - id: report
        env:
          LEVEL: step
        run: echo "seen=$LEVEL $KEPT $EXPORTED" >> "$GITHUB_OUTPUT"
      - id: fails
        run: exit 1
      - id: skipped
        run: 'true'
      - id: cleanup
        if: always()
        run: 'true'
      - id: only-on-failure
        if: failure()
        run: 'true'
`.replace(`${header}\nenv`, 'on: push\nenv'),
  );
  const job = run.jobs[0];
  expect(job?.outputs).toEqual({ seen: 'step workflow from-env-file' });
  expect(job?.steps.map((step) => [step.name, step.outcome, step.conclusion])).toEqual([
    ['Run exit 1', 'failure', 'success'],
    ['Run echo "EXPORTED=from-env-file" >> "$GITHUB_ENV"', 'success', 'success'],
    ['Run echo "seen=$LEVEL $KEPT $EXPORTED" >> "$GITHUB_OUTPUT"', 'success', 'success'],
    ['Run exit 1', 'failure', 'failure'],
    ['Run true', 'skipped', 'skipped'],
    ['Run true', 'success', 'success'],
    ['Run true', 'success', 'success'],
  ]);
  expect(job?.result).toBe('failure');
});

test.each<[Value, string[]]>([
  [{ os: ['linux', 'mac'], node: [20, 24] }, ['linux, 20', 'linux, 24', 'mac, 20', 'mac, 24']],
  [{ os: ['linux', 'mac'], node: [20, 24], exclude: [{ os: 'mac', node: 20 }] }, ['linux, 20', 'linux, 24', 'mac, 24']],
  // An include that overwrites no original value extends every matching combination; one that would
  // overwrite becomes its own.
  [
    { os: ['linux'], node: [24], include: [{ experimental: true }, { os: 'windows', node: 24 }] },
    ['linux, 24, true', 'windows, 24'],
  ],
  [{ include: [{ service: 'api' }, { service: 'worker' }] }, ['api', 'worker']],
])('matrix %j expands to %j', (matrix, expected) => {
  const labels = expandMatrix(matrix).map((combination) =>
    typeof combination['service'] === 'string'
      ? combination['service']
      : Object.values(combination).map(String).join(', '),
  );
  expect(labels).toEqual(expected);
});

test('a matrix from fromJSON runs one job per entry, named by service, and fail-fast false keeps the others', async () => {
  const run = await bench.rehearse(`${header}
  detect:
    runs-on: ubuntu-latest
    outputs:
      matrix: \${{ steps.list.outputs.matrix }}
    steps:
      - id: list
        run: echo 'matrix={"include":[{"service":"api"},{"service":"web"},{"service":"worker"}]}' >> "$GITHUB_OUTPUT"
  build:
    needs: detect
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix: \${{ fromJSON(needs.detect.outputs.matrix) }}
    steps:
      - env:
          SERVICE: \${{ matrix.service }}
          TOTAL: \${{ strategy.job-total }}
        run: test "$SERVICE" != web && test "$TOTAL" = 3
`);
  expect(results(run)).toEqual({
    detect: 'success',
    'build (api)': 'success',
    'build (web)': 'failure',
    'build (worker)': 'success',
  });
});

test("an environment's reviewer rejects: the job fails without running a step, its dependents are skipped", async () => {
  const asked: string[] = [];
  const run = await bench.rehearse(
    `${header}
  dev:
    runs-on: ubuntu-latest
    environment: dev
    steps:
      - env:
          KUBECONFIG: \${{ secrets.KUBECONFIG }}
        run: test "$KUBECONFIG" = dev-cluster
  staging:
    needs: dev
    runs-on: ubuntu-latest
    environment:
      name: staging
    steps:
      - run: 'false'
  production:
    needs: staging
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: 'true'
`,
    {
      environmentSecrets: { dev: { KUBECONFIG: 'dev-cluster' } },
      approve: (environment) => {
        asked.push(environment);
        return Promise.resolve(environment !== 'staging');
      },
    },
  );
  expect(asked).toEqual(['dev', 'staging']);
  expect(results(run)).toEqual({ dev: 'success', staging: 'failure', production: 'skipped' });
  expect(run.jobs[1]?.steps).toEqual([]);
  expect(run.jobs[1]?.note).toMatch(/rejected/);
});

// Promotion through the environments between the first and the last, as deploy.yml runs it: legs in
// the order of the matrix, one at a time, each under the environment its matrix value names (its own
// approval, secrets and concurrency group); a failed or rejected leg cancels the queued ones.
const PROMOTION = `${header}
  plan:
    runs-on: ubuntu-latest
    outputs:
      middle: \${{ steps.plan.outputs.middle }}
    steps:
      - id: plan
        run: echo 'middle=["qa","staging","preprod","perf"]' >> "$GITHUB_OUTPUT"
  middle:
    name: Deploy to \${{ matrix.environment }}
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      fail-fast: true
      matrix:
        environment: \${{ fromJSON(needs.plan.outputs.middle) }}
    environment: \${{ matrix.environment }}
    concurrency:
      group: deploy-\${{ matrix.environment }}
      cancel-in-progress: false
    steps:
      - env:
          KUBECONFIG: \${{ secrets.KUBECONFIG }}
          ENVIRONMENT: \${{ matrix.environment }}
          PARALLEL: \${{ strategy.max-parallel }}
        run: |
          echo "$ENVIRONMENT" >> "$LOG"
          test "$KUBECONFIG" = "$ENVIRONMENT-cluster" && test "$PARALLEL" = 1 && test "$ENVIRONMENT" != "$BROKEN"
  production:
    needs: middle
    runs-on: ubuntu-latest
    steps:
      - run: 'true'
`;

test.each([
  ['every leg passes', '', [], ['qa', 'staging', 'preprod', 'perf'], ['success', 'success', 'success', 'success']],
  ['staging fails', 'staging', [], ['qa', 'staging'], ['success', 'failure', 'cancelled', 'cancelled']],
  [
    'preprod is rejected',
    '',
    ['preprod'],
    ['qa', 'staging', 'preprod'],
    ['success', 'success', 'failure', 'cancelled'],
  ],
])(
  'a matrix of environments with max-parallel 1: %s',
  async (_, broken, rejected: string[], asked: string[], legs: string[]) => {
    const log = join(bench.directory, `promotion-${broken}-${rejected.join('')}.log`);
    writeFileSync(log, '');
    const approvals: string[] = [];
    const environments = ['qa', 'staging', 'preprod', 'perf'];
    const run = await bench.rehearse(PROMOTION, {
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: bench.directory, LOG: log, BROKEN: broken },
      environmentSecrets: Object.fromEntries(environments.map((name) => [name, { KUBECONFIG: `${name}-cluster` }])),
      approve: (environment, _run, job) => {
        approvals.push(environment);
        expect(job).toBe(`middle (${environment})`);
        return Promise.resolve(!rejected.includes(environment));
      },
    });
    // One approval per leg, asked only once the leg before it succeeded.
    expect(approvals).toEqual(asked);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual(
      asked.filter((name) => !rejected.includes(name)),
    );
    const middle = run.jobs.filter((job) => job.jobId === 'middle');
    expect(middle.map((job) => [job.key, job.name, job.result])).toEqual(
      environments.map((name, index) => [`middle (${name})`, `Deploy to ${name}`, legs[index]]),
    );
    const failed = legs.indexOf('failure');
    if (failed >= 0) expect(middle[failed + 1]?.note).toBe(`cancelled because middle (${environments[failed]}) failed`);
    expect(results(run)['production']).toBe(failed >= 0 ? 'skipped' : 'success');
  },
);

test('concurrency: a newer waiting job cancels the older waiting one; the running one finishes', async () => {
  const groups = new ConcurrencyGroups();
  const cancelled: string[] = [];
  const first = groups.join('deploy', 'first', false, () => cancelled.push('first'));
  expect(await first.start()).toBe('admitted');
  const second = groups.join('deploy', 'second', false, () => cancelled.push('second'));
  const secondStarts = second.start();
  const third = groups.join('deploy', 'third', false, () => cancelled.push('third'));
  expect(await secondStarts).toBe('superseded');
  const thirdStarts = third.start();
  first.leave();
  expect(await thirdStarts).toBe('admitted');
  expect(groups.superseded).toEqual([{ group: 'deploy', owner: 'second', by: 'third' }]);
  // cancel-in-progress also cancels the running job.
  groups.join('deploy', 'fourth', true, () => undefined);
  expect(cancelled).toEqual(['third']);
});

test('two runs of one workflow: the first run waiting for approval is superseded by the second', async () => {
  const groups = new ConcurrencyGroups();
  const yaml = `${header}
  deploy:
    runs-on: ubuntu-latest
    environment: production
    concurrency:
      group: deploy-production
      cancel-in-progress: false
    steps:
      - run: 'true'
`;
  let firstWaits: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (firstWaits = resolve));
  const first = bench.rehearse(yaml, {
    concurrency: groups,
    approve: () => {
      firstWaits();
      return new Promise<boolean>(() => undefined);
    },
  });
  await waiting;
  const second = await bench.rehearse(yaml, { concurrency: groups });
  expect(results(await first)).toEqual({ deploy: 'cancelled' });
  expect(results(second)).toEqual({ deploy: 'success' });
});

test.each([
  [
    'a job container',
    '  build:\n    runs-on: ubuntu-latest\n    container: node:24\n    steps:\n      - run: "true"\n',
    'container',
    5,
  ],
  [
    'a step shell other than bash',
    '  build:\n    runs-on: ubuntu-latest\n    steps:\n      - shell: pwsh\n        run: "true"\n',
    'pwsh',
    6,
  ],
  [
    'a shell that is neither known nor a command with {0}',
    '  build:\n    runs-on: ubuntu-latest\n    defaults:\n      run:\n        shell: fish\n    steps:\n      - run: "true"\n',
    'fish',
    7,
  ],
  [
    'job services',
    '  build:\n    runs-on: ubuntu-latest\n    services:\n      db: { image: postgres }\n    steps:\n      - run: "true"\n',
    'services',
    5,
  ],
])('%s is refused with the file and line', async (_what, jobs, word, line) => {
  const refusal = await bench.rehearse(`${header}${jobs}`).then(
    () => 'no error',
    (error: unknown) => errorMessage(error),
  );
  expect(refusal).toMatch(new RegExp(`^workflow-\\d+\\.yml:${line}: .*${word}`));
});

test('a third-party action without a local equivalent fails its step with the file and line', async () => {
  const run = await bench.rehearse(`${header}
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
`);
  expect(results(run)).toEqual({ build: 'failure' });
  expect(run.jobs[0]?.steps[0]?.errors[0]).toMatch(/workflow-\d+\.yml:7: no action docker\/build-push-action@v6/);
});
