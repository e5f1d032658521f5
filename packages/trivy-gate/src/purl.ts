/** A package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), split into its parts. */
export interface PackageUrl {
  type: string;
  namespace: string;
  name: string;
  version: string;
  qualifiers: Map<string, string>;
  subpath: string;
}

const decode = (part: string): string => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

/** Parses a package URL; undefined when the text is not one. */
export function parsePackageUrl(text: string): PackageUrl | undefined {
  const value = text.trim();
  if (!value.startsWith('pkg:')) return undefined;
  let rest = value.slice('pkg:'.length).replace(/^\/+/, '');
  let subpath = '';
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    subpath = rest
      .slice(hash + 1)
      .split('/')
      .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
      .map(decode)
      .join('/');
    rest = rest.slice(0, hash);
  }
  const qualifiers = new Map<string, string>();
  const question = rest.indexOf('?');
  if (question !== -1) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const qualifierValue = decode(pair.slice(equals + 1));
      if (qualifierValue !== '') qualifiers.set(pair.slice(0, equals).toLowerCase(), qualifierValue);
    }
    rest = rest.slice(0, question);
  }
  let version = '';
  const at = rest.lastIndexOf('@');
  if (at > rest.lastIndexOf('/')) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const segments = rest.split('/').filter((segment) => segment !== '');
  const type = (segments.shift() ?? '').toLowerCase();
  const name = decode(segments.pop() ?? '');
  if (!/^[a-z.+-][a-z0-9.+-]*$/.test(type) || name === '') return undefined;
  return { type, namespace: segments.map(decode).join('/'), name, version, qualifiers, subpath };
}

/**
 * Whether `target` satisfies the constraint `pattern`, as Trivy's ignore file means it: type, namespace
 * and name equal; version and subpath only when the pattern has them; every qualifier of the pattern
 * present with the same value in the target.
 */
export function packageUrlMatches(pattern: PackageUrl, target: PackageUrl): boolean {
  if (pattern.type !== target.type || pattern.namespace !== target.namespace || pattern.name !== target.name) {
    return false;
  }
  if (pattern.version !== '' && pattern.version !== target.version) return false;
  if (pattern.subpath !== '' && pattern.subpath !== target.subpath) return false;
  for (const [key, value] of pattern.qualifiers) if (target.qualifiers.get(key) !== value) return false;
  return true;
}
