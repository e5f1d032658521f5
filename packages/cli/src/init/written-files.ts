// The files init writes, as text: the services manifest and smoke checks with a comment on each derived
// value saying where it was read, the caller workflow, and environment overlays where there are none.
import { posix } from 'node:path';
import type { Library } from './dependencies.ts';
import type { PlannedFile, PlannedService } from './plan.ts';
import { commonFolder } from './service.ts';
import { folderOf, joinPath, sourced, type Sourced } from './repository.ts';
import type { WorkloadResult } from './workloads.ts';

/** The deploy workflow's default environments, in promotion order. */
const DEFAULT_ENVIRONMENTS = ['dev', 'staging', 'production'];
/** The overlay the canary is deployed with (the workflow's `canary-environment`). */
const CANARY = 'canary';
/** The overlays init writes where there are none: the default environments and the canary. */
export const ENVIRONMENTS = [...DEFAULT_ENVIRONMENTS.slice(0, 2), CANARY, ...DEFAULT_ENVIRONMENTS.slice(2)];

/** Promotion order of an environment's name: development first, production last. */
const promotionRank = (name: string): number => {
  if (/^dev/.test(name)) return 1;
  if (/^(prod|production|live)$/.test(name)) return 3;
  return 2;
};

/**
 * The workflow's `environments` from the overlays a repository has: their own names in promotion order
 * when there are two or three (`dev`, `prod`), else the workflow's default.
 */
/** The most environments the reusable workflow promotes through. */
const MAX_ENVIRONMENTS = 8;

export function environmentsOf(overlays: ReadonlyArray<{ environment: string; folder: string }>): Sourced<string[]> {
  const names = [...new Set(overlays.map((overlay) => overlay.environment))].filter((name) => name !== CANARY);
  names.sort((a, b) => promotionRank(a) - promotionRank(b) || a.localeCompare(b));
  // As many as the reusable workflow promotes through (two to eight); else its default.
  if (names.length < 2 || names.length > MAX_ENVIRONMENTS) return sourced(DEFAULT_ENVIRONMENTS, 'default');
  const folders = overlays.filter((overlay) => names.includes(overlay.environment)).map((overlay) => overlay.folder);
  return sourced(names, `${commonFolder(folders)}/{${names.join(',')}}`);
}

/** The repository variable that holds an environment's base URL: BASE_URL_DEV. */
export const baseUrlVariable = (environment: string): string =>
  `BASE_URL_${environment.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;

const PLAIN = /^[A-Za-z0-9_./@-][A-Za-z0-9_./@+=-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|[-+]?[\d.]+(e[-+]?\d+)?)$/i;

/** A string as a YAML scalar: plain when that reads the same, else double-quoted. */
export function yamlScalar(value: string): string {
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

/** A comment that cannot break the line it ends. */
const comment = (source: string): string => ` # ${source.replace(/[\r\n]+/g, ' ')}`;
const field = (indent: string, key: string, value: Sourced<string>): string =>
  `${indent}${key}: ${yamlScalar(value.value)}${comment(value.source)}`;

const HEADER = [
  '# Written by `shiprail init` from what this repository declares; the comment on each value says where',
  '# it was read. Edit freely: init never overwrites this file without --force.',
];

export function renderServicesManifest(services: readonly PlannedService[], libraries: readonly Library[]): string {
  const lines = [...HEADER];
  if (libraries.length > 0) {
    lines.push('libraries:');
    for (const library of libraries) {
      lines.push(`  ${library.name}:`, field('    ', 'path', library.path));
    }
  }
  lines.push('services:');
  for (const service of services) {
    lines.push(`  ${service.name}:`, field('    ', 'path', service.path));
    if (service.dependencies.paths.length > 0) {
      lines.push('    paths:', `      - ${yamlScalar(service.path.value === '.' ? '**' : `${service.path.value}/**`)}`);
      for (const path of service.dependencies.paths)
        lines.push(`      - ${yamlScalar(path.value)}${comment(path.source)}`);
    }
    lines.push(field('    ', 'context', service.context));
    if (service.dockerfile !== undefined) lines.push(field('    ', 'dockerfile', service.dockerfile));
    else if (service.build !== undefined) lines.push(field('    ', 'build', service.build));
    else lines.push(`    # built with ${service.builder.value} (${service.builder.source}): no Dockerfile, add build:`);
    lines.push(field('    ', 'image', sourced(service.pushedAs, service.image.source)));
    if (service.workload !== undefined)
      lines.push(field('    ', 'resource', sourced(service.workload.resource, service.workload.source)));
    if (service.test !== undefined) lines.push(field('    ', 'test', service.test));
    if (service.dependencies.dependsOn.length > 0) {
      lines.push('    dependsOn:');
      for (const dependency of service.dependencies.dependsOn)
        lines.push(`      - ${yamlScalar(dependency.value)}${comment(dependency.source)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderSmokeChecks(services: readonly PlannedService[]): { content?: string; toAdd: string[] } {
  const toAdd: string[] = [];
  const checks: string[] = [];
  for (const service of services) {
    const probe = service.workload?.probe;
    if (probe === undefined) continue;
    if (probe.http === undefined) {
      toAdd.push(
        `.github/smoke.yml: ${service.name}'s ${probe.kind} probe is ${probe.other} (${probe.source}), not HTTP: add a check of an HTTP endpoint it serves, if any`,
      );
      continue;
    }
    const path = probe.http.path.startsWith('/') ? probe.http.path : `/${probe.http.path}`;
    checks.push(
      `  - name: ${yamlScalar(service.name)}${comment(`${probe.kind}Probe of ${service.workload?.resource ?? ''}, port ${probe.http.port}: ${probe.source}`)}`,
      '    request:',
      `      url: ${yamlScalar(path)}`,
      '    retry: { until: 2m, interval: 5s }',
    );
  }
  if (checks.length === 0) return { toAdd };
  const header = [
    '# First smoke checks, from the readiness (else liveness) probes the manifests declare; written by `shiprail init`.',
    "# Each URL is relative to the environment's base URL (base-urls): where a gateway routes services under a prefix, add it.",
    'checks:',
  ];
  return { content: `${[...header, ...checks].join('\n')}\n`, toAdd };
}

export interface CallerWorkflowOptions {
  workflow: string | undefined;
  defaultBranch: string;
  imagePrefix: Sourced<string>;
  overlays: Sourced<string>;
  environments: Sourced<string[]>;
  smoke: boolean;
}

/** The suite's reusable workflow when the CLI does not know which commit it came from. */
const UNPINNED_WORKFLOW = 'shiprail/shiprail/.github/workflows/deploy.yml@main';

export function renderCallerWorkflow(options: CallerWorkflowOptions): { content: string; toAdd: string[] } {
  const toAdd: string[] = [];
  const uses = options.workflow ?? UNPINNED_WORKFLOW;
  if (options.workflow === undefined || !/@[0-9a-f]{40}$/.test(options.workflow)) {
    toAdd.push(
      `.github/workflows/deploy.yml: pin the suite by commit: \`uses: <owner>/shiprail/.github/workflows/deploy.yml@<commit-sha> # v1\` (now ${uses})`,
    );
  }
  toAdd.push(
    'gh variable set PROMETHEUS_URL --body https://prometheus.<your-domain>   # the Prometheus that holds the canary metrics',
  );
  toAdd.push('gh secret set GITOPS_TOKEN   # a token that may push to this repository (the GitOps repository)');
  const environments = options.environments.value;
  for (const environment of environments) {
    toAdd.push(
      `gh variable set ${baseUrlVariable(environment)} --body https://${environment}.<your-domain>   # where smoke checks call in ${environment}`,
    );
  }
  const overlays = options.overlays.value.includes('\n')
    ? `|-\n${options.overlays.value
        .split('\n')
        .map((line) => `        ${line}`)
        .join('\n')}`
    : yamlScalar(options.overlays.value);
  const lines = [
    '# Builds, scans and promotes the changed services through the environments below (a judged canary before',
    '# the last once PROMETHEUS_URL is set) with the shiprail deploy workflow. Written by `shiprail init`;',
    '# the comment on each input says where it came from.',
    'name: deploy',
    'on:',
    '  push:',
    `    branches: [${yamlScalar(options.defaultBranch)}]`,
    '  pull_request:',
    '  merge_group:',
    'permissions: {}',
    'jobs:',
    '  deploy:',
    `    uses: ${uses}`,
    '    permissions:',
    '      contents: read',
    '      packages: write',
    '      security-events: write',
    '      actions: read',
    '      pull-requests: write # only the comment job asks for it, on pull requests',
    '    with:',
    `      services-config: .github/services.yml`,
    `      image-prefix: ${options.imagePrefix.value.startsWith('${{') ? options.imagePrefix.value : yamlScalar(options.imagePrefix.value)}${comment(options.imagePrefix.source)}`,
    '      gitops-repository: ${{ github.repository }} # the overlays live in this repository',
    `      overlays: ${overlays}${options.overlays.value.includes('\n') ? '' : comment(options.overlays.source)}`,
    `      smoke-checks: ${options.smoke ? '.github/smoke.yml # from the readiness probes' : "'' # no HTTP probe to start from"}`,
    `      environments: ${environments.join(', ')}${comment(options.environments.source)}`,
    '      base-urls: |',
    ...environments.map((environment) => `        ${environment}: \${{ vars.${baseUrlVariable(environment)} }}`),
    '      prometheus-url: ${{ vars.PROMETHEUS_URL }}',
    '    secrets: inherit # GITOPS_TOKEN, NOTIFY_WEBHOOK_URL; each environment its own KUBECONFIG',
  ];
  return { content: `${lines.join('\n')}\n`, toAdd };
}

/** Folders of tests and examples: their kustomize trees are not what is deployed. */
const TOOLING = /^(tests?|e2e|examples?|samples?|docs|hack|\.github)$/i;

export interface OverlayPlan {
  template: Sourced<string>;
  environments: Sourced<string[]>;
  files: PlannedFile[];
  notes: string[];
  toAdd: string[];
}

/** An environment overlay over `resources`, renaming the manifests' images to the pushed ones. */
function overlayFile(
  folder: string,
  resources: readonly string[],
  renames: ReadonlyArray<[string, string]>,
): PlannedFile {
  const lines = [
    '# Written by `shiprail init`: this environment over the base it found; the deploy workflow sets its images.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    ...resources.map((resource) => `  - ${yamlScalar(posix.relative(folder, resource) || '.')}`),
  ];
  if (renames.length > 0) {
    lines.push('images:');
    for (const [name, newName] of renames)
      lines.push(`  - name: ${yamlScalar(name)}`, `    newName: ${yamlScalar(newName)}`);
  }
  return { path: joinPath(folder, 'kustomization.yaml'), content: `${lines.join('\n')}\n` };
}

/** A base over plain manifests, each named from the base's folder (which holds them all, at any depth). */
function baseFile(folder: string, manifests: readonly string[]): PlannedFile {
  const lines = [
    '# Written by `shiprail init`: the manifests of this folder as a kustomize base the environment overlays use.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    ...manifests.map((manifest) => `  - ${yamlScalar(posix.relative(folder, manifest))}`),
  ];
  return { path: joinPath(folder, 'kustomization.yaml'), content: `${lines.join('\n')}\n` };
}

export function renderOverlays(
  workloads: WorkloadResult,
  services: readonly PlannedService[],
  prefix: string,
): OverlayPlan {
  const notes: string[] = [];
  const toAdd: string[] = [];
  const { overlays, roots } = workloads.kustomize;
  if (overlays.length > 0) {
    const templates = [...new Set(overlays.map((overlay) => joinPath(folderOf(overlay.folder), '{environment}')))];
    const serviceTemplates = [
      ...new Set(
        templates.map((template) => {
          const owner = services.find((service) => template.split('/').includes(service.name));
          return owner === undefined
            ? template
            : template
                .split('/')
                .map((part) => (part === owner.name ? '{service}' : part))
                .join('/');
        }),
      ),
    ];
    const named = new Set(overlays.map((overlay) => overlay.environment));
    const environments = environmentsOf(overlays);
    const missing = (environment: string, why: string): string =>
      `overlays: no ${environment} overlay (found ${[...named].join(', ')}): add ${serviceTemplates[0]?.replace('{environment}', environment) ?? ''}/kustomization.yaml${why}`;
    for (const environment of environments.value) {
      if (!named.has(environment))
        toAdd.push(missing(environment, `, or rename the overlay that deploys ${environment}`));
    }
    if (!named.has(CANARY))
      toAdd.push(missing(CANARY, ' before setting PROMETHEUS_URL (the canary runs beside production)'));
    const shown = overlays.find((overlay) => overlay.environment === environments.value[0]) ?? overlays[0];
    return {
      template: sourced(serviceTemplates.join('\n'), shown?.folder ?? ''),
      environments,
      files: [],
      notes,
      toAdd,
    };
  }
  const renames: Array<[string, string]> = prefix.startsWith('${{')
    ? []
    : services.flatMap((service) =>
        service.workload !== undefined &&
        service.workload.via !== 'helm' &&
        service.workload.image !== `${prefix}/${service.pushedAs}`
          ? [[service.workload.image, `${prefix}/${service.pushedAs}`] as [string, string]]
          : [],
      );
  const files: PlannedFile[] = [];
  /** Kustomize bases written under plain manifests: not environments. */
  const bases: PlannedFile[] = [];
  let template: Sourced<string>;
  if (roots.some((root) => !root.split('/').some((part) => TOOLING.test(part)))) {
    // Overlays beside the base (`deploy/base` -> `deploy/overlays`), never inside it: kustomize refuses a cycle.
    const byOverlayRoot = new Map<string, string[]>();
    // The trees that hold the services' workloads; tests and examples of kustomize trees are not deployed.
    const runsServices = (root: string): number =>
      services.filter(
        (service) => service.workload !== undefined && (root === '.' || service.workload.source.startsWith(`${root}/`)),
      ).length;
    const deployed = roots.filter((root) => !root.split('/').some((part) => TOOLING.test(part)));
    const ranked = [...deployed].sort((a, b) => runsServices(b) - runsServices(a));
    const chosen = ranked.some((root) => runsServices(root) > 0)
      ? ranked.filter((root) => runsServices(root) > 0)
      : ranked.slice(0, 1);
    for (const base of chosen) {
      const overlayRoot = joinPath(folderOf(base), 'overlays');
      const known = byOverlayRoot.get(overlayRoot);
      // Two trees side by side are alternatives (plain manifests, a kustomize tree of the same): one is enough.
      if (known === undefined) byOverlayRoot.set(overlayRoot, [base]);
      else
        notes.push(
          `${base} is another kustomize tree beside ${known.join(', ')}: the overlays are written over ${known.join(', ')}`,
        );
    }
    const templates = new Set<string>();
    for (const [overlayRoot, overlayBases] of byOverlayRoot) {
      for (const environment of ENVIRONMENTS)
        files.push(overlayFile(joinPath(overlayRoot, environment), overlayBases, renames));
      const owner = services.find((service) => overlayRoot.split('/').includes(service.name));
      const template =
        owner === undefined
          ? overlayRoot
          : overlayRoot
              .split('/')
              .map((part) => (part === owner.name ? '{service}' : part))
              .join('/');
      templates.add(joinPath(template, '{environment}'));
      notes.push(
        `no per-environment overlays: wrote ${overlayRoot}/{${ENVIRONMENTS.join(',')}} over ${overlayBases.join(', ')}`,
      );
    }
    // Named as a second run names the overlays it finds: the workflow is the same either way.
    template = sourced(
      [...templates].join('\n'),
      [...templates][0]?.replace('{environment}', 'dev').replace('{service}', services[0]?.name ?? '') ?? '',
    );
  } else if (workloads.plainFiles.length > 0) {
    // kustomize loads files only from in or below an overlay's folder, but any folder as a base: the manifests
    // get a base kustomization of their own, and the overlays name that folder.
    const baseFolder = commonFolder(workloads.plainFiles.map(folderOf));
    bases.push(baseFile(baseFolder, workloads.plainFiles));
    const overlayRoot = 'overlays';
    for (const environment of ENVIRONMENTS)
      files.push(overlayFile(joinPath(overlayRoot, environment), [baseFolder], renames));
    notes.push(
      `no kustomize tree: wrote ${joinPath(baseFolder, 'kustomization.yaml')} over the manifests there and overlays/{${ENVIRONMENTS.join(',')}} over it`,
    );
    template = sourced('overlays/{environment}', 'overlays/dev');
  } else {
    template = sourced('overlays/{environment}', 'default');
    const charts = workloads.helmCharts;
    toAdd.push(
      charts.length > 0
        ? `overlays: the workloads are deployed by the Helm chart in ${charts.join(', ')}: add kustomize overlays that render it (helmCharts:) per environment under overlays/{environment}`
        : 'overlays: no Kubernetes manifests found: add overlays/{environment}/kustomization.yaml with the workloads of each environment',
    );
  }
  // Named as a second run names the overlays it finds.
  const written = files
    .map((file) => folderOf(file.path))
    .map((folder) => ({ environment: posix.basename(folder), folder }));
  return { template, environments: environmentsOf(written), files: [...bases, ...files], notes, toAdd };
}
