export { formatPercent, parseCobertura, parseCoverage, parseLcov, type Coverage } from './coverage.ts';
export {
  BoundedReader,
  MAX_FILE_BYTES,
  MAX_FILES,
  MAX_TOTAL_BYTES,
  expandGlobs,
  parseGlob,
  workspaceFiles,
  type ReportGlob,
} from './files.ts';
export { parseInputs, type TestReportInputs } from './inputs.ts';
export { parseGoTestJson } from './go-test-json.ts';
export { parseJUnit, readJUnit, type TestCase, type TestStatus, type TestSuite } from './junit.ts';
export { parseReport, type ReportFormat } from './reports.ts';
export { parseDuration, readTrx } from './trx.ts';
export {
  baseDirectories,
  classFiles,
  locateFailure,
  packageDirectories,
  resolvePath,
  textLocations,
  type SourceLocation,
  type TextLocation,
  type WorkspaceFiles,
} from './locations.ts';
export { MAX_ANNOTATIONS, readResults, runTestReport } from './run.ts';
export { renderSummary, type ReportResult, type SummaryContext } from './summary.ts';
export { decide, failuresOf, plural, testTitle, totalsOf, type Failure, type Totals, type Verdict } from './verdict.ts';
export { parseXml, type XmlElement } from './xml.ts';
