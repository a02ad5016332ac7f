import JSZip from 'jszip';
import { join } from 'node:path';
import { checkWorkbook } from '../../src/lib/rows/workbook-bounds';
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

  it('refuses, naming the file, a workbook that is not a zip, one without a workbook, one that expands past the bound', async () => {
    const dir = inputDir('xlsx-bounds');
    const read = async (path: string) => {
      for await (const _ of readInputRows(path, 'terminate')) void _;
    };
    await expect(read(dir.write('fake.xlsx', 'application_id,termination_type\n'))).rejects.toThrow(
      /fake\.xlsx: not an Excel workbook \(\.xlsx\): it is not a zip file/,
    );
    const other = new JSZip();
    other.file('readme.txt', 'hello');
    const zip = dir.write('other.xlsx', await other.generateAsync({ type: 'nodebuffer' }));
    await expect(read(zip)).rejects.toThrow(
      /other\.xlsx: not an Excel workbook \(\.xlsx\): it has no xl\/workbook\.xml/,
    );

    const real = join(dir.dir, 'real.xlsx');
    const writer = openRowWriter(real, 'terminate', [], 'outPath');
    await writer.write({ application_id: '7300000000000000001', termination_type: 1 });
    await writer.close();
    await expect(checkWorkbook(real, 'real.xlsx')).resolves.toBeUndefined();
    await expect(
      checkWorkbook(real, 'real.xlsx', { maxExpandedBytes: 1000, maxSharedStringsBytes: 1000 }),
    ).rejects.toThrow(/real\.xlsx: the workbook expands to \d+ MB .* past what hire-queue reads/);
  });
});
