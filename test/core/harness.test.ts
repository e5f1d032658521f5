import { inputEnvName, parseRunnerFile } from '../support/harness.ts';

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
