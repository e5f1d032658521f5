// A small monorepo as a real git repository: three services (api, web, worker) with buildable
// Dockerfiles, a shared library (libs/common) that api and worker depend on, and a manifest. The first
// commit is the base; the second changes libs/common (so api and worker are selected, web is not).
// The rehearsal's world adds two services of other toolchains to the base (toolchainServiceFiles).
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitIn } from './git.ts';

export const sampleMonorepoFixture = fileURLToPath(new URL('../sample/monorepo/', import.meta.url));
const toolchainServicesFixture = fileURLToPath(new URL('../sample/toolchain-services/', import.meta.url));

/** The services the toolchain scenarios select, in the sample's base commit. */
export const TOOLCHAIN_SERVICES = ['inventory', 'cart'] as const;

/**
 * Files (path → content) that add the toolchain scenarios' services to the sample: inventory (Go, tested
 * with `go test -json`, its image written by its own build command) and cart (Node, JUnit), with their
 * entries appended to the sample's manifest. Nothing of the sample selects them: only a change to their
 * own folders does.
 */
export function toolchainServiceFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(toolchainServicesFixture, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(join(toolchainServicesFixture, 'services'));
  const manifest = readFileSync(join(sampleMonorepoFixture, '.github', 'services.yml'), 'utf8');
  const entries = readFileSync(join(toolchainServicesFixture, 'services.yml'), 'utf8').split(/^services:\n/m)[1] ?? '';
  files['.github/services.yml'] = manifest + entries;
  return files;
}

/** Who authors the sample's commits. */
export const SAMPLE_AUTHOR = { name: 'Sample Author', email: 'author@example.com' };

function git(cwd: string, args: string[], date?: string): Promise<string> {
  const env: Record<string, string> = date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {};
  return gitIn(cwd, { author: SAMPLE_AUTHOR, env }).output(args);
}

/**
 * Creates the sample repository in `dir` (created when missing) and returns its base and head commits.
 * `extraFiles` (path → content) are part of the base commit.
 */
export async function createSampleMonorepo(
  dir: string,
  extraFiles: Record<string, string> = {},
): Promise<{ path: string; base: string; head: string }> {
  mkdirSync(dir, { recursive: true });
  cpSync(sampleMonorepoFixture, dir, { recursive: true });
  for (const [path, content] of Object.entries(extraFiles)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '--message', 'Three services and a shared library'], '2026-01-05T10:00:00Z');
  const base = await git(dir, ['rev-parse', 'HEAD']);
  appendFileSync(join(dir, 'libs', 'common', 'index.js'), "export const farewell = 'goodbye';\n");
  await git(dir, ['commit', '--quiet', '--all', '--message', 'common: add farewell'], '2026-01-05T11:00:00Z');
  const head = await git(dir, ['rev-parse', 'HEAD']);
  return { path: dir, base, head };
}
