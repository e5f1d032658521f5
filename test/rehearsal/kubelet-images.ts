// Tiny images for the kubelet's tests and bench, built by buildah from scratch and Debian's busybox-static and
// pushed to a real registry: a web server that records how it was started, and one whose entrypoint exits 1.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vfsStorageConf } from '@shiprail/rehearsal';
import { startRegistry, type RunningRegistry } from '@shiprail/rehearsal/servers';

const run = promisify(execFile);

export const REGISTRY_USER = 'octocat';
export const REGISTRY_PASSWORD = 'registry-secret';

/** A Dockerfile and the files beside it. */
const IMAGES = {
  // Writes its arguments, environment and working directory under /www, then serves /www on $PORT (8080).
  web: {
    Dockerfile: [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY record.sh /record.sh',
      'COPY index.html /www/index.html',
      'ENV GREETING=from-image MODE=image',
      'WORKDIR /www',
      'ENTRYPOINT ["/bin/busybox", "sh", "/record.sh"]',
      'CMD ["image-cmd"]',
    ],
    files: {
      'index.html': 'web\n',
      'record.sh': [
        'echo "$*" > /www/args',
        '/bin/busybox env > /www/env',
        '/bin/busybox pwd > /www/pwd',
        'exec /bin/busybox httpd -f -p "${PORT:-8080}" -h /www',
        '',
      ].join('\n'),
    },
  },
  // Fails at once, saying why on stderr.
  crash: {
    Dockerfile: [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'ENTRYPOINT ["/bin/busybox", "sh", "-c", "echo cannot read /etc/app.yaml >&2; exit 1"]',
    ],
    files: {},
  },
} as const;

export type ImageName = keyof typeof IMAGES;

export interface TestImages {
  registry: RunningRegistry;
  /** `127.0.0.1:PORT/acme`, as the rehearsal's world names its images. */
  prefix: string;
  /** name → `prefix/name@sha256:…` */
  byDigest: Record<ImageName, string>;
  /** Where the images were built; removed by cleanUp. */
  directory: string;
  /** buildah's environment for a store of its own under `directory` (a node's storage, say). */
  storageEnv(name: string): Record<string, string>;
  cleanUp(): Promise<void>;
}

function storageEnvIn(directory: string, name: string): Record<string, string> {
  const root = join(directory, name);
  mkdirSync(join(root, 'home'), { recursive: true });
  return { CONTAINERS_STORAGE_CONF: vfsStorageConf(root), HOME: join(root, 'home') };
}

async function buildAndPush(
  directory: string,
  env: Record<string, string>,
  prefix: string,
  name: ImageName,
): Promise<string> {
  const context = join(directory, 'contexts', name);
  mkdirSync(context, { recursive: true });
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  const image = IMAGES[name];
  writeFileSync(join(context, 'Dockerfile'), `${image.Dockerfile.join('\n')}\n`);
  for (const [file, content] of Object.entries(image.files)) writeFileSync(join(context, file), content);
  const options = { env: { ...process.env, ...env } };
  const tag = `${prefix}/${name}:test`;
  await run(
    'buildah',
    ['--storage-driver', 'vfs', 'bud', '--isolation', 'chroot', '--quiet', '--tag', tag, context],
    options,
  );
  const digestFile = join(context, 'digest');
  await run(
    'buildah',
    [
      '--storage-driver',
      'vfs',
      'push',
      '--quiet',
      '--tls-verify=false',
      '--creds',
      `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
      '--digestfile',
      digestFile,
      tag,
      `docker://${tag}`,
    ],
    options,
  );
  return `${prefix}/${name}@${readFileSync(digestFile, 'utf8').trim()}`;
}

/** Starts a registry with htpasswd auth and pushes the images to it. */
export async function buildTestImages(): Promise<TestImages> {
  const directory = mkdtempSync(join(tmpdir(), 'kubelet-images-'));
  const registry = await startRegistry({ htpasswd: { user: REGISTRY_USER, password: REGISTRY_PASSWORD } });
  const prefix = `${registry.host}/acme`;
  const env = storageEnvIn(directory, 'builder');
  try {
    const byDigest = {} as Record<ImageName, string>;
    for (const name of Object.keys(IMAGES) as ImageName[])
      byDigest[name] = await buildAndPush(directory, env, prefix, name);
    return {
      registry,
      prefix,
      byDigest,
      directory,
      storageEnv: (name) => storageEnvIn(directory, name),
      cleanUp: async () => {
        await registry.stop();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await registry.stop();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}
