// Local equivalents of the third-party actions the workflows use, with the same inputs, outputs and
// semantics as the pinned majors: actions/checkout (a clone of a local repository), actions/upload-artifact
// and actions/download-artifact (a folder per run), github/codeql-action/upload-sarif (validated and
// kept), actions/setup-node (the Node 24 the rehearsal runs on), actions/setup-go (the machine's Go, see
// setup-go.ts). Anything else is refused.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import { gitIn } from '../git.ts';
import { node24 } from './bundled-action.ts';
import type { ThirdPartyAction } from './workflow-run.ts';
import { setupGo } from './setup-go.ts';
import { failedStep, succeededStep } from './steps.ts';

export interface ThirdPartyWorld {
  /** owner/name → path of a local git repository standing for it. */
  repositories: Record<string, string>;
  /** Where artifacts and SARIF files of every run are kept. */
  store: string;
}

/** Which repository and commit a `uses:` names, and the pins the rehearsal knows. */
export interface UsesReference {
  action: string;
  ref: string;
}

export function parseUses(uses: string): UsesReference {
  const at = uses.lastIndexOf('@');
  return at < 0 ? { action: uses, ref: '' } : { action: uses.slice(0, at), ref: uses.slice(at + 1) };
}

const git = (cwd: string, args: string[]): Promise<string> => gitIn(cwd).output(args);

async function defaultBranch(repository: string): Promise<string> {
  return (await git(repository, ['symbolic-ref', '--short', 'HEAD'])).replace(/^refs\/heads\//, '');
}

/** A path inside the workspace, or an error: actions never write outside it. */
function insideWorkspace(workspace: string, path: string, input: string): string {
  const target = resolve(workspace, path);
  if (target !== workspace && !target.startsWith(`${workspace}${sep}`)) {
    throw new Error(`input '${input}': ${path} is outside the workspace`);
  }
  return target;
}

/**
 * What `git fetch --tags <source> +refs/heads/*:refs/remotes/origin/*` (and a pull request's ref, to
 * refs/remotes/pull/…) leaves in a clone that borrows the source's objects: the same refs, written with
 * update-ref. Two processes where the fetch started five (upload-pack, its shell, the connectivity check
 * and the alternate's ref listing).
 */
async function copyRefs(source: string, target: string, pullRefs: readonly string[]): Promise<void> {
  const listed = await git(source, [
    'for-each-ref',
    '--format=%(objectname) %(refname)',
    'refs/heads/',
    'refs/tags/',
    ...pullRefs,
  ]);
  const lines = listed.split('\n').filter((line) => line !== '');
  // As the fetch did, a pull request's ref the source lacks stops the checkout.
  const missing = pullRefs.find((ref) => !lines.some((line) => line.endsWith(` ${ref}`)));
  if (missing !== undefined) throw new Error(`couldn't find remote ref ${missing}`);
  const updates = lines.map((line) => {
    const [object = '', ref = ''] = line.split(' ');
    const fetched = ref.startsWith('refs/heads/')
      ? `refs/remotes/origin/${ref.slice('refs/heads/'.length)}`
      : ref.startsWith('refs/pull/')
        ? ref.replace(/^refs\//, 'refs/remotes/')
        : ref;
    return `update ${fetched} ${object}\n`;
  });
  await gitIn(target).run(['update-ref', '--stdin'], { input: updates.join('') });
}

function checkoutWith(world: ThirdPartyWorld): ThirdPartyAction {
  // Each job checks out one of a few repositories: their object folders are asked for once.
  const objectFolders = new Map<string, Promise<string>>();
  const objectsOf = (source: string): Promise<string> => {
    const known = objectFolders.get(source);
    if (known !== undefined) return known;
    const asked = git(source, ['rev-parse', '--absolute-git-dir']).then((gitDir) => join(gitDir, 'objects'));
    objectFolders.set(source, asked);
    return asked;
  };
  return async (inputs, context) => {
    const repository = inputs['repository'] || (context.env['GITHUB_REPOSITORY'] ?? '');
    const source = world.repositories[repository];
    if (source === undefined) return failedStep(`checkout: the rehearsal has no repository ${repository}`);
    const own = repository === context.env['GITHUB_REPOSITORY'];
    // Without a ref, the workflow's repository is checked out at GITHUB_SHA (for a pull request the merge
    // commit of refs/pull/N/merge, not its head), another at its default branch, as actions/checkout does.
    const eventRef = context.env['GITHUB_REF'] ?? '';
    const ref = inputs['ref'] || (own ? (context.env['GITHUB_SHA'] ?? 'HEAD') : await defaultBranch(source));
    const target = insideWorkspace(context.workspace, inputs['path'] || '.', 'path');
    if (target === context.workspace) {
      for (const entry of readdirSync(target)) {
        if (entry !== '.shiprail') rmSync(join(target, entry), { recursive: true, force: true });
      }
    } else {
      rmSync(target, { recursive: true, force: true });
    }
    mkdirSync(target, { recursive: true });
    await git(target, ['init', '--quiet']);
    // The clone borrows the local repository's objects (as `git clone --shared` does): nothing is copied.
    writeFileSync(join(target, '.git', 'objects', 'info', 'alternates'), `${await objectsOf(source)}\n`);
    const pullRef = own && !inputs['ref'] && eventRef.startsWith('refs/pull/') ? [eventRef] : [];
    await copyRefs(source, target, pullRef);
    const commit = await git(target, ['rev-parse', '--verify', `${ref}^{commit}`]).catch(() =>
      git(target, ['rev-parse', '--verify', `origin/${ref}^{commit}`]),
    );
    await git(target, ['checkout', '--quiet', '--detach', commit]);
    const token = inputs['token'] ?? '';
    const credential = Buffer.from(`x-access-token:${token}`).toString('base64');
    // The token is persisted for later git commands (an Authorization header on the server's URL) unless
    // persist-credentials is false; it and the header's credential are masked either way.
    if (token !== '' && inputs['persist-credentials'] !== 'false') {
      const server = context.env['GITHUB_SERVER_URL'] ?? '';
      await git(target, ['config', '--local', `http.${server}/.extraheader`, `AUTHORIZATION: basic ${credential}`]);
    }
    const result = succeededStep({ ref: inputs['ref'] || (own && eventRef !== '' ? eventRef : ref), commit });
    result.masked = token === '' ? [] : [token, credential];
    return result;
  };
}

/** Files an upload-artifact `path` input selects, relative to their least common ancestor. */
export function selectArtifactFiles(
  workspace: string,
  pathInput: string,
  includeHidden: boolean,
): { root: string; files: string[] } {
  const lines = pathInput
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const includes = lines.filter((line) => !line.startsWith('!'));
  const excludes = lines
    .filter((line) => line.startsWith('!'))
    .map((line) => picomatch(resolve(workspace, line.slice(1))));
  const searchRoots: string[] = [];
  const files = new Set<string>();
  for (const pattern of includes) {
    const absolute = resolve(workspace, pattern);
    const globAt = absolute.search(/[*?[{]/);
    const root = globAt < 0 ? absolute : dirname(absolute.slice(0, globAt) + 'x');
    searchRoots.push(existsSync(root) && statSync(root).isFile() ? dirname(root) : root);
    const matcher = globAt < 0 ? undefined : picomatch(absolute, { dot: includeHidden });
    for (const file of walk(root)) {
      const rel = relative(root, file);
      if (!includeHidden && rel.split(sep).some((part) => part.startsWith('.'))) continue;
      if (matcher && !matcher(file)) continue;
      if (excludes.some((exclude) => exclude(file))) continue;
      files.add(file);
    }
  }
  const root = searchRoots.reduce((common, path) => {
    let candidate = common;
    while (candidate !== path && !path.startsWith(`${candidate}${sep}`)) candidate = dirname(candidate);
    return candidate;
  }, searchRoots[0] ?? workspace);
  return { root, files: [...files].map((file) => relative(root, file)).sort() };
}

function walk(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).flatMap((entry) => walk(join(path, entry)));
}

const artifactsOf = (world: ThirdPartyWorld, runId: string): string => join(world.store, 'artifacts', runId);

function uploadArtifact(world: ThirdPartyWorld): ThirdPartyAction {
  return (inputs, context) => {
    const name = inputs['name'] || 'artifact';
    const runId = context.env['GITHUB_RUN_ID'] ?? '0';
    const { root, files } = selectArtifactFiles(
      context.workspace,
      inputs['path'] ?? '',
      inputs['include-hidden-files'] === 'true',
    );
    const missing = inputs['if-no-files-found'] || 'warn';
    if (files.length === 0) {
      const text = `No files were found with the provided path: ${inputs['path'] ?? ''}. No artifacts will be uploaded.`;
      if (missing === 'error') return Promise.resolve(failedStep(text));
      return Promise.resolve(succeededStep({}, missing === 'warn' ? [text] : []));
    }
    if (inputs['archive'] === 'false' && files.length !== 1) {
      return Promise.resolve(failedStep(`archive: false uploads exactly one file; the path selects ${files.length}`));
    }
    // Without an archive the file is the artifact, and its name is the file's name.
    const target = join(artifactsOf(world, runId), inputs['archive'] === 'false' ? basename(files[0] ?? name) : name);
    if (existsSync(target)) {
      if (inputs['overwrite'] !== 'true') {
        return Promise.resolve(
          failedStep(
            `an artifact with the name ${name} was already created in this run (set overwrite: true to replace it)`,
          ),
        );
      }
      rmSync(target, { recursive: true, force: true });
    }
    for (const file of files) {
      mkdirSync(dirname(join(target, file)), { recursive: true });
      cpSync(join(root, file), join(target, file));
    }
    const id = String(readdirSync(artifactsOf(world, runId)).length);
    return Promise.resolve(
      succeededStep({
        'artifact-id': id,
        'artifact-url': `${context.env['GITHUB_SERVER_URL'] ?? ''}/artifacts/${id}`,
        'artifact-digest': '',
      }),
    );
  };
}

function downloadArtifact(world: ThirdPartyWorld): ThirdPartyAction {
  return (inputs, context) => {
    const runId = inputs['run-id'] || (context.env['GITHUB_RUN_ID'] ?? '0');
    const store = artifactsOf(world, runId);
    const available = existsSync(store) ? readdirSync(store).sort() : [];
    const path = insideWorkspace(context.workspace, inputs['path'] || '.', 'path');
    const name = inputs['name'] ?? '';
    if (name !== '') {
      if (!available.includes(name)) return Promise.resolve(failedStep(`Artifact not found for name: ${name}`));
      cpSync(join(store, name), path, { recursive: true });
      return Promise.resolve(succeededStep({ 'download-path': path }));
    }
    const pattern = inputs['pattern'] ?? '';
    const matches = picomatch(pattern === '' ? '**' : pattern);
    const selected = available.filter((artifact) => matches(artifact));
    const merge = inputs['merge-multiple'] === 'true';
    for (const artifact of selected)
      cpSync(join(store, artifact), merge ? path : join(path, artifact), { recursive: true });
    mkdirSync(path, { recursive: true });
    return Promise.resolve(succeededStep({ 'download-path': path }));
  };
}

function uploadSarif(world: ThirdPartyWorld): ThirdPartyAction {
  return (inputs, context) => {
    const file = inputs['sarif_file'] ?? '';
    const path = isAbsolute(file) ? file : join(context.workspace, file);
    if (!existsSync(path)) return Promise.resolve(failedStep(`Path does not exist: ${file}`));
    const sarifFiles = statSync(path).isFile() ? [path] : walk(path).filter((item) => item.endsWith('.sarif'));
    for (const sarif of sarifFiles) {
      let document: { version?: unknown; runs?: unknown };
      try {
        document = JSON.parse(readFileSync(sarif, 'utf8')) as { version?: unknown; runs?: unknown };
      } catch {
        return Promise.resolve(failedStep(`Invalid SARIF. JSON syntax error: ${relative(context.workspace, sarif)}`));
      }
      if (document.version !== '2.1.0' || !Array.isArray(document.runs)) {
        return Promise.resolve(
          failedStep(`Invalid SARIF: ${relative(context.workspace, sarif)} is not SARIF 2.1.0 with runs`),
        );
      }
    }
    const category = inputs['category'] || 'default';
    const target = join(world.store, 'sarif', context.env['GITHUB_RUN_ID'] ?? '0');
    mkdirSync(target, { recursive: true });
    sarifFiles.forEach((sarif, index) =>
      cpSync(sarif, join(target, `${category.replace(/[^\w.-]+/g, '_')}-${index}.sarif`)),
    );
    return Promise.resolve(succeededStep({ 'sarif-id': `${category}-${context.env['GITHUB_RUN_ID'] ?? '0'}` }));
  };
}

const setupNode: ThirdPartyAction = (inputs) => {
  const version = inputs['node-version'] ?? '';
  if (version !== '' && !/^(24|24\.\d+(\.\d+)?|lts\/\*)$/.test(version)) {
    return Promise.resolve(failedStep(`setup-node: the rehearsal provides Node 24 only, not ${version}`));
  }
  const result = succeededStep({ 'node-version': process.versions.node, 'cache-hit': 'false' });
  result.exportedEnv = { PATH: `${dirname(node24)}:${process.env['PATH'] ?? '/usr/bin:/bin'}` };
  return Promise.resolve(result);
};

/** The local equivalents by action (owner/name[/path]). */
export function thirdPartyActions(world: ThirdPartyWorld): Record<string, ThirdPartyAction> {
  return {
    'actions/checkout': checkoutWith(world),
    'actions/upload-artifact': uploadArtifact(world),
    'actions/download-artifact': downloadArtifact(world),
    'github/codeql-action/upload-sarif': uploadSarif(world),
    'actions/setup-node': setupNode,
    'actions/setup-go': setupGo,
  };
}

/** The major release of each action whose inputs and semantics the local equivalents follow. */
export const EMULATED_MAJORS: Readonly<Record<string, string>> = {
  'actions/checkout': 'v7',
  'actions/setup-node': 'v7',
  'actions/setup-go': 'v7',
  'actions/upload-artifact': 'v7',
  'actions/download-artifact': 'v8',
  'github/codeql-action': 'v4',
};

export interface ActionPin {
  sha: string;
  release: string;
}

/** The pins table kept next to the workflows (`.github/action-pins.yml`): repository → commit and release. */
export function readActionPins(path: string): Record<string, ActionPin> {
  const table = parse(readFileSync(path, 'utf8')) as Record<string, { sha?: unknown; release?: unknown }> | null;
  return Object.fromEntries(
    Object.entries(table ?? {}).map(([repository, pin]) => [
      repository,
      { sha: typeof pin.sha === 'string' ? pin.sha : '', release: typeof pin.release === 'string' ? pin.release : '' },
    ]),
  );
}

/**
 * Resolves a `uses:` to its local equivalent. Refused, naming file and line: an action without one, a
 * ref that is not the SHA the pins table records, and a release of another major than the one emulated.
 */
export function resolveThirdParty(
  world: ThirdPartyWorld,
  file: string,
  pins: Record<string, ActionPin>,
): (uses: string, line: number) => ThirdPartyAction {
  const actions = thirdPartyActions(world);
  return (uses, line) => {
    const where = `${file}:${line}: ${uses}`;
    const { action, ref } = parseUses(uses);
    const local = actions[action];
    if (local === undefined) throw new Error(`${where} has no local equivalent in the rehearsal runner`);
    const repository = action.split('/').slice(0, 2).join('/');
    const pin = pins[repository];
    if (pin?.sha !== ref)
      throw new Error(`${where} is not the commit .github/action-pins.yml records for ${repository}`);
    const major = pin.release.split('.')[0] ?? '';
    if (major !== EMULATED_MAJORS[repository]) {
      const emulated = EMULATED_MAJORS[repository] ?? 'no release';
      throw new Error(`${where} is ${pin.release}; the rehearsal emulates ${repository} ${emulated}`);
    }
    return local;
  };
}
