// The rehearsal's actions/setup-go: it provides the Go installed on this machine (Debian's golang-go)
// when that release satisfies the version asked for (`go-version`, or the `go`/`toolchain` line of
// `go-version-file`), with setup-go's outputs and environment, and fails with what to do otherwise.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { findProgram } from '../prerequisites.ts';
import type { ThirdPartyAction } from './workflow-run.ts';
import { failedStep, succeededStep } from './steps.ts';

const run = promisify(execFile);

/**
 * Whether a Go release (`1.19.8`, `go1.21rc2`: a pre-release counts as its release) satisfies a
 * setup-go version spec (`1.19`, `1.19.x`, `^1.18`, `>=1.18 <1.20`, `go1.26.1`): semver's ranges, as
 * setup-go matches them.
 */
export function satisfiesGoVersion(version: string, spec: string): boolean {
  const release = semver.coerce(version.replace(/^go/, ''));
  const range = spec.trim().replace(/\bgo(?=\d)/g, '');
  return release !== null && range !== '' && semver.validRange(range) !== null && semver.satisfies(release, range);
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
