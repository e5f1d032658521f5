// Expressions as GitHub documents them ("Evaluate expressions in workflows and actions"), evaluated by the
// rehearsal runner through GitHub's own evaluator, with the status functions it answers per job and step,
// and `${{ }}` inside multi-line YAML scalars.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  evaluateCondition,
  evaluateExpression,
  hasStatusFunction,
  ifCondition,
  loadWorkflow,
  tokenEvaluator,
  type Value,
} from '@shiprail/rehearsal/workflow';

const contexts = {
  github: {
    ref: 'refs/heads/main',
    event_name: 'push',
    event: {
      issue: { labels: [{ name: 'bug' }, { name: 'help wanted' }] },
      fruits: [
        { name: 'apple', quantity: 1 },
        { name: 'orange', quantity: 2 },
        { name: 'pear', quantity: 1 },
      ],
    },
  },
  env: { time: '3', empty: '' },
  needs: { job1: { result: 'success', outputs: { matrix: '{"include":[{"project":"foo","config":"Debug"}]}' } } },
  steps: { scan: { outputs: { 'sarif-file': 'trivy.sarif' }, outcome: 'failure', conclusion: 'success' } },
};

test.each<[string, Value]>([
  ["contains('Hello world', 'llo')", true],
  ["contains(github.event.issue.labels.*.name, 'bug')", true],
  ['contains(fromJSON(\'["push", "pull_request"]\'), github.event_name)', true],
  ["startsWith('Hello world', 'He')", true],
  ["endsWith('Hello world', 'ld')", true],
  ["format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')", 'Hello Mona the Octocat'],
  ["format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')", '{Hello Mona the Octocat!}'],
  ["join(github.event.issue.labels.*.name, ', ')", 'bug, help wanted'],
  ['fromJSON(env.time)', 3],
  ['fromJSON(needs.job1.outputs.matrix)', { include: [{ project: 'foo', config: 'Debug' }] }],
  ['github.event.fruits.*.name', ['apple', 'orange', 'pear']],
  ['github.event.fruits.*.quantity', [1, 2, 1]],
  ["contains(github.event.fruits.*.name, 'pear')", true],
  ["github.ref == 'refs/heads/main' && 'value_for_main' || 'value_for_other'", 'value_for_main'],
  ["'abc' == 'ABC'", true],
  ["1 == '1'", true],
  ["env.empty || 'fallback'", 'fallback'],
  ['env.missing', null],
  ["steps.scan.outputs.sarif-file != ''", true],
  ["steps.scan.outcome == 'failure' && steps.scan.conclusion == 'success'", true],
])('%s evaluates to %j', (expression, expected) => {
  expect(evaluateExpression(expression, contexts)).toEqual(expected);
});

const afterFailure = { success: false, failure: true, cancelled: false };
const allGood = { success: true, failure: false, cancelled: false };
const cancelledRun = { success: false, failure: false, cancelled: true };

test.each<[string, typeof allGood, boolean]>([
  ['success()', allGood, true],
  ['success()', afterFailure, false],
  ['failure()', afterFailure, true],
  ['failure()', allGood, false],
  ['always()', afterFailure, true],
  ['always()', cancelledRun, true],
  ['cancelled()', cancelledRun, true],
  // Without a status function a condition only holds while everything succeeded.
  ["github.event_name == 'push'", allGood, true],
  ["github.event_name == 'push'", afterFailure, false],
  ["always() && steps.scan.outputs.sarif-file != ''", afterFailure, true],
  ["failure() && steps.scan.outcome == 'failure'", afterFailure, true],
])('if: %s with %j is %s', (condition, status, expected) => {
  expect(evaluateCondition(condition, contexts, status)).toBe(expected);
});

test.each([
  ["needs.detect.outputs.any-changed == 'true'", "success() && (needs.detect.outputs.any-changed == 'true')"],
  ['always() && env.x', 'always() && env.x'],
  ["!cancelled() && env.x == 'y'", "!cancelled() && env.x == 'y'"],
  // A status function's name inside a string is not a call.
  ["github.event_name == 'failure()'", "success() && (github.event_name == 'failure()')"],
])('the if condition %s runs as %s', (condition, expected) => {
  expect(ifCondition(condition)).toBe(expected);
  expect(hasStatusFunction(condition)).toBe(condition === expected);
});

test.each(["contains('a')", 'unknown.context', "format('{0}'"])(
  '%s is refused with the expression in the message',
  (expression) => {
    expect(() => evaluateExpression(expression, contexts)).toThrow(expression);
  },
);

describe('${{ }} inside a multi-line scalar', () => {
  // GitHub evaluates the scalar's YAML value: a block keeps no indentation, chomps and folds as YAML says,
  // and each expression's value takes its place.
  let directory = '';
  beforeAll(() => (directory = mkdtempSync(join(tmpdir(), 'multi-line-'))));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const header =
    'on: push\njobs:\n  only:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n        env:\n';
  test.each([
    [
      '|- (the trailers of a commit message)',
      'VALUE: |-\n  Deploy to ${{ env.name }}\n\n  Source-Commit: ${{ env.sha }}\n  Environment: ${{ env.name }}',
    ],
    ['| keeps one final newline', 'VALUE: |\n  first ${{ env.name }}\n    more indented\n  last\n\n'],
    ['|+ keeps every final newline', 'VALUE: |+\n  ${{ env.name }}\n\n\n'],
    ['> folds lines', 'VALUE: >\n  folded ${{ env.name }}\n  on one line\n\n  a paragraph\n'],
    ['>- folds and strips', 'VALUE: >-\n  ${{ env.name }}\n  and ${{ env.sha }}\n'],
    ['|2 sets the indentation', 'VALUE: |2\n     ${{ env.name }} keeps three spaces\n    and this one two\n'],
    ['a double-quoted scalar over lines', 'VALUE: "quoted ${{ env.name }}\n    folded \\\n    joined"'],
    ['a plain scalar over lines', 'VALUE: plain ${{ env.name }}\n    continued'],
  ])('%s', async (_what, entry) => {
    const yaml = header + entry.replace(/^/gm, '          ');
    const file = join(directory, 'workflow.yml');
    writeFileSync(file, yaml);
    const [job] = (await loadWorkflow(file)).jobs;
    const walk = await tokenEvaluator();
    const env = { name: 'Mona', sha: 'c0ffee' };
    const value = walk(job?.steps[0]?.env?.find('VALUE'), (expression) => evaluateExpression(expression, { env }));
    const substituted = yaml.replaceAll('${{ env.name }}', env.name).replaceAll('${{ env.sha }}', env.sha);
    const expected = (parse(substituted) as { jobs: { only: { steps: Array<{ env: { VALUE: string } }> } } }).jobs.only
      .steps[0]?.env.VALUE;
    expect(value).toBe(expected);
  });
});
