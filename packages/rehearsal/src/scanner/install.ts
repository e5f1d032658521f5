// Which scanner a rehearsal's trivy-gate runs, put where trivy-gate looks for Trivy (the runner's tool
// cache, at the version it pins): the `trivy` installed on this machine when there is one, else the
// recorded-reports scanner. deploy.yml is run unchanged either way.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PINNED_TRIVY_VERSION } from '@shiprail/trivy-gate';
import { node24 } from '../workflow/bundled-action.ts';
import { RECORDED_VERSION } from './trivy-cli.ts';

/** Set to `recorded` to scan with the recorded reports even where Trivy is installed (an offline machine). */
export const SCANNER_VARIABLE = 'SHIPRAIL_REHEARSAL_SCANNER';

export type Scanner = { kind: 'trivy'; path: string; version: string } | { kind: 'recorded' };

/** What the report's `scan` key says: `Trivy <version>`, or `recorded reports`. */
export const describeScanner = (scanner: Scanner): string =>
  scanner.kind === 'trivy' ? `Trivy ${scanner.version}` : RECORDED_VERSION;

/** The first executable `name` along PATH (relative entries are skipped, as they depend on the step's folder). */
export function findOnPath(name: string, path: string, isExecutable: (file: string) => boolean): string | undefined {
  return path
    .split(delimiter)
    .filter((folder) => folder !== '' && isAbsolute(folder))
    .map((folder) => join(folder, name))
    .find(isExecutable);
}

/** The version `trivy --version --format json` prints (`{"Version":"0.58.1",…}`), or its text form's. */
export function parseTrivyVersion(output: string): string | undefined {
  try {
    const parsed = JSON.parse(output) as { Version?: unknown };
    if (typeof parsed.Version === 'string' && parsed.Version !== '') return parsed.Version;
  } catch {
    // Older releases print text.
  }
  return /^Version:\s*(\S+)/m.exec(output)?.[1];
}

export interface ScannerProbe {
  /** The `trivy` PATH finds, if any. */
  found: string | undefined;
  /** What it printed for `--version --format json`, or undefined when it did not run. */
  versionOutput: string | undefined;
  /** The SHIPRAIL_REHEARSAL_SCANNER setting. */
  setting: string | undefined;
}

/**
 * The scanner to use: Trivy when PATH finds one that says its version, unless the setting asks for the
 * recorded reports; a `trivy` that does not run is passed over with a reason.
 */
export function chooseScanner(probe: ScannerProbe): { scanner: Scanner; note: string | undefined } {
  if (probe.setting !== undefined && probe.setting !== '' && probe.setting !== 'recorded') {
    throw new Error(`${SCANNER_VARIABLE} is '${probe.setting}': leave it unset, or set it to 'recorded'`);
  }
  if (probe.setting === 'recorded') return { scanner: { kind: 'recorded' }, note: undefined };
  if (probe.found === undefined) return { scanner: { kind: 'recorded' }, note: undefined };
  const version = parseTrivyVersion(probe.versionOutput ?? '');
  if (version === undefined) {
    return {
      scanner: { kind: 'recorded' },
      note: `${probe.found} did not say its version (\`trivy --version\`), so the scans use the recorded reports`,
    };
  }
  return { scanner: { kind: 'trivy', path: probe.found, version }, note: undefined };
}

const STAND_IN = fileURLToPath(new URL('./trivy-stand-in.ts', import.meta.url));

/** A single-quoted shell word. */
const shellWord = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks for Trivy on this machine (`env`: PATH and the setting). */
export function probeScanner(env: Readonly<Record<string, string | undefined>>): ScannerProbe {
  const found = findOnPath('trivy', env['PATH'] ?? '', isExecutableFile);
  let versionOutput: string | undefined;
  if (found !== undefined) {
    try {
      versionOutput = execFileSync(found, ['--version', '--format', 'json'], { encoding: 'utf8', timeout: 20_000 });
    } catch {
      versionOutput = undefined;
    }
  }
  return { found, versionOutput, setting: env[SCANNER_VARIABLE] };
}

/**
 * Puts the scanner in the tool cache at the version trivy-gate pins: a link to the installed Trivy (run
 * with the arguments trivy-gate gives, as they are), or a script running the recorded-reports scanner.
 */
export function installScanner(toolCache: string, scanner: Scanner, arch: string = process.arch): void {
  const folder = join(toolCache, 'trivy', PINNED_TRIVY_VERSION, arch);
  mkdirSync(folder, { recursive: true });
  const executable = join(folder, 'trivy');
  if (scanner.kind === 'trivy') symlinkSync(realpathSync(scanner.path), executable);
  else {
    writeFileSync(
      executable,
      `#!/bin/sh\nexec ${shellWord(node24)} --disable-warning=ExperimentalWarning ${shellWord(STAND_IN)} "$@"\n`,
    );
    chmodSync(executable, 0o755);
  }
  writeFileSync(`${folder}.complete`, '');
}
