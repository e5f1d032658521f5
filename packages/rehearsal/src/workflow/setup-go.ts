// The rehearsal's actions/setup-go: it provides the Go installed on this machine (Debian's golang-go)
// when that release satisfies the version asked for (`go-version`, or the `go`/`toolchain` line of
// `go-version-file`), with setup-go's outputs and environment, and fails with what to do otherwise.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from '../prerequisites.ts';
import type { ThirdPartyAction } from './workflow-run.ts';
import { failedStep, succeededStep } from './steps.ts';

const run = promisify(execFile);

/** A Go release as numbers: go1.19.8 is [1, 19, 8]; go1.21rc2 is [1, 21, 0] (pre-releases count as their release). */
export function goRelease(version: string): number[] {
  const [, major = '0', minor = '0', patch = '0'] = /^(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version) ?? [];
  return [Number(major), Number(minor), Number(patch)];
}

const compare = (a: readonly number[], b: readonly number[]): number =>
  (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);

/** One comparator of a version spec (`1.19`, `1.19.x`, `^1.18`, `~1.19.2`, `>=1.18`, `<1.21`) against a release. */
function satisfiesOne(release: readonly number[], comparator: string): boolean {
  const [, operator = '', version = ''] = /^(\^|~|>=|<=|>|<|=)?v?(.*)$/.exec(comparator) ?? [];
  const parts = version.replace(/^go/, '').split('.');
  if (parts.length === 0 || parts.length > 3 || !parts.every((part) => /^(\d+|x|X|\*)$/.test(part))) return false;
  const fixed = parts.findIndex((part) => !/^\d+$/.test(part));
  const given = (fixed < 0 ? parts : parts.slice(0, fixed)).map(Number);
  const bound = [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0];
  const difference = compare(release, bound);
  switch (operator) {
    case '>=':
      return difference >= 0;
    case '>':
      return difference > 0;
    case '<=':
      return difference <= 0;
    case '<':
      return difference < 0;
    case '^':
      return difference >= 0 && release[0] === bound[0] && (bound[0] !== 0 || release[1] === bound[1]);
    case '~':
      return difference >= 0 && release[0] === bound[0] && (given.length < 2 || release[1] === bound[1]);
    default:
      // `1.19` and `1.19.x` are any 1.19 release, `1.19.8` that one, as setup-go matches a version spec.
      return given.every((number, index) => release[index] === number);
  }
}

/** Whether a Go release satisfies a setup-go version spec (space-separated comparators, all of which hold). */
export function satisfiesGoVersion(version: string, spec: string): boolean {
  const comparators = spec.trim().split(/\s+/);
  const release = goRelease(version);
  return comparators.length > 0 && comparators.every((comparator) => satisfiesOne(release, comparator));
}

/** The version `go-version-file` asks for: go.mod's or go.work's `toolchain` line, else its `go` line, else the file's first line. */
export function versionFromFile(text: string): string {
  const toolchain = /^toolchain\s+go(\S+)\s*$/m.exec(text)?.[1];
  const go = /^go\s+(\S+)\s*$/m.exec(text)?.[1];
  return toolchain ?? go ?? text.split('\n')[0]?.trim() ?? '';
}

interface MachineGo {
  version: string;
  root: string;
  path: string;
}

/** The machine's Go as `go env` reports it; undefined when there is none on PATH. */
async function machineGo(path: string): Promise<MachineGo | undefined> {
  const program = findProgram('go', path);
  if (program === undefined) return undefined;
  const { stdout } = await run(program, ['env', 'GOVERSION', 'GOROOT', 'GOPATH'], { timeout: 30_000 });
  const [version = '', root = '', gopath = ''] = stdout.split('\n').map((line) => line.trim());
  return { version: version.replace(/^go/, ''), root, path: gopath };
}

export const setupGo: ThirdPartyAction = async (inputs, context) => {
  let spec = (inputs['go-version'] ?? '').trim();
  const file = (inputs['go-version-file'] ?? '').trim();
  if (spec === '' && file !== '') {
    const path = resolve(context.workspace, file);
    if (!existsSync(path)) return failedStep(`setup-go: the file named by go-version-file does not exist: ${file}`);
    spec = versionFromFile(readFileSync(path, 'utf8'));
  }
  const path = context.env['PATH'] ?? process.env['PATH'] ?? '/usr/bin:/bin';
  const go = await machineGo(path);
  if (go === undefined) {
    return failedStep(
      "setup-go: the rehearsal provides the machine's own Go, and there is none on PATH: install Debian's golang-go",
    );
  }
  if (spec !== '' && !satisfiesGoVersion(go.version, spec)) {
    return failedStep(`setup-go: the rehearsal provides this machine's Go ${go.version} only, not ${spec}`);
  }
  const result = succeededStep({ 'go-version': go.version, 'cache-hit': 'false' });
  // As setup-go does: its Go and GOPATH/bin first on PATH, and no switching to another toolchain.
  result.exportedEnv = { PATH: `${go.root}/bin:${go.path}/bin:${path}`, GOTOOLCHAIN: 'local' };
  return result;
};
