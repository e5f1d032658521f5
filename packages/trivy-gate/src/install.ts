// Installing Trivy: the pinned release for this platform, its archive checked against pinned SHA-256 sums,
// kept in the runner's tool cache.
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stripUrlCredentials, type Clock, type Log } from '@shiprail/core';
import { downloadFile } from './download.ts';

/** SHA-256 of each release archive, by Trivy version and archive file name. */
export type ReleaseSums = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The Trivy release this action installs unless told otherwise. */
export const PINNED_TRIVY_VERSION = '0.69.3';

export const DEFAULT_DOWNLOAD_URL = 'https://github.com/aquasecurity/trivy/releases/download';

/**
 * The sums of Trivy's published release archives, kept here rather than read from the release's own
 * checksums file: whoever can replace an archive on the release page can replace that file too.
 * 0.69.3 is the release before the malicious v0.69.4 of the March 2026 compromise (GHSA-69fq-xp46-6x23);
 * its sums agree across several independent projects that pin these archives. 0.67.2's sums are also in
 * Aqua Security's own Homebrew tap (aquasecurity/homebrew-trivy).
 */
export const TRIVY_RELEASE_SHA256: ReleaseSums = {
  '0.69.3': {
    'trivy_0.69.3_Linux-64bit.tar.gz': '1816b632dfe529869c740c0913e36bd1629cb7688bd5634f4a858c1d57c88b75',
    'trivy_0.69.3_Linux-ARM64.tar.gz': '7e3924a974e912e57b4a99f65ece7931f8079584dae12eb7845024f97087bdfd',
    'trivy_0.69.3_macOS-64bit.tar.gz': 'fec4a9f7569b624dd9d044fca019e5da69e032700edbb1d7318972c448ec2f4e',
    'trivy_0.69.3_macOS-ARM64.tar.gz': 'a2f2179afd4f8bb265ca3c7aefb56a666bc4a9a411663bc0f22c3549fbc643a5',
    'trivy_0.69.3_windows-64bit.zip': '74362dc711383255308230ecbeb587eb1e4e83a8d332be5b0259afac6e0c2224',
  },
  '0.67.2': {
    'trivy_0.67.2_Linux-64bit.tar.gz': '546511a5514afc813c0b72e4abeea2c16a32228a13a1e5114d927c190e76b1f9',
    'trivy_0.67.2_Linux-ARM64.tar.gz': 'e4f28390b06cdaaed94f8c49cce2c4c847938b5188aefdeb82453f2e933e57cb',
    'trivy_0.67.2_macOS-64bit.tar.gz': '4a5b936a8d89b508ecdc6edd65933b6fe3e9a368796cbdf917fd0df393f26542',
    'trivy_0.67.2_macOS-ARM64.tar.gz': '6b3163667f29fc608a2ed647c1bd42023af5779349286148190a168c5b3f28f1',
  },
};

export interface ReleaseAsset {
  /** `trivy_0.69.3_Linux-64bit.tar.gz` */
  name: string;
  format: 'tar.gz' | 'zip';
  executable: 'trivy' | 'trivy.exe';
}

const OS_NAMES: Readonly<Record<string, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'windows' };
const ARCH_NAMES: Readonly<Record<string, string>> = { x64: '64bit', arm64: 'ARM64' };

/** The release archive for a Node platform/arch (`process.platform`, `process.arch`), named as Trivy names it. */
export function releaseAsset(version: string, platform: string, arch: string): ReleaseAsset {
  const osName = OS_NAMES[platform];
  const archName = ARCH_NAMES[arch];
  if (osName === undefined || archName === undefined) {
    throw new Error(
      `Trivy is installed for Linux, macOS and Windows on x64 or arm64; this runner is ${platform}/${arch}`,
    );
  }
  const windows = platform === 'win32';
  return {
    name: `trivy_${version}_${osName}-${archName}.${windows ? 'zip' : 'tar.gz'}`,
    format: windows ? 'zip' : 'tar.gz',
    executable: windows ? 'trivy.exe' : 'trivy',
  };
}

export const releaseUrl = (baseUrl: string, version: string, asset: string): string =>
  `${baseUrl.replace(/\/+$/, '')}/v${version}/${asset}`;

/** The pinned sum for an archive; throws when this action pins none (nothing unverified is ever run). */
export function expectedSha256(sums: ReleaseSums, version: string, asset: string): string {
  const sum = sums[version]?.[asset];
  if (sum === undefined) {
    throw new Error(
      `no SHA-256 is pinned for ${asset}, so it will not be downloaded; pinned Trivy versions: ${Object.keys(sums).join(', ')}`,
    );
  }
  return sum;
}

/**
 * Compares an archive's sum with the pinned one. Pure, so it is tested on its own; the refusal says what
 * was expected and what arrived.
 */
export function verifyArchiveSha256(
  sums: ReleaseSums,
  version: string,
  asset: string,
  actual: string,
  url: string,
): void {
  const expected = expectedSha256(sums, version, asset);
  if (actual.toLowerCase() !== expected.toLowerCase()) {
    throw new Error(
      `refusing to run ${asset} from ${url}: its SHA-256 is ${actual}, but the sum pinned for Trivy ${version} is ${expected}. ` +
        'The download was deleted unused. A mirror serving other files, or a replaced release, gives this error: ' +
        'check the trivy-download-url input and the release.',
    );
  }
}

export async function sha256File(path: string): Promise<string> {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface InstallOptions {
  version: string;
  baseUrl: string;
  sums: ReleaseSums;
  platform: string;
  arch: string;
  tempDir: string;
  /** The runner's tool cache (`RUNNER_TOOL_CACHE`); without one the binary is used from tempDir, uncached. */
  toolCacheDir: string | undefined;
  log: Log;
  fetch: typeof fetch;
  clock: Clock;
}

export interface InstalledTrivy {
  path: string;
  fromCache: boolean;
}

/**
 * Finds Trivy in the runner's tool cache, or downloads the release archive, checks its SHA-256 against
 * the pinned sum before anything is extracted, and caches the executable.
 */
export async function installTrivy(options: InstallOptions): Promise<InstalledTrivy> {
  // Loaded here, with its HTTP stack: a step that gates a report it is given installs nothing.
  const toolCache = await import('@actions/tool-cache');
  const { randomUUID } = process.getBuiltinModule('node:crypto');
  const asset = releaseAsset(options.version, options.platform, options.arch);
  const url = releaseUrl(options.baseUrl, options.version, asset.name);
  expectedSha256(options.sums, options.version, asset.name);
  if (options.toolCacheDir) {
    const cached = toolCache.find('trivy', options.version, options.arch);
    if (cached !== '' && existsSync(join(cached, asset.executable))) {
      options.log.info(`Trivy ${options.version} from the tool cache: ${cached}`);
      return { path: join(cached, asset.executable), fromCache: true };
    }
  }
  const workDir = join(options.tempDir, `trivy-install-${randomUUID()}`);
  await mkdir(workDir, { recursive: true });
  try {
    const archive = join(workDir, asset.name);
    await downloadFile(url, archive, options);
    const actual = await sha256File(archive);
    verifyArchiveSha256(options.sums, options.version, asset.name, actual, stripUrlCredentials(url));
    options.log.info(`SHA-256 ${actual} matches the pinned sum for ${asset.name}`);
    const extracted = join(workDir, 'extracted');
    if (asset.format === 'zip') await toolCache.extractZip(archive, extracted);
    else await toolCache.extractTar(archive, extracted);
    const executable = join(extracted, asset.executable);
    if (!existsSync(executable)) throw new Error(`${asset.name} holds no ${asset.executable}`);
    await chmod(executable, 0o755);
    if (!options.toolCacheDir) {
      // No tool cache (not a GitHub runner): use it from here; the work directory stays for this step.
      return { path: executable, fromCache: false };
    }
    const cachedDir = await toolCache.cacheFile(executable, asset.executable, 'trivy', options.version, options.arch);
    await rm(workDir, { recursive: true, force: true });
    return { path: join(cachedDir, asset.executable), fromCache: false };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}
