/** A row as a batch stores it: `SOURCE:LINE|` then its input JSON or `=N` (a repeat of row N). */
export interface StoredRow {
  source: number;
  line: number;
  /** How often the row was replayed in place: its job's id says it. */
  generation: number;
  /** The input JSON, unless the row repeats another. */
  input?: string;
  repeatOf?: number;
}

/**
 * Reads a stored row (see `lua/add-rows.lua`). Rows written before rows named their source have no
 * `SOURCE:LINE|`: they are their batch's first source's, at the line of their number.
 */
export function parseStoredRow(value: string, n: number): StoredRow {
  let source = 1;
  let line = n;
  let generation = 0;
  let body = value;
  if (value[0] !== '{' && value[0] !== '=') {
    // Read by position, not split: a million-row report parses a million of these.
    const bar = value.indexOf('|');
    const first = value.indexOf(':');
    const second = value.indexOf(':', first + 1);
    const lineEnd = second === -1 || second > bar ? bar : second;
    source = Number(value.slice(0, first));
    line = Number(value.slice(first + 1, lineEnd));
    generation = lineEnd === bar ? 0 : Number(value.slice(lineEnd + 1, bar));
    body = value.slice(bar + 1);
  }
  return body[0] === '='
    ? { source, line, generation, repeatOf: Number(body.slice(1)) }
    : { source, line, generation, input: body };
}
