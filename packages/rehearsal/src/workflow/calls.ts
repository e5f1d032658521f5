// What a caller passes a reusable workflow, checked as GitHub checks it when the call starts: inputs it
// declares, of their declared type, required ones given, the others defaulted; secrets it declares (or
// all of the caller's with `secrets: inherit`), required ones given. The messages are GitHub's.
import type { Value } from './expressions.ts';
import type { WorkflowDefinition } from './workflow.ts';

/** The zero value GitHub gives an optional input of a type that is neither given nor defaulted. */
const ZERO: Readonly<Record<string, Value>> = { boolean: false, number: 0, string: '' };

const typeName = (type: string): string => `${type.charAt(0).toUpperCase()}${type.slice(1)}`;

/** A given value as the input's type takes it: a string input takes booleans and numbers as text. */
function typed(name: string, type: string, value: Value): Value {
  if (type === 'string' && (typeof value === 'boolean' || typeof value === 'number')) return String(value);
  if (typeof value === type) return value;
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw new Error(`Input ${name}: Unexpected type of value '${shown}', expected type: ${typeName(type)}.`);
}

/** The `inputs` context of the called workflow; throws GitHub's message for a call it would not start. */
export function callInputs(workflow: WorkflowDefinition, given: Record<string, Value>): Record<string, Value> {
  for (const name of Object.keys(given)) {
    if (!(name in workflow.callInputs)) {
      throw new Error(`Invalid input, ${name} is not defined in the referenced workflow.`);
    }
  }
  const inputs: Record<string, Value> = {};
  for (const [name, input] of Object.entries(workflow.callInputs)) {
    const value = given[name] ?? null;
    if (value === null && input.required) throw new Error(`Input ${name} is required, but not provided while calling.`);
    inputs[name] = typed(name, input.type, value ?? input.default ?? ZERO[input.type] ?? '');
  }
  return inputs;
}

/**
 * The `secrets` context of the called workflow: the caller's own with `inherit`, else those passed by
 * name (each one declared); GITHUB_TOKEN always.
 */
export function callSecrets(
  workflow: WorkflowDefinition,
  passed: 'inherit' | Record<string, string>,
  callerSecrets: Record<string, string>,
): Record<string, string> {
  if (passed !== 'inherit') {
    for (const name of Object.keys(passed)) {
      if (!(name in workflow.callSecrets)) {
        throw new Error(`Invalid secret, ${name} is not defined in the referenced workflow.`);
      }
    }
  }
  const secrets = passed === 'inherit' ? { ...callerSecrets } : { ...passed };
  for (const [name, secret] of Object.entries(workflow.callSecrets)) {
    if (secret.required && !(name in secrets)) {
      throw new Error(`Secret ${name} is required, but not provided while calling.`);
    }
  }
  const token = callerSecrets['GITHUB_TOKEN'];
  return token === undefined ? secrets : { ...secrets, GITHUB_TOKEN: token };
}
