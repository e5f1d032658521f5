import { ConfigurationError, errorMessage, type InputParser } from '@shiprail/core';
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from './rules.ts';

/** The action's inputs, keyed by their action.yml names. */
export interface DetectChangedServicesInputs {
  config: string;
  discover: string;
  base: string;
  head: string;
  'include-dependents': boolean;
  'force-all': boolean;
  'working-directory': string;
  /** Milliseconds one `git fetch` from origin may take. */
  'fetch-timeout': number;
}

export const DEFAULT_CONFIG = '.github/services.yml';

export function parseInputs(parser: InputParser): DetectChangedServicesInputs {
  const inputs: DetectChangedServicesInputs = {
    config: parser.string('config', DEFAULT_CONFIG),
    discover: parser.string('discover', 'services/*'),
    base: parser.string('base'),
    head: parser.string('head', 'HEAD'),
    'include-dependents': parser.boolean('include-dependents', true),
    'force-all': parser.boolean('force-all', false),
    'working-directory': parser.string('working-directory', '.'),
    'fetch-timeout': parser.duration('fetch-timeout', '2m'),
  };
  try {
    picomatch.makeRe(inputs.discover, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    const reason = errorMessage(error);
    throw new ConfigurationError(`the glob '${inputs.discover}' cannot be compiled: ${reason}`, { input: 'discover' });
  }
  if (inputs['fetch-timeout'] <= 0) {
    throw new ConfigurationError('a fetch needs some time: give a duration above zero', { input: 'fetch-timeout' });
  }
  for (const name of ['base', 'head'] as const) {
    if (inputs[name].startsWith('-')) {
      throw new ConfigurationError(`'${inputs[name]}' is not a commit, branch or tag`, { input: name });
    }
  }
  return inputs;
}
