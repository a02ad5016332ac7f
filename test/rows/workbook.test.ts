import { join } from 'node:path';
import { openRowWriter } from '../../src/lib/rows/row-writer';
import { readInputRows } from '../../src/lib/rows/read-input-rows';
import { inputDir } from '../helpers/files';

describe('workbooks in this process', () => {
  it('writes an .xlsx of results and reads it back as input (exceljs loaded on first use)', async () => {
    const path = join(inputDir('xlsx').dir, 'rows.xlsx');
    const writer = openRowWriter(path, 'terminate', ['line', 'status'], 'outPath');
    await writer.write({
      application_id: '7300000000000000001',
      termination_type: 1,
      line: 2,
      status: 'succeeded',
    });
    await writer.close();
    const rows = [];
    for await (const row of readInputRows(path, 'terminate')) rows.push(row);
    expect(rows).toEqual([
      {
        line: 2,
        value: {
          application_id: '7300000000000000001',
          termination_type: '1',
          termination_reason_list: '',
          termination_reason_note: '',
          if_not_updated_since: '',
          job_id: '',
        },
      },
    ]);
  });
});
