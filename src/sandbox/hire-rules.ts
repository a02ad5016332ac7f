import {
  createApplicationBodySchema,
  describeIssues,
  terminateApplicationBodySchema,
  userIdTypes,
} from '../lib/feishu/hire-schemas';
import type { Application, HireState } from './hire-state';

/** What an endpoint answers: HTTP status and the `{code, msg, data}` envelope. */
export interface Answer {
  status: number;
  code: number;
  msg: string;
  data: unknown;
  /** True when the call changed state (faults "after the effect" only apply then). */
  applied?: boolean;
}

export const ok = (data: unknown, applied = false): Answer => ({
  status: 200,
  code: 0,
  msg: 'success',
  data,
  applied,
});
const fail = (status: number, code: number, msg: string): Answer => ({ status, code, msg, data: {} });
export const paramError = (msg: string) => fail(400, 1002002, `param error: ${msg}`);

/** 创建投递, with the seed's checks in the order its error table implies. */
export function createApplication(
  state: HireState,
  body: unknown,
  query: URLSearchParams,
  nowMs: number,
  maxApplicationsPerTalent: number,
): Answer {
  const userIdType = query.get('user_id_type');
  if (userIdType !== null && !(userIdTypes as readonly string[]).includes(userIdType)) {
    return paramError('user_id_type must be open_id, union_id or user_id');
  }
  const parsed = createApplicationBodySchema.safeParse(body);
  if (!parsed.success) return paramError(describeIssues(parsed.error).join('; '));
  const input = parsed.data;

  const talent = state.talents.get(input.talent_id);
  if (!talent) return fail(400, 1002102, 'talent not exist');
  if (!state.jobs.has(input.job_id)) return paramError(`job ${input.job_id} not found`);

  const source =
    input.resume_source_id === undefined ? undefined : state.resumeSources.get(input.resume_source_id);
  if (input.resume_source_id !== undefined && !source) return fail(400, 1002512, 'resume source not exist');

  const binds = source?.type === 'employee_transfer' || source?.type === 'intern_conversion';
  if (binds && input.user_id === undefined) {
    return paramError('user_id is required for an employee transfer or intern conversion resume source');
  }
  if (input.user_id !== undefined) {
    const employee = state.employees.get(input.user_id);
    if (!employee) return fail(400, 1002224, 'employee not exist');
    if (binds) {
      if (talent.boundUserId !== undefined && talent.boundUserId !== input.user_id) {
        return fail(400, 1002222, 'talent already bound to another employee');
      }
      if (employee.boundTalentId !== undefined && employee.boundTalentId !== talent.id) {
        return fail(400, 1002223, 'employee already bound to another talent');
      }
    }
  }

  const ofTalent = state.applicationsOfTalent(talent.id);
  if (ofTalent.some((a) => a.job_id === input.job_id && a.active_status === 1)) {
    return fail(400, 1002206, 'duplicate application: the talent has an active application on this job');
  }
  if (ofTalent.length >= maxApplicationsPerTalent) {
    return fail(400, 1002511, 'the talent has reached the application count limit');
  }

  const application = state.insertApplication({
    job_id: input.job_id,
    talent_id: talent.id,
    stage_id: state.firstStageOf(input.job_id).id,
    active_status: 1,
    create_time: nowMs,
    modify_time: nowMs,
    resume_source_id: input.resume_source_id,
    user_id: input.user_id,
    delivery_type: input.delivery_type,
    application_preferred_city_code_list: input.application_preferred_city_code_list,
  });
  if (binds && input.user_id !== undefined) {
    talent.boundUserId = input.user_id;
    state.employees.get(input.user_id)!.boundTalentId = talent.id;
  }
  return ok({ id: application.id }, true);
}

/** 终止投递. */
export function terminateApplication(
  state: HireState,
  applicationId: string,
  body: unknown,
  nowMs: number,
): Answer {
  const parsed = terminateApplicationBodySchema.safeParse(body);
  if (!parsed.success) return paramError(describeIssues(parsed.error).join('; '));
  const application = state.applications.get(applicationId);
  if (!application) return paramError(`application ${applicationId} not found`);
  for (const reasonId of parsed.data.termination_reason_list ?? []) {
    if (!state.terminationReasons.has(reasonId))
      return paramError(`termination reason ${reasonId} not found`);
  }
  if (application.active_status === 2) return fail(400, 1002221, 'application already terminated');
  application.active_status = 2;
  application.termination_type = parsed.data.termination_type;
  application.termination_reason_list = parsed.data.termination_reason_list;
  application.termination_reason_note = parsed.data.termination_reason_note;
  application.modify_time = nowMs;
  return ok({}, true);
}

const pageSize = (query: URLSearchParams, fallback: number): number | Answer => {
  const raw = query.get('page_size');
  if (raw === null) return fallback;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 200)
    return paramError('page_size must be an integer from 1 to 200');
  return size;
};

const pageStart = (query: URLSearchParams): number | Answer => {
  const token = query.get('page_token');
  if (token === null || token === '') return 0;
  const start = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) return paramError('page_token is invalid');
  return start;
};

function page<T>(items: T[], query: URLSearchParams, fallbackSize: number): Answer {
  const size = pageSize(query, fallbackSize);
  if (typeof size !== 'number') return size;
  const start = pageStart(query);
  if (typeof start !== 'number') return start;
  const slice = items.slice(start, start + size);
  const hasMore = start + size < items.length;
  return ok({
    items: slice,
    has_more: hasMore,
    ...(hasMore ? { page_token: Buffer.from(String(start + size)).toString('base64url') } : {}),
  });
}

const timeFilter = (query: URLSearchParams, name: string): number | undefined | Answer => {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) return paramError(`${name} must be a millisecond timestamp`);
  return Number(raw);
};

/** 获取投递列表: ids only, filtered, in a stable order. */
export function listApplications(state: HireState, query: URLSearchParams): Answer {
  const status = query.get('active_status') ?? '3';
  if (!['1', '2', '3'].includes(status)) return paramError('active_status must be 1, 2 or 3');
  const start = timeFilter(query, 'update_start_time');
  const end = timeFilter(query, 'update_end_time');
  if (typeof start === 'object') return start;
  if (typeof end === 'object') return end;
  const eq = (name: string, value: string) => {
    const wanted = query.get(name);
    return wanted === null || wanted === '' || wanted === value;
  };
  const talentId = query.get('talent_id');
  const ids = [...(talentId ? state.applicationsOfTalent(talentId) : state.applications.values())]
    .filter(
      (a) =>
        eq('job_id', a.job_id) &&
        eq('process_id', state.jobs.get(a.job_id)?.process_id ?? '') &&
        eq('talent_id', a.talent_id) &&
        eq('stage_id', a.stage_id) &&
        (status === '3' || String(a.active_status) === status) &&
        (start === undefined || a.modify_time >= start) &&
        (end === undefined || a.modify_time <= end),
    )
    .map((a) => a.id)
    .sort();
  return page(ids, query, 10);
}

export function describeApplication(state: HireState, application: Application) {
  const stage = state.stageOf(application);
  return {
    id: application.id,
    job_id: application.job_id,
    talent_id: application.talent_id,
    resume_source_id: application.resume_source_id,
    stage: { id: stage.id, zh_name: stage.zh_name, en_name: stage.en_name, type: stage.type },
    active_status: application.active_status,
    delivery_type: application.delivery_type,
    application_preferred_city_list: (application.application_preferred_city_code_list ?? []).map((code) => ({
      code,
    })),
    termination_type: application.termination_type,
    termination_reason_list: application.termination_reason_list,
    termination_reason_note: application.termination_reason_note,
    create_time: application.create_time,
    modify_time: application.modify_time,
  };
}

/** 获取投递信息. */
export function getApplication(state: HireState, applicationId: string): Answer {
  const application = state.applications.get(applicationId);
  if (!application) return paramError(`application ${applicationId} not found`);
  return ok({ application: describeApplication(state, application) });
}

/** 获取终止投递原因. */
export function listTerminationReasons(state: HireState, query: URLSearchParams): Answer {
  return page([...state.terminationReasons.values()], query, 10);
}
