// The three patch formats the Kubernetes API accepts on PATCH, as clients (kubectl rollout undo, pause,
// restart) send them: JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and strategic merge patch.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class PatchError extends Error {}

/** A JSON scalar as text ('' for anything else): names, kinds and versions read from objects. */
export const text = (value: Json | undefined): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';

const unescapePointer = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

function pointerTokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer '${path}'`);
  return path.slice(1).split('/').map(unescapePointer);
}

function parentOf(document: Json, tokens: string[]): { parent: Json; key: string } {
  let parent: Json = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)] ?? null;
    else if (isObject(parent)) parent = parent[token] ?? null;
    else parent = null;
    if (parent === null) throw new PatchError(`path /${tokens.join('/')} does not exist`);
  }
  return { parent, key: tokens[tokens.length - 1] ?? '' };
}

function readPointer(document: Json, path: string): Json {
  let current: Json = document;
  for (const token of pointerTokens(path)) {
    const next: Json | undefined = Array.isArray(current)
      ? current[Number(token)]
      : isObject(current)
        ? current[token]
        : undefined;
    if (next === undefined) throw new PatchError(`path ${path} does not exist`);
    current = next;
  }
  return current;
}

/** RFC 6902. */
export function applyJsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch is an array of operations');
  let result = structuredClone(document);
  for (const operation of operations as unknown[]) {
    if (!isObject(operation) || typeof operation['op'] !== 'string' || typeof operation['path'] !== 'string') {
      throw new PatchError('every JSON patch operation needs op and path');
    }
    const { op, path } = operation as { op: string; path: string };
    const value = operation['value'] ?? null;
    const tokens = pointerTokens(path);
    if (op === 'test') {
      if (JSON.stringify(readPointer(result, path)) !== JSON.stringify(value)) throw new PatchError('test failed');
      continue;
    }
    if (op === 'move' || op === 'copy') {
      const from = text(operation['from']);
      const moved = structuredClone(readPointer(result, from));
      if (op === 'move') result = applyJsonPatch(result, [{ op: 'remove', path: from }]);
      result = applyJsonPatch(result, [{ op: 'add', path, value: moved }]);
      continue;
    }
    if (tokens.length === 0) {
      if (op === 'remove') throw new PatchError('cannot remove the whole document');
      result = structuredClone(value);
      continue;
    }
    const { parent, key } = parentOf(result, tokens);
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new PatchError(`bad index ${key}`);
      if (op === 'add') parent.splice(index, 0, structuredClone(value));
      else if (op === 'remove') parent.splice(index, 1);
      else if (op === 'replace') parent[index] = structuredClone(value);
      else throw new PatchError(`unknown op ${op}`);
    } else if (isObject(parent)) {
      if ((op === 'remove' || op === 'replace') && !(key in parent)) {
        throw new PatchError(`path ${path} does not exist`);
      }
      if (op === 'add' || op === 'replace') parent[key] = structuredClone(value);
      else if (op === 'remove') Reflect.deleteProperty(parent, key);
      else throw new PatchError(`unknown op ${op}`);
    } else {
      throw new PatchError(`path ${path} does not exist`);
    }
  }
  return result;
}

/** RFC 7386. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(result, key);
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

// The patchMergeKey of the list fields kubectl's patches touch (from the API's Go struct tags).
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Strategic merge patch: like a merge patch, but lists of objects merge by key and `$patch` directives apply. */
export function applyStrategicMergePatch(target: Json | undefined, patch: Json): Json | undefined {
  if (!isObject(patch)) return structuredClone(patch);
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  const cleaned = Object.fromEntries(
    Object.entries(patch).filter(([key]) => !key.startsWith('$') && !key.startsWith('$setElementOrder/')),
  );
  if (directive === 'replace') return stripDirectives(cleaned);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  const retainKeys = patch['$retainKeys'];
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) Reflect.deleteProperty(result, key);
  }
  for (const [key, value] of Object.entries(cleaned)) {
    const current = result[key];
    const mergeKey = MERGE_KEYS[key];
    if (value === null) {
      Reflect.deleteProperty(result, key);
    } else if (Array.isArray(value) && mergeKey !== undefined && Array.isArray(current)) {
      result[key] = mergeList(current, value, mergeKey);
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(current, value);
      if (merged === undefined) Reflect.deleteProperty(result, key);
      else result[key] = merged;
    } else {
      result[key] = stripDirectives(value);
    }
  }
  return result;
}

function mergeList(current: Json[], patch: Json[], mergeKey: string): Json[] {
  if (patch.some((item) => isObject(item) && item['$patch'] === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item['$patch'] === 'replace')).map(stripDirectives);
  }
  const result = structuredClone(current);
  for (const item of patch) {
    if (!isObject(item)) {
      result.push(item);
      continue;
    }
    const index = result.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = applyStrategicMergePatch(result[index], item) ?? null;
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('$'))
      .map(([key, item]) => [key, stripDirectives(item)]),
  );
}
