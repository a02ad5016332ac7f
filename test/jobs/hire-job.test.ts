import { hireJobId } from '../../src/lib/jobs/hire-job';

describe('hireJobId: the same row of the same batch makes one job', () => {
  const row = { talent_id: '7000000000000000001', job_id: '6800000000000000001', delivery_type: 1 };

  it('is the same for the same row, whatever the order of its fields or absent ones', () => {
    const reordered = { delivery_type: 1, job_id: row.job_id, talent_id: row.talent_id, user_id: undefined };
    expect(hireJobId('create', 'b1', reordered)).toBe(hireJobId('create', 'b1', row));
  });

  it('differs by operation, batch and any value, lists included', () => {
    const id = hireJobId('create', 'b1', row);
    expect(hireJobId('terminate', 'b1', row)).not.toBe(id);
    expect(hireJobId('create', 'b2', row)).not.toBe(id);
    expect(hireJobId('create', 'b1', { ...row, delivery_type: 2 })).not.toBe(id);
    const cities = (list: string[]) =>
      hireJobId('create', 'b1', { ...row, application_preferred_city_code_list: list });
    expect(cities(['CN_1', 'CN_2'])).not.toBe(cities(['CN_2', 'CN_1']));
  });

  it('is a valid BullMQ custom id: no colon, not an integer', () => {
    const id = hireJobId('create', 'nightly.2026-11-23_a', row);
    expect(id).not.toContain(':');
    expect(Number.isInteger(Number(id))).toBe(false);
    expect(id).toMatch(/^create-nightly\.2026-11-23_a-[0-9a-f]{32}$/);
  });
});
