// Mistakes and hostile files, each run through the bundled action: one `::error` naming the input or
// the file (and line), exit code 1, no output set, nothing outside the workspace read, no command from a
// report reaching the log.
import { symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { expectContainedFailure } from '@shiprail/testkit';
import { Workspaces, annotations, runTestReportBundle, type Inputs } from './workspace.ts';

const workspaces = new Workspaces();
afterAll(() => workspaces.remove());

const WITHIN_MS = 30_000;

const bomb = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE lolz [',
  '<!ENTITY lol "lollollollollollollollollollol">',
  ...Array.from(
    { length: 9 },
    (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level === 0 ? '' : level};`.repeat(10)}">`,
  ),
  ']>',
  '<testsuite name="&lol9;"/>',
].join('\n');

interface HostileCase {
  files: Record<string, string>;
  inputs: Inputs;
  /** The one error, exactly or by pattern. */
  error: string | RegExp;
  /** Where the error's annotation points, for mistakes inside a file. */
  at?: { file: string; line: number | undefined };
  /** Prepares what files cannot say (links, sparse files) in the workspace. */
  prepare?: (workspace: string, outside: string) => void;
  secrets?: string[];
  planted?: string;
}

const cases: Array<[string, HostileCase]> = [
  [
    'a glob that matches nothing',
    { files: {}, inputs: { reports: 'reports/*.xml' }, error: "input 'reports': no file matches 'reports/*.xml'" },
  ],
  [
    'a path above the workspace',
    {
      files: {},
      inputs: { reports: '../*.xml' },
      error: "input 'reports': '../*.xml' leaves the workspace ('..'); give paths relative to it",
    },
  ],
  [
    'malformed XML',
    {
      files: { 'r/bad.xml': '<testsuite>\n<testcase name="a">\n</testsuite>\n' },
      inputs: { reports: 'r/bad.xml' },
      error: /^r\/bad\.xml:3: malformed XML/,
      at: { file: 'r/bad.xml', line: 3 },
    },
  ],
  [
    'a text file that is no report of any format',
    {
      files: { 'go.json': 'ok  \texample.com/shop\t0.01s\n' },
      inputs: { reports: 'go.json' },
      error: 'go.json: is not a JUnit XML or TRX report, nor `go test -json` output: no test event in its 1 line',
      at: { file: 'go.json', line: undefined },
    },
  ],
  [
    'a report that is not JUnit XML',
    {
      files: { 'cov.xml': '<coverage line-rate="1"/>' },
      inputs: { reports: 'cov.xml' },
      error:
        'cov.xml: is not a test report: its root element is <coverage>, expected <testsuites> or <testsuite> (JUnit XML) or <TestRun> (TRX)',
      at: { file: 'cov.xml', line: undefined },
    },
  ],
  [
    'an entity expansion bomb',
    {
      files: { 'bomb.xml': bomb },
      inputs: { reports: 'bomb.xml' },
      error: 'bomb.xml:3: declares XML entities (<!ENTITY>), which reports never do; refusing to expand them',
      at: { file: 'bomb.xml', line: 3 },
      secrets: ['lollollollollollollollollollollol'],
    },
  ],
  [
    'an external entity',
    {
      files: { 'xxe.xml': '<!DOCTYPE t [\n<!ENTITY xxe SYSTEM "file:///etc/hostname">\n]>\n<testsuite name="&xxe;"/>' },
      inputs: { reports: 'xxe.xml' },
      error: /^xxe\.xml:2: declares XML entities/,
      at: { file: 'xxe.xml', line: 2 },
    },
  ],
  [
    'a coverage file of unknown format',
    {
      files: { 'coverage.json': '{"total":{}}' },
      inputs: { coverage: 'coverage.json' },
      error: /^coverage\.json: is neither an lcov tracefile nor Cobertura XML/,
      at: { file: 'coverage.json', line: undefined },
    },
  ],
  [
    'a coverage glob matching two files',
    {
      files: { 'a/lcov.info': '', 'b/lcov.info': '' },
      inputs: { coverage: '*/lcov.info' },
      error: "input 'coverage': '*/lcov.info' matches 2 files; give one coverage file",
    },
  ],
  [
    'a minimum without a coverage file',
    {
      files: { 'j.xml': 'report:jest-junit.xml' },
      inputs: { reports: 'j.xml', 'min-coverage': '80' },
      error: "input 'min-coverage': is 80 but no coverage file is given",
    },
  ],
  [
    'a report too large to read',
    {
      files: { 'big.xml': '' },
      inputs: { reports: '*.xml' },
      error: 'big.xml: is 65.0 MiB; test-report reads files up to 64.0 MiB',
      prepare: (workspace) => truncateSync(join(workspace, 'big.xml'), 65 * 1024 * 1024),
    },
  ],
  [
    'a report linked from outside the workspace',
    {
      files: {},
      inputs: { reports: '*.xml' },
      error: "input 'reports': 'report.xml' is a symbolic link out of the workspace",
      prepare: (workspace, outside) => symlinkSync(join(outside, 'secret.xml'), join(workspace, 'report.xml')),
      secrets: ['SECRET-CONTENT'],
    },
  ],
  [
    'a coverage file linked from outside the workspace',
    {
      files: {},
      inputs: { coverage: 'lcov.info' },
      error: "input 'coverage': 'lcov.info' is a symbolic link out of the workspace",
      prepare: (workspace, outside) => symlinkSync(join(outside, 'secret.xml'), join(workspace, 'lcov.info')),
      secrets: ['SECRET-CONTENT'],
    },
  ],
  [
    'a command planted in a malformed report’s content',
    {
      files: { 'x.xml': '<testsuite name="\n::warning::INJECTED">\n<oops' },
      inputs: { reports: 'x.xml' },
      error: /^x\.xml:\d+: malformed XML/,
      planted: '::warning::INJECTED',
    },
  ],
];

describe('mistakes and hostile files end in one error naming the input or the file', () => {
  test.each(cases)('%s', async (_label, hostile) => {
    const outside = workspaces.create({ 'secret.xml': '<testsuite name="SECRET-CONTENT"/>' });
    const workspace = workspaces.create(hostile.files);
    hostile.prepare?.(workspace, outside);
    const run = await runTestReportBundle(workspace, hostile.inputs);
    expectContainedFailure(run, {
      withinMs: WITHIN_MS,
      ...(hostile.secrets ? { secrets: hostile.secrets } : {}),
      ...(hostile.planted ? { plantedCommand: hostile.planted } : {}),
    });
    if (typeof hostile.error === 'string') expect(run.errors[0]).toBe(hostile.error);
    else expect(run.errors[0]).toMatch(hostile.error);
    if (hostile.at) expect(annotations(run.stdout)[0]).toMatchObject(hostile.at);
    expect(run.outputs).toEqual({});
  });
});

describe('commands planted in a valid report', () => {
  test('reach neither the log nor the annotations as commands', async () => {
    const report = [
      '<testsuite name="::warning::suite">',
      '<testcase classname="::set-output name=passed::true" name="x&#10;::error::injected&#10;::add-mask::x">',
      '<failure message="&#10;::warning file=a.js::pwned">&#10;::stop-commands::token&#10;::notice::after</failure>',
      '</testcase>',
      '</testsuite>',
    ].join('\n');
    const run = await runTestReportBundle(workspaces.create({ 'r.xml': report }), { reports: 'r.xml' });
    expect(run.outputs['passed']).toBe('false');
    const commandLines = run.stdout.split('\n').filter((line) => /^\s*(::|##\[)/.test(line));
    expect(commandLines.filter((line) => !/^::(error|debug)\b/.test(line))).toEqual([]);
    expect({ warnings: run.warnings, masked: run.masked }).toEqual({ warnings: [], masked: [] });
    // The failed test's annotation (its text encoded by @actions/core) and the step's error.
    expect(run.errors).toHaveLength(2);
    expect(run.errors.at(-1)).toBe('Tests: 1 test of 1 failed');
  });
});
