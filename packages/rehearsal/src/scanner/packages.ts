// What an image says it holds, read as Trivy's analyzers read it: the OS from os-release (or the
// distribution's own release file), the OS packages from apk's and dpkg's databases.

/** The files these analyzers read, as paths inside the image. */
export const PACKAGE_FILES = [
  'etc/os-release',
  'usr/lib/os-release',
  'etc/alpine-release',
  'etc/debian_version',
  'lib/apk/db/installed',
  'var/lib/dpkg/status',
] as const;

/** dpkg's per-package status files, as distroless images carry them. */
const DPKG_STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;

export const isPackageFile = (path: string): boolean =>
  (PACKAGE_FILES as readonly string[]).includes(path) || (DPKG_STATUS_D.test(path) && !path.endsWith('.md5sums'));

export interface DetectedOs {
  /** Trivy's family: `alpine`, `debian`, `ubuntu`, … */
  family: string;
  /** The release as Trivy reports it: `3.9.4`, `9.9`, `18.04`. */
  name: string;
}

export interface InstalledPackage {
  name: string;
  /** The version as the package manager writes it, epoch included (`1:2.3-4`). */
  version: string;
  arch: string;
  /** The file the package was read from: the layer that wrote it is the package's layer. */
  file: string;
}

/** `KEY=value` lines of os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1] ?? ''] = (match[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

/**
 * The image's OS: a distribution's own release file is more precise than os-release (`etc/alpine-release`
 * gives 3.9.4 where os-release may give 3.9; `etc/debian_version` gives 9.9 where it gives 9), as
 * Trivy's OS analyzers read them.
 */
export function detectOs(files: ReadonlyMap<string, string>): DetectedOs | undefined {
  // The first line alone: what an image says is logged, and a second line could pose as a workflow command.
  const firstLine = (path: string): string | undefined => files.get(path)?.split('\n')[0]?.trim();
  const alpine = firstLine('etc/alpine-release');
  if (alpine) return { family: 'alpine', name: alpine };
  const release = parseOsRelease(files.get('etc/os-release') ?? files.get('usr/lib/os-release') ?? '');
  const family = release['ID'] ?? '';
  const debian = firstLine('etc/debian_version');
  if (family === 'debian' && debian && /^\d/.test(debian)) return { family, name: debian };
  if (family === '' || !release['VERSION_ID']) return undefined;
  return { family, name: release['VERSION_ID'] };
}

/** Blank-line separated stanzas of `Key: value` lines (dpkg) or `K:value` lines (apk). */
function stanzas(text: string, separator: RegExp): Array<Record<string, string>> {
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const match = separator.exec(line);
        if (match) fields[match[1] ?? ''] ??= (match[2] ?? '').trim();
      }
      return fields;
    })
    .filter((fields) => Object.keys(fields).length > 0);
}

/** apk's `lib/apk/db/installed`: `P:` name, `V:` version, `A:` architecture per package. */
export function parseApkInstalled(text: string, file: string): InstalledPackage[] {
  return stanzas(text, /^([A-Za-z]):(.*)$/)
    .filter((fields) => fields['P'] && fields['V'])
    .map((fields) => ({ name: fields['P'] ?? '', version: fields['V'] ?? '', arch: fields['A'] ?? '', file }));
}

/** dpkg's status: the packages whose Status says installed (removed ones keep a stanza). */
export function parseDpkgStatus(text: string, file: string): InstalledPackage[] {
  return stanzas(text, /^([A-Za-z][\w-]*):(.*)$/)
    .filter((fields) => fields['Package'] && fields['Version'])
    .filter((fields) => fields['Status'] === undefined || fields['Status'].split(/\s+/)[2] === 'installed')
    .map((fields) => ({
      name: fields['Package'] ?? '',
      version: fields['Version'] ?? '',
      arch: fields['Architecture'] ?? '',
      file,
    }));
}

/** Every OS package the image's databases list. */
export function installedPackages(files: ReadonlyMap<string, string>): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  for (const [path, text] of files) {
    if (path === 'lib/apk/db/installed') found.push(...parseApkInstalled(text, path));
    else if (path === 'var/lib/dpkg/status' || DPKG_STATUS_D.test(path)) found.push(...parseDpkgStatus(text, path));
  }
  return found;
}
