// Markdown for job summaries: escaped table cells, inline code, folded sections and the size GitHub accepts.
const CELL_SPECIAL = /[&<>|\n]/;

/** Escapes text for a Markdown table cell: pipes, newlines and HTML-significant characters. */
export function escapeCell(value: string | number | boolean): string {
  const text = String(value);
  // Most cells hold nothing to escape: one test instead of five replacements (summaries have thousands).
  if (!CELL_SPECIAL.test(text)) return text;
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** A Markdown table. Cells are escaped unless they are marked as already-Markdown with `raw()`. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<Cell>>): string {
  const line = (cells: ReadonlyArray<Cell>): string => `| ${cells.map(renderCell).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

export interface RawCell {
  markdown: string;
}
export type Cell = string | number | boolean | RawCell;

/** A cell that is Markdown already (a link, code): inserted as it is. */
export const raw = (markdown: string): RawCell => ({ markdown });

function renderCell(cell: Cell): string {
  return typeof cell === 'object' ? cell.markdown : escapeCell(cell);
}

/** Inline code that survives backticks in the value. */
export function code(value: string): string {
  const fence = value.includes('`') ? '``' : '`';
  return `${fence}${value.replace(/\r?\n/g, ' ')}${fence}`;
}

/** A folded section. */
export function details(summary: string, body: string): string {
  return `<details><summary>${escapeCell(summary)}</summary>\n\n${body}\n\n</details>`;
}

/** GitHub caps a step summary at 1 MiB; keep well below and say what was cut. */
export const SUMMARY_LIMIT_BYTES = 900 * 1024;

export function capSummary(markdown: string, limit = SUMMARY_LIMIT_BYTES): string {
  if (Buffer.byteLength(markdown) <= limit) return markdown;
  const note =
    '\n\n_The summary was cut here to stay within GitHub’s size limit; the full data is in the report file._\n';
  let cut = markdown.slice(0, limit - note.length);
  while (Buffer.byteLength(cut) > limit - note.length) cut = cut.slice(0, Math.floor(cut.length * 0.95));
  return `${cut.slice(0, cut.lastIndexOf('\n'))}${note}`;
}
