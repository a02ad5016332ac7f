import { classifyOutcome } from '../../src/lib/feishu/classify-outcome';
import { FeishuApiError } from '../../src/lib/feishu/feishu-api-error';
import { FleetFatalError } from '../../src/lib/errors/fleet-fatal-error';
import { NetworkError } from '../../src/lib/feishu/network-error';
import { decideAfterFailure, type FailureContext } from '../../src/lib/jobs/failure-decision';

const answer = (feishuCode: number | undefined, httpStatus: number, resetSeconds?: number) =>
  new FeishuApiError('test', {
    feishuCode,
    feishuMsg: 'msg',
    httpStatus,
    logId: undefined,
    serverDateMs: undefined,
    rateLimitResetSeconds: resetSeconds,
  });

const firstAttempt: FailureContext = { attempt: 1, attemptsAllowed: 5, earlierCallMayHaveTakenEffect: false };
const afterAmbiguousCall: FailureContext = { ...firstAttempt, earlierCallMayHaveTakenEffect: true };
const lastAttempt: FailureContext = { ...firstAttempt, attempt: 5 };

describe('decideAfterFailure: what a classified failure does to its job', () => {
  it.each([
    [
      'a permanent answer dead-letters at once',
      'create',
      answer(1002102, 400),
      firstAttempt,
      { action: 'deadLetter', reason: 'permanent error' },
    ],
    [
      'a duplicate with no earlier effect is a real duplicate',
      'create',
      answer(1002206, 400),
      firstAttempt,
      { action: 'deadLetter', reason: 'duplicate: an active application of this talent on this job exists' },
    ],
    [
      'a duplicate after an ambiguous call is reconciled',
      'create',
      answer(1002206, 400),
      afterAmbiguousCall,
      {
        action: 'reconcile',
        reconcile: 'ownApplication',
        ifNotOurs: {
          action: 'deadLetter',
          reason:
            'duplicate: an active application of this talent on this job exists, created before this job first called',
        },
      },
    ],
    [
      'already terminated, first call: already done',
      'terminate',
      answer(1002221, 400),
      firstAttempt,
      { action: 'alreadyDone' },
    ],
    [
      'already terminated after an ambiguous call is reconciled',
      'terminate',
      answer(1002221, 400),
      afterAmbiguousCall,
      { action: 'reconcile', reconcile: 'ownTermination', ifNotOurs: { action: 'alreadyDone' } },
    ],
    [
      'a transient failure retries while attempts remain',
      'create',
      answer(1002001, 500),
      firstAttempt,
      { action: 'retryLater' },
    ],
    [
      'a transient failure on the last attempt dead-letters',
      'create',
      new NetworkError('x', 'TIMEOUT', 't'),
      lastAttempt,
      { action: 'deadLetter', reason: 'retries exhausted after 5 attempts' },
    ],
    [
      'rate limiting waits what Feishu asked, whatever the attempt',
      'create',
      answer(99991400, 429, 3),
      lastAttempt,
      { action: 'waitForRateLimit', delayMs: 3000 },
    ],
    [
      'rate limiting without a reset waits a second',
      'terminate',
      answer(undefined, 429),
      firstAttempt,
      { action: 'waitForRateLimit', delayMs: 1000 },
    ],
    [
      'a fleet-fatal code halts the fleet and fails nothing',
      'create',
      answer(99991672, 400),
      lastAttempt,
      { action: 'haltFleet' },
    ],
    [
      'bad credentials stop only this process',
      'create',
      new FleetFatalError('fix', 10014, 'bad'),
      firstAttempt,
      { action: 'stopProcess' },
    ],
    [
      "this machine's IP off the allow-list stops only this process",
      'create',
      answer(99991401, 400),
      firstAttempt,
      { action: 'stopProcess' },
    ],
    [
      'an exhausted quota halts the fleet',
      'terminate',
      answer(99991403, 200),
      firstAttempt,
      { action: 'haltFleet' },
    ],
  ] as const)('%s', (_name, operation, error, context, expected) => {
    expect(decideAfterFailure(classifyOutcome(operation, error), context)).toEqual(expected);
  });
});
