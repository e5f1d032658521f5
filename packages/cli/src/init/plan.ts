// What `shiprail init` decides, from the repository's files alone: the services (skaffold, then compose,
// then Dockerfiles), what they share, the workload and probe of each, the image prefix and overlays, and
// the files to write. Side effects (reading the disk, running kubectl, git) are passed in.
import { posix } from 'node:path';
import { composeServices } from './compose.ts';
import type { Variables } from './compose-variables.ts';
import { findDependencies, type Library, type ServiceDependencies } from './dependencies.ts';
import { dockerfileServices, type SkippedDockerfile } from './dockerfiles.ts';
import { isWithin, sourced, type RepositoryFiles, type Sourced } from './repository.ts';
import type { FoundService } from './service.ts';
import { skaffoldServices } from './skaffold.ts';
import { findWorkloads, type RenderKustomization, type WorkloadContainer, type WorkloadResult } from './workloads.ts';
import { renderCallerWorkflow, renderOverlays, renderServicesManifest, renderSmokeChecks } from './written-files.ts';

export interface InitContext {
  /** The repository folder's name: the name of a service at its root. */
  repositoryName: string;
  /** `owner/name` of the GitHub remote, when there is one. */
  githubRepository?: string;
  /** The branch pushes deploy from. */
  defaultBranch: string;
  /** `owner/repo/.github/workflows/deploy.yml@ref` of the suite's reusable workflow, when known. */
  workflow?: string;
  /** Variables compose files may use besides `.env` (the environment). */
  environment: Variables;
  render: RenderKustomization;
}

export type ServiceOrigin = 'skaffold' | 'compose' | 'Dockerfile';

export interface PlannedService extends FoundService {
  origin: ServiceOrigin;
  dependencies: ServiceDependencies;
  workload?: WorkloadContainer;
  /** The image's name under the prefix (`cartservice`). */
  pushedAs: string;
  /** The command that writes a non-Docker build's image at $IMAGE_OUTPUT, when its build files say how. */
  build?: Sourced<string>;
}

export interface PlannedFile {
  path: string;
  content: string;
}

export interface InitPlan {
  services: PlannedService[];
  libraries: Library[];
  skipped: SkippedDockerfile[];
  imagePrefix: Sourced<string>;
  overlays: Sourced<string>;
  files: PlannedFile[];
  /** What could not be derived: each an exact line or command to add, with where. */
  toAdd: string[];
  /** What init did that the user should know (overlays written, renames). */
  notes: string[];
}

const REGISTRY_HOST = /^(localhost(:\d+)?|[\w-]+(\.[\w-]+)+(:\d+)?)$/;

/** The registry prefix of an image name (`gcr.io/acme/cart` -> `gcr.io/acme`), when it names a registry. */
function registryPrefix(image: string): string | undefined {
  const parts = image.split('/');
  if (parts.length < 2 || !REGISTRY_HOST.test(parts[0] ?? '')) return undefined;
  return parts.slice(0, -1).join('/');
}

/** One prefix all `images` share, with the source of the first. */
function sharedPrefix(images: ReadonlyArray<Sourced<string>>): Sourced<string> | undefined {
  const prefixes = images.map((image) => registryPrefix(image.value));
  const first = prefixes[0];
  if (first === undefined || images.length === 0 || prefixes.some((prefix) => prefix !== first)) return undefined;
  return sourced(first, images[0]?.source ?? '');
}

/** Services from every source in order of trust; a later source adds only what an earlier one lacks. */
async function allServices(
  files: RepositoryFiles,
  context: InitContext,
): Promise<{ services: Array<FoundService & { origin: ServiceOrigin }>; skipped: SkippedDockerfile[] }> {
  const skaffold = await skaffoldServices(files);
  const compose = await composeServices(files, context.environment);
  const services: Array<FoundService & { origin: ServiceOrigin }> = skaffold.services.map((service) => ({
    ...service,
    origin: 'skaffold',
  }));
  const has = (service: FoundService): boolean =>
    services.some(
      (known) =>
        known.name === service.name ||
        (service.dockerfile !== undefined && known.dockerfile?.value === service.dockerfile.value),
    );
  for (const service of compose.services) if (!has(service)) services.push({ ...service, origin: 'compose' });
  const named = new Set(
    services.flatMap((service) => (service.dockerfile === undefined ? [] : [service.dockerfile.value])),
  );
  const fromDockerfiles = dockerfileServices(files, named, context.repositoryName);
  const declared = services.length > 0;
  const skipped = [...fromDockerfiles.skipped];
  for (const service of fromDockerfiles.services) {
    // A Dockerfile inside a declared service's folder is that service's business (a variant, a tool).
    const inside = services.find(
      (known) =>
        known.origin !== 'Dockerfile' && isWithin(service.path.value, known.path.value) && known.path.value !== '.',
    );
    if (declared && inside !== undefined)
      skipped.push({
        file: service.dockerfile?.value ?? '',
        reason: `inside ${inside.name}'s folder, which ${inside.origin} builds otherwise`,
      });
    else if (!has(service)) services.push({ ...service, origin: 'Dockerfile' });
  }
  return { services: services.sort((a, b) => a.name.localeCompare(b.name)), skipped };
}

/** The manifests' container that runs a service: its image named like the service's, else a workload of its name. */
function workloadOf(service: FoundService, workloads: WorkloadResult): WorkloadContainer | undefined {
  const last = (image: string): string => image.split('/').pop() ?? image;
  const imageLast = last(service.image.value);
  const candidates = workloads.containers;
  return (
    candidates.find((container) => container.image === service.image.value) ??
    candidates.find((container) => last(container.image) === imageLast) ??
    candidates.find((container) => last(container.image) === service.name) ??
    candidates.find(
      (container) => container.resource.split('/')[1] === service.name && container.container === service.name,
    ) ??
    candidates.find((container) => container.resource.split('/')[1] === service.name)
  );
}

function imagePrefixOf(
  services: readonly FoundService[],
  workloads: ReadonlyArray<WorkloadContainer | undefined>,
  context: InitContext,
): Sourced<string> | undefined {
  const built = sharedPrefix(services.map((service) => service.image));
  if (built !== undefined) return built;
  const deployed = workloads.filter((workload): workload is WorkloadContainer => workload !== undefined);
  const fromManifests =
    deployed.length === 0
      ? undefined
      : sharedPrefix(deployed.map((workload) => sourced(workload.image, workload.source)));
  if (fromManifests !== undefined) return fromManifests;
  if (context.githubRepository !== undefined) {
    return sourced(
      `ghcr.io/${(context.githubRepository.split('/')[0] ?? '').toLowerCase()}`,
      'git remote origin (GitHub Container Registry)',
    );
  }
  return undefined;
}

export async function planInit(files: RepositoryFiles, context: InitContext): Promise<InitPlan> {
  const { services: found, skipped } = await allServices(files, context);
  const dependencies = findDependencies(files, found);
  const workloads = await findWorkloads(files, context.render);
  // One image and one workload container: the one runs the other, whatever their names.
  const only = found.length === 1 && workloads.containers.length === 1 ? workloads.containers[0] : undefined;
  const matched = found.map((service) => workloadOf(service, workloads) ?? only);
  const toAdd: string[] = [];
  const notes: string[] = [];
  const derivedPrefix = imagePrefixOf(found, matched, context);
  const imagePrefix = derivedPrefix ?? sourced('${{ vars.IMAGE_PREFIX }}', 'not derivable');
  if (derivedPrefix === undefined) {
    toAdd.push(
      'gh variable set IMAGE_PREFIX --body <registry>/<namespace>   # where images are pushed, e.g. ghcr.io/acme',
    );
  }
  const services: PlannedService[] = found.map((service, index) => {
    const prefix = registryPrefix(service.image.value);
    const pushedAs =
      prefix !== undefined && prefix === derivedPrefix?.value
        ? service.image.value.slice(prefix.length + 1)
        : (service.image.value.split('/').pop() ?? service.name);
    const workload = matched[index];
    const build = derivedBuild(service, files);
    return {
      ...service,
      ...(build === undefined ? {} : { build }),
      dependencies: dependencies.byService.get(service.name) ?? { dependsOn: [], paths: [] },
      ...(workload === undefined ? {} : { workload }),
      pushedAs,
    };
  });
  for (const service of services) describeGaps(service, imagePrefix.value, toAdd, notes);
  const overlays = renderOverlays(workloads, services, imagePrefix.value);
  notes.push(...overlays.notes);
  toAdd.push(...overlays.toAdd);
  const smoke = renderSmokeChecks(services);
  toAdd.push(...smoke.toAdd);
  const files_: PlannedFile[] = [
    { path: '.github/services.yml', content: renderServicesManifest(services, dependencies.libraries) },
    ...(smoke.content === undefined ? [] : [{ path: '.github/smoke.yml', content: smoke.content }]),
  ];
  const workflow = renderCallerWorkflow({
    workflow: context.workflow,
    defaultBranch: context.defaultBranch,
    imagePrefix,
    overlays: overlays.template,
    environments: overlays.environments,
    smoke: smoke.content !== undefined,
  });
  toAdd.push(...workflow.toAdd);
  files_.push({ path: '.github/workflows/deploy.yml', content: workflow.content }, ...overlays.files);
  return {
    services,
    libraries: dependencies.libraries,
    skipped,
    imagePrefix,
    overlays: overlays.template,
    files: files_,
    toAdd,
    notes,
  };
}

/** What a service lacks that the pipeline needs, as lines to add. */
function describeGaps(service: PlannedService, prefix: string, toAdd: string[], notes: string[]): void {
  const entry = `.github/services.yml services.${service.name}`;
  if (service.builder.value !== 'docker' && service.build === undefined) {
    const command = builderCommand(service);
    toAdd.push(
      `${entry}: built with ${service.builder.value} (${service.builder.source}), no Dockerfile: add \`build: ${command}\` (a command that writes the image at $IMAGE_OUTPUT)`,
    );
  }
  if (service.workload === undefined) {
    toAdd.push(
      `${entry}: no workload in the manifests runs image ${service.image.value}: add \`resource: deployment/<name>\``,
    );
  } else if (service.workload.image !== `${prefix}/${service.pushedAs}` && !prefix.startsWith('${{')) {
    notes.push(
      `${service.name}: the manifests run ${service.workload.image} (${service.workload.source}); the pipeline pushes ${prefix}/${service.pushedAs}`,
    );
  }
}

/**
 * The `build` command of a Jib service, from its Maven or Gradle build file (and wrapper) in its folder:
 * the command runs there and writes the image tarball at $IMAGE_OUTPUT.
 */
function derivedBuild(service: FoundService, files: RepositoryFiles): Sourced<string> | undefined {
  if (service.builder.value !== 'jib') return undefined;
  const folder = service.path.value;
  const has = (name: string): boolean => files.read(folder === '.' ? name : `${folder}/${name}`) !== undefined;
  const file = (name: string): string => (folder === '.' ? name : `${folder}/${name}`);
  const output = '-Djib.outputPaths.tar="$IMAGE_OUTPUT"';
  const gradle = ['build.gradle', 'build.gradle.kts'].find(has);
  if (gradle !== undefined) {
    const command = has('gradlew') ? './gradlew' : 'gradle';
    return sourced(`${command} jibBuildTar ${output}`, `${service.builder.source} (jib), ${file(gradle)}`);
  }
  if (has('pom.xml')) {
    const command = has('mvnw') ? './mvnw' : 'mvn';
    return sourced(`${command} compile jib:buildTar ${output}`, `${service.builder.source} (jib), ${file('pom.xml')}`);
  }
  return undefined;
}

/** A command to start from for a builder init cannot derive a command of. */
function builderCommand(service: PlannedService): string {
  switch (service.builder.value) {
    case 'jib':
      return './mvnw compile jib:buildTar -Djib.outputPaths.tar="$IMAGE_OUTPUT"';
    case 'ko':
      return 'KO_DOCKER_REPO=ko.local ko build --push=false --oci-layout-path="$IMAGE_OUTPUT" .';
    case 'buildpacks':
      return `pack build ${service.pushedAs} --path . && skopeo copy docker-daemon:${service.pushedAs}:latest "oci:$IMAGE_OUTPUT"`;
    case 'custom':
      return service.buildCommand === undefined
        ? `<the command that builds ${service.name}>`
        : `<${service.buildCommand.value} (${service.buildCommand.source}), writing the image at $IMAGE_OUTPUT>`;
    default:
      return 'bazel build //<target>:<oci_image>.tar && cp bazel-bin/<target>/<oci_image>.tar "$IMAGE_OUTPUT"';
  }
}

export const relativeTo = (from: string, to: string): string =>
  posix.relative(from === '.' ? '' : from, to === '.' ? '' : to) || '.';
