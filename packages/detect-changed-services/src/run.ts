// The step: inputs, the manifest, the comparison, the selection, then the matrix, the outputs and the summary.
import { ConfigurationError, escapeUntrusted, type Runtime } from '@shiprail/core';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { likelyComparison, planComparison, resolveComparison } from './comparison.ts';
import { changedPaths, GitHistory, shortSha } from './git.ts';
import { DEFAULT_CONFIG, parseInputs, type DetectChangedServicesInputs } from './inputs.ts';
import { buildMatcher, discoverServices, parseManifest, type Manifest } from './manifest.ts';
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
  if (comparison.kind === 'diff') {
    const files = await git.changedFiles(comparison.base, comparison.head);
    changedFiles = files.length;
    runtime.log.info(
      `Comparing ${shortSha(comparison.base)}..${shortSha(comparison.head)} (${escapeUntrusted(comparison.label)}): ` +
        `${files.length} changed file(s)`,
    );
    selection = selectServices(manifest, matcher, changedPaths(files), {
      includeDependents: inputs['include-dependents'],
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
