// One GitOps remote built per test file and copied for each test: every test gets a fresh bare
// repository of its own (refs, hooks and config included) without running git a dozen times again.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGitopsRemote, type GitopsRemote } from '@shiprail/rehearsal';

export class RemoteTemplate {
  private readonly template: GitopsRemote;

  private constructor(template: GitopsRemote) {
    this.template = template;
  }

  static async create(): Promise<RemoteTemplate> {
    return new RemoteTemplate(await createGitopsRemote());
  }

  /** A copy of the template's bare repository in a new temporary folder, removed by its stop(). */
  async copy(): Promise<GitopsRemote> {
    const root = await mkdtemp(join(tmpdir(), 'gitops-'));
    const path = join(root, 'gitops.git');
    await cp(this.template.path, path, { recursive: true });
    return {
      ...this.template,
      remoteUrl: pathToFileURL(path).href,
      path,
      stop: () => rm(root, { recursive: true, force: true }),
    };
  }

  stop(): Promise<void> {
    return this.template.stop();
  }
}
