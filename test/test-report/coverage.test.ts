// Line coverage from the reports coverage.py writes, and from the edges of both formats.
import { formatPercent, parseCoverage } from '@shiprail/test-report';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMistake, samples } from './tools.ts';

const lcov = (...records: string[]): string => records.map((body) => `TN:\nSF:a.py\n${body}\nend_of_record`).join('\n');

describe('line coverage', () => {
  test.each([
    // coverage.py's own figures: 31 of 36 lines in coverage.xml; its lcov writer counts 32 of 36 (its
    // empty tests/__init__.py record says LF:0 LH:1, which counts as 0 of 0).
    [
      'coverage.py Cobertura',
      readFileSync(join(samples, 'reports', 'coverage-py.xml'), 'utf8'),
      'cobertura',
      36,
      31,
      '86.11',
    ],
    ['coverage.py lcov', readFileSync(join(samples, 'reports', 'coverage-py.lcov'), 'utf8'), 'lcov', 36, 32, '88.88'],
    ['lcov LF/LH over records', lcov('LF:10\nLH:5', 'LF:30\nLH:30'), 'lcov', 40, 35, '87.5'],
    ['lcov without LF/LH: DA lines', lcov('DA:1,3\nDA:2,0\nDA:3,1'), 'lcov', 3, 2, '66.66'],
    ['lcov with CRLF line ends', lcov('LF:4\r\nLH:1').replace(/\n/g, '\r\n'), 'lcov', 4, 1, '25'],
    ['lcov with no lines', lcov('LF:0\nLH:0'), 'lcov', 0, 0, '0'],
    [
      'Cobertura lines-valid/lines-covered over line-rate',
      '<coverage lines-valid="3" lines-covered="2" line-rate="0.1"/>',
      'cobertura',
      3,
      2,
      '66.66',
    ],
    ['Cobertura line-rate only', '<coverage line-rate="0.9512"/>', 'cobertura', undefined, undefined, '95.12'],
    [
      'Cobertura with a DOCTYPE and no entities',
      '<?xml version="1.0"?><!DOCTYPE coverage SYSTEM "coverage-04.dtd"><coverage line-rate="1"/>',
      'cobertura',
      undefined,
      undefined,
      '100',
    ],
  ])('%s', (_label, content, format, linesValid, linesCovered, percent) => {
    const coverage = parseCoverage(content, 'cov');
    expect({ ...coverage, percent: formatPercent(coverage.percent) }).toEqual({
      format,
      file: 'cov',
      linesValid,
      linesCovered,
      percent,
    });
  });

  test.each([
    [79.996, '79.99'],
    [80, '80'],
    [100, '100'],
    [0, '0'],
    [33.333333, '33.33'],
  ])('%d % reads %s: truncated, never rounded up to a minimum it misses', (value, shown) => {
    expect(formatPercent(value)).toBe(shown);
  });

  test.each([
    ['plain text', 'hello\n', /^cov: is neither an lcov tracefile nor Cobertura XML/],
    ['JSON (Istanbul’s coverage-final.json)', '{"a.js":{}}', /^cov: is neither an lcov tracefile nor Cobertura XML/],
    [
      'JaCoCo XML',
      '<report name="x"><counter type="LINE" missed="1" covered="2"/></report>',
      /^cov: is not Cobertura XML: its root element is <report>/,
    ],
    [
      'Clover XML (Jest’s clover.xml)',
      '<coverage generated="1" clover="3.2.0"><project/></coverage>',
      /^cov: is Clover XML, not Cobertura/,
    ],
    [
      'Cobertura without figures',
      '<coverage/>',
      /^cov: <coverage> has neither lines-valid\/lines-covered nor a line-rate/,
    ],
    ['lcov without end_of_record', 'TN:\nSF:a.py\nLF:3\n', /^cov: holds no lcov record/],
    ['lcov with a bad LF', 'SF:a\nLF:x\nend_of_record\n', /^cov:2: LF expects a whole number/],
    ['malformed Cobertura', '<coverage line-rate="1">\n<packages>\n</coverage>', /^cov:3: malformed XML/],
  ])('%s is a ConfigurationError naming the file', (_label, content, message) => {
    expect(configurationMistake(() => parseCoverage(content, 'cov'))).toMatch(message);
  });
});
