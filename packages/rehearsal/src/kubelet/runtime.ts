// The container runtime under the kubelet: buildah with vfs storage (the storage.conf its environment names),
// pulling from the registries it is given credentials for, one working container per container start,
// processes run with chroot isolation inside the pod's network namespace. buildah refuses `--network ns:`
// with chroot isolation, so the process enters the namespace first (`nsenter --net=/run/netns/<pod>`) and
// buildah runs there with the host network of that namespace.
import { execWithDeadline, withPrivateFile, type ExecResult } from '@shiprail/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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
  /** buildah's working container name. */
  name: string;
  image: ImageProcess;
  /** `registry/repository@sha256:…` of what was pulled. */
  imageId: string;
}

const STEP_DEADLINE_MS = 60_000;
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
  private readonly inspected = new Map<string, Promise<{ image: ImageProcess; imageId: string }>>();

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

  /** Pulls `image` under the pull policy (`missing`, `always`, `never`); throws an ImagePullError. */
  async pull(image: string, policy: 'missing' | 'always' | 'never', signal?: AbortSignal): Promise<void> {
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
        ? await withPrivateFile(this.options.directory, 'auth.json', authFile(credentials), attempt)
        : await attempt();
    if (result.exitCode !== 0) throw new ImagePullError(buildahError(result.stderr));
    // A tag pulled again may name another image now.
    if (policy === 'always') this.inspected.delete(image);
  }

  /** A fresh working container (its own root file system) from a pulled image. */
  async create(image: string, name: string, signal?: AbortSignal): Promise<CreatedContainer> {
    const inspected = await this.inspect(image);
    const made = await this.buildah(
      ['from', '--quiet', '--pull=never', '--name', name, '--', image],
      STEP_DEADLINE_MS,
      `buildah from ${image}`,
      signal,
    );
    if (made.exitCode !== 0) throw new Error(buildahError(made.stderr));
    return { name, ...inspected };
  }

  /** The image's configuration, read once per pulled image (a restart or a second pod reuses it). */
  private inspect(image: string): Promise<{ image: ImageProcess; imageId: string }> {
    let inspected = this.inspected.get(image);
    if (inspected === undefined) {
      inspected = this.buildah(['inspect', '--type', 'image', '--', image], STEP_DEADLINE_MS, 'buildah inspect').then(
        (result) => {
          if (result.exitCode !== 0) throw new Error(buildahError(result.stderr));
          return readInspect(result.stdout, image);
        },
      );
      inspected.catch(() => this.inspected.delete(image));
      this.inspected.set(image, inspected);
    }
    return inspected;
  }

  private runArgs(
    namespace: string,
    container: string,
    argv: readonly string[],
    process: { env: ReadonlyArray<{ name: string; value: string }>; workingDir: string; hostname: string },
  ): string[] {
    return [
      `--net=/run/netns/${namespace}`,
      '--',
      'buildah',
      ...GLOBAL,
      'run',
      '--isolation',
      'chroot',
      '--hostname',
      process.hostname,
      ...process.env.flatMap(({ name, value }) => ['--env', `${name}=${value}`]),
      ...(process.workingDir ? ['--workingdir', process.workingDir] : []),
      '--',
      container,
      ...argv,
    ];
  }

  /** Starts a container's process in its own process group, inside the pod's network namespace. */
  start(
    namespace: string,
    container: string,
    argv: readonly string[],
    process: { env: ReadonlyArray<{ name: string; value: string }>; workingDir: string; hostname: string },
  ): ChildProcess {
    return spawn('nsenter', this.runArgs(namespace, container, argv, process), {
      env: { ...globalThis.process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  }

  /**
   * Runs a command in a running container, as `kubectl exec` does: in the namespaces, root and working
   * directory of its process (`nsenter --target PID --mount --net --root --wd`), with its environment.
   * Killed at the deadline. Entering the running process costs milliseconds, where `buildah run` would
   * set up a container each time.
   */
  async exec(
    launcherPid: number,
    argv: readonly string[],
    env: ReadonlyMap<string, string>,
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }> {
    const target = containerProcessId(launcherPid);
    if (target === undefined) return { exitCode: 126, output: 'the container has no running process' };
    const result = await execWithDeadline(
      'nsenter',
      [`--target=${target}`, '--mount', '--net', '--uts', '--ipc', '--root', '--wd', '--', ...argv],
      {
        env: Object.fromEntries(env),
        deadline: { ms: timeoutMs, what: `command ${JSON.stringify(argv)}` },
        allowFailure: true,
      },
    );
    return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
  }

  /** Removes a working container; a missing one is not an error. */
  async remove(name: string): Promise<void> {
    const result = await this.buildah(['rm', '--', name], STEP_DEADLINE_MS, `buildah rm ${name}`);
    if (result.exitCode !== 0 && !/not known|no container with name|does not exist/i.test(result.stderr))
      throw new Error(`buildah rm ${name}: ${buildahError(result.stderr)}`);
  }
}

/**
 * A process's children: from each of its threads' /proc/PID/task/TID/children (buildah is a Go program,
 * whose threads fork), or from every process's parent where the kernel lacks those files.
 */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((thread) =>
      readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          // The parent is the second field after the command name, which may hold spaces and parentheses.
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false; // Gone meanwhile.
        }
      })
      .map(Number);
  }
}

/**
 * The container's own process under `launcherPid` (nsenter, then buildah and its chroot helpers): the first
 * whose root is not the machine's. Undefined until buildah has made the chroot and started it.
 */
export function containerProcessId(launcherPid: number): number | undefined {
  const queue = childrenOf(launcherPid);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    try {
      if (readlinkSync(`/proc/${pid}/root`) !== '/') return pid;
    } catch {
      continue; // Gone meanwhile.
    }
    queue.push(...childrenOf(pid));
  }
  return undefined;
}

function authFile(registries: readonly RegistryAccess[]): string {
  const auths = Object.fromEntries(
    registries.map((access) => [
      access.host,
      { auth: Buffer.from(`${access.username ?? ''}:${access.password ?? ''}`).toString('base64') },
    ]),
  );
  return JSON.stringify({ auths });
}
