import ExcelJS from 'exceljs';
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

  it('reads the sheet named, and names the sheets it has when asked for another', async () => {
    const path = join(inputDir('xlsx-sheets').dir, 'round.xlsx');
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('说明').addRow(['这一页是说明']);
    const list = workbook.addWorksheet('名单');
    list.addRow(['投递ID', '终止类型']);
    list.addRow(['7300000000000000009', '1']);
    await workbook.xlsx.writeFile(path);
    const rows = [];
    for await (const row of readInputRows(path, 'terminate', undefined, undefined, { sheet: '名单' }))
      rows.push(row);
    expect(rows).toEqual([
      { line: 2, value: expect.objectContaining({ application_id: '7300000000000000009' }) },
    ]);
    const other = async () => {
      for await (const _ of readInputRows(path, 'terminate', undefined, undefined, { sheet: 'Sheet9' }))
        void _;
    };
    await expect(other()).rejects.toThrow(/round\.xlsx: no sheet "Sheet9" \(its sheets: "说明", "名单"\)/);
  });
});
