// Trivy's ignore files in both formats (`.trivyignore` lines and the YAML one): parsed with every mistake
// at its line, and matched against findings, expiries included.
import { ConfigurationError, parseYamlDocument, type ParsedYaml, type YamlPath } from '@shiprail/core';
import picomatch from 'picomatch';
import { parsePackageUrl, packageUrlMatches, type PackageUrl } from './purl.ts';

/** One entry of an ignore file. */
export interface IgnoreRule {
  id: string;
  /** Globs (doublestar syntax) matched against the finding's target and package path; empty = any. */
  paths: string[];
  /** Package URLs the finding's package must satisfy; empty = any. */
  purls: string[];
  /** The `exp:`/`expired_at` date as written (`YYYY-MM-DD` or a timestamp); '' when the entry never expires. */
  expires: string;
  /** The instant the entry stops applying (ms since the epoch); undefined when it never expires. */
  expiresAt: number | undefined;
  statement: string;
  file: string;
  line: number;
}

/** `.yml`/`.yaml` files are Trivy's YAML ignore format; anything else is the line format, as Trivy decides. */
export const isYamlIgnoreFile = (path: string): boolean => /\.ya?ml$/i.test(path);

/** Parses an ignore file of either format; every mistake names the file and line. */
export async function parseIgnoreFile(content: string, file: string): Promise<IgnoreRule[]> {
  return isYamlIgnoreFile(file) ? parseIgnoreYaml(content, file) : parseIgnoreLines(content, file);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` as midnight UTC (Trivy's reading), or an RFC 3339 timestamp; undefined when neither. */
export function parseExpiry(value: string): number | undefined {
  const date = DATE.exec(value);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const time = Date.UTC(year, month - 1, day);
    const check = new Date(time);
    // Date.UTC rolls 2024-02-30 over into March: such a date is a typo, not an expiry.
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
      return undefined;
    }
    return time;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    const time = Date.parse(value.replace(' ', 'T'));
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/**
 * The `.trivyignore` line format: one ID per line, an optional `exp:YYYY-MM-DD`, `#` comments. Words
 * after the ID that are not `exp:` are ignored, as Trivy ignores them; a date that does not parse is an
 * error here (Trivy drops such a line with a warning, which silently un-ignores or keeps a finding).
 */
function parseIgnoreLines(content: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  content.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    const id = fields[0] ?? '';
    if (id.startsWith('exp:')) {
      throw new ConfigurationError(`'${id}' stands where the vulnerability ID belongs: write 'CVE-… exp:YYYY-MM-DD'`, {
        file,
        line,
      });
    }
    let expires = '';
    let expiresAt: number | undefined;
    for (const field of fields.slice(1)) {
      if (field.startsWith('#')) break;
      if (!field.startsWith('exp:')) continue;
      expires = field.slice('exp:'.length);
      expiresAt = DATE.test(expires) ? parseExpiry(expires) : undefined;
      if (expiresAt === undefined) {
        throw new ConfigurationError(`'${field}' is not a valid expiry date: write exp:YYYY-MM-DD`, { file, line });
      }
    }
    rules.push({ id, paths: [], purls: [], expires, expiresAt, statement: '', file, line });
  });
  return rules;
}

const YAML_SECTIONS = ['vulnerabilities', 'misconfigurations', 'secrets', 'licenses'];
const YAML_ENTRY_KEYS = ['id', 'paths', 'purls', 'expired_at', 'statement'];

/** Unknown keys are errors at their line: a misspelt `expired_at` must not ignore a finding for ever. */
function rejectUnknownKeys(
  parsed: ParsedYaml,
  at: YamlPath,
  object: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
): void {
  const unknown = Object.keys(object).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw parsed.keyMistake([...at, unknown], `unknown ${what} '${unknown}': expected ${allowed.join(', ')}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * Trivy's `.trivyignore.yaml`: `vulnerabilities:` entries with `id`, `paths`, `purls`, `expired_at` and
 * `statement`. Only vulnerabilities are gated; the other sections are accepted and left alone. Unknown
 * keys are errors: a misspelt `expired_at` would otherwise ignore a finding for ever.
 */
async function parseIgnoreYaml(content: string, file: string): Promise<IgnoreRule[]> {
  const parsed = await parseYamlDocument(content, { file });
  const root = parsed.value;
  if (root === null || root === undefined) return [];
  if (!isObject(root)) throw parsed.mistake([], `expected a mapping with ${YAML_SECTIONS.join(', ')}`);
  rejectUnknownKeys(parsed, [], root, YAML_SECTIONS, 'section');
  const entries = root['vulnerabilities'] ?? [];
  if (!Array.isArray(entries)) throw parsed.mistake(['vulnerabilities'], 'expected a list of entries with an id');
  return entries.map((entry: unknown, index): IgnoreRule => {
    const at = ['vulnerabilities', index];
    if (!isObject(entry)) throw parsed.mistake(at, 'expected an entry like `- id: CVE-2024-1234`');
    rejectUnknownKeys(parsed, at, entry, YAML_ENTRY_KEYS, 'key');
    const id = entry['id'];
    if (typeof id !== 'string' || id.trim() === '') throw parsed.mistake([...at], 'every entry needs an `id`');
    const strings = (key: string): string[] => {
      const value = entry[key] ?? [];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        throw parsed.mistake([...at, key], `expected a list of strings`);
      }
      return value as string[];
    };
    const paths = strings('paths');
    const purls = strings('purls');
    purls.forEach((purl, purlIndex) => {
      if (parsePackageUrl(purl) === undefined) {
        throw parsed.mistake([...at, 'purls', purlIndex], `'${purl}' is not a package URL like pkg:deb/debian/openssl`);
      }
    });
    const expiry = entry['expired_at'];
    let expires = '';
    let expiresAt: number | undefined;
    if (expiry instanceof Date) {
      expires = expiry.toISOString().slice(0, 10);
      expiresAt = expiry.getTime();
    } else if (expiry !== undefined && expiry !== null) {
      expires = typeof expiry === 'string' ? expiry : JSON.stringify(expiry);
      expiresAt = typeof expiry === 'string' ? parseExpiry(expiry) : undefined;
      if (expiresAt === undefined) {
        throw parsed.mistake([...at, 'expired_at'], `${expires} is not a date: write YYYY-MM-DD`);
      }
    }
    const statement = entry['statement'] ?? '';
    if (typeof statement !== 'string') throw parsed.mistake([...at, 'statement'], 'expected text');
    return {
      id: id.trim(),
      paths,
      purls,
      expires,
      expiresAt,
      statement,
      file,
      line: parsed.lineOf(at) ?? 1,
    };
  });
}

/** The parts of a finding an ignore entry can match. */
export interface IgnoreSubject {
  id: string;
  target: string;
  pkgPath: string;
  purl: string;
}

interface CompiledRule {
  rule: IgnoreRule;
  matchesPath: ((path: string) => boolean) | undefined;
  purls: PackageUrl[];
}

/**
 * Matches findings against ignore entries, as Trivy does: same ID; any `paths` glob matching the
 * target or the package path; any `purls` constraint satisfied (a finding without a PURL passes).
 * The first matching entry wins.
 */
export class IgnoreMatcher {
  private readonly byId = new Map<string, CompiledRule[]>();

  constructor(rules: readonly IgnoreRule[]) {
    for (const rule of rules) {
      const compiled: CompiledRule = {
        rule,
        matchesPath: rule.paths.length > 0 ? picomatch(rule.paths, { dot: true }) : undefined,
        purls: rule.purls.flatMap((purl) => parsePackageUrl(purl) ?? []),
      };
      const list = this.byId.get(rule.id);
      if (list) list.push(compiled);
      else this.byId.set(rule.id, [compiled]);
    }
  }

  match(subject: IgnoreSubject): IgnoreRule | undefined {
    const candidates = this.byId.get(subject.id);
    if (candidates === undefined) return undefined;
    let purl: PackageUrl | undefined | null = null;
    for (const { rule, matchesPath, purls } of candidates) {
      if (matchesPath && !matchesPath(subject.target) && !(subject.pkgPath !== '' && matchesPath(subject.pkgPath))) {
        continue;
      }
      if (purls.length > 0) {
        if (purl === null) purl = subject.purl === '' ? undefined : parsePackageUrl(subject.purl);
        const target = purl;
        if (target !== undefined && !purls.some((pattern) => packageUrlMatches(pattern, target))) continue;
      }
      return rule;
    }
    return undefined;
  }
}
