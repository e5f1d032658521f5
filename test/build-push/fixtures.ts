// Build contexts, isolated buildah storage, and registry readers for the build-push tests and bench.
import { MANIFEST_MEDIA_TYPES } from '@shiprail/build-push';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export interface Workspace {
  root: string;
  /** Environment for the action: buildah storage in temp dirs, chroot isolation, no ambient logins. */
  env: Record<string, string>;
}

/**
 * A workspace with two services: `services/hello` (scratch + COPY) and `services/multi` (a
 * multi-stage Dockerfile with a build argument), and buildah storage of its own.
 */
export function createWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'build-push-'));
  const hello = join(root, 'services', 'hello');
  mkdirSync(hello, { recursive: true });
  writeFileSync(join(hello, 'hello.txt'), 'hello from shiprail\n');
  writeFileSync(join(hello, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');

  const multi = join(root, 'services', 'multi');
  mkdirSync(multi, { recursive: true });
  writeFileSync(join(multi, 'a.txt'), 'stage one\n');
  writeFileSync(join(multi, 'b.txt'), 'stage two\n');
  writeFileSync(
    join(multi, 'Dockerfile'),
    [
      'FROM scratch AS assets',
      'COPY a.txt /assets/a.txt',
      '',
      'FROM scratch AS final',
      'ARG GREETING=none',
      'LABEL greeting=$GREETING',
      'COPY --from=assets /assets/a.txt /a.txt',
      'COPY b.txt /b.txt',
      '',
    ].join('\n'),
  );

  const storage = join(root, '.storage');
  mkdirSync(join(storage, 'root'), { recursive: true });
  mkdirSync(join(storage, 'runroot'), { recursive: true });
  const storageConf = join(storage, 'storage.conf');
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(storage, 'root')}"\nrunroot = "${join(storage, 'runroot')}"\n`,
  );
  const home = join(root, '.home');
  mkdirSync(home);
  return {
    root,
    env: {
      CONTAINERS_STORAGE_CONF: storageConf,
      BUILDAH_ISOLATION: 'chroot',
      HOME: home,
    },
  };
}

export interface ServedManifest {
  digest: string;
  mediaType: string;
  body: string;
}

/** What the registry serves for a tag: its Docker-Content-Digest and body, or undefined (404). */
export async function servedManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  authorization?: string,
): Promise<ServedManifest | undefined> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT, ...(authorization ? { Authorization: authorization } : {}) },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`registry answered ${response.status} for ${repository}:${reference}`);
  return {
    digest: response.headers.get('docker-content-digest') ?? '',
    mediaType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

/** The image configuration (labels, history) a manifest points at. */
export async function imageConfig(
  registryUrl: string,
  repository: string,
  manifestBody: string,
  authorization?: string,
): Promise<{ config?: { Labels?: Record<string, string> } }> {
  const manifest = JSON.parse(manifestBody) as { config: { digest: string } };
  const response = await fetch(`${registryUrl}/v2/${repository}/blobs/${manifest.config.digest}`, {
    headers: authorization ? { Authorization: authorization } : {},
  });
  return (await response.json()) as { config?: { Labels?: Record<string, string> } };
}

/** The paths in every layer of an image, read from the registry's blobs (tar + gzip). */
export async function layerFiles(registryUrl: string, repository: string, manifestBody: string): Promise<string[]> {
  const manifest = JSON.parse(manifestBody) as { layers: Array<{ digest: string }> };
  const directory = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    const files: string[] = [];
    for (const layer of manifest.layers) {
      const response = await fetch(`${registryUrl}/v2/${repository}/blobs/${layer.digest}`);
      const path = join(directory, 'layer.tar.gz');
      writeFileSync(path, Buffer.from(await response.arrayBuffer()));
      files.push(...execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).split('\n').filter(Boolean));
    }
    return files;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Pushes a tiny OCI image straight through the Distribution API (no builder): returns its digest. */
export async function pushTestImage(
  registryUrl: string,
  repository: string,
  tag: string,
  content: string,
): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { content } } }));
  const layer = Buffer.from(content);
  for (const blob of [config, layer]) {
    const started = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    const location = new URL(started.headers.get('location') ?? '', registryUrl);
    location.searchParams.set('digest', sha256(blob));
    const response = await fetch(location, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    if (response.status !== 201) throw new Error(`blob upload answered ${response.status}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest put answered ${response.status}`);
  return sha256(manifest);
}

/** Writes a one-image OCI image layout by hand (config, one layer, manifest, index.json): returns its digest. */
export function writeTestLayout(directory: string, content: string): string {
  const blobs = join(directory, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer): string => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
    return digest;
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { content } } }));
  const layer = Buffer.from(content);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(layer), size: layer.length }],
    }),
  );
  const digest = put(manifest);
  writeFileSync(join(directory, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(directory, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length }],
    }),
  );
  return digest;
}
