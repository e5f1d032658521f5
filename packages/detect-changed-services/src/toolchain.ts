// The toolchain a service's tests need, from what the service already declares: go.mod's `toolchain`
// or `go` line, .nvmrc / .node-version / package.json `engines.node`, global.json's SDK, .python-version
// / pyproject.toml `requires-python`, .java-version / Maven's release level / Gradle's toolchain or
// source compatibility, rust-toolchain(.toml)'s channel. The manifest's `toolchain` key wins per tool.

export const TOOLS = ['go', 'node', 'dotnet', 'python', 'java', 'rust'] as const;
export type Tool = (typeof TOOLS)[number];
/** A version per tool, '' where the service declares none (the matrix carries every tool). */
export type Toolchain = Record<Tool, string>;

/** Reads a file of the service's directory by its name there; undefined when it is absent. */
export type ReadServiceFile = (name: string) => string | undefined;

export const NO_TOOLCHAIN: Toolchain = { go: '', node: '', dotnet: '', python: '', java: '', rust: '' };

// A version or range as setup actions take it (`1.26`, `22.x`, `>=20 <23`, `stable`): no quotes, no `$`,
// no line breaks.
const VERSION = /^[A-Za-z0-9<>=^~][A-Za-z0-9.+*^~<>=,_ -]{0,63}$/;

export const versionProblem = (version: string): string | undefined =>
  VERSION.test(version) ? undefined : 'is not a version (e.g. 1.26, 22.x, 3.13, 21, stable)';

const firstLine = (text: string | undefined): string => (text ?? '').split('\n')[0]?.trim() ?? '';
const matchOf = (text: string | undefined, pattern: RegExp): string => pattern.exec(text ?? '')?.[1]?.trim() ?? '';

function jsonField(text: string | undefined, read: (json: Record<string, unknown>) => unknown): string {
  if (text === undefined) return '';
  try {
    const value = read(JSON.parse(text) as Record<string, unknown>);
    return typeof value === 'string' ? value.trim() : '';
  } catch {
    return ''; // a file the tool itself would reject declares nothing we can set up
  }
}

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** Detectors per tool, first declaration found wins. */
const DETECTORS: Record<Tool, (read: ReadServiceFile) => string> = {
  go: (read) => {
    const mod = read('go.mod');
    // `toolchain go1.26.1` names the exact release; `go 1.26` the least language version.
    return matchOf(mod, /^toolchain\s+go(\S+)\s*$/m) || matchOf(mod, /^go\s+(\S+)\s*$/m);
  },
  node: (read) =>
    firstLine(read('.nvmrc')).replace(/^v/, '') ||
    firstLine(read('.node-version')).replace(/^v/, '') ||
    jsonField(read('package.json'), (json) => field(json['engines'], 'node')),
  dotnet: (read) => jsonField(read('global.json'), (json) => field(json['sdk'], 'version')),
  python: (read) =>
    firstLine(read('.python-version')) ||
    matchOf(read('pyproject.toml'), /^\s*requires-python\s*=\s*["']([^"']+)["']/m).replace(/\s+/g, ''),
  java: (read) =>
    firstLine(read('.java-version')) ||
    matchOf(read('pom.xml'), /<maven\.compiler\.release>\s*(\d+)\s*</) ||
    matchOf(read('pom.xml'), /<release>\s*(\d+)\s*<\/release>/) ||
    matchOf(
      read('build.gradle.kts') ?? read('build.gradle'),
      /languageVersion(?:\.set\(|\s*=\s*)\s*JavaLanguageVersion\.of\((\d+)\)/,
    ) ||
    matchOf(
      read('build.gradle.kts') ?? read('build.gradle'),
      /sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_)?['"]?(\d+)/,
    ),
  rust: (read) =>
    matchOf(read('rust-toolchain.toml'), /^\s*channel\s*=\s*["']([^"']+)["']/m) || firstLine(read('rust-toolchain')),
};

/**
 * The service's toolchain: what the manifest declares, else what its files declare. A detected value that
 * is not a version (a file with something unexpected in it) is left out rather than passed to a setup action.
 */
export function detectToolchain(declared: Partial<Toolchain>, read: ReadServiceFile): Toolchain {
  const toolchain = { ...NO_TOOLCHAIN };
  for (const tool of TOOLS) {
    const given = declared[tool];
    if (given !== undefined) {
      toolchain[tool] = given;
      continue;
    }
    const detected = DETECTORS[tool](read);
    toolchain[tool] = versionProblem(detected) === undefined ? detected : '';
  }
  return toolchain;
}
