import type { Fixture, GenerateSpec } from './sandbox-config';
import type { Random } from './random';

export interface Stage {
  id: string;
  zh_name: string;
  en_name: string;
  type: number;
}
export interface Talent {
  id: string;
  boundUserId?: string | undefined;
}
export interface Job {
  id: string;
  /** The hiring process (招聘流程) the job follows; the list endpoint filters on it. */
  process_id: string;
  stages: Stage[];
}
export type ResumeSourceType = 'normal' | 'employee_transfer' | 'intern_conversion';
export interface ResumeSource {
  id: string;
  type: ResumeSourceType;
}
export interface Employee {
  userId: string;
  boundTalentId?: string | undefined;
}
export interface TerminationReason {
  id: string;
  name: { zh_cn: string; en_us: string };
  termination_type: 1 | 22 | 27;
  active_status: 1 | 2;
}
export interface Application {
  id: string;
  job_id: string;
  talent_id: string;
  stage_id: string;
  active_status: 1 | 2;
  create_time: number;
  modify_time: number;
  resume_source_id?: string | undefined;
  user_id?: string | undefined;
  delivery_type?: number | undefined;
  application_preferred_city_code_list?: string[] | undefined;
  termination_type?: number | undefined;
  termination_reason_list?: string[] | undefined;
  termination_reason_note?: string | undefined;
}

const defaultStages: Stage[] = [
  { id: '7000000000000000101', zh_name: '简历筛选', en_name: 'Resume screening', type: 1 },
  { id: '7000000000000000102', zh_name: '笔试', en_name: 'Written test', type: 2 },
  { id: '7000000000000000103', zh_name: '面试', en_name: 'Interview', type: 3 },
  { id: '7000000000000000104', zh_name: 'Offer', en_name: 'Offer', type: 5 },
];

const defaultTerminationReasons: TerminationReason[] = [
  {
    id: '7230753910687080001',
    name: { zh_cn: '能力不匹配', en_us: 'Skills do not match' },
    termination_type: 1,
  },
  { id: '7230753910687080002', name: { zh_cn: '职位已关闭', en_us: 'Position closed' }, termination_type: 1 },
  {
    id: '7230753910687080003',
    name: { zh_cn: '接受了其他机会', en_us: 'Took another offer' },
    termination_type: 22,
  },
  { id: '7230753910687080004', name: { zh_cn: '薪资不符', en_us: 'Salary mismatch' }, termination_type: 22 },
  { id: '7230753910687080005', name: { zh_cn: '其他', en_us: 'Other' }, termination_type: 27 },
  { id: '7230753910687080006', name: { zh_cn: '旧原因', en_us: 'Retired reason' }, termination_type: 27 },
].map((reason, index) => ({ ...reason, active_status: index === 5 ? 2 : 1 }) as TerminationReason);

const idOf = (prefix: string, n: number) => `${prefix}${String(n).padStart(19 - prefix.length, '0')}`;

/** Ids the generator hands out, predictable so that a user can write rows against a fresh sandbox. */
export const generatedIds = {
  talent: (n: number) => idOf('69', n),
  job: (n: number) => idOf('68', n),
  employee: (n: number) => `ou_sandbox_${String(n).padStart(4, '0')}`,
  resumeSource: {
    normal: '7115289562569591001',
    employee_transfer: '7115289562569591002',
    intern_conversion: '7115289562569591003',
  },
  application: (n: number) => idOf('73', n),
} as const;

/** The tenant's Hire data, in memory. */
export class HireState {
  readonly talents = new Map<string, Talent>();
  readonly jobs = new Map<string, Job>();
  readonly resumeSources = new Map<string, ResumeSource>();
  readonly employees = new Map<string, Employee>();
  readonly terminationReasons = new Map<string, TerminationReason>();
  readonly applications = new Map<string, Application>();
  /** A talent's applications: a create checks them, and a scan of all of them made the sandbox slow down as a benchmark filled it. */
  private readonly applicationsByTalent = new Map<string, Application[]>();
  private nextApplication = 1;

  static fromFixture(fixture: Fixture): HireState {
    const state = new HireState();
    for (const t of fixture.talents) state.talents.set(t.id, { ...t });
    for (const j of fixture.jobs)
      state.jobs.set(j.id, { ...j, process_id: j.process_id ?? `process-${j.id}` });
    for (const r of fixture.resumeSources) state.resumeSources.set(r.id, { ...r });
    for (const e of fixture.employees) state.employees.set(e.userId, { ...e });
    const reasons =
      fixture.terminationReasons.length > 0 ? fixture.terminationReasons : defaultTerminationReasons;
    for (const r of reasons) state.terminationReasons.set(r.id, { ...r });
    for (const a of fixture.applications) {
      const job = state.jobs.get(a.job_id);
      state.addApplication({
        ...a,
        stage_id: a.stage_id ?? job?.stages[0]?.id ?? defaultStages[0]!.id,
      });
    }
    return state;
  }

  /** A tenant from a few numbers; existing applications get stages and ages from `random`. */
  static generate(spec: GenerateSpec, random: Random, nowMs: number): HireState {
    const state = new HireState();
    for (let n = 1; n <= spec.talents; n++)
      state.talents.set(generatedIds.talent(n), { id: generatedIds.talent(n) });
    for (let n = 1; n <= spec.jobs; n++)
      state.jobs.set(generatedIds.job(n), {
        id: generatedIds.job(n),
        process_id: `process-${generatedIds.job(n)}`,
        stages: defaultStages,
      });
    for (const [type, id] of Object.entries(generatedIds.resumeSource)) {
      state.resumeSources.set(id, { id, type: type as ResumeSourceType });
    }
    for (let n = 1; n <= spec.employees; n++)
      state.employees.set(generatedIds.employee(n), { userId: generatedIds.employee(n) });
    for (const r of defaultTerminationReasons) state.terminationReasons.set(r.id, { ...r });
    const talentIds = [...state.talents.keys()];
    const jobIds = [...state.jobs.keys()];
    const dayMs = 86_400_000;
    // Existing applications take the last talents, so the first ones stay free for new creates.
    for (let n = 0; n < spec.applications && talentIds.length > 0 && jobIds.length > 0; n++) {
      const talentId = talentIds[talentIds.length - 1 - (n % talentIds.length)]!;
      const jobId = jobIds[Math.floor(n / talentIds.length) % jobIds.length]!;
      const modified = nowMs - Math.floor(random() * spec.maxAgeDays * dayMs);
      state.insertApplication({
        job_id: jobId,
        talent_id: talentId,
        stage_id: defaultStages[Math.floor(random() * defaultStages.length)]!.id,
        active_status: 1,
        create_time: modified - Math.floor(random() * 10 * dayMs),
        modify_time: modified,
      });
    }
    return state;
  }

  /** The whole state as a fixture: what `fromFixture` loads back (a restart that keeps the state). */
  toFixture(): Fixture {
    const defined = <T extends object>(value: T) =>
      Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
    return {
      talents: [...this.talents.values()].map(defined),
      jobs: [...this.jobs.values()].map(defined),
      resumeSources: [...this.resumeSources.values()].map(defined),
      employees: [...this.employees.values()].map(defined),
      terminationReasons: [...this.terminationReasons.values()].map(defined),
      applications: [...this.applications.values()].map(defined) as Fixture['applications'],
    };
  }

  insertApplication(fields: Omit<Application, 'id'>): Application {
    let id = generatedIds.application(this.nextApplication++);
    while (this.applications.has(id)) id = generatedIds.application(this.nextApplication++);
    const application: Application = { id, ...fields };
    this.addApplication(application);
    return application;
  }

  applicationsOfTalent(talentId: string): readonly Application[] {
    return this.applicationsByTalent.get(talentId) ?? [];
  }

  private addApplication(application: Application): void {
    this.applications.set(application.id, application);
    const ofTalent = this.applicationsByTalent.get(application.talent_id);
    if (ofTalent) ofTalent.push(application);
    else this.applicationsByTalent.set(application.talent_id, [application]);
  }

  stageOf(application: Application): Stage {
    const stages = this.jobs.get(application.job_id)?.stages ?? defaultStages;
    return stages.find((s) => s.id === application.stage_id) ?? stages[0] ?? defaultStages[0]!;
  }

  firstStageOf(jobId: string): Stage {
    return this.jobs.get(jobId)?.stages[0] ?? defaultStages[0]!;
  }
}
