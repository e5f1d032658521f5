import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, total } from '../src/cart.js';

test('an empty cart costs nothing', () => {
  assert.equal(total([]), 0);
});

test('adding a SKU twice adds to its line', () => {
  const lines = add(add([], 'mug-blue', 1250), 'mug-blue', 1250, 2);
  assert.deepEqual(lines, [{ sku: 'mug-blue', unitCents: 1250, quantity: 3 }]);
  assert.equal(total(lines), 3750);
});

test('a quantity below one is refused', () => {
  assert.throws(() => add([], 'mug-blue', 1250, 0), RangeError);
});
