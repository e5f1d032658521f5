// What a repository's environments ran before the rehearsal: each service of its services config whose image
// its overlays name by tag, built from the commit before the rehearsed one and pushed where the world's
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

export interface PriorImages {
  /** The images as the overlays name them, now in the world's registry. */
  built: string[];
  /** `repository:tag` within the world's registry (never reported as pushed). */
  published: string[];
  /** Services that did not build, with why. */
  failed: string[];
}

/**
 * Builds each service whose tags the workloads run (`images`) from `checkout` and pushes it under
 * `worldPrefix` (the world's registry path for the caller's image prefix), once per service.
 */
export async function publishPriorImages(options: {
  mirror: ImageMirror;
  checkout: string;
  services: readonly PriorService[];
  images: readonly string[];
  imagePrefix: string;
  worldPrefix: string;
  registryHost: string;
}): Promise<PriorImages> {
  const result: PriorImages = { built: [], published: [], failed: [] };
  const root = realpathSync(options.checkout);
  for (const service of options.services) {
    const tags = priorTags(service, options.images);
    if (tags.length === 0) continue;
    const context = followedInside(root, service.context);
    const dockerfile = followedInside(root, service.dockerfile);
    // buildah runs as root: a committed link out of the checkout (`catalog -> /`) is not built from.
    if (context === undefined || dockerfile === undefined) continue;
    const worldRepository = `${options.worldPrefix}${service.repository.slice(options.imagePrefix.length)}`;
    const worldTags = tags.map((tag) => `${worldRepository}:${tag}`);
    try {
      await options.mirror.buildAndPush(context, worldTags, dockerfile);
    } catch (error) {
      result.failed.push(`${service.name}: ${errorMessage(error)}`);
      continue;
    }
    result.built.push(...tags.map((tag) => `${service.repository}:${tag}`));
    result.published.push(...worldTags.map((tag) => tag.slice(options.registryHost.length + 1)));
  }
  return result;
}
