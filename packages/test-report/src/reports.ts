// A report file, whatever wrote it: the format is told by the content, not the name, so that any
// `reports` glob keeps working. XML whose root is `<TestRun>` is TRX, other XML is JUnit; anything else
// is read as `go test -json` output (which may open with what Go wrote to stderr).
import { parseGoTestJson } from './go-test-json.ts';
import { readJUnit, type TestSuite } from './junit.ts';
import { readTrx } from './trx.ts';
import { parseXml } from './xml.ts';

export type ReportFormat = 'junit' | 'trx' | 'go-test-json';

/** XML opens with `<` (after a byte order mark and white space); go test -json never does. */
const looksLikeXml = (text: string): boolean => /^\uFEFF?\s*</.test(text.slice(0, 1024));

export function parseReport(text: string, file: string): { format: ReportFormat; suites: TestSuite[] } {
  if (!looksLikeXml(text) && text.trim() !== '') return { format: 'go-test-json', suites: parseGoTestJson(text, file) };
  const root = parseXml(text, file);
  if (root.name === 'TestRun') return { format: 'trx', suites: readTrx(root, file) };
  return { format: 'junit', suites: readJUnit(root, file) };
}
