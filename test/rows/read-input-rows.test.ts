import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/lib/errors/input-file-error';
import { InvalidOptionError } from '../../src/lib/errors/invalid-option-error';
import type { Operation } from '../../src/lib/feishu/hire-schemas';
import { readInputRows, type RawRow } from '../../src/lib/rows/read-input-rows';
import { openRowWriter } from '../../src/lib/rows/row-writer';
import { validateRows } from '../../src/lib/rows/validate-row';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hq-rows-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function read(path: string, operation: Operation = 'create'): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of readInputRows(path, operation)) rows.push(row);
  return rows;
}

describe('readInputRows', () => {
  it('reads CSV rows with their file line (the header is line 1), skipping blank lines and a BOM', async () => {
    const path = file('a.csv', '\uFEFFtalent_id,job_id\n\nt1,j1\r\nt2,j2\n');
    expect(await read(path)).toEqual([
      { line: 3, value: { talent_id: 't1', job_id: 'j1' } },
      { line: 4, value: { talent_id: 't2', job_id: 'j2' } },
    ]);
  });

  it('gives a CSV record spanning lines (a quoted newline) the line it starts on, and a malformed record its own line, in line order', async () => {
    const path = file('m.csv', 'talent_id,job_id\n"t\n1",j1\nbad,row,extra\r\nt2,j2\n\nt4,j4\n');
    expect(await read(path)).toEqual([
      { line: 2, value: { talent_id: 't\n1', job_id: 'j1' } },
      { line: 4, error: '3 cells but the header has 2 columns' },
      { line: 5, value: { talent_id: 't2', job_id: 'j2' } },
      { line: 7, value: { talent_id: 't4', job_id: 'j4' } },
    ]);
  });

  it('reads NDJSON line by line: a broken line or a non-object is one bad row, the rest go on', async () => {
    const path = file(
      'a.ndjson',
      '{"talent_id":"t1","job_id":"j1"}\n\n{broken\n[1]\n{"talent_id":"t2","job_id":"j2"}\n',
    );
    const rows = await read(path);
    expect(rows.map((r) => r.line)).toEqual([1, 3, 4, 5]);
    expect(rows[1]?.error).toMatch(/not valid JSON/);
    expect(rows[2]?.error).toBe('not a JSON object');
    expect(rows[3]?.value).toEqual({ talent_id: 't2', job_id: 'j2' });
  });

  it('reads a JSON array by position', async () => {
    const path = file('a.json', '[{"application_id":"a1","termination_type":1}, 7]');
    expect(await read(path, 'terminate')).toEqual([
      { line: 1, value: { application_id: 'a1', termination_type: 1 } },
      { line: 2, error: 'not a JSON object' },
    ]);
  });

  it('tells the format by the first character when the name does not', async () => {
    expect((await read(file('a.txt', '  [{"talent_id":"t","job_id":"j"}]')))[0]?.value).toEqual({
      talent_id: 't',
      job_id: 'j',
    });
    expect((await read(file('b.txt', '{"talent_id":"t","job_id":"j"}\n')))[0]?.value).toEqual({
      talent_id: 't',
      job_id: 'j',
    });
    expect((await read(file('c.txt', 'talent_id,job_id\nt,j\n')))[0]?.value).toEqual({
      talent_id: 't',
      job_id: 'j',
    });
  });

  it.each([
    [
      'a CSV header with unknown and missing columns',
      'h.csv',
      'talent,job_id\nt,j\n',
      /unknown column\(s\) talent; missing column\(s\) talent_id/,
    ],
    ['an empty file', 'e.csv', '', /no rows to enqueue/],
    ['a header without rows', 'o.csv', 'talent_id,job_id\n', /only a header/],
    ['a broken JSON array', 'b.json', '[{"talent_id":', /not a valid JSON array/],
    [
      'bytes that are not UTF-8, with their line',
      'g.csv',
      Buffer.concat([Buffer.from('talent_id,job_id\nt,j\n'), Buffer.from([0xd5, 0xc5, 0x0a])]),
      /not valid UTF-8 \(near line 3\)/,
    ],
  ])('refuses %s as a whole file', async (_name, name, content, message) => {
    const failure = await read(file(name, content)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InputFileError);
    expect((failure as Error).message).toMatch(message);
  });

  it('refuses a file that does not exist, naming it', async () => {
    await expect(read(join(dir, 'missing.csv'))).rejects.toThrow(`${join(dir, 'missing.csv')}: no such file`);
  });
});

describe('openRowWriter', () => {
  const rows = [
    { application_id: 'a1', termination_type: 1, termination_reason_list: ['r1', 'r2'] },
    { application_id: 'a2', termination_type: 27, termination_reason_note: 'round closed, "final"' },
  ];

  it.each(['out.csv', 'out.ndjson', 'out.json'])(
    'writes %s so the reader takes the rows back unchanged',
    async (name) => {
      const path = join(dir, name);
      const writer = openRowWriter(path, 'terminate', [], 'outPath');
      for (const row of rows) writer.write(row);
      await writer.close();
      const back = [];
      for await (const row of validateRows('terminate', readInputRows(path, 'terminate'))) back.push(row);
      expect(back.map((r) => (r.ok ? r.input : r.errors))).toEqual(rows);
    },
  );

  it('refuses a name that does not tell the format, naming the option', () => {
    expect(() => openRowWriter(join(dir, 'out.txt'), 'create', [], 'outPath')).toThrow(InvalidOptionError);
  });
});
