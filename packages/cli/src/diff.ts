// A unified diff of two texts, for showing what init would change in a file it does not overwrite.

/** Lines of `before` and `after` as a unified diff with `context` lines around each change. */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence table, from the end (files init writes are small).
  const lengths: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const row = lengths[i] ?? [];
      row[j] = a[i] === b[j] ? (lengths[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lengths[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const edits: Array<{ kind: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ kind: ' ', text: a[i] ?? '', oldLine: i, newLine: j });
      i += 1;
      j += 1;
    } else if (i < a.length && (j >= b.length || (lengths[i + 1]?.[j] ?? 0) >= (lengths[i]?.[j + 1] ?? 0))) {
      edits.push({ kind: '-', text: a[i] ?? '', oldLine: i, newLine: j });
      i += 1;
    } else {
      edits.push({ kind: '+', text: b[j] ?? '', oldLine: i, newLine: j });
      j += 1;
    }
  }
  const changed = edits.map((edit, index) => (edit.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return '';
  const output = [`--- ${path}`, `+++ ${path} (shiprail init)`];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && (changed[end + 1] ?? 0) - (changed[end] ?? 0) <= context * 2) end += 1;
    const from = Math.max(0, (changed[start] ?? 0) - context);
    const to = Math.min(edits.length - 1, (changed[end] ?? 0) + context);
    const hunk = edits.slice(from, to + 1);
    const oldCount = hunk.filter((edit) => edit.kind !== '+').length;
    const newCount = hunk.filter((edit) => edit.kind !== '-').length;
    const first = hunk[0];
    output.push(`@@ -${(first?.oldLine ?? 0) + 1},${oldCount} +${(first?.newLine ?? 0) + 1},${newCount} @@`);
    for (const edit of hunk) output.push(`${edit.kind}${edit.text}`);
    start = end + 1;
  }
  return `${output.join('\n')}\n`;
}
