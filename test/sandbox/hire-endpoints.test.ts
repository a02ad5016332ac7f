import { call, fetchToken, openSandbox, type TestSandbox } from '../helpers/sandbox';
import { smallFixture } from './fixture';

const CREATE = '/open-apis/hire/v1/applications';
const terminatePath = (id: string) => `/open-apis/hire/v1/applications/${id}/terminate`;

describe('sandbox create application (创建投递) error table', () => {
  let sandbox: TestSandbox;
  let token: string;
  const create = (body: unknown, query = '') => call(sandbox, 'POST', `${CREATE}${query}`, { body, token });

  beforeEach(async () => {
    sandbox = await openSandbox({
      config: { fixture: smallFixture(Date.now()), maxApplicationsPerTalent: 2 },
    });
    token = await fetchToken(sandbox);
  });
  afterEach(() => sandbox.close());

  it('creates an application and answers its id in the envelope with an X-Tt-Logid', async () => {
    const answer = await create({
      talent_id: 'talent-free',
      job_id: 'job-1',
      resume_source_id: 'src-normal',
      application_preferred_city_code_list: ['CN_1'],
      delivery_type: 1,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ code: 0, msg: 'success', data: { id: expect.any(String) } });
    expect(answer.headers.get('x-tt-logid')).toMatch(/^\w{10,}$/);
    const created = sandbox.state.applications.get(String(answer.body.data.id));
    expect(created).toMatchObject({ talent_id: 'talent-free', job_id: 'job-1', active_status: 1 });
  });

  it.each([
    ['talent missing', { talent_id: 'talent-ghost', job_id: 'job-1' }, 1002102],
    ['active application on that job', { talent_id: 'talent-busy', job_id: 'job-1' }, 1002206],
    [
      'unknown resume source',
      { talent_id: 'talent-free', job_id: 'job-1', resume_source_id: 'src-ghost' },
      1002512,
    ],
    ['employee missing', { talent_id: 'talent-free', job_id: 'job-1', user_id: 'emp-ghost' }, 1002224],
    [
      'talent bound to another employee',
      { talent_id: 'talent-bound', job_id: 'job-2', user_id: 'emp-b', resume_source_id: 'src-transfer' },
      1002222,
    ],
    [
      'employee bound to another talent',
      { talent_id: 'talent-free', job_id: 'job-2', user_id: 'emp-a', resume_source_id: 'src-transfer' },
      1002223,
    ],
  ])('%s answers HTTP 400 with %s', async (_situation, body, code) => {
    const answer = await create(body);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe(code);
    expect(answer.headers.get('x-tt-logid')).toBeTruthy();
  });

  it('answers 1002511 once the talent reached its application count limit', async () => {
    expect((await create({ talent_id: 'talent-free', job_id: 'job-1' })).body.code).toBe(0);
    expect((await create({ talent_id: 'talent-free', job_id: 'job-2' })).body.code).toBe(0);
    const third = await create({ talent_id: 'talent-free', job_id: 'job-3' });
    expect([third.status, third.body.code]).toEqual([400, 1002511]);
  });

  it.each([
    ['missing talent_id', { job_id: 'job-1' }],
    ['talent_id of the wrong type', { talent_id: 42, job_id: 'job-1' }],
    ['delivery_type outside 1|2', { talent_id: 'talent-free', job_id: 'job-1', delivery_type: 3 }],
    [
      'city list not a list',
      { talent_id: 'talent-free', job_id: 'job-1', application_preferred_city_code_list: 'CN_1' },
    ],
    ['unknown field', { talent_id: 'talent-free', job_id: 'job-1', talentid: 'x' }],
    ['unknown job', { talent_id: 'talent-free', job_id: 'job-ghost' }],
    [
      'transfer source without user_id',
      { talent_id: 'talent-free', job_id: 'job-1', resume_source_id: 'src-transfer' },
    ],
  ])('answers 1002002 for %s', async (_what, body) => {
    const answer = await create(body);
    expect([answer.status, answer.body.code]).toEqual([400, 1002002]);
    expect(sandbox.stats().applications.total).toBe(3);
  });

  it('answers 1002002 for a body that is not JSON and for a bad user_id_type', async () => {
    const raw = await call(sandbox, 'POST', CREATE, { rawBody: '{not json', token });
    expect(raw.body.code).toBe(1002002);
    const badType = await create({ talent_id: 'talent-free', job_id: 'job-1' }, '?user_id_type=email');
    expect(badType.body.code).toBe(1002002);
  });

  it('binds talent and employee on an employee-transfer application', async () => {
    const answer = await create({
      talent_id: 'talent-other',
      job_id: 'job-2',
      user_id: 'emp-b',
      resume_source_id: 'src-transfer',
    });
    expect(answer.body.code).toBe(0);
    expect(sandbox.state.employees.get('emp-b')?.boundTalentId).toBe('talent-other');
  });
});

describe('sandbox terminate application (终止投递)', () => {
  it('terminates, then answers 1002221; rejects bad types and unknown reasons with 1002002', async () => {
    const sandbox = await openSandbox({ config: { fixture: smallFixture(Date.now()) } });
    const token = await fetchToken(sandbox);
    const terminate = (id: string, body: unknown) =>
      call(sandbox, 'POST', terminatePath(id), { body, token });

    const done = await terminate('app-1', {
      termination_type: 1,
      termination_reason_list: ['reason-1'],
      termination_reason_note: '不符合期望',
    });
    expect(done.body).toEqual({ code: 0, msg: 'success', data: {} });
    expect(sandbox.state.applications.get('app-1')).toMatchObject({ active_status: 2, termination_type: 1 });

    const again = await terminate('app-1', { termination_type: 1 });
    expect([again.status, again.body.code]).toEqual([400, 1002221]);
    expect((await terminate('app-2', { termination_type: 2 })).body.code).toBe(1002002);
    expect((await terminate('app-2', { termination_type: '1' })).body.code).toBe(1002002);
    expect((await terminate('app-2', {})).body.code).toBe(1002002);
    expect(
      (await terminate('app-2', { termination_type: 22, termination_reason_list: ['nope'] })).body.code,
    ).toBe(1002002);
    expect(sandbox.state.applications.get('app-2')?.active_status).toBe(1);
    await sandbox.close();
  });
});

describe('sandbox read endpoints', () => {
  it('lists application ids with filters and pages, gets one, lists termination reasons', async () => {
    const now = Date.now();
    const sandbox = await openSandbox({ config: { fixture: smallFixture(now, 7) } });
    const token = await fetchToken(sandbox);
    const list = (query: string) =>
      call(sandbox, 'GET', `/open-apis/hire/v1/applications?${query}`, { token });

    const page1 = await list('job_id=job-1&active_status=1&page_size=3');
    expect(page1.body.data).toMatchObject({ items: ['app-1', 'app-2', 'app-3'], has_more: true });
    const page2 = await list(
      `job_id=job-1&active_status=1&page_size=3&page_token=${String(page1.body.data.page_token)}`,
    );
    const page3 = await list(
      `job_id=job-1&active_status=1&page_size=3&page_token=${String(page2.body.data.page_token)}`,
    );
    expect([...(page2.body.data.items as string[]), ...(page3.body.data.items as string[])]).toEqual([
      'app-4',
      'app-5',
      'app-6',
      'app-7',
    ]);
    expect(page3.body.data.has_more).toBe(false);

    // Every filter the client offers narrows the list, process_id (the job's hiring process) too.
    expect((await list('process_id=process-job-1&page_size=200')).body.data.items).toHaveLength(7);
    expect((await list('process_id=process-job-2&page_size=200')).body.data.items).toEqual([]);
    expect((await list('talent_id=talent-busy&job_id=job-1&page_size=200')).body.data.items).toEqual([
      'app-1',
    ]);

    // Not updated in the last 35 days: modified 40, 50, 60, 70 days ago.
    const cutoff = now - 35 * 86_400_000;
    const stale = await list(`job_id=job-1&update_end_time=${cutoff}&page_size=200`);
    expect(stale.body.data.items).toEqual(['app-4', 'app-5', 'app-6', 'app-7']);
    expect((await list('stage_id=stage-interview&page_size=200')).body.data.items).toEqual([
      'app-2',
      'app-4',
      'app-6',
    ]);
    expect((await list('page_size=201')).body.code).toBe(1002002);

    const got = await call(sandbox, 'GET', '/open-apis/hire/v1/applications/app-2', { token });
    expect(got.body.data.application).toMatchObject({
      id: 'app-2',
      talent_id: 'talent-stale-1',
      stage: { id: 'stage-interview', en_name: 'Interview' },
      active_status: 1,
      create_time: now - 50 * 86_400_000,
      modify_time: now - 20 * 86_400_000,
    });

    const reasons = await call(sandbox, 'GET', '/open-apis/hire/v1/termination_reasons?page_size=50', {
      token,
    });
    expect(reasons.body.data.items).toEqual([
      expect.objectContaining({ id: 'reason-1', termination_type: 1 }),
    ]);
    await sandbox.close();
  });
});

describe('sandbox snapshot', () => {
  it('starts a new sandbox where the last one left off, applications and their fields kept', async () => {
    const first = await openSandbox({
      config: { generate: { talents: 5, jobs: 1, applications: 3, employees: 0, maxAgeDays: 5 } },
    });
    const app = first.state.insertApplication({
      job_id: [...first.state.jobs.keys()][0]!,
      talent_id: [...first.state.talents.keys()][0]!,
      stage_id: 'stage-1',
      active_status: 2,
      create_time: 1,
      modify_time: 2,
      termination_type: 27,
      termination_reason_note: '面试后不合适',
    });
    const snapshot = first.snapshot();
    await first.close();
    const second = await openSandbox({ config: { fixture: snapshot } });
    expect(second.state.applications.get(app.id)).toEqual(app);
    expect(second.state.applications.size).toBe(4);
    const { id: _id, ...fields } = app;
    expect(second.state.insertApplication({ ...fields, active_status: 1 }).id).not.toBe(app.id);
    await second.close();
  });
});
