// The container runtime under the kubelet. Images: buildah with vfs storage (the storage.conf its environment
// names), pulling from the registries it is given credentials for; each image unpacked once into a working
// container whose root file system is the template of every container started from it. Processes: a copy
// of that template per start, entered with `nsenter --net=/run/netns/<pod> --root=<copy>`, so the process
// runs chrooted in the pod's network namespace. (`buildah run --isolation chroot` does the same with a
// working container per start, at about 0.7 s of CPU a start against milliseconds for a copy and nsenter.)
import { execWithDeadline, withPrivateFile, type ExecResult } from '@shiprail/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ImageProcess } from './container-process.ts';

export interface RegistryAccess {
  /** `127.0.0.1:5000`, as image references name it. */
  host: string;
  username?: string;
  password?: string;
}

export interface RuntimeOptions {
  /** buildah's environment: CONTAINERS_STORAGE_CONF above all (the world's vfs storage), HOME. */
  env: Record<string, string>;
  /** Where the registry credentials file lives while a pull runs. */
  directory: string;
  registries: readonly RegistryAccess[];
  pullDeadlineMs: number;
}

/** A pull that failed: buildah's own words. */
export class ImagePullError extends Error {
  override name = 'ImagePullError';
}

export interface CreatedContainer {
  name: string;
  /** The container's own root file system. */
  rootfs: string;
  image: ImageProcess;
  /** `registry/repository@sha256:…` of what was pulled. */
  imageId: string;
}

/** An image unpacked: its working container, whose root file system each container of it copies. */
interface ImageTemplate {
  container: string;
  rootfs: string;
  image: ImageProcess;
  imageId: string;
}

const STEP_DEADLINE_MS = 60_000;
/** What containerd gives a process whose image sets no PATH. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const GLOBAL = ['--storage-driver', 'vfs'];

/** The registry part of an image reference, when it names one. */
export function registryOf(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : undefined;
}

const isLoopback = (host: string): boolean => /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/.test(host);

/** The last words of a failed buildah command, without its `Error: ` prefix. */
export function buildahError(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const error = lines.findLast((line) => line.startsWith('Error: ')) ?? lines.at(-1) ?? '';
  return error.replace(/^Error: /, '');
}

/** What buildah inspect says of an image, read into the process a container of it starts with. */
export function readInspect(json: string, fallbackImage: string): { image: ImageProcess; imageId: string } {
  const inspected = JSON.parse(json) as {
    FromImage?: string;
    FromImageDigest?: string;
    OCIv1?: { config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string } };
  };
  const config = inspected.OCIv1?.config ?? {};
  const name = (inspected.FromImage ?? fallbackImage).replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return {
    image: {
      entrypoint: config.Entrypoint ?? [],
      cmd: config.Cmd ?? [],
      env: config.Env ?? [],
      workingDir: config.WorkingDir ?? '',
    },
    imageId: inspected.FromImageDigest ? `${name}@${inspected.FromImageDigest}` : '',
  };
}

export class BuildahRuntime {
  private readonly options: RuntimeOptions;
  private readonly templates = new Map<string, Promise<ImageTemplate>>();

  constructor(options: RuntimeOptions) {
    this.options = options;
  }

  private buildah(args: readonly string[], ms: number, what: string, signal?: AbortSignal): Promise<ExecResult> {
    return execWithDeadline('buildah', [...GLOBAL, ...args], {
      env: this.options.env,
      deadline: { ms, what },
      allowFailure: true,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Pulls `image` under the pull policy (`missing`, `always`, `never`); throws an ImagePullError. An image
   * this runtime has unpacked is present: `missing` and `never` do not ask the registry again.
   */
  async pull(image: string, policy: 'missing' | 'always' | 'never', signal?: AbortSignal): Promise<void> {
    if (policy !== 'always' && this.templates.has(image)) return;
    const host = registryOf(image);
    // Every registry's credentials: registries.conf may send an image's name to another registry (a mirror).
    const credentials = this.options.registries.filter((entry) => entry.username !== undefined);
    // No waits between buildah's own retries (1.28 reads `--retry 0` as its default, 3): the kubelet's
    // backoff (ImagePullBackOff) is what waits, and shows that it does.
    const flags = [
      'pull',
      '--quiet',
      '--retry',
      '0',
      '--retry-delay',
      '1ms',
      '--policy',
      policy,
      // Elsewhere registries.conf decides (TLS unless it marks the registry, or the mirror it names, insecure).
      ...(host !== undefined && isLoopback(host) ? ['--tls-verify=false'] : []),
    ];
    const attempt = async (authFile?: string): Promise<ExecResult> => {
      try {
        return await this.buildah(
          [...flags, ...(authFile ? ['--authfile', authFile] : []), '--', image],
          this.options.pullDeadlineMs,
          `pulling ${image}`,
          signal,
        );
      } catch (error) {
        throw new ImagePullError((error as Error).message);
      }
    };
    const result =
      credentials.length > 0
        ? await withPrivateFile(this.options.directory, 'auth.json', registryAuthJson(credentials), attempt)
        : await attempt();
    if (result.exitCode !== 0) throw new ImagePullError(buildahError(result.stderr));
    // A tag pulled again may name another image now: the next start unpacks it afresh.
    if (policy === 'always') await this.dropTemplate(image);
  }

  /** A fresh root file system for one container (a copy of its image's), with the devices a runtime gives. */
  async create(image: string, name: string, signal?: AbortSignal): Promise<CreatedContainer> {
    const template = await this.template(image);
    const path = this.containerPath(name);
    await rm(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    // As /proc/PID/exe names what runs inside it (runsInside): no symbolic link on the way.
    const rootfs = realpathSync(path);
    const copied = await execWithDeadline('cp', ['-a', '--reflink=auto', '--', `${template.rootfs}/.`, rootfs], {
      deadline: { ms: STEP_DEADLINE_MS, what: `copying the root file system of ${image}` },
      allowFailure: true,
      ...(signal ? { signal } : {}),
    });
    if (copied.exitCode !== 0) throw new Error(copied.stderr.trim());
    if (makeDirectoryInside(rootfs, '/etc')) {
      // The image's own entry goes first: written through, a link of its would lead outside the copy.
      rmSync(join(rootfs, 'etc', 'hostname'), { recursive: true, force: true });
      writeFileSync(join(rootfs, 'etc', 'hostname'), `${name}\n`);
    }
    return { name, rootfs, image: template.image, imageId: template.imageId };
  }

  /**
   * The image unpacked once (`buildah from`, then `buildah mount`: with vfs, a directory) with its
   * configuration; every container of the image starts from a copy of it.
   */
  private template(image: string): Promise<ImageTemplate> {
    let template = this.templates.get(image);
    if (template === undefined) {
      template = this.unpack(image);
      template.catch(() => this.templates.delete(image));
      this.templates.set(image, template);
    }
    return template;
  }

  private async unpack(image: string): Promise<ImageTemplate> {
    const container = `image-${this.templates.size}-${Date.now().toString(36)}`;
    const inspected = await this.buildah(
      ['inspect', '--type', 'image', '--', image],
      STEP_DEADLINE_MS,
      'buildah inspect',
    );
    if (inspected.exitCode !== 0) throw new Error(buildahError(inspected.stderr));
    const made = await this.buildah(
      ['from', '--quiet', '--pull=never', '--name', container, '--', image],
      STEP_DEADLINE_MS,
      `buildah from ${image}`,
    );
    if (made.exitCode !== 0) throw new Error(buildahError(made.stderr));
    const mounted = await this.buildah(['mount', '--', container], STEP_DEADLINE_MS, `buildah mount ${container}`);
    if (mounted.exitCode !== 0) throw new Error(buildahError(mounted.stderr));
    const rootfs = mounted.stdout.trim();
    // Copied with the root file system into every container.
    await makeDevices(rootfs);
    return { container, rootfs, ...readInspect(inspected.stdout, image) };
  }

  private async dropTemplate(image: string): Promise<void> {
    const template = this.templates.get(image);
    this.templates.delete(image);
    const made = await template?.catch(() => undefined);
    if (made) await this.removeWorkingContainer(made.container);
  }

  /**
   * Starts a container's process in its own process group: nsenter enters the pod's network namespace,
   * changes root to the container's copy and its working directory, then executes the process in its place
   * (a process that cannot be executed leaves nsenter's "failed to execute" and exit 126 or 127).
   */
  start(
    namespace: string,
    container: CreatedContainer,
    argv: readonly string[],
    process: { env: ReadonlyMap<string, string>; workingDir: string; hostname: string },
  ): ChildProcess {
    const workingDir = process.workingDir || '/';
    // Made as runc makes it when missing; one behind a link is left to nsenter, which resolves it inside.
    makeDirectoryInside(container.rootfs, workingDir);
    const env = new Map([['PATH', DEFAULT_PATH], ['HOSTNAME', process.hostname], ...process.env]);
    return spawn(
      'nsenter',
      [`--net=/run/netns/${namespace}`, `--root=${container.rootfs}`, `--wdns=${workingDir}`, '--', ...argv],
      { env: Object.fromEntries(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
  }

  /**
   * Runs a command in a running container, as `kubectl exec` does: in the namespaces, root and working
   * directory of its process (`nsenter --target PID --mount --net --root --wd`), with its environment.
   * Killed at the deadline.
   */
  async exec(
    container: { pid: number | undefined; rootfs: string },
    argv: readonly string[],
    env: ReadonlyMap<string, string>,
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }> {
    if (container.pid === undefined || !runsInside(container.pid, container.rootfs))
      return { exitCode: 126, output: 'the container has no running process' };
    const result = await execWithDeadline(
      'nsenter',
      [`--target=${container.pid}`, '--mount', '--net', '--uts', '--ipc', '--root', '--wd', '--', ...argv],
      {
        env: Object.fromEntries(env),
        deadline: { ms: timeoutMs, what: `command ${JSON.stringify(argv)}` },
        allowFailure: true,
      },
    );
    return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
  }

  /** Removes a container's root file system; a missing one is not an error. */
  async remove(name: string): Promise<void> {
    await rm(this.containerPath(name), { recursive: true, force: true });
  }

  /** Where a container's copy lives: its name (a pod's, from a manifest) kept to one folder name. */
  private containerPath(name: string): string {
    return join(this.options.directory, 'containers', name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_'));
  }

  /** Removes the images' working containers (after every container is removed). */
  async close(): Promise<void> {
    const images = [...this.templates.keys()];
    await Promise.all(images.map((image) => this.dropTemplate(image)));
  }

  private async removeWorkingContainer(name: string): Promise<void> {
    const result = await this.buildah(['rm', '--', name], STEP_DEADLINE_MS, `buildah rm ${name}`);
    if (result.exitCode !== 0 && !/not known|no container with name|does not exist/i.test(result.stderr))
      throw new Error(`buildah rm ${name}: ${buildahError(result.stderr)}`);
  }
}

/** The devices a container runtime creates in every container's /dev (runc's defaults): the machine's own. */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

async function makeDevices(rootfs: string): Promise<void> {
  const dev = join(rootfs, 'dev');
  // The image's /dev may be a link (to the machine's /dev, once resolved here): a runtime's /dev replaces it.
  if (lstatOrUndefined(dev)?.isDirectory() === false) rmSync(dev, { force: true });
  mkdirSync(dev, { recursive: true });
  for (const name of DEVICES) rmSync(join(dev, name), { force: true });
  // One copy makes them all, each a device with the machine's numbers (-a copies a device as a device,
  // where mknod took a process per device); runc makes them readable and writable by everyone.
  const copied = await execWithDeadline('cp', ['-a', '--', ...DEVICES.map((name) => `/dev/${name}`), dev], {
    deadline: { ms: STEP_DEADLINE_MS, what: 'cp /dev' },
    allowFailure: true,
  });
  if (copied.exitCode !== 0) throw new Error(copied.stderr.trim());
  for (const name of DEVICES) {
    if (lstatOrUndefined(join(dev, name))?.isCharacterDevice() !== true)
      throw new Error(`/dev/${name} of this machine is not a device: a container's cannot be made from it`);
    chmodSync(join(dev, name), 0o666);
  }
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes `path` (as the container names it) a directory of the container's root, one part at a time and
 * without following a link: the image's links are the container's, resolved by nsenter once inside, and
 * `..` stays at the root. False when a link or a file stands in the way.
 */
export function makeDirectoryInside(rootfs: string, path: string): boolean {
  let current = rootfs;
  for (const part of posix.normalize(`/${path}`).split('/').filter(Boolean)) {
    current = join(current, part);
    const entry = lstatOrUndefined(current);
    if (entry === undefined) mkdirSync(current);
    else if (!entry.isDirectory()) return false;
  }
  return true;
}

/**
 * Whether `pid` is the container's process: executed from inside its root (nsenter, before it executes the
 * process, still runs its own binary from the machine's).
 */
export function runsInside(pid: number, rootfs: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).startsWith(`${rootfs}/`);
  } catch {
    return false; // Gone, or not yet there.
  }
}

/** buildah's auth.json for these registries. */
export function registryAuthJson(registries: readonly RegistryAccess[]): string {
  const auths = Object.fromEntries(
    registries.map((access) => [
      access.host,
      { auth: Buffer.from(`${access.username ?? ''}:${access.password ?? ''}`).toString('base64') },
    ]),
  );
  return JSON.stringify({ auths });
}
