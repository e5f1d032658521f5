// The two builders, buildx and buildah: the command lines each is given for a build request (cache,
// platforms, secrets, labels, OCI layouts), run with credentials in a private file, and the digest each reports.
import { withPrivateFile, type Runtime } from '@shiprail/core';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageReference } from '@shiprail/core/image-reference';
import type { RegistryCredentials } from './registry.ts';

export type BuilderName = 'buildx' | 'buildah';
export type CacheMode = 'auto' | 'registry' | 'none';

/** Everything a builder needs, decided and validated beforehand. */
export interface BuildRequest {
  image: ImageReference;
  /** Absolute paths. */
  contextDir: string;
  dockerfile: string;
  /** Full references (`ghcr.io/acme/api:sha-1234567`); the first is pushed first. */
  tags: string[];
  labels: Record<string, string>;
  /** `NAME=value` lines. */
  buildArgs: string[];
  target: string;
  platforms: string[];
  push: boolean;
  /** Where to write the image as an OCI image layout instead of pushing it; '' for none. */
  ociLayout: string;
  cache: CacheMode;
  /** Whether the GitHub Actions cache service is reachable (buildx `type=gha`). */
  githubCache: boolean;
}

export interface BuildResult {
  /** The pushed manifest's digest; '' when nothing was pushed. */
  digest: string;
  /** Tags the builder pushed itself; the rest are added through the registry API. */
  pushedTags: string[];
}

export interface Builder {
  name: BuilderName;
  build(request: BuildRequest, credentials: RegistryCredentials | undefined): Promise<BuildResult>;
}

/** The GitHub cache scope of an image: one per image (and target), so services never evict each other. */
export const cacheScope = (request: BuildRequest): string =>
  request.target === '' ? request.image.name : `${request.image.name}-${request.target}`;

/** Where `type=registry` caches live: a tag of the image (buildx) or a sibling repository (buildah). */
export const registryCacheRef = (request: BuildRequest): string => `${request.image.name}:buildcache`;
export const buildahCacheRepository = (request: BuildRequest): string => `${request.image.name}-buildcache`;

/**
 * Which cache `auto` means: for buildx the GitHub cache on a runner, else the registry when pushing;
 * for buildah none (it has no GitHub cache, and pushing cache layers costs more than it saves on a
 * fresh runner).
 */
export function effectiveCache(request: BuildRequest, builder: BuilderName): 'gha' | 'registry' | 'none' {
  if (request.cache === 'none') return 'none';
  if (request.cache === 'registry') return 'registry';
  if (builder === 'buildah') return 'none';
  if (request.githubCache) return 'gha';
  return request.push ? 'registry' : 'none';
}

const labelArgs = (labels: Record<string, string>): string[] =>
  Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);

/** The `docker buildx build` argument vector. */
export function buildxArguments(request: BuildRequest, metadataFile: string): string[] {
  const args = ['buildx', 'build', '--file', request.dockerfile];
  for (const tag of request.tags) args.push('--tag', tag);
  args.push(...labelArgs(request.labels));
  for (const buildArg of request.buildArgs) args.push('--build-arg', buildArg);
  if (request.target !== '') args.push('--target', request.target);
  if (request.platforms.length > 0) args.push('--platform', request.platforms.join(','));
  const cache = effectiveCache(request, 'buildx');
  if (cache === 'gha') {
    const scope = cacheScope(request);
    args.push('--cache-from', `type=gha,scope=${scope}`, '--cache-to', `type=gha,mode=max,scope=${scope}`);
  } else if (cache === 'registry') {
    const ref = registryCacheRef(request);
    args.push('--cache-from', `type=registry,ref=${ref}`);
    if (request.push) args.push('--cache-to', `type=registry,ref=${ref},mode=max`);
  }
  args.push('--metadata-file', metadataFile);
  if (request.push) args.push('--push');
  else if (request.ociLayout !== '') args.push('--output', `type=oci,dest=${request.ociLayout},tar=false`);
  args.push(request.contextDir);
  return args;
}

/** Reads the digest buildx reports in its metadata file (`containerimage.digest`). */
export function digestFromMetadata(text: string): string {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const digest = parsed['containerimage.digest'];
  return typeof digest === 'string' ? digest : '';
}

/** `docker buildx build`: the GitHub-hosted runner's builder. Credentials reach docker on stdin. */
export function buildxBuilder(runtime: Runtime): Builder {
  return {
    name: 'buildx',
    async build(request, credentials) {
      const directory = await mkdtemp(join(runtime.tempDir, 'buildx-'));
      let loggedIn = false;
      try {
        if (credentials !== undefined && request.push) {
          await runtime.exec(
            'docker',
            ['login', request.image.registry, '--username', credentials.username, '--password-stdin'],
            { input: credentials.password, silent: true },
          );
          loggedIn = true;
        }
        const metadataFile = join(directory, 'metadata.json');
        await runtime.exec('docker', buildxArguments(request, metadataFile));
        const digest = request.push ? digestFromMetadata(await readFile(metadataFile, 'utf8')) : '';
        return { digest, pushedTags: request.push ? request.tags : [] };
      } finally {
        // The login was this step's own: leave no credentials behind in the runner's docker config.
        if (loggedIn)
          await runtime.exec('docker', ['logout', request.image.registry], { silent: true, allowFailure: true });
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Options before buildah's subcommand: the vfs storage driver works in every container and without
 * kernel overlay support; a `STORAGE_DRIVER` in the environment (containers/storage's own) wins.
 */
export function buildahGlobalArguments(env: Readonly<Record<string, string | undefined>>): string[] {
  return env['STORAGE_DRIVER'] ? [] : ['--storage-driver', 'vfs'];
}

/** The `buildah bud` argument vector (after the global options). */
export function buildahBuildArguments(request: BuildRequest, authFile: string | undefined): string[] {
  const args = ['bud', '--isolation', 'chroot', '--file', request.dockerfile];
  const [first, ...others] = request.tags;
  if (request.platforms.length > 1) {
    args.push('--manifest', first ?? `${request.image.name}:build`, '--platform', request.platforms.join(','));
  } else {
    for (const tag of [first, ...others]) if (tag !== undefined) args.push('--tag', tag);
    if (request.platforms.length === 1) args.push('--platform', request.platforms[0] ?? '');
  }
  args.push(...labelArgs(request.labels));
  for (const buildArg of request.buildArgs) args.push('--build-arg', buildArg);
  if (request.target !== '') args.push('--target', request.target);
  if (effectiveCache(request, 'buildah') === 'registry') {
    const repository = buildahCacheRepository(request);
    args.push('--layers', '--cache-from', repository);
    if (request.push) args.push('--cache-to', repository);
  }
  if (authFile !== undefined) args.push('--authfile', authFile);
  if (request.image.loopback) args.push('--tls-verify=false');
  args.push(request.contextDir);
  return args;
}

/** The `buildah push` (or `manifest push --all`) argument vector for the first tag. */
export function buildahPushArguments(
  request: BuildRequest,
  digestFile: string,
  authFile: string | undefined,
): string[] {
  const tag = request.tags[0] ?? '';
  const args = request.platforms.length > 1 ? ['manifest', 'push', '--all'] : ['push'];
  if (authFile !== undefined) args.push('--authfile', authFile);
  if (request.image.loopback) args.push('--tls-verify=false');
  args.push('--digestfile', digestFile, tag, `docker://${tag}`);
  return args;
}

/**
 * The `buildah push` (or `manifest push --all`) argument vector that writes the first tag as an OCI
 * image layout: OCI manifests, gzip layers, no signatures, as a registry push would send them.
 */
export function buildahLayoutArguments(request: BuildRequest): string[] {
  const tag = request.tags[0] ?? '';
  return request.platforms.length > 1
    ? ['manifest', 'push', '--all', '--format', 'oci', '--remove-signatures', tag, `oci:${request.ociLayout}`]
    : [
        'push',
        '--format',
        'oci',
        '--compression-format',
        'gzip',
        '--remove-signatures',
        tag,
        `oci:${request.ociLayout}`,
      ];
}

/** A containers-auth.json for one registry: how buildah gets the password without argv. */
export function authFileContent(registry: string, credentials: RegistryCredentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({ auths: { [registry]: { auth } } });
}

/**
 * buildah: builds without a Docker daemon (chroot isolation), pushes the first tag and reads the
 * digest from `--digestfile`. Credentials reach it in a 0600 auth file that is removed afterwards.
 */
export function buildahBuilder(runtime: Runtime): Builder {
  const global = buildahGlobalArguments(runtime.env);
  const env = { BUILDAH_ISOLATION: 'chroot' };
  const run = async (request: BuildRequest, authFile: string | undefined): Promise<BuildResult> => {
    await runtime.exec('buildah', [...global, ...buildahBuildArguments(request, authFile)], { env });
    if (!request.push) {
      if (request.ociLayout !== '')
        await runtime.exec('buildah', [...global, ...buildahLayoutArguments(request)], { env });
      return { digest: '', pushedTags: [] };
    }
    const directory = await mkdtemp(join(runtime.tempDir, 'buildah-'));
    try {
      const digestFile = join(directory, 'digest');
      await runtime.exec('buildah', [...global, ...buildahPushArguments(request, digestFile, authFile)], { env });
      const digest = (await readFile(digestFile, 'utf8')).trim();
      return { digest, pushedTags: request.tags.slice(0, 1) };
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  };
  return {
    name: 'buildah',
    build: (request, credentials) =>
      credentials === undefined
        ? run(request, undefined)
        : withPrivateFile(runtime.tempDir, 'auth.json', authFileContent(request.image.registry, credentials), (path) =>
            run(request, path),
          ),
  };
}

/** `auto`: buildx when a Docker engine answers, else buildah. */
export async function dockerEngineAnswers(runtime: Runtime): Promise<boolean> {
  try {
    const result = await runtime.exec('docker', ['version', '--format', '{{.Server.Version}}'], {
      silent: true,
      allowFailure: true,
    });
    return result.exitCode === 0 && result.stdout.trim() !== '';
  } catch {
    // No docker program at all.
    return false;
  }
}
