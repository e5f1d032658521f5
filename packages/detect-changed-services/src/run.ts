// The step: inputs, the manifest, the comparison, the selection, then the matrix, the outputs and the summary.
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { likelyComparison, planComparison, resolveComparison } from './comparison.ts';
import { DEPLOY_TRAILER, pushedRange, readDeployCommits } from './deploy-commits.ts';
import { changedPaths, GitHistory, shortSha, type ChangedFile } from './git.ts';
import { DEFAULT_CONFIG, parseInputs, type DetectChangedServicesInputs } from './inputs.ts';
import { buildMatcher, discoverServices, parseManifest, type Manifest } from './manifest.ts';
import { changedEntries } from './manifest-changes.ts';
import { matrixEntry, selectAll, selectOne, selectServices, type Selection } from './selection.ts';
import { renderSummary } from './summary.ts';
import { detectToolchain, type ReadServiceFile } from './toolchain.ts';

/**
 * The manifest file, or the services discovered when there is none. The file must lie in the repository
 * (`top`), links included: the repository's content decides what it points at.
 */
export async function loadManifest(
  inputs: DetectChangedServicesInputs,
  root: string,
  workspace: string,
  top: string,
): Promise<Manifest> {
  const configPath = resolve(root, inputs.config);
  if (existsSync(configPath)) {
    // Named relative to the workspace, so that the error annotation points at the file in the repository.
    const shown = isAbsolute(inputs.config) ? inputs.config : relative(workspace, configPath) || inputs.config;
    if (!isInside(realpathSync(top), realpathSync(configPath))) {
      throw new ConfigurationError(`${escapeUntrusted(shown)} lies outside the repository (${top})`, {
        input: 'config',
      });
    }
    return parseManifest(readFileSync(configPath, 'utf8'), shown);
  }
  if (inputs.config !== DEFAULT_CONFIG) {
    throw new ConfigurationError(`${inputs.config} does not exist (relative to ${root})`, { input: 'config' });
  }
  return discoverServices(root, inputs.discover);
}

/** Reads the files a service declares its toolchain in; a file that is a link out of the repository is not read. */
function serviceFileReader(top: string, directory: string): ReadServiceFile {
  return (name) => {
    const file = resolve(directory, name);
    if (!existsSync(file)) return undefined;
    const real = realpathSync(file);
    if (!isInside(top, real) || !statSync(real).isFile()) return undefined;
    return readFileSync(real, 'utf8');
  };
}

const isInside = (directory: string, path: string): boolean => {
  const rest = relative(directory, path);
  return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
};

export async function runDetectChangedServices(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  const workspace = runtime.github.workspace;
  const root = resolve(workspace, inputs['working-directory']);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ConfigurationError(`${root} is not a directory`, { input: 'working-directory' });
  }
  const git = new GitHistory({
    cwd: root,
    exec: runtime.exec,
    log: (message) => runtime.log.info(message),
    fetchTimeoutMs: inputs['fetch-timeout'],
    sleep: (ms) => runtime.clock.sleep(ms),
  });
  const plan = planComparison(
    { base: inputs.base, head: inputs.head, forceAll: inputs['force-all'] },
    {
      eventName: runtime.github.eventName,
      payload: runtime.github.payload,
      ref: runtime.github.ref,
      sha: runtime.github.sha,
      defaultBranch: runtime.github.defaultBranch,
    },
  );
  // git works on the likely comparison while the manifest is read below.
  const likely = likelyComparison(plan);
  if (likely !== undefined) git.prefetch(...likely);
  const top = await git.topLevel();
  if (top === undefined) {
    throw new ConfigurationError(`${root} is not inside a git repository (check out the repository first)`, {
      input: 'working-directory',
    });
  }
  const manifest = await loadManifest(inputs, root, workspace, top);
  if (manifest.discovered) logDiscovery(runtime, manifest);
  const matcher = buildMatcher(manifest);
  if (inputs.head !== 'HEAD' && (await git.ensureCommit(inputs.head)) === undefined) {
    throw new ConfigurationError(`'${inputs.head}' is not a commit, branch or tag of the repository`, {
      input: 'head',
    });
  }
  const serviceNames = new Set(manifest.services.map((service) => service.name));
  const comparison = await resolveComparison(plan, git, serviceNames);
  if (comparison.kind === 'all' && comparison.warning !== undefined) {
    runtime.log.warning(escapeUntrusted(comparison.warning));
  }

  let selection: Selection;
  let changedFiles = 0;
  const pushed = inputs['force-all'] ? undefined : pushedRange(runtime.github.eventName, runtime.github.payload);
  if (pushed !== undefined && (await readDeployCommits(git, ...pushed)).all) {
    runtime.log.info(`The push holds only deploy commits (${DEPLOY_TRAILER} trailer): no service is selected`);
    selection = { selected: [], all: false, globalPaths: [] };
  } else if (comparison.kind === 'diff') {
    const files = await withoutDeployCommits(
      runtime,
      git,
      comparison,
      await git.changedFiles(comparison.base, comparison.head),
    );
    changedFiles = files.length;
    runtime.log.info(
      `Comparing ${shortSha(comparison.base)}..${shortSha(comparison.head)} (${escapeUntrusted(comparison.label)}): ` +
        `${files.length} changed file(s)`,
    );
    const paths = changedPaths(files);
    const edits = await manifestEdits(runtime, git, manifest, { base: comparison.base, paths, top, root, inputs });
    selection =
      typeof edits === 'string'
        ? selectAll(manifest, edits)
        : selectServices(manifest, matcher, paths, {
            includeDependents: inputs['include-dependents'],
            changedEntries: edits,
          });
  } else if (comparison.kind === 'service') {
    selection = selectOne(manifest, comparison.service, comparison.reason);
  } else {
    selection = selectAll(manifest, comparison.reason);
  }
  logSelection(runtime, selection, manifest);

  const names = selection.selected.map(({ service }) => service.name);
  runtime.setOutput('services', names);
  const realTop = realpathSync(top);
  const matrix = selection.selected.map((selected) =>
    matrixEntry({
      ...selected,
      toolchain: detectToolchain(
        selected.service.toolchain,
        serviceFileReader(realTop, resolve(root, selected.service.path)),
      ),
    }),
  );
  runtime.setOutput('matrix', { include: matrix });
  runtime.setOutput('any-changed', names.length > 0);
  runtime.setOutput('all', selection.all);
  runtime.setOutput('base', comparison.kind === 'diff' ? comparison.base : '');
  runtime.setOutput('head', comparison.head);
  await runtime.appendSummary(renderSummary({ manifest, comparison, selection, changedFiles }));
}

/**
 * The manifest entries a change edited, when the manifest file is among the changed paths: its text at the
 * compared base against now. A base manifest that does not parse selects every service: the reason why.
 */
async function manifestEdits(
  runtime: Runtime,
  git: GitHistory,
  manifest: Manifest,
  at: { base: string; paths: readonly string[]; top: string; root: string; inputs: DetectChangedServicesInputs },
): Promise<Map<string, string> | string> {
  if (manifest.discovered) return new Map();
  const path = relative(realpathSync(at.top), realpathSync(resolve(at.root, at.inputs.config)));
  if (!at.paths.includes(path)) return new Map();
  const text = await git.fileAt(at.base, path);
  try {
    return changedEntries(text === undefined ? undefined : await parseManifest(text, manifest.file), manifest);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    runtime.log.warning(
      `${escapeUntrusted(manifest.file)} at ${shortSha(at.base)} does not parse, so every service is selected: ${escapeUntrusted(error.message)}`,
    );
    return `${manifest.file} did not parse at ${shortSha(at.base)}`;
  }
}

/** The changed files less those only deploy commits changed: a deploy's overlays select no service. */
async function withoutDeployCommits(
  runtime: Runtime,
  git: GitHistory,
  comparison: { base: string; head: string },
  files: ChangedFile[],
): Promise<ChangedFile[]> {
  const deploys = await readDeployCommits(git, comparison.base, comparison.head);
  if (deploys.onlyTheirs.size === 0) return files;
  const kept = files.filter((file) => !deploys.onlyTheirs.has(file.path));
  runtime.log.info(
    `${deploys.count} deploy commit(s) (${DEPLOY_TRAILER} trailer) changed ${files.length - kept.length} file(s) ` +
      'no other commit changed: those select no service',
  );
  return kept;
}

/** What discovery found, and which folders it matched that hold no Dockerfile: nothing is dropped silently. */
function logDiscovery(runtime: Runtime, manifest: Manifest): void {
  const found = manifest.services.map((service) => `${service.name} (${service.dockerfile})`);
  runtime.log.info(
    `Discovered ${manifest.services.length} service(s) with ${escapeUntrusted(manifest.file)}: ${escapeUntrusted(found.join(', ')) || 'none'}`,
  );
  const unmatched = manifest.unmatched ?? [];
  if (unmatched.length > 0) {
    runtime.log.warning(
      `discover '${escapeUntrusted(manifest.file)}' matched ${unmatched.length} folder(s) with no Dockerfile at any depth, not services: ${escapeUntrusted(unmatched.join(', '))}`,
    );
  }
}

function logSelection(runtime: Runtime, selection: Selection, manifest: Manifest): void {
  runtime.log.info(`Selected ${selection.selected.length} of ${manifest.services.length} services`);
  if (selection.selected.length === 0) return;
  const lines = selection.selected.map(({ service, reasons }) => {
    // Reasons quote changed files, whose names the repository's authors choose.
    const shown = reasons.slice(0, 3).map(escapeUntrusted).join('; ');
    return `  ${service.name}: ${shown}${reasons.length > 3 ? '; ...' : ''}`;
  });
  // One write for thousands of lines, not one each.
  runtime.log.info(lines.join('\n'));
}
