import {
  inputEnvName,
  parseRunnerFile,
  runBundledAction,
  type ActionRun,
  expectContainedFailure,
} from '@shiprail/testkit';

test.each([
  ['dry-run', 'INPUT_DRY-RUN'],
  ['registry password', 'INPUT_REGISTRY_PASSWORD'],
])('input %s is passed as %s, as the runner does', (name, env) => expect(inputEnvName(name)).toBe(env));

test('runner files: heredoc and single-line forms', () =>
  expect(parseRunnerFile('a<<ghadelimiter_1\nline 1\nline 2\nghadelimiter_1\nb=x=y\nempty<<D\nD\n')).toEqual({
    a: 'line 1\nline 2',
    b: 'x=y',
    empty: '',
  }));

describe('the promises of a contained failure', () => {
  const contained: ActionRun = {
    exitCode: 1,
    outputs: { passed: 'false' },
    summary: 'failed',
    exportedEnv: {},
    stdout: '::add-mask::hunter22x\n::error::input x: bad\nchanged: a\\n::warning::INJECTED\n',
    stderr: '',
    errors: ['input x: bad'],
    warnings: [],
    masked: ['hunter22x'],
    durationMs: 900,
    leftoverTempFiles: [],
  };
  const expectations = { secrets: ['hunter22x'], withinMs: 5000, plantedCommand: '::warning::INJECTED' };

  test('hold for a run that keeps them', () =>
    expect(() => expectContainedFailure(contained, expectations)).not.toThrow());

  test.each<[string, Partial<ActionRun>]>([
    ['exit code 0', { exitCode: 0 }],
    ['two errors', { errors: ['a', 'b'] }],
    ['too slow', { durationMs: 5001 }],
    ['a secret in an output', { outputs: { results: '[{"url":"http://u:hunter22x@h"}]' } }],
    ['a secret in the summary', { summary: 'hunter22x' }],
    ['a secret in a log line', { stdout: '::add-mask::hunter22x\nlogin as u:hunter22x\n' }],
    ['a file left in RUNNER_TEMP', { leftoverTempFiles: ['kubeconfig-123'] }],
    ['a smuggled command', { stdout: 'changed: a\n::warning::INJECTED\n' }],
    ['a command the actions never issue', { stdout: '::set-env name=A::b\n' }],
  ])('fail for %s', (_name, change) => {
    expect(() => expectContainedFailure({ ...contained, ...change }, expectations)).toThrow();
  });

  test('hold for a real bundle refusing a bad input', async () => {
    const run = await runBundledAction('detect-changed-services', { inputs: { 'force-all': 'maybe' } });
    expectContainedFailure(run, { withinMs: 10_000 });
    expect(run.errors[0]).toContain("input 'force-all'");
  });
});
