import { z } from 'zod';
import { describeIssues, idSchema } from '../feishu/hire-schemas';
import { readInputRows } from '../rows/read-input-rows';
import type { ApplicationLedger, LedgerEntry } from './application-ledger';

const importedEntrySchema = z.object({
  talent_id: idSchema('talent_id'),
  job_id: idSchema('job_id'),
  application_id: idSchema('application_id'),
  /** When the application was made, ms; now when absent. */
  at: z.number().int().nonnegative().optional(),
  how: z.enum(['created', 'adopted', 'imported']).optional(),
});

/**
 * Reads NDJSON ledger entries (what `ledger export` writes, or a team's own list) into the
 * ledger, streamed; a bad line is reported with its errors and the rest go in.
 */
export async function importLedgerEntries(
  ledger: ApplicationLedger,
  path: string,
  /** @default 'utf-8' */
  encoding?: string,
): Promise<{ imported: number; invalid: { line: number; errors: string[] }[] }> {
  let imported = 0;
  const invalid: { line: number; errors: string[] }[] = [];
  let chunk: LedgerEntry[] = [];
  const flush = async () => {
    await ledger.record(chunk);
    imported += chunk.length;
    chunk = [];
  };
  for await (const row of readInputRows(path, 'create', 'ndjson', encoding)) {
    if (row.error !== undefined || row.value === undefined) {
      invalid.push({ line: row.line, errors: [row.error ?? 'empty row'] });
      continue;
    }
    const parsed = importedEntrySchema.safeParse(row.value, { reportInput: true });
    if (!parsed.success) {
      invalid.push({ line: row.line, errors: describeIssues(parsed.error) });
      continue;
    }
    chunk.push({ ...parsed.data, at: parsed.data.at ?? Date.now(), how: parsed.data.how ?? 'imported' });
    if (chunk.length >= 500) await flush();
  }
  await flush();
  return { imported, invalid };
}
