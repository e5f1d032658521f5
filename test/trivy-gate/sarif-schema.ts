// Validates SARIF logs against the vendored SARIF 2.1.0 JSON schema (draft-04) with Ajv.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '@shiprail/rehearsal/action-metadata';

interface Validator {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; message?: string }> | null;
}
interface AjvInstance {
  compile(schema: unknown): Validator;
}
type AjvConstructor = new (options: Record<string, unknown>) => AjvInstance;

// The validator is a devDependency of @shiprail/trivy-gate: resolve it from there.
const requireFromPackage = createRequire(join(repoRoot, 'packages', 'trivy-gate', 'package.json'));
const AjvDraft04 = (requireFromPackage('ajv-draft-04') as { default: AjvConstructor }).default;
const addFormats = (requireFromPackage('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;

const schema: unknown = JSON.parse(
  readFileSync(join(repoRoot, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-rtm.5.json'), 'utf8'),
);
// unicodeRegExp off: the schema's `language` pattern has a stray ']' that is only legal without the u flag.
const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** The schema violations of a SARIF log ([] when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}
