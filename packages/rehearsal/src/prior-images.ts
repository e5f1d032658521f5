// What a repository's environments ran before the rehearsal: each service of its services config whose image
// its overlays name by tag, built from the commit before the rehearsed one (when a pod first needs it) and pushed where the world's
// registry stands in for the repository's own (mirrorRegistriesConf's rewrites). The kubelet then runs them
// as it runs the built images: traffic reaches the services a push leaves alone, and a rollback waits for
// real pods. A service the world cannot build so (a build command, a failed build) is left out: its
// workloads are taken as running.
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { errorMessage } from '@shiprail/core';
import { parse } from 'yaml';
import type { ImageMirror } from './servers/image-mirror.ts';

/** A service of the services config as the world builds it: paths inside the checkout, its image repository. */
export interface PriorService {
  name: string;
  context: string;
  dockerfile: string;
  /** `<image-prefix>/<image>`: the repository its overlays name. */
  repository: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const field = (entry: Record<string, unknown>, name: string): string | undefined =>
  typeof entry[name] === 'string' && entry[name] !== '' ? entry[name] : undefined;
/** A path the repository names, kept inside it: none when it is absolute or climbs out. */
const inside = (path: string): string | undefined =>
  path.startsWith('/') || path.split('/').includes('..') ? undefined : path;

/**
 * The services of a services config (its text) built from a Dockerfile, with the repository each pushes to
 * under `imagePrefix`; those built by a command, or whose paths lead outside the repository, are left out.
 */
export function priorServices(configText: string, imagePrefix: string): PriorService[] {
  let config: unknown;
  try {
    config = parse(configText);
  } catch {
    return []; // The workflow's own detect step says what is wrong with it.
  }
  const services = isRecord(config) && isRecord(config['services']) ? config['services'] : {};
  return Object.entries(services).flatMap(([name, value]): PriorService[] => {
    const entry = isRecord(value) ? value : {};
    if (field(entry, 'build') !== undefined) return [];
    const context = inside(field(entry, 'context') ?? field(entry, 'path') ?? name);
    const dockerfile = inside(field(entry, 'dockerfile') ?? `${context ?? ''}/Dockerfile`);
    if (context === undefined || dockerfile === undefined) return [];
    const image = field(entry, 'image') ?? name;
    return [{ name, context, dockerfile, repository: imagePrefix === '' ? image : `${imagePrefix}/${image}` }];
  });
}

/** The tags of a service's repository the workloads run (`repository:tag`; digests cannot be rebuilt). */
export function priorTags(service: PriorService, images: readonly string[]): string[] {
  const prefix = `${service.repository}:`;
  const tags = images.filter((image) => image.startsWith(prefix) && !image.includes('@'));
  return [...new Set(tags.map((image) => image.slice(prefix.length)))].sort();
}

/**
 * `path` of the checkout at `root` (itself with its links followed), with its own links followed; undefined
 * when that leads outside. A missing path stays as named, for buildah to say it is missing.
 */
export function followedInside(root: string, path: string): string | undefined {
  const named = resolve(root, path);
  let followed: string;
  try {
    followed = realpathSync(named);
  } catch {
    followed = named;
  }
  return followed === root || followed.startsWith(`${root}${sep}`) ? followed : undefined;
}

/** Where a PriorImageBuilder builds and pushes, and what it may build. */
export interface PriorImageOptions {
  mirror: Pick<ImageMirror, 'buildAndPush'>;
  /** Makes the checkout of the commit before the rehearsed one: asked once, on first need. */
  checkout: () => Promise<string>;
  services: readonly PriorService[];
  /** The images the environments run (`repository:tag` or by digest), as the overlays name them. */
  images: readonly string[];
  imagePrefix: string;
  /** The world's registry path for the caller's image prefix. */
  worldPrefix: string;
  registryHost: string;
  /** `repository:tag` within the world's registry, added to as images are pushed (never reported as pushed). */
  published: Set<string>;
}

/**
 * What the environments ran before, built on first need: the first time a pod of one of these images is to
 * start, its service is built from the checkout and pushed under `worldPrefix` with every tag the workloads
 * run, one build at a time. A service that does not build is taken as running, and says why in `failed`. A
 * rehearsal that stops before any pod starts builds nothing.
 */
export class PriorImageBuilder {
  /** Services that did not build, with why. */
  readonly failed: string[] = [];
  private readonly options: PriorImageOptions;
  /** Each service's build, by name: asked for once. */
  private readonly builds = new Map<string, Promise<boolean>>();
  private last: Promise<unknown> = Promise.resolve();
  private checkout: Promise<string> | undefined;
  /** Each candidate image (`repository:tag`), and the service that builds it. */
  private readonly serviceOf = new Map<string, PriorService>();

  constructor(options: PriorImageOptions) {
    this.options = options;
    for (const service of options.services)
      for (const tag of priorTags(service, options.images)) this.serviceOf.set(`${service.repository}:${tag}`, service);
  }

  /** The images it builds when a pod needs them, `repository:tag` as the overlays name them. */
  get candidates(): string[] {
    return [...this.serviceOf.keys()];
  }

  /** Whether `image` runs in the world: one of the candidates, built now if it was not yet. */
  runs(image: string): Promise<boolean> {
    const service = this.serviceOf.get(image);
    if (service === undefined) return Promise.resolve(false);
    let build = this.builds.get(service.name);
    if (build === undefined) {
      build = this.last.then(() => this.build(service));
      this.last = build;
      this.builds.set(service.name, build);
    }
    return build;
  }

  private async build(service: PriorService): Promise<boolean> {
    const { options } = this;
    try {
      const root = realpathSync(await (this.checkout ??= options.checkout()));
      const context = followedInside(root, service.context);
      const dockerfile = followedInside(root, service.dockerfile);
      // buildah runs as root: a committed link out of the checkout (`catalog -> /`) is not built from.
      if (context === undefined || dockerfile === undefined) return false;
      const worldRepository = `${options.worldPrefix}${service.repository.slice(options.imagePrefix.length)}`;
      const worldTags = priorTags(service, options.images).map((tag) => `${worldRepository}:${tag}`);
      await options.mirror.buildAndPush(context, worldTags, dockerfile);
      for (const tag of worldTags) options.published.add(tag.slice(options.registryHost.length + 1));
      return true;
    } catch (error) {
      this.failed.push(`${service.name}: ${errorMessage(error)}`);
      return false;
    }
  }
}
