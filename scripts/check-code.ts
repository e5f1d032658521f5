// `npm run check:code`: the type-check (`tsc -p .`) and the lint (`eslint . --max-warnings=0`) over one
// TypeScript program. Typed lint rules need the whole program that `tsc` builds; built once and handed to
// ESLint, its parse, bind and type cache serve both, where the two commands would each build their own.
import { ESLint } from 'eslint';
import ts from 'typescript';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

/** The program of tsconfig.json as `tsc -p .` builds it, with every JSDoc tag parsed (lint reads `@deprecated`). */
function createProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    `${repoRoot}/tsconfig.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error('tsconfig.json could not be read');
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences ?? [],
    host: ts.createCompilerHost(parsed.options, true),
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
  });
}

/** `tsc`'s diagnostics, printed as `tsc` prints them; their number (`tsc` fails on any). */
function typeCheck(program: ts.Program): number {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return 0;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => repoRoot,
    getNewLine: () => '\n',
  };
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, host));
  return diagnostics.length;
}

/** ESLint over the repository with the program above; errors and warnings both fail, as `--max-warnings=0`. */
async function lint(program: ts.Program): Promise<number> {
  const eslint = new ESLint({
    cwd: repoRoot,
    // A file ESLint lints that the program lacks is an error ("not found in any of the provided programs").
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
  });
  const results = await eslint.lintFiles(['.']);
  const formatter = await eslint.loadFormatter('stylish');
  process.stdout.write(await formatter.format(results));
  return results.reduce((sum, result) => sum + result.errorCount + result.warningCount, 0);
}

const program = createProgram();
const typeErrors = typeCheck(program);
const lintProblems = await lint(program);
console.log(`types: ${typeErrors} errors; lint: ${lintProblems} errors and warnings`);
if (typeErrors + lintProblems > 0) process.exitCode = 1;
