// Where a failed test failed, as a workspace-relative file and line: from the failure text (V8 stack
// frames, pytest's `path:line:` lines, Python tracebacks, Java and .NET frames, Go's `file_test.go:12:`
// lines and panic frames) or
// from the report's `file`/`line` attributes. A location is only ever a file that exists inside the
// workspace: anything else (a dependency, a path from another machine that matches nothing) is dropped.
import { posix } from 'node:path';
import type { TestCase } from './junit.ts';

export interface SourceLocation {
  /** Workspace-relative, `/`-separated, never `..`. */
  file: string;
  line: number | undefined;
}

/** A location as the failure text writes it, before it is resolved against the workspace. */
export interface TextLocation {
  path: string;
  line: number;
  /** Java frames name a class: the file is found from the package. */
  className?: string;
}

/** What the resolver may ask of the file system: does this workspace-relative file exist (no symlink out)? */
export interface WorkspaceFiles {
  exists(relativePath: string): boolean;
  /** The workspace root, to make absolute paths relative. */
  root: string;
}

const V8_FRAME = /^\s*at (?:.*?\()?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/gm;
const PYTHON_TRACEBACK = /^\s*File "([^"\n]+)", line (\d+)/gm;
const PATH_LINE = /^\s*([^\s:"'()<>]+\.[A-Za-z0-9]+):(\d+):/gm;
/** .NET: `   at Shop.Tests.CalcTests.Divides() in /home/runner/work/shop/shop/tests/CalcTests.cs:line 21`. */
const DOTNET_FRAME = /^\s*at .+? in (.+?):line (\d+)\s*$/gm;
/** A Go panic's frame: a tab, the absolute file, the line, the program counter offset. */
const GO_FRAME = /^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/gm;
const JAVA_FRAME =
  /^\s*at (?:[\w.$-]+(?:@[\w.-]+)?\/+)?([\w$.]+)\.[\w$<>-]+\(([\w$-]+\.(?:java|kt|groovy|scala)):(\d+)\)/gm;

/**
 * Every location in a failure text, innermost (nearest the failure) first: stack frames are innermost
 * first, Python prints the innermost last.
 */
export function textLocations(details: string): TextLocation[] {
  const found = (pattern: RegExp, build: (match: RegExpMatchArray) => TextLocation): TextLocation[] =>
    [...details.matchAll(pattern)].map(build);
  const python = [
    ...found(PYTHON_TRACEBACK, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
    ...found(PATH_LINE, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })).filter((l) => l.path.endsWith('.py')),
  ];
  const plain = found(PATH_LINE, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })).filter(
    (l) => !l.path.endsWith('.py'),
  );
  return [
    ...found(V8_FRAME, (m) => ({ path: (m[1] ?? '').replace(/^file:\/\//, ''), line: Number(m[2]) })),
    ...found(JAVA_FRAME, (m) => ({ path: m[2] ?? '', line: Number(m[3]), className: m[1] ?? '' })),
    ...found(DOTNET_FRAME, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
    ...found(GO_FRAME, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
    ...plain,
    ...python.reverse(),
  ].filter((location) => location.line > 0);
}

/** Third-party code: never where a user's test failed. */
const DEPENDENCY_DIRECTORY = /(^|\/)(node_modules|site-packages|dist-packages|\.venv|venv|\.tox|vendor)\//;

/**
 * Finds the workspace file a path from a report means. `bases` are the directories the tool may have run
 * in (the report's directory and its parents, deepest first); `packageDirectories` are directories the
 * test's class or package suggests (Go import paths, Java packages).
 */
export function resolvePath(
  path: string,
  files: WorkspaceFiles,
  bases: readonly string[],
  packageDirectories: readonly string[] = [],
): string | undefined {
  // Windows paths (`C:\agent\_work\1\s\...`) are absolute paths from another machine.
  const normalised = path.replace(/\\/g, '/').replace(/^[A-Za-z]:(?=\/)/, '');
  const candidates: string[] = [];
  if (posix.isAbsolute(normalised)) {
    const root = files.root.replace(/\\/g, '/').replace(/\/$/, '');
    if (normalised.startsWith(`${root}/`)) candidates.push(normalised.slice(root.length + 1));
    // A path from another machine or a container: the longest tail that names a workspace file.
    const parts = normalised.split('/').filter((part) => part !== '');
    for (let start = 1; start < parts.length; start += 1) candidates.push(parts.slice(start).join('/'));
  } else {
    for (const base of bases) candidates.push(posix.join(base, normalised));
    if (!normalised.includes('/')) {
      for (const directory of packageDirectories) candidates.push(posix.join(directory, normalised));
    }
  }
  return candidates
    .map((candidate) => posix.normalize(candidate))
    .find(
      (candidate) =>
        candidate !== '.' &&
        !candidate.startsWith('../') &&
        candidate !== '..' &&
        !posix.isAbsolute(candidate) &&
        !DEPENDENCY_DIRECTORY.test(candidate) &&
        files.exists(candidate),
    );
}

/** The report's directory and every parent up to the workspace root, deepest first. */
export function baseDirectories(reportFile: string): string[] {
  const bases: string[] = [];
  for (let directory = posix.dirname(reportFile); ; directory = posix.dirname(directory)) {
    bases.push(directory);
    if (directory === '.' || directory === '/' || directory === '') break;
  }
  return bases;
}

/** Java and Kotlin sources under a module directory (Maven and Gradle layouts). */
const JVM_SOURCE_ROOTS = ['src/test/java', 'src/test/kotlin', 'src/main/java', 'src/main/kotlin', 'src/test/groovy'];

/**
 * Directories a Go test's package suggests, for the bare file names Go prints (`calc_test.go:12:`): the
 * tails of its import path (`github.com/acme/shop/pkg/calc` → `shop/pkg/calc`, `pkg/calc`, …) under
 * each base directory. Java packages are found by `classFiles`.
 */
export function packageDirectories(testCase: TestCase, bases: readonly string[]): string[] {
  const classname = testCase.classname || testCase.suite;
  if (!classname.includes('/') || /\s/.test(classname)) return [];
  const parts = classname.split('/').filter((part) => part !== '' && part !== '..' && part !== '.');
  const tails = parts.map((_, start) => parts.slice(start).join('/'));
  return bases.flatMap((base) => tails.map((tail) => posix.join(base, tail)));
}

/** Test files by the names test runners look for: preferred over the code under test they call. */
const TEST_FILE =
  /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[^/]+$|(^|\/)test_[^/]+$|_test\.[^/]+$|Tests?\.(cs|fs|vb)$/;

/** Source files a dotted class name may live in: `tests.test_calc.TestMean` → `tests/test_calc.py`, … */
export function classFiles(classname: string, bases: readonly string[]): string[] {
  if (!/^[\w$]+(\.[\w$]+)*$/.test(classname)) return [];
  const parts = classname.replace(/\$.*$/, '').split('.');
  const files: string[] = [];
  for (let length = parts.length; length >= 1; length -= 1) {
    files.push(`${parts.slice(0, length).join('/')}.py`);
  }
  const javaPath = parts.join('/');
  for (const base of bases) {
    for (const root of JVM_SOURCE_ROOTS) {
      for (const extension of ['java', 'kt']) files.push(posix.join(base, root, `${javaPath}.${extension}`));
    }
  }
  return files;
}

/**
 * The file and line an annotation for a failed test points at. Preference: a frame in the test's own
 * file (nearest the failure), then the nearest frame in any workspace file, then the report's
 * `file`/`line` attributes, then the test's own file without a line.
 */
export function locateFailure(
  testCase: TestCase,
  reportFile: string,
  files: WorkspaceFiles,
): SourceLocation | undefined {
  const bases = baseDirectories(reportFile);
  const packages = packageDirectories(testCase, bases);
  const own = ownFile(testCase, bases, files);
  const frames = textLocations(testCase.details)
    .map((location) => ({ location, file: resolveFrame(location, files, bases, packages) }))
    .filter((frame): frame is { location: TextLocation; file: string } => frame.file !== undefined);
  const chosen =
    (own === undefined ? undefined : frames.find((frame) => frame.file === own)) ??
    frames.find((frame) => TEST_FILE.test(frame.file)) ??
    frames[0];
  if (chosen) return { file: chosen.file, line: chosen.location.line };
  if (testCase.file !== undefined) {
    const file = resolvePath(testCase.file, files, bases);
    if (file !== undefined) return { file, line: testCase.line };
  }
  return own === undefined ? undefined : { file: own, line: undefined };
}

function resolveFrame(
  location: TextLocation,
  files: WorkspaceFiles,
  bases: readonly string[],
  packages: readonly string[],
): string | undefined {
  if (location.className === undefined) return resolvePath(location.path, files, bases, packages);
  const directory = location.className.replace(/\$.*$/, '').split('.').slice(0, -1).join('/');
  const candidates = classFiles(location.className.replace(/\$.*$/, ''), bases).filter(
    (file) => posix.basename(file) === location.path && file.includes(directory),
  );
  return candidates.map((file) => resolvePath(file, files, ['.'])).find((file) => file !== undefined);
}

/** The test's own source file: its `file` attribute, its suite's, or what its class name says. */
function ownFile(testCase: TestCase, bases: readonly string[], files: WorkspaceFiles): string | undefined {
  if (testCase.file !== undefined) return resolvePath(testCase.file, files, bases);
  for (const file of classFiles(testCase.classname, bases)) {
    const resolved = resolvePath(file, files, file.endsWith('.py') ? bases : ['.']);
    if (resolved !== undefined) return resolved;
  }
  return undefined;
}
