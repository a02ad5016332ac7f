import { hireJobId, storedInput } from '../../src/lib/model/hire-job';

describe('storedInput: the same row of a batch makes one job', () => {
  const row = { talent_id: '7000000000000000001', job_id: '6800000000000000001', delivery_type: 1 };
  const digest = (input: unknown) => storedInput(input).digest;

  it('is the same for the same row, whatever the order of its fields or absent ones', () => {
    const reordered = { delivery_type: 1, job_id: row.job_id, talent_id: row.talent_id, user_id: undefined };
    expect(digest(reordered)).toBe(digest(row));
    // Stored as the row's input: JSON that reads back as the row.
    expect(storedInput(reordered).json).toBe(storedInput(row).json);
    expect(JSON.parse(storedInput(reordered).json)).toEqual(row);
  });

  it('differs by any value, lists included', () => {
    expect(digest({ ...row, delivery_type: 2 })).not.toBe(digest(row));
    const cities = (list: string[]) => digest({ ...row, application_preferred_city_code_list: list });
    expect(cities(['CN_1', 'CN_2'])).not.toBe(cities(['CN_2', 'CN_1']));
  });
});

describe('hireJobId: one job per line of a batch', () => {
  it('is short, differs by batch and line, and is a valid BullMQ custom id (no colon, not an integer)', () => {
    const ids = [hireJobId('1', 2), hireJobId('1', 3), hireJobId('2', 2), hireJobId('zz', 1_000_001)];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(`${parseInt(id, 10)}`).not.toBe(id);
    }
    expect(hireJobId('zz', 1_000_001)).toBe('zz-lflt');
  });
});
