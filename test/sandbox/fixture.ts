import type { Fixture } from '../../src/sandbox/sandbox-config';

const stages = [
  { id: 'stage-screen', zh_name: '简历筛选', en_name: 'Screening', type: 1 },
  { id: 'stage-interview', zh_name: '面试', en_name: 'Interview', type: 3 },
];

/** A small tenant where each situation of the seeds' error tables can be set up by name. */
export function smallFixture(nowMs: number, activeApplications = 3): Fixture {
  return {
    talents: [
      { id: 'talent-free' },
      { id: 'talent-busy' },
      { id: 'talent-bound', boundUserId: 'emp-a' },
      { id: 'talent-other' },
    ],
    jobs: [
      { id: 'job-1', stages },
      { id: 'job-2', stages },
      { id: 'job-3', stages },
    ],
    resumeSources: [
      { id: 'src-normal', type: 'normal' },
      { id: 'src-transfer', type: 'employee_transfer' },
    ],
    employees: [{ userId: 'emp-a', boundTalentId: 'talent-bound' }, { userId: 'emp-b' }],
    terminationReasons: [
      {
        id: 'reason-1',
        name: { zh_cn: '不合适', en_us: 'Not a fit' },
        termination_type: 1,
        active_status: 1,
      },
    ],
    applications: Array.from({ length: activeApplications }, (_, i) => ({
      id: `app-${i + 1}`,
      job_id: 'job-1',
      talent_id: i === 0 ? 'talent-busy' : `talent-stale-${i}`,
      stage_id: i % 2 === 0 ? 'stage-screen' : 'stage-interview',
      active_status: 1 as const,
      create_time: nowMs - 50 * 86_400_000,
      modify_time: nowMs - (i + 1) * 10 * 86_400_000,
    })),
  };
}
