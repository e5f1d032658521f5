// The shopping cart: lines of a SKU, a unit price in cents and a quantity.
export const CURRENCY = 'EUR';

/** The cart's total in cents. */
export function total(lines) {
  return lines.reduce((sum, line) => sum + line.unitCents * line.quantity, 0);
}

/** The cart with `quantity` more of `sku` (a new line, or added to its line). */
export function add(lines, sku, unitCents, quantity = 1) {
  if (!Number.isInteger(quantity) || quantity < 1)
    throw new RangeError(`quantity must be a positive integer, not ${quantity}`);
  const existing = lines.find((line) => line.sku === sku);
  if (existing === undefined) return [...lines, { sku, unitCents, quantity }];
  return lines.map((line) => (line === existing ? { ...line, quantity: line.quantity + quantity } : line));
}
