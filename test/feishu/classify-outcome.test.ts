import { classifyOutcome } from '../../src/lib/feishu/classify-outcome';
import { codeRules, type FailureKind } from '../../src/lib/feishu/code-rules';
import { FeishuApiError } from '../../src/lib/feishu/feishu-api-error';
import { FleetFatalError } from '../../src/lib/errors/fleet-fatal-error';
import { InvalidInputError } from '../../src/lib/errors/invalid-input-error';
import { NetworkError } from '../../src/lib/feishu/network-error';

const answer = (feishuCode: number | undefined, httpStatus: number) =>
  new FeishuApiError('test', {
    feishuCode,
    feishuMsg: 'msg',
    httpStatus,
    logId: 'log-1',
    serverDateMs: undefined,
    rateLimitResetSeconds: httpStatus === 429 ? 2 : undefined,
  });

describe('classifyOutcome', () => {
  it.each<[number, number, 'create' | 'terminate', FailureKind]>([
    [1002221, 400, 'terminate', 'alreadyDone'],
    [1002221, 400, 'create', 'permanent'],
    [1002001, 500, 'create', 'transient'],
    [2200, 200, 'create', 'transient'],
    [99991400, 429, 'create', 'rateLimited'],
    [99991400, 400, 'terminate', 'rateLimited'],
    [1002002, 400, 'create', 'permanent'],
    [1002102, 400, 'create', 'permanent'],
    [1002206, 400, 'create', 'permanent'],
    [1002222, 400, 'create', 'permanent'],
    [1002223, 400, 'create', 'permanent'],
    [1002224, 400, 'create', 'permanent'],
    [1002511, 400, 'create', 'permanent'],
    [1002512, 400, 'create', 'permanent'],
    [99991401, 200, 'create', 'fatal'],
    [99991403, 200, 'terminate', 'fatal'],
    [99991672, 400, 'create', 'fatal'],
    [99991662, 200, 'create', 'fatal'],
    [99991673, 200, 'create', 'fatal'],
    [10003, 400, 'create', 'fatal'],
    [10014, 400, 'create', 'fatal'],
    [424242, 400, 'create', 'permanent'],
    [424242, 503, 'create', 'transient'],
    [424242, 200, 'create', 'permanent'],
  ])('code %d with HTTP %d on %s is %s', (code, status, operation, kind) => {
    expect(classifyOutcome(operation, answer(code, status)).kind).toBe(kind);
  });

  it('classifies by the body code whatever the HTTP status', () => {
    expect(classifyOutcome('create', answer(1002001, 200)).kind).toBe('transient');
    expect(classifyOutcome('create', answer(99991672, 200))).toMatchObject({
      kind: 'fatal',
      fix: expect.stringContaining('hire:application'),
    });
  });

  it('treats a bare 5xx and a 429 without a body code by their status', () => {
    expect(classifyOutcome('create', answer(undefined, 502))).toMatchObject({
      kind: 'transient',
      code: 'HTTP_502',
    });
    expect(classifyOutcome('create', answer(undefined, 429))).toMatchObject({
      kind: 'rateLimited',
      retryAfterMs: 2000,
    });
  });

  it('classifies network failures, invalid input and fleet-fatal errors', () => {
    expect(classifyOutcome('create', new NetworkError('x', 'ECONNRESET', 'reset')).kind).toBe('transient');
    expect(classifyOutcome('create', new NetworkError('x', 'TIMEOUT', 'timeout')).kind).toBe('transient');
    expect(classifyOutcome('create', new InvalidInputError(['talent_id: required'])).kind).toBe('permanent');
    expect(classifyOutcome('create', new FleetFatalError('fix it', 10014, 'bad secret')).kind).toBe('fatal');
    expect(classifyOutcome('create', new Error('boom'))).toMatchObject({
      kind: 'transient',
      code: 'UNEXPECTED',
    });
  });

  it('says which failures may have taken effect: no answer, 1002001, 2200 and bare 5xx', () => {
    const ambiguous = (error: unknown) => classifyOutcome('create', error).ambiguous;
    expect(ambiguous(new NetworkError('x', 'ECONNRESET', 'reset'))).toBe(true);
    expect(ambiguous(new NetworkError('x', 'TIMEOUT', 'timeout'))).toBe(true);
    expect(ambiguous(new NetworkError('x', 'ECONNREFUSED', 'refused'))).toBe(false);
    expect(ambiguous(answer(1002001, 500))).toBe(true);
    expect(ambiguous(answer(2200, 200))).toBe(true);
    expect(ambiguous(answer(undefined, 502))).toBe(true);
    expect(ambiguous(answer(1002206, 400))).toBe(false);
    expect(ambiguous(answer(99991400, 429))).toBe(false);
  });

  it('names the reconciliation of the answers an earlier call of the job may explain', () => {
    expect(classifyOutcome('create', answer(1002206, 400)).reconcile).toBe('ownApplication');
    expect(classifyOutcome('terminate', answer(1002221, 400)).reconcile).toBe('ownTermination');
    expect(classifyOutcome('terminate', answer(1002206, 400)).reconcile).toBeUndefined();
    expect(classifyOutcome('create', answer(1002102, 400)).reconcile).toBeUndefined();
  });

  it('gives the error class the predicates the client needs, from the same table', () => {
    expect(answer(99991400, 400).isRateLimited).toBe(true);
    expect(answer(undefined, 429).isRateLimited).toBe(true);
    expect(answer(1002001, 500).isRateLimited).toBe(false);
    for (const code of [99991661, 99991663, 99991665, 99991671])
      expect(answer(code, 400).isTokenRejected).toBe(true);
    expect(answer(10014, 400).isTokenRejected).toBe(false);
  });

  it('has a rule with a fix for every fatal code', () => {
    for (const rule of Object.values(codeRules)) {
      if (rule.kind === 'fatal') expect(rule.fix).toBeTruthy();
    }
  });
});
