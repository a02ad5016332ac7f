import type { ResultRow } from './batch-report';

/** What a results file adds to a row's fields (a terminate's `application_id` is one of them already). */
export const resultColumns = ['file', 'line', 'status', 'application_id', 'code', 'message'];

/** A row of the results file: the row's own fields, then where it came from and how it ended. */
export function resultRecordOf(row: ResultRow): Record<string, unknown> {
  return {
    ...row.input,
    ...(row.file !== undefined ? { file: row.file } : {}),
    line: row.line,
    status: row.status,
    ...(row.applicationId ? { application_id: row.applicationId } : {}),
    ...(row.code ? { code: row.code } : {}),
    ...(row.message ? { message: row.message } : {}),
  };
}
