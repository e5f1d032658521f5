// Docker Hub as an air-gapped shop has it: a mirror in the world's own registry. The base image the sample's
// Dockerfiles name (`FROM busybox:stable`) is built here from Debian's busybox-static, every applet linked
// into /bin, and pushed as `<registry>/library/busybox`; a registries.conf sends `docker.io` there, so
// buildah pulls it as it would through a company's registry mirror. The world also builds the images its
// environments start out running (the sample's first commit), once, as an earlier release pushed them.
import { execWithDeadline, withPrivateFile } from '@shiprail/core';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildahError, registryAuthJson } from '../kubelet/runtime.ts';

/** The tag the sample's Dockerfiles pull, as Docker Hub's busybox has it. */
export const BUSYBOX_TAG = 'stable';
const BUSYBOX = '/bin/busybox';
const STEP_MS = 120_000;

export interface MirrorAccess {
  /** `127.0.0.1:PORT` */
  host: string;
  username: string;
  password: string;
}

/**
 * buildah's registries.conf (CONTAINERS_REGISTRIES_CONF): short names are Docker Hub's, and Docker Hub is
 * the world's registry (plain HTTP on loopback); each of `rewrites` (a registry path → where in the world's
 * registry its images are) sends a repository's own registry there too, with no way out to the real one.
 */
export function mirrorRegistriesConf(host: string, rewrites: Readonly<Record<string, string>> = {}): string {
  // Each value a TOML string: a prefix from a caller's workflow cannot add a registry of its own.
  const quoted = (value: string): string => JSON.stringify(value);
  const rewritten = Object.entries(rewrites).flatMap(([prefix, location]) => [
    '[[registry]]',
    `prefix = ${quoted(prefix)}`,
    `location = ${quoted(location)}`,
    'insecure = true',
    '',
  ]);
  return [
    'unqualified-search-registries = ["docker.io"]',
    'short-name-mode = "permissive"',
    '',
    '[[registry]]',
    'prefix = "docker.io"',
    `location = ${quoted(host)}`,
    'insecure = true',
    '',
    '[[registry]]',
    `location = ${quoted(host)}`,
    'insecure = true',
    '',
    ...rewritten,
  ].join('\n');
}

const BUSYBOX_DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  // Docker Hub's busybox has a /tmp anyone may write, as programs expect.
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -m 1777 /tmp"]',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'CMD ["sh"]',
  '',
].join('\n');

/** `1.35.0`: the version Debian's busybox says it is. */
export function busyboxVersion(banner: string): string | undefined {
  return /^BusyBox v(\d+\.\d+\.\d+)/.exec(banner)?.[1];
}

export class ImageMirror {
  private readonly access: MirrorAccess;
  /** Its working files: build contexts, the registry's credentials while a push runs. */
  readonly directory: string;
  /** buildah's environment: storage, registries.conf. */
  private readonly env: Record<string, string>;

  constructor(access: MirrorAccess, directory: string, env: Record<string, string>) {
    this.access = access;
    this.directory = directory;
    this.env = env;
    mkdirSync(directory, { recursive: true });
  }

  private async buildah(args: string[], what: string): Promise<void> {
    const result = await execWithDeadline('buildah', ['--storage-driver', 'vfs', ...args], {
      env: this.env,
      deadline: { ms: STEP_MS, what },
      allowFailure: true,
    });
    if (result.exitCode !== 0) throw new Error(`${what}: ${buildahError(result.stderr)}`);
  }

  private withAuthFile<T>(use: (file: string) => Promise<T>): Promise<T> {
    return withPrivateFile(this.directory, 'auth.json', registryAuthJson([this.access]), use);
  }

  /** Builds `context` (its Dockerfile, or `dockerfile`) and pushes it as each of `tags`, the first built. */
  async buildAndPush(context: string, tags: readonly string[], dockerfile?: string): Promise<void> {
    const [first = '', ...others] = tags;
    await this.withAuthFile(async (authFile) => {
      const tagArgs = tags.flatMap((tag) => ['--tag', tag]);
      await this.buildah(
        [
          'bud',
          '--isolation',
          'chroot',
          '--quiet',
          '--authfile',
          authFile,
          ...(dockerfile === undefined ? [] : ['--file', dockerfile]),
          ...tagArgs,
          '--',
          context,
        ],
        `building ${first}`,
      );
      for (const tag of [first, ...others]) {
        await this.buildah(
          ['push', '--quiet', '--authfile', authFile, '--tls-verify=false', tag, `docker://${tag}`],
          `pushing ${tag}`,
        );
      }
    });
  }

  /** What decides the busybox publishBusybox pushes: the binary and its Dockerfile. */
  busyboxKey(): Array<string | Uint8Array> {
    return [readFileSync(BUSYBOX), BUSYBOX_DOCKERFILE, BUSYBOX_TAG];
  }

  /** Publishes busybox under `library/busybox`, tagged `stable` and its own version; returns the images. */
  async publishBusybox(): Promise<string[]> {
    const context = join(this.directory, 'busybox');
    mkdirSync(context, { recursive: true });
    copyFileSync(BUSYBOX, join(context, 'busybox'));
    writeFileSync(join(context, 'Dockerfile'), BUSYBOX_DOCKERFILE);
    const repository = `${this.access.host}/library/busybox`;
    const banner = await execWithDeadline(BUSYBOX, [], {
      deadline: { ms: 10_000, what: 'busybox' },
      allowFailure: true,
    });
    const version = busyboxVersion(`${banner.stdout}${banner.stderr}`);
    const tags = [BUSYBOX_TAG, ...(version ? [version] : [])].map((tag) => `${repository}:${tag}`);
    await this.buildAndPush(context, tags);
    return tags;
  }
}
