import { ConfigurationError, type InputParser } from '@shiprail/core';

export interface TestReportInputs {
  /** Newline globs of JUnit XML files, workspace-relative; `!glob` excludes. */
  reports: string[];
  /** An lcov tracefile or Cobertura XML file, workspace-relative; '' for none. */
  coverage: string;
  /** Percent of lines (0..100); 0 sets no minimum. */
  'min-coverage': number;
  /** Names the results in the summary and annotations. */
  name: string;
}

export function parseInputs(parser: InputParser): TestReportInputs {
  const inputs: TestReportInputs = {
    reports: parser.list('reports'),
    coverage: parser.string('coverage'),
    'min-coverage': parser.number('min-coverage', 0, { min: 0, max: 100 }),
    name: parser.string('name', 'Tests'),
  };
  if (inputs.reports.length === 0 && inputs.coverage === '') {
    throw new ConfigurationError('give JUnit XML globs here, a coverage file, or both', { input: 'reports' });
  }
  if (inputs['min-coverage'] > 0 && inputs.coverage === '') {
    throw new ConfigurationError(`is ${inputs['min-coverage']} but no coverage file is given`, {
      input: 'min-coverage',
    });
  }
  return inputs;
}
