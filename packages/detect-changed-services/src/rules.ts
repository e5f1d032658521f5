// Path rules (globs and `!` exclusions) compiled once into fast tests anchored at literal directories,
// and the matcher that says which services and libraries a changed path selects.
import { errorMessage, type YamlPath } from '@shiprail/core';
import picomatch from 'picomatch';

/** A path rule as written in the manifest: a glob, or `!glob` to exclude. */
export interface PathRule {
  pattern: string;
  /** Where the manifest wrote it, to name its line in an error. */
  at?: YamlPath;
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

/** How a compiled rule tests a path that lies at or below its anchor. */
export type RuleTest =
  /** `<dir>/**`: everything at or below the anchor. */
  | { kind: 'everything' }
  /** A literal file path. */
  | { kind: 'equals'; path: string }
  /** `<dir>/**\/*<literal>` (`**\/*.md`): the file name ends with the literal. */
  | { kind: 'endsWith'; literal: string; full: () => RegExp }
  /** `<dir>/<glob>`: the glob tested against the rest of the path (shared by rules with the same glob). */
  | { kind: 'suffix'; suffix: RegExp; full: () => RegExp }
  /** No literal directory: the whole glob tested against the whole path. */
  | { kind: 'glob'; full: RegExp };

export interface CompiledRule {
  include: boolean;
  /** The literal directory every path it matches lies in (or the path itself); '' when there is none. */
  anchor: string;
  test: RuleTest;
}

/** Splits `!glob` into its sense and glob; a leading `./` means the repository root. */
export function splitRule(pattern: string): { include: boolean; glob: string } {
  const include = !pattern.startsWith('!');
  const glob = include ? pattern : pattern.slice(1);
  return { include, glob: glob.startsWith('./') ? glob.replace(/^(\.\/)+/, '') : glob };
}

/** Characters that make picomatch read a pattern as more than a literal path. */
const SPECIAL = /[\\*?[\]{}()!+@|]/;
/** `<literal dir>/**`, or `<literal dir>/**\/*<literal ending>`. */
const COMMON_FORM = /^([^\\*?[\]{}()!+@|]+)\/\*\*(?:\/\*([^\\*?[\]{}()!+@|/]+))?$/;

/** Compiled globs by their text: thousands of services usually share a handful of suffixes (`**\/*.md`). */
export type GlobCache = Map<string, RegExp>;

function compileGlob(rule: PathRule, glob: string, cache: GlobCache): RegExp {
  const known = cache.get(glob);
  if (known !== undefined) return known;
  let regex: RegExp;
  try {
    regex = picomatch.makeRe(glob, { ...GLOB_OPTIONS, debug: true });
  } catch (error) {
    throw new GlobError(rule, errorMessage(error));
  }
  cache.set(glob, regex);
  return regex;
}

/** Compiles one rule, or throws GlobError saying why it cannot be. */
export function compileRule(rule: PathRule, cache: GlobCache = new Map()): CompiledRule {
  const { include, glob } = splitRule(rule.pattern);
  if (glob.trim() === '') throw new GlobError(rule, 'it is empty');
  if (glob.startsWith('/')) throw new GlobError(rule, 'paths are relative to the repository root; drop the leading /');
  if (glob.endsWith('/')) throw new GlobError(rule, `a pattern ending in / matches no file; write '${glob}**'`);
  if (!SPECIAL.test(glob)) {
    return {
      include,
      anchor: glob.includes('/') ? glob.slice(0, glob.lastIndexOf('/')) : '',
      test: { kind: 'equals', path: glob },
    };
  }
  // The commonest forms, `<dir>/**` and `<dir>/**/*<ending>`, read with one test.
  const common = COMMON_FORM.exec(glob);
  const [, directory, commonEnding] = common ?? [];
  if (directory !== undefined && (commonEnding === undefined || /[^.]/.test(commonEnding))) {
    if (commonEnding === undefined) return { include, anchor: directory, test: { kind: 'everything' } };
    let compiledFull: RegExp | undefined;
    const full = (): RegExp => (compiledFull ??= compileGlob(rule, glob, cache));
    return { include, anchor: directory, test: { kind: 'endsWith', literal: commonEnding, full } };
  }
  // The literal directory in front of the first segment with a special character, and the glob after it.
  const segments = glob.split('/');
  const literal = segments.findIndex((segment) => SPECIAL.test(segment));
  const base = segments.slice(0, literal).join('/');
  const rest = segments.slice(literal).join('/');
  if (base === '') return { include, anchor: '', test: { kind: 'glob', full: compileGlob(rule, glob, cache) } };
  // The whole glob is only needed for a path equal to the anchor: compiled then, once.
  let compiled: RegExp | undefined;
  const full = (): RegExp => (compiled ??= compileGlob(rule, glob, cache));
  if (rest === '**') return { include, anchor: base, test: { kind: 'everything' } };
  const ending = /^\*\*\/\*([^/]+)$/.exec(rest)?.[1];
  if (ending !== undefined && !SPECIAL.test(ending) && /[^.]/.test(ending)) {
    return { include, anchor: base, test: { kind: 'endsWith', literal: ending, full } };
  }
  const suffix = compileGlob(rule, rest, cache);
  return { include, anchor: base, test: { kind: 'suffix', suffix, full } };
}

/**
 * Decides, for each changed path, which owners it belongs to: an owner's rules are read in order and the
 * last one that matches the path decides (an include selects, an exclude deselects).
 *
 * Rules are compiled once and indexed by their literal directory, so a path is only tested against the
 * rules anchored at one of its ancestor directories (or at the path itself), not against all of them.
 * The candidate list of each anchor directory is merged once, at construction.
 */
export class PathMatcher {
  private readonly owners: Int32Array;
  private readonly includes: Uint8Array;
  private readonly anchorLengths: Int32Array;
  private readonly tests: RuleTest[] = [];
  /** The two commonest tests, kept in flat arrays for the hot loop: 1 = everything, 2 = ends with. */
  private readonly quickKinds: Uint8Array;
  private readonly endings: string[] = [];
  /** Rules by anchor directory; '' holds rules without one (tested against every path). */
  private readonly byAnchor = new Map<string, number[]>();
  /** For each anchor: the rules anchored there or at any ancestor directory (and the root), highest id first. */
  private readonly lists = new Map<string, Int32Array>();
  /** Anchors with another anchor below them. */
  private readonly anchorsWithDeeper = new Set<string>();
  private readonly rootList: Int32Array;
  /** Which lengths anchors have (1 = some anchor is that long). */
  private readonly anchorLengthSeen: Uint8Array;
  private lastAnchor = '';
  private lastList: Int32Array = new Int32Array(0);
  /**
   * Filled by `match`: the owners the last path selected, in its first `match(...)` entries. Reused from
   * path to path: an array emptied for each of 20,000 paths would get a new backing store each time.
   */
  readonly found: Int32Array;

  /** Throws GlobError for a rule that cannot be compiled. */
  constructor(owners: readonly RuleOwner[]) {
    const total = owners.reduce((sum, owner) => sum + owner.rules.length, 0);
    this.owners = new Int32Array(total);
    this.includes = new Uint8Array(total);
    this.anchorLengths = new Int32Array(total);
    this.quickKinds = new Uint8Array(total);
    const cache: GlobCache = new Map();
    // Rule ids grow with the owner and the rule's position: visiting candidates by descending id reads
    // each owner's rules together, last rule first.
    let id = 0;
    let maxAnchorLength = 0;
    owners.forEach((owner, ownerIndex) => {
      for (const rule of owner.rules) {
        const compiled = compileRule(rule, cache);
        this.owners[id] = ownerIndex;
        this.includes[id] = compiled.include ? 1 : 0;
        this.anchorLengths[id] = compiled.anchor.length;
        this.tests.push(compiled.test);
        this.quickKinds[id] = compiled.test.kind === 'everything' ? 1 : compiled.test.kind === 'endsWith' ? 2 : 0;
        this.endings.push(compiled.test.kind === 'endsWith' ? compiled.test.literal : '');
        maxAnchorLength = Math.max(maxAnchorLength, compiled.anchor.length);
        const bucket = this.byAnchor.get(compiled.anchor);
        if (bucket === undefined) this.byAnchor.set(compiled.anchor, [id]);
        else bucket.push(id);
        id += 1;
      }
    });
    this.found = new Int32Array(owners.length);
    this.anchorLengthSeen = new Uint8Array(maxAnchorLength + 1);
    for (const anchor of this.byAnchor.keys()) this.anchorLengthSeen[anchor.length] = 1;
    const descending = (ids: number[]): Int32Array => Int32Array.from(ids).sort().reverse();
    this.rootList = descending(this.byAnchor.get('') ?? []);
    for (const [anchor, ids] of this.byAnchor) {
      if (anchor === '') continue;
      const all = [...(this.byAnchor.get('') ?? []), ...ids];
      for (let slash = anchor.indexOf('/'); slash !== -1; slash = anchor.indexOf('/', slash + 1)) {
        const above = anchor.slice(0, slash);
        const bucket = this.byAnchor.get(above);
        if (bucket === undefined) continue;
        all.push(...bucket);
        this.anchorsWithDeeper.add(above);
      }
      this.lists.set(anchor, descending(all));
    }
    this.lastList = this.rootList;
  }

  /**
   * The rules that can match a path in the directory ending at `end`: those of its deepest anchored
   * ancestor. git lists paths sorted, so the previous path's anchor usually applies again.
   */
  private candidatesFor(path: string, end: number): Int32Array {
    const last = this.lastAnchor;
    if (
      last !== '' &&
      end >= last.length &&
      path.charCodeAt(last.length) === 47 &&
      path.startsWith(last) &&
      !this.anchorsWithDeeper.has(last)
    ) {
      return this.lastList;
    }
    // Only prefixes as long as some anchor can be one: most are skipped without hashing.
    for (let slash = end; slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (this.anchorLengthSeen[slash] !== 1) continue;
      const prefix = path.slice(0, slash);
      const list = this.lists.get(prefix);
      if (list !== undefined) {
        this.lastAnchor = prefix;
        this.lastList = list;
        return list;
      }
    }
    this.lastAnchor = '';
    this.lastList = this.rootList;
    return this.rootList;
  }

  private ruleMatches(id: number, path: string): boolean {
    const test = this.tests[id];
    if (test === undefined) return false;
    switch (test.kind) {
      case 'everything':
        return true;
      case 'equals':
        return path === test.path;
      case 'glob':
        return test.full.test(path);
      case 'endsWith': {
        const start = (this.anchorLengths[id] ?? 0) + 1;
        return path.length > start ? path.endsWith(test.literal) : test.full().test(path);
      }
      case 'suffix': {
        const start = (this.anchorLengths[id] ?? 0) + 1;
        // A path equal to the anchor itself has no rest: the whole glob decides.
        return path.length > start ? test.suffix.test(path.slice(start)) : test.full().test(path);
      }
    }
  }

  /** How many owners' rules select `path`; they are the first entries of `this.found` (until the next call). */
  match(path: string): number {
    const found = this.found;
    let count = 0;
    const inDirectory = this.candidatesFor(path, path.lastIndexOf('/'));
    // Rules anchored at the path itself (`<dir>/**` selects `<dir>` too): only looked up when some anchor
    // has the path's length.
    const atPath = this.anchorLengthSeen[path.length] === 1 ? this.byAnchor.get(path) : undefined;
    let decided = -1;
    let next = 0;
    let own = atPath === undefined ? 0 : atPath.length;
    // Merge the two descending lists (atPath ascending, read from its end).
    while (next < inDirectory.length || own > 0) {
      const fromDirectory = next < inDirectory.length ? (inDirectory[next] ?? -1) : -1;
      const fromPath = own > 0 ? (atPath?.[own - 1] ?? -1) : -1;
      let id: number;
      if (fromDirectory > fromPath) {
        id = fromDirectory;
        next += 1;
      } else {
        id = fromPath;
        own -= 1;
      }
      const owner = this.owners[id] ?? -1;
      if (owner === decided) continue;
      const quick = this.quickKinds[id];
      const matches =
        quick === 1
          ? true
          : quick === 2 && path.length > (this.anchorLengths[id] ?? 0) + 1
            ? path.endsWith(this.endings[id] ?? '')
            : this.ruleMatches(id, path);
      if (matches) {
        decided = owner;
        if (this.includes[id] === 1) found[count++] = owner;
      }
    }
    return count;
  }
}
