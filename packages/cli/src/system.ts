// The CLI's side effects, behind one interface: the terminal, the repository on disk, git and kubectl.
// The real one is built in main.ts; tests pass their own.
import type { RepositoryFiles } from './init/repository.ts';

export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** Standard input is a terminal: the CLI may ask. */
  interactive: boolean;
  /** Asks a question on the terminal and resolves with the answer (only when interactive). */
  ask(question: string): Promise<string>;
}

export interface RepositoryFacts {
  /** `owner/name` of a GitHub `origin` remote. */
  githubRepository?: string;
  defaultBranch?: string;
}

export interface CliSystem {
  terminal: Terminal;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The files below `root` (a ConfigurationError for a symlink out of it). */
  listFiles(root: string): RepositoryFiles;
  /** `kubectl kustomize <folder>` run in `root`: the rendered YAML, or a rejection with kubectl's message. */
  renderKustomization(root: string, folder: string): Promise<string>;
  gitFacts(root: string): Promise<RepositoryFacts>;
  /** The suite's reusable workflow at the commit this CLI was installed from, when that is known. */
  suiteWorkflow(): string | undefined;
  /** The text of a file below `root`, undefined when absent. */
  readFile(root: string, path: string): string | undefined;
  /** Writes files below `root` (folders made as needed). */
  writeFiles(root: string, files: ReadonlyArray<{ path: string; content: string }>): void;
  isDirectory(path: string): boolean;
  /**
   * Makes sure the programs the rehearsal runs (and `programs` besides) are installed, installing
   * Debian packages where it may; false (having said what to run) when they are not.
   */
  ensurePrerequisites(programs: readonly string[]): boolean;
}
