import { loadSandboxConfigFile } from '../../src/sandbox/sandbox-config';
import { call, fetchToken, openSandbox } from '../helpers/sandbox';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CREATE = '/open-apis/hire/v1/applications';

describe('sandbox fault injection', () => {
  it('injects 1002001 before the effect at the configured rate', async () => {
    const calls = 1000;
    const rate = 0.2;
    const sandbox = await openSandbox({
      config: {
        limits: { listTerminationReasons: [] },
        faults: { listTerminationReasons: { errorBeforeEffect: rate } },
      },
    });
    const token = await fetchToken(sandbox);
    let errors = 0;
    for (let i = 0; i < calls; i++) {
      const answer = await call(sandbox, 'GET', '/open-apis/hire/v1/termination_reasons', { token });
      if (answer.body.code === 1002001) {
        expect(answer.status).toBe(500);
        errors++;
      }
    }
    // Binomial(1000, 0.2): sd ~12.6; five sd either side.
    expect(Math.abs(errors - calls * rate)).toBeLessThan(5 * Math.sqrt(calls * rate * (1 - rate)));
    expect(sandbox.stats().endpoints.listTerminationReasons.faults.errorBeforeEffect).toBe(errors);
    await sandbox.close();
  });

  it('applies the effect and still answers 1002001 when the fault comes after it', async () => {
    const sandbox = await openSandbox({ config: { faults: { create: { errorAfterEffect: 1 } } } });
    const token = await fetchToken(sandbox);
    const before = sandbox.stats().applications.total;
    const answer = await call(sandbox, 'POST', CREATE, {
      body: { talent_id: '6900000000000000001', job_id: '6800000000000000001' },
      token,
    });
    expect([answer.status, answer.body.code]).toEqual([500, 1002001]);
    expect(sandbox.stats().applications.total).toBe(before + 1);
    await sandbox.close();
  });

  it('drops the connection before or after the effect', async () => {
    const sandbox = await openSandbox({ config: { faults: { create: { dropBeforeEffect: 1 } } } });
    const token = await fetchToken(sandbox);
    const body = { talent_id: '6900000000000000001', job_id: '6800000000000000001' };
    const before = sandbox.stats().applications.total;
    await expect(call(sandbox, 'POST', CREATE, { body, token })).rejects.toThrow();
    expect(sandbox.stats().applications.total).toBe(before);
    sandbox.setFaults('create', { dropBeforeEffect: 0, dropAfterEffect: 1 });
    await expect(call(sandbox, 'POST', CREATE, { body, token })).rejects.toThrow();
    expect(sandbox.stats().applications.total).toBe(before + 1);
    expect(sandbox.stats().endpoints.create.faults).toEqual({ dropBeforeEffect: 1, dropAfterEffect: 1 });
    await sandbox.close();
  });

  it('holds the answer past a client timeout with the effect applied', async () => {
    const sandbox = await openSandbox({
      config: { faults: { terminate: { slowAnswer: 1, slowAnswerDelayMs: 60_000 } } },
    });
    const token = await fetchToken(sandbox);
    const id = [...sandbox.state.applications.keys()][0]!;
    await expect(
      call(sandbox, 'POST', `/open-apis/hire/v1/applications/${id}/terminate`, {
        body: { termination_type: 27 },
        token,
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(sandbox.state.applications.get(id)?.active_status).toBe(2);
    await sandbox.close();
  });

  it('draws the same faults for the same seed', async () => {
    const run = async () => {
      const sandbox = await openSandbox({
        config: {
          rngSeed: 7,
          limits: { listTerminationReasons: [] },
          faults: { listTerminationReasons: { errorBeforeEffect: 0.5 } },
        },
      });
      const token = await fetchToken(sandbox);
      const codes: number[] = [];
      for (let i = 0; i < 20; i++) {
        codes.push(
          (await call(sandbox, 'GET', '/open-apis/hire/v1/termination_reasons', { token })).body.code,
        );
      }
      await sandbox.close();
      return codes;
    };
    expect(await run()).toEqual(await run());
  });
});

describe('sandbox config file', () => {
  const write = (content: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'hq-sandbox-')), 'config.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('reads limits, faults and generation numbers', () => {
    const config = loadSandboxConfigFile(
      write({
        limits: { terminate: '5/s' },
        faults: { create: { errorAfterEffect: 0.1 } },
        generate: { talents: 5 },
      }),
    );
    expect(config.limits.terminate).toEqual([{ limit: 5, windowMs: 1000 }]);
    expect(config.limits.create).toEqual([
      { limit: 50, windowMs: 1000 },
      { limit: 1000, windowMs: 60_000 },
    ]);
    expect(config.faults.create.errorAfterEffect).toBe(0.1);
    expect(config.generate.talents).toBe(5);
  });

  it('names the field that is wrong', () => {
    expect(() => loadSandboxConfigFile(write({ faults: { create: { errorAfterEffect: 2 } } }))).toThrow(
      /faults\.create\.errorAfterEffect/,
    );
    expect(() => loadSandboxConfigFile(write({ limits: { create: 'fast' } }))).toThrow(/"fast" is not a cap/);
  });
});
