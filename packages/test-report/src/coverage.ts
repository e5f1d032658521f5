// Line coverage from an lcov tracefile (`LF`/`LH` per source file) or a Cobertura XML report
// (`lines-covered`/`lines-valid`, else `line-rate`): the two formats every coverage tool can write.
import { ConfigurationError } from '@shiprail/core';
import { parseXml } from './xml.ts';

export interface Coverage {
  format: 'lcov' | 'cobertura';
  /** The file it was read from (workspace-relative). */
  file: string;
  /** Undefined when Cobertura gives only `line-rate`. */
  linesValid: number | undefined;
  linesCovered: number | undefined;
  /** 0..100, unrounded. */
  percent: number;
}

/** Reads a coverage file, recognised by its content. */
export function parseCoverage(content: string, file: string): Coverage {
  const start = content.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('<')) return parseCobertura(content, file);
  if (/^(TN|SF|DA|LF|LH|FN|FNDA|FNF|FNH|BRDA|BRF|BRH|VER):/m.test(start)) return parseLcov(content, file);
  throw new ConfigurationError(
    'is neither an lcov tracefile nor Cobertura XML: give lcov.info (e.g. `coverage lcov`, Jest `--coverageReporters=lcov`) or coverage.xml (e.g. `coverage xml`)',
    { file },
  );
}

export function parseLcov(content: string, file: string): Coverage {
  let found = 0;
  let hit = 0;
  let records = 0;
  // Per record: LF/LH when present, else counted from DA lines (some writers omit the totals).
  let record = { lf: undefined as number | undefined, lh: undefined as number | undefined, da: 0, daHit: 0 };
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const colon = line.indexOf(':');
    const key = colon === -1 ? line : line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'LF' || key === 'LH') {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 0) {
        throw new ConfigurationError(`${key} expects a whole number, got '${value}'`, { file, line: index + 1 });
      }
      if (key === 'LF') record.lf = count;
      else record.lh = count;
    } else if (key === 'DA') {
      const hits = Number(value.split(',')[1]);
      record.da += 1;
      if (hits > 0) record.daHit += 1;
    } else if (key === 'end_of_record') {
      const recordFound = record.lf ?? record.da;
      found += recordFound;
      // coverage.py 6 writes `LF:0` / `LH:1` for an empty file: a record never covers more than it has.
      hit += Math.min(record.lh ?? record.daHit, recordFound);
      records += 1;
      record = { lf: undefined, lh: undefined, da: 0, daHit: 0 };
    }
  });
  if (records === 0) throw new ConfigurationError('holds no lcov record (no end_of_record line)', { file });
  return { format: 'lcov', file, linesValid: found, linesCovered: hit, percent: share(hit, found) };
}

export function parseCobertura(content: string, file: string): Coverage {
  const root = parseXml(content, file);
  if (root.name !== 'coverage') {
    throw new ConfigurationError(`is not Cobertura XML: its root element is <${root.name}>, expected <coverage>`, {
      file,
    });
  }
  const valid = wholeNumber(root.attributes.get('lines-valid'));
  const covered = wholeNumber(root.attributes.get('lines-covered'));
  if (valid !== undefined && covered !== undefined) {
    return { format: 'cobertura', file, linesValid: valid, linesCovered: covered, percent: share(covered, valid) };
  }
  const rate = Number(root.attributes.get('line-rate'));
  if (root.attributes.get('line-rate') === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    const clover = root.attributes.get('clover') !== undefined;
    throw new ConfigurationError(
      clover
        ? 'is Clover XML, not Cobertura: give lcov.info or a Cobertura coverage.xml'
        : '<coverage> has neither lines-valid/lines-covered nor a line-rate between 0 and 1',
      { file },
    );
  }
  return { format: 'cobertura', file, linesValid: undefined, linesCovered: undefined, percent: rate * 100 };
}

/** No line to cover is no evidence of coverage: 0 %, so a minimum cannot pass on an empty report. */
const share = (covered: number, valid: number): number => (valid === 0 ? 0 : Math.min(covered / valid, 1) * 100);

function wholeNumber(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

/** The percentage as the output and summary show it: two decimals, truncated, so 79.996 never reads as 80. */
export function formatPercent(percent: number): string {
  return String(Math.floor(percent * 100 + 1e-9) / 100);
}
