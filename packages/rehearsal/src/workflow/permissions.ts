// The GITHUB_TOKEN's scopes as GitHub computes them for each job: the job's `permissions`, else its
// workflow's, else what the caller's job was given (a called workflow), else the repository's default;
// a called workflow may narrow what its caller grants, never widen it.
import type { Value } from './expressions.ts';

export type PermissionLevel = 'none' | 'read' | 'write';
export type Permissions = Record<string, PermissionLevel>;
/** `permissions:` as written: `read-all`, `write-all`, or levels by scope (`{}` is none at all). */
export type PermissionsSpec = 'read-all' | 'write-all' | Permissions;

/** Every scope with the highest level it takes (`id-token` has no read, `models` no write). */
const SCOPES: Readonly<Record<string, PermissionLevel>> = {
  actions: 'write',
  attestations: 'write',
  checks: 'write',
  contents: 'write',
  deployments: 'write',
  discussions: 'write',
  'id-token': 'write',
  issues: 'write',
  models: 'read',
  packages: 'write',
  pages: 'write',
  'pull-requests': 'write',
  'repository-projects': 'write',
  'security-events': 'write',
  statuses: 'write',
};

const RANK: Readonly<Record<PermissionLevel, number>> = { none: 0, read: 1, write: 2 };

/** The repository setting "Workflow permissions": permissive (read and write) or restricted (read). */
export type DefaultPermissions = 'permissive' | 'restricted';

const lowest = (a: PermissionLevel, b: PermissionLevel): PermissionLevel => (RANK[a] <= RANK[b] ? a : b);

function everyScope(level: (scope: string, highest: PermissionLevel) => PermissionLevel): Permissions {
  return Object.fromEntries(Object.entries(SCOPES).map(([scope, highest]) => [scope, level(scope, highest)]));
}

/** The token of a job when no workflow sets `permissions`. */
export function defaultPermissions(setting: DefaultPermissions): Permissions {
  if (setting === 'permissive') {
    return { ...everyScope((scope, highest) => (scope === 'id-token' ? 'none' : highest)), metadata: 'read' };
  }
  const restricted = everyScope(() => 'none');
  return { ...restricted, contents: 'read', packages: 'read', metadata: 'read' };
}

/** Reads a `permissions:` value; throws with the reason when a scope or a level is not GitHub's. */
export function readPermissions(value: Value): PermissionsSpec {
  if (value === 'read-all' || value === 'write-all') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`permissions must be read-all, write-all or a mapping of scopes, not ${JSON.stringify(value)}`);
  }
  const spec: Permissions = {};
  for (const [scope, level] of Object.entries(value)) {
    const highest = SCOPES[scope];
    if (highest === undefined) throw new Error(`permissions: '${scope}' is not a GITHUB_TOKEN scope`);
    if (level !== 'none' && level !== 'read' && level !== 'write') {
      throw new Error(`permissions: ${scope} must be none, read or write`);
    }
    if (RANK[level] > RANK[highest] || (scope === 'id-token' && level === 'read')) {
      throw new Error(`permissions: ${scope} cannot be ${level}`);
    }
    spec[scope] = level;
  }
  return spec;
}

/** What a spec grants, every scope listed (a scope a mapping leaves out is none). */
export function granted(spec: PermissionsSpec): Permissions {
  const levels =
    spec === 'read-all'
      ? everyScope((scope) => (scope === 'id-token' ? 'none' : 'read'))
      : spec === 'write-all'
        ? everyScope((_scope, highest) => highest)
        : everyScope((scope) => spec[scope] ?? 'none');
  return { ...levels, metadata: 'read' };
}

/**
 * The job's token: its own spec, else its workflow's, else `inherited` (the caller job's token, or the
 * repository default). Under a caller, asking for more than the caller grants is GitHub's startup error.
 */
export function effectivePermissions(
  job: { id: string; permissions?: PermissionsSpec },
  workflow: PermissionsSpec | undefined,
  inherited: Permissions,
  ceiling?: Permissions,
): Permissions {
  const spec = job.permissions ?? workflow;
  const wanted = spec === undefined ? inherited : granted(spec);
  if (ceiling === undefined) return wanted;
  for (const [scope, level] of Object.entries(wanted)) {
    const allowed = ceiling[scope] ?? 'none';
    if (RANK[level] > RANK[allowed]) {
      throw new Error(
        `The nested job '${job.id}' is requesting '${scope}: ${level}', but is only allowed '${scope}: ${allowed}'.`,
      );
    }
  }
  return Object.fromEntries(
    Object.entries(wanted).map(([scope, level]) => [scope, lowest(level, ceiling[scope] ?? 'none')]),
  );
}

/** The scopes a token holds above none, as a report shows them (`contents: read`, …). */
export function permissionLines(permissions: Permissions): Record<string, PermissionLevel> {
  return Object.fromEntries(Object.entries(permissions).filter(([, level]) => level !== 'none'));
}
