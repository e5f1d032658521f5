// The Kubernetes workloads a repository deploys, read from what it has: kustomize trees rendered with
// `kubectl kustomize`, plain manifests, and Helm charts' templates with their values read statically.
// Each workload's containers carry the image name the manifests use and their first probe.
import { posix } from 'node:path';
import { ConfigurationError, parseYamlDocuments, type ParsedYamlDocument, type YamlPath } from '@shiprail/core';
import { renderHelmTemplate } from './helm.ts';
import { at, folderOf, joinPath, resolveInside, type RepositoryFiles } from './repository.ts';
import { imageName } from './service.ts';

export interface Probe {
  kind: 'readiness' | 'liveness';
  /** HTTP probes only: the others (gRPC, exec, TCP) cannot become an HTTP check. */
  http?: { path: string; port: string; scheme: string };
  other?: string;
  source: string;
}

export interface WorkloadContainer {
  /** `deployment/cart` */
  resource: string;
  namespace?: string;
  container: string;
  /** The image as the manifests name it, without tag. */
  image: string;
  /** Where the image is written (file:line), or what rendered it. */
  source: string;
  probe?: Probe;
  via: 'kustomize' | 'yaml' | 'helm';
}

export interface KustomizeLayout {
  /** Folders holding a kustomization, by kind. */
  bases: string[];
  /** Kustomizations nothing else includes (components and environment overlays aside): what is applied. */
  roots: string[];
  components: string[];
  /** Environment overlays: folder by environment as named in the folder (`dev`, `prod`). */
  overlays: Array<{ environment: string; folder: string }>;
}

export interface WorkloadResult {
  containers: WorkloadContainer[];
  kustomize: KustomizeLayout;
  /** Folders of plain manifests (no kustomization): what an overlay written for them lists. */
  plainFiles: string[];
  helmCharts: string[];
}

/** Renders a kustomization folder (`kubectl kustomize <folder>`): the side effect, passed in. */
export type RenderKustomization = (folder: string) => Promise<string>;

const WORKLOAD_KINDS: Record<string, YamlPath> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Rollout: ['spec', 'template', 'spec'],
};
const KUSTOMIZATION = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;
const ENVIRONMENT =
  /^(dev|develop|development|test|testing|qa|stage|staging|preprod|pre-prod|uat|canary|prod|production|live)$/i;
/** Files that are not Kubernetes manifests however they look. */
const NOT_MANIFEST =
  /(^|\/)(\.github|skaffold\.ya?ml|(docker-)?compose[^/]*|Chart\.yaml|values[^/]*\.ya?ml|\.gitlab-ci\.yml|\.pre-commit[^/]*)$|(^|\/)\.github\//;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

function get(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const key of path)
    current =
      isMapping(current) || Array.isArray(current) ? (current as Record<string | number, unknown>)[key] : undefined;
  return current;
}

/** The containers of the workloads in one parsed document, located with `where`. */
function documentContainers(
  document: { value: unknown; lineOf?: ParsedYamlDocument['lineOf'] },
  where: (line: number | undefined) => string,
  via: WorkloadContainer['via'],
): WorkloadContainer[] {
  const value = document.value;
  if (!isMapping(value)) return [];
  const kind = text(value['kind']);
  const podPath = kind === undefined ? undefined : WORKLOAD_KINDS[kind];
  const name = text(get(value, ['metadata', 'name']));
  if (podPath === undefined || kind === undefined || name === undefined) return [];
  const namespace = text(get(value, ['metadata', 'namespace']));
  return list(get(value, [...podPath, 'containers'])).flatMap((container, index) => {
    const image = text(get(container, ['image']));
    const containerName = text(get(container, ['name']));
    if (image === undefined || containerName === undefined) return [];
    const containerPath = [...podPath, 'containers', index];
    const probe = probeOf(container, (path) => where(document.lineOf?.([...containerPath, ...path])));
    return [
      {
        resource: `${kind.toLowerCase()}/${name}`,
        ...(namespace === undefined ? {} : { namespace }),
        container: containerName,
        image: imageName(image),
        source: where(document.lineOf?.([...containerPath, 'image'])),
        ...(probe === undefined ? {} : { probe }),
        via,
      },
    ];
  });
}

function probeOf(container: unknown, where: (path: YamlPath) => string): Probe | undefined {
  for (const kind of ['readiness', 'liveness'] as const) {
    const probe = get(container, [`${kind}Probe`]);
    if (!isMapping(probe)) continue;
    const httpGet = probe['httpGet'];
    const source = where([`${kind}Probe`]);
    if (isMapping(httpGet)) {
      const port = text(httpGet['port']) ?? '';
      return {
        kind,
        http: { path: text(httpGet['path']) ?? '/', port, scheme: (text(httpGet['scheme']) ?? 'HTTP').toLowerCase() },
        source,
      };
    }
    const other = ['grpc', 'exec', 'tcpSocket'].find((key) => probe[key] !== undefined);
    if (other !== undefined) return { kind, other, source };
  }
  return undefined;
}

async function kustomizeLayout(files: RepositoryFiles): Promise<{ layout: KustomizeLayout; roots: string[] }> {
  const kustomizations = files.files.filter((file) => KUSTOMIZATION.test(file));
  /** Folder → the kustomization folders that list it. */
  const referrers = new Map<string, string[]>();
  const components: string[] = [];
  for (const file of kustomizations) {
    const [document] = await parseYamlDocuments(files.read(file) ?? '', { file });
    const value = document?.value;
    if (!isMapping(value)) continue;
    if (value['kind'] === 'Component') components.push(folderOf(file));
    for (const key of ['resources', 'bases', 'components']) {
      list(value[key]).forEach((entry, index) => {
        const written = text(entry);
        if (
          written === undefined ||
          /^[a-z]+:\/\//i.test(written) ||
          written.includes('?ref=') ||
          written.startsWith('github.com/')
        )
          return;
        const folder = resolveInside(folderOf(file), written, { file, line: document?.lineOf([key, index]) });
        referrers.set(folder, [...(referrers.get(folder) ?? []), folderOf(file)]);
      });
    }
  }
  const folders = kustomizations.map(folderOf);
  const overlays = folders
    .filter((folder) => ENVIRONMENT.test(posix.basename(folder)))
    .map((folder) => ({ environment: posix.basename(folder).toLowerCase(), folder }));
  const bases = folders.filter(
    (folder) => !components.includes(folder) && !overlays.some((overlay) => overlay.folder === folder),
  );
  const isOverlay = (folder: string): boolean => overlays.some((overlay) => overlay.folder === folder);
  const roots = folders.filter((folder) => !referrers.has(folder) && !components.includes(folder));
  // A base that only environment overlays list is rendered on its own as well: its images are as its
  // team wrote them, and the same whether or not init's own overlays already sit over it.
  const overlaid = folders.filter(
    (folder) => !components.includes(folder) && (referrers.get(folder) ?? []).every(isOverlay) && referrers.has(folder),
  );
  const baseRoots = roots.filter((folder) => !isOverlay(folder));
  return { layout: { bases, roots: baseRoots, components, overlays }, roots: [...roots, ...overlaid] };
}

/** The order renderings are trusted for image names: non-environment roots, then dev, staging, production. */
function renderOrder(roots: readonly string[]): string[] {
  const rank = (folder: string): number => {
    const name = posix.basename(folder).toLowerCase();
    if (!ENVIRONMENT.test(name)) return 0;
    if (/^dev/.test(name)) return 1;
    if (/stag|qa|test|uat/.test(name)) return 2;
    return 3;
  };
  return [...roots].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const looksLikeManifest = (content: string): boolean => /^apiVersion:/m.test(content) && /^kind:/m.test(content);

export async function findWorkloads(files: RepositoryFiles, render: RenderKustomization): Promise<WorkloadResult> {
  const { layout, roots } = await kustomizeLayout(files);
  const charts = files.files.filter((file) => posix.basename(file) === 'Chart.yaml').map(folderOf);
  const inChart = (file: string): boolean =>
    charts.some(
      (chart) => (chart !== '.' && file.startsWith(`${chart}/`)) || (chart === '.' && file.startsWith('templates/')),
    );
  const staticContainers: WorkloadContainer[] = [];
  const plainFiles: string[] = [];
  const kustomized = new Set<string>();
  for (const file of files.files.filter(
    (path) => /\.ya?ml$/.test(path) && !KUSTOMIZATION.test(path) && !NOT_MANIFEST.test(path) && !inChart(path),
  )) {
    const content = files.read(file);
    if (content === undefined || !looksLikeManifest(content) || content.includes('{{')) continue;
    const documents = await parseYamlDocuments(content, { file });
    const found = documents.flatMap((document) => documentContainers(document, (line) => at(file, line), 'yaml'));
    staticContainers.push(...found);
    if (found.length > 0) plainFiles.push(file);
  }
  const rendered: WorkloadContainer[] = [];
  for (const root of renderOrder(roots)) {
    let output: string;
    try {
      output = await render(root);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigurationError(`kubectl kustomize failed: ${reason.trim().split('\n').slice(-3).join(' ')}`, {
        file: joinPath(root, 'kustomization.yaml'),
      });
    }
    const documents = await parseYamlDocuments(output, { file: `kubectl kustomize ${root}` });
    for (const document of documents) {
      for (const container of documentContainers(
        { value: document.value },
        () => `kubectl kustomize ${root}`,
        'kustomize',
      )) {
        const earlier = rendered.findIndex(
          (known) => known.resource === container.resource && known.container === container.container,
        );
        if (earlier >= 0) {
          // The first rendering names the image; a later one may add a probe (a component's patch, say).
          const known = rendered[earlier];
          if (known !== undefined && known.probe === undefined && container.probe !== undefined)
            rendered[earlier] = { ...known, probe: container.probe };
          continue;
        }
        // Where the base wrote it, when it did: a line is worth more than a folder.
        const written = staticContainers.find(
          (known) => known.resource === container.resource && known.container === container.container,
        );
        rendered.push({
          ...container,
          source: written !== undefined && written.image === container.image ? written.source : container.source,
          ...(container.probe !== undefined && written?.probe !== undefined ? { probe: written.probe } : {}),
        });
        kustomized.add(container.resource);
      }
    }
  }
  for (const root of [...layout.bases, ...layout.overlays.map((overlay) => overlay.folder)]) {
    for (const file of plainFiles) if (file.startsWith(`${root}/`)) kustomized.add(file);
  }
  const helm: WorkloadContainer[] = [];
  for (const chart of charts) helm.push(...(await chartContainers(files, chart)));
  const containers = [
    ...rendered,
    ...staticContainers.filter(
      (container) =>
        !rendered.some((known) => known.resource === container.resource && known.container === container.container),
    ),
    ...helm,
  ];
  return {
    containers,
    kustomize: layout,
    plainFiles: plainFiles.filter(
      (file) =>
        !kustomized.has(file) &&
        !layout.bases.some((base) => file.startsWith(`${base}/`)) &&
        !layout.overlays.some((overlay) => file.startsWith(`${overlay.folder}/`)),
    ),
    helmCharts: charts,
  };
}

async function chartContainers(files: RepositoryFiles, chart: string): Promise<WorkloadContainer[]> {
  const valuesFile = joinPath(chart, 'values.yaml');
  const valuesText = files.read(valuesFile);
  const values =
    valuesText === undefined
      ? { value: {}, lineOf: () => undefined }
      : ((await parseYamlDocuments(valuesText, { file: valuesFile }))[0] ?? { value: {}, lineOf: () => undefined });
  const chartName =
    text(
      get(
        (
          await parseYamlDocuments(files.read(joinPath(chart, 'Chart.yaml')) ?? '', {
            file: joinPath(chart, 'Chart.yaml'),
          })
        )[0]?.value,
        ['name'],
      ),
    ) ?? posix.basename(chart);
  const containers: WorkloadContainer[] = [];
  const templates = files.files.filter(
    (file) => file.startsWith(`${joinPath(chart, 'templates')}/`) && /\.ya?ml$/.test(file),
  );
  for (const file of templates) {
    const rendered = renderHelmTemplate(files.read(file) ?? '', values.value, chartName);
    let documents: ParsedYamlDocument[];
    try {
      documents = await parseYamlDocuments(rendered.text, { file });
    } catch {
      continue; // a template init cannot read statically: its workloads are left to the user
    }
    for (const document of documents) {
      containers.push(
        ...documentContainers(
          document,
          (line) => at(file, line === undefined ? undefined : (rendered.lineMap[line - 1] ?? line)),
          'helm',
        ),
      );
    }
  }
  return containers;
}
