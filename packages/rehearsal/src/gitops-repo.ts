// A GitOps repository in a temporary folder: a bare remote (the "server") holding a Kustomize base with
// one Deployment per image and an overlay per environment. Plain functions, no test framework: the
// tests and the end-to-end demo both use it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gitIn } from './git.ts';

export interface GitopsRemoteOptions {
  /** Short image names; each becomes a Deployment and an image `<registry>/<name>`. */
  images?: string[];
  overlays?: string[];
  registry?: string;
  branch?: string;
  /** Where the folders go (default: a new temporary folder, removed by stop()). */
  directory?: string;
  /** Message of the first commit. */
  message?: string;
  /** More files of the base (name → content), listed among its resources: Services, an Ingress. */
  baseResources?: Readonly<Record<string, string>>;
  /** Text appended to an overlay's kustomization, by overlay: its own patches. */
  overlayExtras?: Readonly<Record<string, string>>;
}

export interface GitopsRemote {
  /** `file://` URL of the bare repository: pass it as the action's `repository`. */
  remoteUrl: string;
  /** Path of the bare repository. */
  path: string;
  branch: string;
  overlays: string[];
  /** Full image names as the base's Deployments use them (without tag). */
  images: string[];
  stop(): Promise<void>;
}

export const DEFAULT_IMAGES = ['api', 'web', 'worker'];
export const DEFAULT_OVERLAYS = ['dev', 'staging', 'canary', 'production'];
export const INITIAL_TAG = '0.1.0';

const SEED_AUTHOR = { name: 'GitOps Seed', email: 'seed@example.com' };

/** git in `cwd` as the seed's author; resolves with the command's standard output. */
export async function git(cwd: string, args: string[]): Promise<string> {
  return (await gitIn(cwd, { author: SEED_AUTHOR }).run(args)).stdout;
}

export function deploymentManifest(name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: ${name}
          image: ${image}:${INITIAL_TAG}
          ports:
            - containerPort: 8080
`;
}

export function overlayKustomization(overlay: string, images: readonly string[]): string {
  const entries = images.map((image) => `  - name: ${image}\n    newTag: "${INITIAL_TAG}"\n`).join('');
  return `# ${overlay}: the Argo CD Application "shop-${overlay}" syncs this directory.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop-${overlay}
resources:
  - ../../base # every service
commonLabels:
  environment: ${overlay}
# Image versions are bumped by CI; keep one entry per image.
images:
${entries}`;
}

/** Creates the bare remote with one commit on `branch` holding base/ and overlays/<name>/. */
export async function createGitopsRemote(options: GitopsRemoteOptions = {}): Promise<GitopsRemote> {
  const names = options.images ?? DEFAULT_IMAGES;
  const overlayNames = options.overlays ?? DEFAULT_OVERLAYS;
  const registry = options.registry ?? 'ghcr.io/acme';
  const branch = options.branch ?? 'main';
  const root = options.directory ?? (await mkdtemp(join(tmpdir(), 'gitops-')));
  const bare = join(root, 'gitops.git');
  const seed = join(root, 'seed');
  const images = names.map((name) => `${registry}/${name}`);

  await mkdir(join(seed, 'base'), { recursive: true });
  for (const [index, name] of names.entries()) {
    await writeFile(join(seed, 'base', `${name}.yaml`), deploymentManifest(name, images[index] ?? name));
  }
  const extra = options.baseResources ?? {};
  for (const [file, content] of Object.entries(extra)) await writeFile(join(seed, 'base', file), content);
  const resources = [...names.map((name) => `${name}.yaml`), ...Object.keys(extra)];
  await writeFile(
    join(seed, 'base', 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((file) => `  - ${file}\n`).join('')}`,
  );
  for (const overlay of overlayNames) {
    await mkdir(join(seed, 'overlays', overlay), { recursive: true });
    const kustomization = overlayKustomization(overlay, images) + (options.overlayExtras?.[overlay] ?? '');
    await writeFile(join(seed, 'overlays', overlay, 'kustomization.yaml'), kustomization);
  }
  await git(root, ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare]);
  await git(seed, ['init', '--quiet', `--initial-branch=${branch}`]);
  await git(seed, ['add', '.']);
  await git(seed, ['commit', '--quiet', '-m', options.message ?? 'Initial GitOps layout']);
  await git(seed, ['push', '--quiet', bare, `HEAD:refs/heads/${branch}`]);
  await rm(seed, { recursive: true, force: true });
  return {
    remoteUrl: pathToFileURL(bare).href,
    path: bare,
    branch,
    overlays: overlayNames.map((overlay) => `overlays/${overlay}`),
    images,
    stop: () => rm(root, { recursive: true, force: true }),
  };
}

/** A file's content at a ref of the (bare) repository. */
export function showFile(repository: string, ref: string, path: string): Promise<string> {
  return git(repository, ['show', `${ref}:${path}`]);
}

/** Commit SHAs of `ref`, newest first. */
export async function commitsOf(repository: string, ref: string): Promise<string[]> {
  return (await git(repository, ['rev-list', ref])).split('\n').filter((line) => line !== '');
}
