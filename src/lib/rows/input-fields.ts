import type { Operation } from '../feishu/hire-schemas';
import { createApplicationInputSchema, terminateApplicationBodySchema } from '../feishu/hire-schemas';

/** Columns that are hire-queue's own and never sent to Feishu. */
export const guardFields = { terminate: ['if_not_updated_since', 'job_id'] } as const;

/** Column names a file may have: the API's own field names. */
export const fieldsOf: Record<Operation, readonly string[]> = {
  create: Object.keys(createApplicationInputSchema.shape),
  // The path parameter first: it is what a person scans a terminate file for.
  terminate: [
    'application_id',
    ...Object.keys(terminateApplicationBodySchema.shape),
    ...guardFields.terminate,
  ],
};

const listFields = new Set(['application_preferred_city_code_list', 'termination_reason_list']);
const idFields = new Set(['talent_id', 'job_id', 'user_id', 'resume_source_id', 'application_id']);

/**
 * A cell as Excel's ways of keeping text write it: `="7300000000000000027"` (a formula that keeps
 * an id's digits in a CSV) is its text; an id's leading `'` (Excel's mark for text) is not part of it.
 */
function excelText(key: string, value: string): string {
  const formula = /^="(.*)"$/s.exec(value);
  if (formula) return formula[1]!.replace(/""/g, '"');
  if (idFields.has(key) && value.startsWith("'")) return value.slice(1);
  return value;
}
const intFields = new Set(['delivery_type', 'termination_type']);

/** Separator of list fields inside one CSV cell. */
export const LIST_SEPARATOR = '|';

/**
 * A row as read from any format, into the types of the seeds: empty cells dropped, integers from
 * digit strings, `a|b` split into lists (CSV). Anything else is left for validation to name.
 */
export function normalizeRow(raw: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  // Keys, not entries: a million rows' worth of [key, value] pairs kept the collector busy.
  for (const key of Object.keys(raw)) {
    const cell = raw[key];
    const value = typeof cell === 'string' ? excelText(key, cell) : cell;
    if (value === '' || value === null || value === undefined) continue;
    if (listFields.has(key) && typeof value === 'string') {
      row[key] = value
        .split(LIST_SEPARATOR)
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
    } else if (intFields.has(key) && typeof value === 'string' && /^\s*-?\d+(\.0*)?\s*$/.test(value)) {
      // `1.0`: how Excel writes a whole number in a column formatted as a number.
      row[key] = Number(value);
    } else {
      row[key] = value;
    }
  }
  return row;
}
