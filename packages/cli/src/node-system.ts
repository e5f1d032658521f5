// The real side effects of the CLI: the process's terminal, the file system, git and kubectl.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ConfigurationError } from '@shiprail/core';
import { ensurePrerequisites, terminalIo } from '@shiprail/rehearsal/prerequisites';
import { DiskFiles } from './init/disk.ts';
import type { CliSystem, RepositoryFacts } from './system.ts';

/** Deadline of one `kubectl kustomize` (it may fetch remote bases) and of each git question. */
const KUSTOMIZE_DEADLINE_MS = 120_000;
const GIT_DEADLINE_MS = 10_000;

function run(program: string, args: readonly string[], cwd: string, timeout: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      program,
      [...args],
      { cwd, timeout, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) resolvePromise(stdout);
        else if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          reject(
            new Error(
              `${program} is not installed (it is needed to ${program === 'kubectl' ? 'render kustomize trees' : 'read the repository'})`,
            ),
          );
        else reject(new Error(stderr.trim() || error.message));
      },
    );
  });
}

/** owner/name of a GitHub remote URL (https or ssh). */
export function githubRepositoryOf(url: string): string | undefined {
  const match = /github\.com[:/]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match === null ? undefined : `${match[1] ?? ''}/${match[2] ?? ''}`;
}

/**
 * The reusable workflow at the commit npx installed this CLI from: npm records it in the install's
 * node_modules/.package-lock.json as `resolved: git+ssh://git@github.com/owner/repo.git#<sha>`.
 */
export function installedWorkflow(bundle: string): string | undefined {
  let folder = dirname(bundle);
  for (let depth = 0; depth < 6; depth += 1) {
    const lock = join(folder, '..', '.package-lock.json');
    if (existsSync(lock)) {
      try {
        const packages =
          (JSON.parse(readFileSync(lock, 'utf8')) as { packages?: Record<string, { resolved?: string }> }).packages ??
          {};
        for (const entry of Object.values(packages)) {
          const match = /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?#([0-9a-f]{40})$/.exec(entry.resolved ?? '');
          if (match !== null)
            return `${match[1] ?? ''}/${match[2] ?? ''}/.github/workflows/deploy.yml@${match[3] ?? ''}`;
        }
      } catch {
        return undefined;
      }
    }
    folder = dirname(folder);
  }
  return undefined;
}

export function nodeSystem(bundle: string): CliSystem {
  return {
    terminal: {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      interactive: process.stdin.isTTY,
      ask: async (question) => {
        const readline = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return await readline.question(question);
        } finally {
          readline.close();
        }
      },
    },
    cwd: process.cwd(),
    env: process.env,
    listFiles: (root) => new DiskFiles(root),
    renderKustomization: (root, folder) => run('kubectl', ['kustomize', '--', folder], root, KUSTOMIZE_DEADLINE_MS),
    gitFacts: async (root): Promise<RepositoryFacts> => {
      const ask = (args: string[]): Promise<string | undefined> =>
        run('git', args, root, GIT_DEADLINE_MS).then(
          (out) => out.trim() || undefined,
          () => undefined,
        );
      const remote = await ask(['remote', 'get-url', 'origin']);
      const head = await ask(['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
      const current = await ask(['branch', '--show-current']);
      const githubRepository = remote === undefined ? undefined : githubRepositoryOf(remote);
      const defaultBranch = head?.replace(/^origin\//, '') ?? current;
      return {
        ...(githubRepository === undefined ? {} : { githubRepository }),
        ...(defaultBranch === undefined ? {} : { defaultBranch }),
      };
    },
    suiteWorkflow: () => installedWorkflow(bundle),
    readFile: (root, path) => {
      const absolute = join(root, path);
      return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
    },
    writeFiles: (root, files) => {
      const realRoot = realpathSync(root);
      for (const file of files) {
        const absolute = join(root, file.path);
        mkdirSync(dirname(absolute), { recursive: true });
        // A folder on the way may be a symlink: what init writes stays inside the repository.
        const inside = relative(realRoot, realpathSync(dirname(absolute)));
        if (inside === '..' || inside.startsWith(`..${sep}`)) {
          throw new ConfigurationError('leads outside the repository through a symlink: not written', {
            file: file.path,
          });
        }
        const temporary = `${absolute}.shiprail-${process.pid}`;
        writeFileSync(temporary, file.content);
        renameSync(temporary, absolute);
      }
    },
    isDirectory: (path) => existsSync(path) && statSync(path).isDirectory(),
    ensurePrerequisites: (programs) => ensurePrerequisites('demo', terminalIo(), process.env, programs),
  };
}
