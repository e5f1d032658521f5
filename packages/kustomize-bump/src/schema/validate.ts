// Validates rendered objects against the catalog's schemas: types, required fields, enums and formats by
// kubernetes-models' validators, and fields the schema does not declare (what `kubectl apply
// --validate=strict` refuses), found by which fields those validators read.
import { parseAllDocuments } from 'yaml';
import { catalogKey, groupOf, type SchemaCatalog, type SchemaCheck } from './catalog.ts';

/** One finding in one object: where (`spec.replicas`) and what is wrong. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** A rendered object that breaks its schema. */
export interface InvalidObject {
  /** `Deployment/frontend`, with `namespace/` in front when the object has one. */
  object: string;
  apiVersion: string;
  issues: SchemaIssue[];
}

/** What the gate found in one overlay's rendered output. */
export interface SchemaReport {
  /** Objects checked against a schema (valid or not). */
  validated: number;
  invalid: InvalidObject[];
  /** Custom resources (`apiVersion kind name`) whose schema the catalog does not have. */
  notValidated: string[];
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `/spec/template/spec/containers/0/name` -> `spec.template.spec.containers[0].name`. */
export function fieldPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

const childPath = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;

/** Which fields of each object a validator read, and whether it listed an object's keys (a map). */
interface Reads {
  fields: Set<string>;
  listed: boolean;
}

/**
 * Runs a validator on a view of `object` that records reads. A field of an object whose declared
 * fields the validator read, but which it neither read nor listed, is one the schema does not have.
 * Objects whose fields it never read (free-form: RawExtension, preserve-unknown-fields) are not judged.
 */
function checkWithReads(
  check: SchemaCheck,
  object: Record<string, unknown>,
): { errors: AjvError[]; unknown: string[] } {
  const reads = new WeakMap<object, Reads>();
  const views = new WeakMap<object, object>();
  const view = (target: object): object => {
    let proxy = views.get(target);
    if (proxy !== undefined) return proxy;
    const seen: Reads = { fields: new Set(), listed: false };
    reads.set(target, seen);
    proxy = new Proxy(target, {
      get(inner, key, receiver) {
        if (typeof key === 'string') seen.fields.add(key);
        const value: unknown = Reflect.get(inner, key, receiver);
        return typeof value === 'object' && value !== null ? view(value) : value;
      },
      has(inner, key) {
        if (typeof key === 'string') seen.fields.add(key);
        return Reflect.has(inner, key);
      },
      ownKeys(inner) {
        seen.listed = true;
        return Reflect.ownKeys(inner);
      },
    });
    views.set(target, proxy);
    return proxy;
  };
  let errors: AjvError[] = [];
  try {
    check.call(view(object));
  } catch (error) {
    const found = (error as { errors?: unknown }).errors;
    if (!Array.isArray(found)) throw error;
    errors = found as AjvError[];
  }
  const unknown: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, childPath(path, index)));
      return;
    }
    if (!isRecord(value)) return;
    const seen = reads.get(value);
    if (seen === undefined) return;
    const judged = !seen.listed && seen.fields.size > 0;
    for (const [key, child] of Object.entries(value)) {
      if (judged && !seen.fields.has(key)) unknown.push(childPath(path, key));
      else walk(child, childPath(path, key));
    }
  };
  walk(object, '');
  return { errors, unknown };
}

function describeError(error: AjvError): SchemaIssue {
  const path = fieldPath(error.instancePath);
  const { params } = error;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: childPath(path, params['missingProperty']), message: 'is required' };
  }
  if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    return { path, message: `must be one of ${params['allowedValues'].map(String).join(', ')}` };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/** The issues of one object under a validator: schema errors first, then undeclared fields. */
export function validateObject(check: SchemaCheck, object: Record<string, unknown>): SchemaIssue[] {
  const { errors, unknown } = checkWithReads(check, object);
  const issues = errors.map(describeError);
  for (const path of unknown) issues.push({ path, message: 'is not a field of this kind' });
  // ajv reports a failed `oneOf`/`anyOf` branch beside the branch that held: the same path once.
  const unique = new Map(issues.map((issue) => [`${issue.path}\0${issue.message}`, issue]));
  return [...unique.values()];
}

function objectName(object: Record<string, unknown>): string {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
  return `${namespace}${String(object['kind'])}/${String(metadata['name'])}`;
}

/** Validates every object `kubectl kustomize` rendered. */
export function validateRendered(catalog: SchemaCatalog, manifests: string): SchemaReport {
  const report: SchemaReport = { validated: 0, invalid: [], notValidated: [] };
  for (const document of parseAllDocuments(manifests)) {
    if (!('contents' in document)) continue;
    const object: unknown = document.toJS();
    if (!isRecord(object)) continue;
    const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
    const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
    const name = objectName(object);
    const check = catalog.checks.get(catalogKey(apiVersion, kind));
    if (check !== undefined) {
      report.validated += 1;
      const issues = validateObject(check, object);
      if (issues.length > 0) report.invalid.push({ object: name, apiVersion, issues });
    } else if (apiVersion !== '' && !catalog.groups.has(groupOf(apiVersion))) {
      report.notValidated.push(`${apiVersion} ${name}`);
    } else {
      report.validated += 1;
      // A kind unknown to a built-in group is a typo or a removed version, not a custom resource.
      const issue: SchemaIssue =
        apiVersion === ''
          ? { path: 'apiVersion', message: 'is required' }
          : {
              path: 'kind',
              message: `${kind} is not a ${apiVersion} kind in the Kubernetes ${catalog.version} schemas`,
            };
      report.invalid.push({ object: name, apiVersion, issues: [issue] });
    }
  }
  return report;
}
