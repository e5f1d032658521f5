// Real git repositories for the tests: commits, branches, tags, renames and shallow clones.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const identity = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

const made: string[] = [];

export function temporaryDirectory(prefix = 'detect-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory the tests made. */
export function removeTemporaryDirectories(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
    cwd,
    env: { ...process.env, ...identity },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export class Repo {
  readonly path: string;
  private tick = 0;

  constructor(path: string) {
    this.path = path;
  }

  static create(): Repo {
    const repo = new Repo(join(temporaryDirectory(), 'origin'));
    mkdirSync(repo.path);
    git(repo.path, 'init', '--quiet', '--initial-branch=main');
    return repo;
  }

  git(...args: string[]): string {
    return git(this.path, ...args);
  }

  /** Writes files (null deletes one). */
  write(files: Record<string, string | null>): void {
    for (const [path, content] of Object.entries(files)) {
      const absolute = join(this.path, path);
      if (content === null) rmSync(absolute, { force: true });
      else {
        mkdirSync(dirname(absolute), { recursive: true });
        writeFileSync(absolute, content);
      }
    }
  }

  /** Commits the given changes (all of the work tree) and returns the new commit. */
  commit(message: string, files: Record<string, string | null> = {}): string {
    this.write(files);
    this.git('add', '--all');
    this.tick += 1;
    const date = new Date(Date.UTC(2026, 0, 1, 0, this.tick)).toISOString();
    execFileSync('git', ['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--allow-empty', '-m', message], {
      cwd: this.path,
      env: { ...process.env, ...identity, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  read(path: string): string {
    return readFileSync(join(this.path, path), 'utf8');
  }

  /** `git clone --depth <n> file://...` of one branch, as actions/checkout makes by default. */
  shallowClone(branch: string, depth = 1): string {
    const target = join(temporaryDirectory('detect-clone-'), 'clone');
    git(tmpdir(), 'clone', '--quiet', `--depth=${depth}`, '--branch', branch, `file://${this.path}`, target);
    return target;
  }

  /** A full clone (every branch as origin/*). */
  clone(): string {
    const target = join(temporaryDirectory('detect-clone-'), 'clone');
    git(tmpdir(), 'clone', '--quiet', `file://${this.path}`, target);
    return target;
  }
}

const eventsDir = fileURLToPath(new URL('../events/', import.meta.url));

/** A GitHub event payload from test/events/<name>.json, with fields replaced along dotted paths. */
export function eventPayload(name: string, replacements: Record<string, unknown> = {}): Record<string, unknown> {
  const payload = JSON.parse(readFileSync(join(eventsDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
  for (const [path, value] of Object.entries(replacements)) {
    const keys = path.split('.');
    let target = payload;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== 'object' || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys[keys.length - 1] ?? ''] = value;
  }
  return payload;
}

/** The manifest most tests use: libraries depending on libraries, a service depending on a service. */
export const MANIFEST = `# services of the shop
global:
  - package-lock.json
  - .github/workflows/**
  - '!.github/workflows/docs.yml'
libraries:
  auth:
    paths: [libs/auth/**]
  users:
    paths: [libs/users/**]
    dependsOn: [auth]
services:
  api:
    path: services/api
    paths: ['services/api/**', '!services/api/**/*.md', 'services/api/docs/openapi.md']
    dependsOn: [users]
  web:
    path: services/web
    dependsOn: [api]
    image: ghcr.io/acme/web
  worker:
    path: services/worker
    context: .
    dockerfile: services/worker/Containerfile
    resource: statefulset/worker
`;

/** The files of a repository that MANIFEST describes. */
export const MONOREPO_FILES: Record<string, string> = {
  '.github/services.yml': MANIFEST,
  '.github/workflows/deploy.yml': 'on: push\n',
  '.github/workflows/docs.yml': 'on: push\n',
  'package-lock.json': '{}\n',
  'README.md': '# shop\n',
  'libs/auth/index.ts': 'export const auth = 1;\n',
  'libs/users/index.ts': 'export const users = 1;\n',
  'services/api/Dockerfile': 'FROM scratch\n',
  'services/api/src/server.ts': 'export const api = 1;\n',
  'services/api/README.md': '# api\n',
  'services/web/Dockerfile': 'FROM scratch\n',
  'services/web/src/index.ts': 'export const web = 1;\n',
  'services/worker/Containerfile': 'FROM scratch\n',
  'services/worker/src/worker.ts': 'export const worker = 1;\n',
};

/** A repository with MONOREPO_FILES committed on main; returns it and the commit. */
export function createMonorepo(): { repo: Repo; base: string } {
  const repo = Repo.create();
  const base = repo.commit('Initial services', MONOREPO_FILES);
  return { repo, base };
}
