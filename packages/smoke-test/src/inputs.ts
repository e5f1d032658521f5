// The step's inputs, read and checked once into a typed object before anything else happens.
import { ConfigurationError, parseHeaderLines, parseList, stripUrlCredentials, type InputParser } from '@shiprail/core';

export interface SmokeTestInputs {
  checks: string;
  'base-url': string;
  /** Overall deadline, milliseconds. */
  timeout: number;
  concurrency: number;
  'junit-file': string;
  headers: Array<[string, string]>;
}

export const MAX_CONCURRENCY = 64;

export function parseInputs(parser: InputParser): SmokeTestInputs {
  // Masked before anything else is read, so that no later error can print it.
  const headers = parser.secret('headers');
  const inputs: SmokeTestInputs = {
    checks: parser.required('checks'),
    'base-url': parser.string('base-url'),
    timeout: parser.duration('timeout', '2m'),
    concurrency: parser.integer('concurrency', 4, { min: 1, max: MAX_CONCURRENCY }),
    'junit-file': parser.string('junit-file'),
    headers: parseHeaderLines(parseList(headers), 'headers'),
  };
  const baseUrl = inputs['base-url'];
  if (baseUrl !== '' && !/^https?:\/\/[^/]/i.test(baseUrl)) {
    throw new ConfigurationError(`expected an http:// or https:// URL, got '${stripUrlCredentials(baseUrl)}'`, {
      input: 'base-url',
    });
  }
  if (baseUrl !== '' && !URL.canParse(baseUrl)) {
    throw new ConfigurationError(`'${stripUrlCredentials(baseUrl)}' is not a valid URL`, { input: 'base-url' });
  }
  if (inputs.timeout <= 0) throw new ConfigurationError('must be more than zero', { input: 'timeout' });
  return inputs;
}
