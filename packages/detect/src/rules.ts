import picomatch from 'picomatch';

/** A path rule as written in the manifest: a glob, or `!glob` to exclude. */
export interface PathRule {
  pattern: string;
  /** The manifest line it came from, for errors. */
  line?: number;
}

/** The rules of one thing that can change (the global list, a library, a service), in order. */
export interface RuleOwner {
  rules: readonly PathRule[];
}

/** Options every glob is compiled with: dotfiles match (`.github/**`), as in dorny/paths-filter. */
export const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true };

export class GlobError extends Error {
  readonly rule: PathRule;

  constructor(rule: PathRule, reason: string) {
    super(`the glob '${rule.pattern}' cannot be compiled: ${reason}`);
    this.name = 'GlobError';
    this.rule = rule;
  }
}

interface CompiledRule {
  include: boolean;
  /** The literal directory (or file) every path it matches lies in; '' when there is none. */
  anchor: string;
  test: (path: string) => boolean;
}

/** Splits `!glob` into its sense and glob; a leading `./` means the repository root. */
export function splitRule(pattern: string): { include: boolean; glob: string } {
  const include = !pattern.startsWith('!');
  const glob = (include ? pattern : pattern.slice(1)).replace(/^(\.\/)+/, '');
  return { include, glob };
}

/** Compiles one rule, or throws GlobError saying why it cannot be. */
export function compileRule(rule: PathRule): CompiledRule {
  const { include, glob } = splitRule(rule.pattern);
  if (glob.trim() === '') throw new GlobError(rule, 'it is empty');
  if (glob.startsWith('/')) throw new GlobError(rule, 'paths are relative to the repository root; drop the leading /');
  if (glob.endsWith('/')) throw new GlobError(rule, `a pattern ending in / matches no file; write '${glob}**'`);
  let regex: RegExp;
  try {
    regex = picomatch.makeRe(glob, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    throw new GlobError(rule, error instanceof Error ? error.message : String(error));
  }
  const scan = picomatch.scan(glob);
  // Escapes make the scanned base differ from the literal text of paths: such rules go to the root bucket.
  const literalBase = !scan.base.includes('\\');
  const anchor = !literalBase ? '' : scan.isGlob ? scan.base : glob;
  if (scan.isGlob && scan.glob === '**' && anchor !== '') {
    // The common `<dir>/**`: everything at or below a directory, without a regular expression.
    const prefix = `${anchor}/`;
    return { include, anchor, test: (path) => path.startsWith(prefix) || path === anchor };
  }
  return { include, anchor, test: (path) => regex.test(path) };
}

/**
 * Decides, for each changed path, which owners it belongs to: an owner's rules are read in order and the
 * last one that matches the path decides (an include selects, an exclude deselects).
 *
 * Rules are compiled once and indexed by their literal directory prefix, so a path is only tested
 * against the rules anchored at one of its own ancestor directories (or at the path itself, or at the
 * root): with one directory per service, that is a handful of rules instead of all of them.
 */
export class PathMatcher {
  private readonly owners: Int32Array;
  private readonly includes: Uint8Array;
  private readonly tests: Array<(path: string) => boolean>;
  private readonly index = new Map<string, number[]>();
  private readonly rootRules: number[] = [];
  private readonly candidates: number[] = [];

  /** Throws GlobError for a rule that cannot be compiled. */
  constructor(owners: readonly RuleOwner[]) {
    const total = owners.reduce((sum, owner) => sum + owner.rules.length, 0);
    this.owners = new Int32Array(total);
    this.includes = new Uint8Array(total);
    this.tests = new Array<(path: string) => boolean>(total);
    // Rule ids grow with the owner and the rule's position: sorting candidates by descending id visits
    // each owner's rules together, last rule first.
    let id = 0;
    owners.forEach((owner, ownerIndex) => {
      for (const rule of owner.rules) {
        const compiled = compileRule(rule);
        this.owners[id] = ownerIndex;
        this.includes[id] = compiled.include ? 1 : 0;
        this.tests[id] = compiled.test;
        if (compiled.anchor === '') this.rootRules.push(id);
        else {
          const bucket = this.index.get(compiled.anchor);
          if (bucket === undefined) this.index.set(compiled.anchor, [id]);
          else bucket.push(id);
        }
        id += 1;
      }
    });
  }

  /** Calls `found(owner)` for every owner whose rules select `path`. */
  match(path: string, found: (owner: number) => void): void {
    const candidates = this.candidates;
    candidates.length = 0;
    for (const id of this.rootRules) candidates.push(id);
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const bucket = this.index.get(path.slice(0, slash));
      if (bucket !== undefined) for (const id of bucket) candidates.push(id);
    }
    const own = this.index.get(path);
    if (own !== undefined) for (const id of own) candidates.push(id);
    if (candidates.length === 0) return;
    if (candidates.length > 1) candidates.sort((a, b) => b - a);
    let decided = -1;
    for (const id of candidates) {
      const owner = this.owners[id] ?? -1;
      if (owner === decided) continue;
      if (this.tests[id]?.(path) === true) {
        decided = owner;
        if (this.includes[id] === 1) found(owner);
      }
    }
  }
}
