// strategy.matrix expanded as GitHub does: the cross product of the vectors, minus `exclude`, then each
// `include` entry added to every combination it does not overwrite, or as a combination of its own.
import type { Value } from './expressions.ts';

export type Combination = Record<string, Value>;

const isObject = (value: Value): value is Record<string, Value> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sameValue = (a: Value, b: Value): boolean => JSON.stringify(a) === JSON.stringify(b);

const matches = (combination: Combination, filter: Combination): boolean =>
  Object.entries(filter).every(([key, value]) => key in combination && sameValue(combination[key] ?? null, value));

/** The combinations of a matrix; throws with a message when the matrix is not a mapping of vectors. */
export function expandMatrix(matrix: Value): Combination[] {
  if (!isObject(matrix)) throw new Error('strategy.matrix must be a mapping');
  const vectors = Object.entries(matrix).filter(([key]) => key !== 'include' && key !== 'exclude');
  let combinations: Combination[] = [{}];
  for (const [key, values] of vectors) {
    if (!Array.isArray(values) || values.length === 0) throw new Error(`matrix vector '${key}' has no values`);
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [key]: value })));
  }
  if (vectors.length === 0) combinations = [];
  const excluded = asEntries(matrix['exclude'], 'exclude');
  combinations = combinations.filter((combination) => !excluded.some((filter) => matches(combination, filter)));
  const originalKeys = new Set(vectors.map(([key]) => key));
  const extended = combinations.map((combination) => ({ ...combination }));
  for (const entry of asEntries(matrix['include'], 'include')) {
    let added = false;
    for (const [index, original] of combinations.entries()) {
      const combination = extended[index] ?? original;
      const overwrites = Object.entries(entry).some(
        ([key, value]) => originalKeys.has(key) && key in original && !sameValue(original[key] ?? null, value),
      );
      if (!overwrites) {
        Object.assign(combination, entry);
        added = true;
      }
    }
    if (!added) extended.push({ ...entry });
  }
  if (extended.length === 0) throw new Error('strategy.matrix expands to no job');
  return extended;
}

function asEntries(value: Value | undefined, key: string): Combination[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new Error(`matrix ${key} must be a list of mappings`);
  return value;
}

/** The name a matrix job shows: its service, or its values joined as GitHub joins them. */
export function combinationLabel(combination: Combination): string {
  const service = combination['service'];
  if (typeof service === 'string') return service;
  return Object.values(combination)
    .filter((value) => typeof value !== 'object' || value === null)
    .map(String)
    .join(', ');
}
