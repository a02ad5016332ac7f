import { Router, type Request } from 'express';
import type { Job } from 'bullmq';
import { deadLetters } from '../../lib/batches/dead-letters';
import { newBatchId } from '../../lib/batches/batch-id';
import { ruleForCode } from '../../lib/feishu/code-rules';
import type { DeadLetter } from '../../lib/model/dead-letter';
import { BATCH_RETENTION_S } from '../../lib/retention';
import { replayDeadLetters, ReplayRefused } from '../../producers/replay-dead-letters';
import { languageOf, meaningOf } from '../code-meanings';
import type { ConsoleContext } from '../console-context';
import { apiError, needs } from '../guards';
import { route } from './route';
import { fieldsOf } from '../../lib/rows/input-fields';
import { openDownloadWriter } from '../../lib/rows/row-writer';
import { validateRow } from '../../lib/rows/validate-row';

/** Which of a batch's letters a request names: `lines` (their rows' lines) or a whole `code`. */
interface Choice {
  lines?: unknown;
  code?: unknown;
}

function chosen(body: Choice): ((letter: DeadLetter) => boolean) | undefined {
  if (Array.isArray(body.lines) && body.lines.every((l) => Number.isInteger(l))) {
    const lines = new Set(body.lines as number[]);
    return (letter) => letter.source?.line !== undefined && lines.has(letter.source.line);
  }
  if (typeof body.code === 'string' && body.code !== '') return (letter) => letter.code === body.code;
  return undefined;
}

/**
 * A batch's dead letters, grouped by code, fixed where they are shown: replayed (as they are, with
 * fields edited for all, or rows rewritten one by one) into a new batch linked both ways, or
 * discarded with a reason. The same replay as `hire-queue dlq replay --into`.
 */
export function deadLetterRoutes(ctx: ConsoleContext): Router {
  const router = Router();
  const { runtime, audit } = ctx;
  const letters = async (batchId: string): Promise<Job<DeadLetter>[]> => {
    const found: Job<DeadLetter>[] = [];
    for await (const letter of deadLetters(runtime.queues.deadLetter, { batchId })) found.push(letter);
    return found;
  };
  const actor = (req: Request) => ({ openId: req.caller!.openId, name: req.caller!.name });

  router.get(
    '/batches/:id/dead-letters',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const language = languageOf(req.query.lang, req.get('accept-language'));
      const groups = new Map<string, DeadLetter[]>();
      for (const { data } of await letters(String(req.params.id)))
        groups.set(data.code, [...(groups.get(data.code) ?? []), data]);
      res.json({
        groups: [...groups.entries()]
          .sort(([, a], [, b]) => b.length - a.length)
          .map(([code, rows]) => {
            const fix = ruleForCode(code)?.fix;
            return {
              code,
              meaning: meaningOf(code, language),
              ...(fix ? { fix } : {}),
              count: rows.length,
              rows: rows.map((l) => ({
                line: l.source?.line ?? null,
                ...(l.source?.file ? { file: l.source.file } : {}),
                input: l.input,
                message: l.message,
                ...(l.logId ? { logId: l.logId } : {}),
              })),
            };
          }),
      });
    }),
  );

  /** A group's letters as a workbook (fix them in Excel, upload the file back as a new batch). */
  router.get(
    '/batches/:id/dead-letters.xlsx',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const meta = await runtime.batches.meta(batchId);
      if (!meta) return apiError(res, 404, 'UNKNOWN_BATCH', `no batch ${batchId}`);
      const code = typeof req.query.code === 'string' ? req.query.code : undefined;
      const chosenLetters = (await letters(batchId)).filter(
        (l) => code === undefined || l.data.code === code,
      );
      res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="${batchId}-failed${code ? `-${code}` : ''}.xlsx"`,
      );
      const writer = openDownloadWriter(res, 'xlsx', [
        ...fieldsOf[meta.operation],
        'line',
        'code',
        'message',
      ]);
      for (const { data } of chosenLetters)
        await writer.write({
          ...data.input,
          line: data.source?.line ?? '',
          code: data.code,
          message: data.message,
        });
      await writer.close();
    }),
  );

  /** A row as edited, checked as a replay would check it (the editor asks as the person types). */
  router.post(
    '/batches/:id/dead-letters/validate',
    needs('operator'),
    route(ctx, async (req, res) => {
      const meta = await runtime.batches.meta(String(req.params.id));
      if (!meta) return apiError(res, 404, 'UNKNOWN_BATCH', `no such batch ${String(req.params.id)}`);
      const input = (req.body as { input?: unknown } | undefined)?.input;
      if (!input || typeof input !== 'object' || Array.isArray(input))
        return apiError(res, 422, 'NO_INPUT', 'send the row as { "input": { field: value, ... } }');
      const checked = validateRow(meta.operation, { line: 0, value: input as Record<string, unknown> });
      res.json(checked.ok ? { ok: true, errors: [] } : { ok: false, errors: checked.errors });
    }),
  );

  router.post(
    '/batches/:id/dead-letters/replay',
    needs('operator'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const body = (req.body ?? {}) as Choice & { edits?: unknown; rows?: unknown; existing?: unknown };
      if (body.existing !== undefined && body.existing !== 'adopt')
        return apiError(res, 422, 'INVALID_EXISTING', 'existing, when given, is "adopt"');
      const select = chosen(body);
      if (!select)
        return apiError(res, 422, 'CHOOSE_LETTERS', 'name the letters: { lines: [...] } or { code }');
      const edits =
        body.edits && typeof body.edits === 'object' && !Array.isArray(body.edits)
          ? (body.edits as Record<string, unknown>)
          : {};
      const rewritten = new Map<number, Record<string, unknown>>();
      if (Array.isArray(body.rows))
        for (const row of body.rows as { line?: unknown; input?: unknown }[])
          if (Number.isInteger(row.line) && row.input && typeof row.input === 'object')
            rewritten.set(row.line as number, row.input as Record<string, unknown>);
      const intoBatchId = newBatchId(`replay-${batchId}`.slice(0, 60));
      let result;
      try {
        result = await replayDeadLetters(
          runtime,
          { batchId },
          {
            intoBatchId,
            select,
            strict: true,
            ...(body.existing === 'adopt' ? { existing: 'adopt' as const } : {}),
            inputOf: (letter) => ({
              ...((letter.source?.line !== undefined && rewritten.get(letter.source.line)) || letter.input),
              ...edits,
            }),
          },
        );
      } catch (error) {
        if (error instanceof ReplayRefused)
          return apiError(res, 422, 'INVALID_EDIT', 'some rows would be invalid: nothing was replayed', {
            rows: error.invalid,
          });
        throw error;
      }
      if (!result) return apiError(res, 404, 'NO_LETTERS', `no such dead letters of batch ${batchId}`);
      const links = runtime.keys.console.batchLinks;
      const before = JSON.parse(
        (await runtime.redis.hget(links, `${batchId}:replayedInto`)) ?? '[]',
      ) as string[];
      await runtime.redis
        .multi()
        .hset(
          links,
          `${result.batchId}:replayOf`,
          batchId,
          `${batchId}:replayedInto`,
          JSON.stringify([...before, result.batchId]),
        )
        .expire(links, BATCH_RETENTION_S)
        .hset(runtime.keys.console.batchOwners, result.batchId, JSON.stringify(actor(req)))
        .exec();
      await audit.record({
        actor: actor(req),
        action: 'replay',
        batchId,
        detail: {
          into: result.batchId,
          accepted: result.accepted,
          edits: Object.keys(edits),
          rewritten: rewritten.size,
        },
      });
      res
        .status(201)
        .json({ batchId: result.batchId, accepted: result.accepted, invalid: result.invalidCount });
    }),
  );

  router.post(
    '/batches/:id/dead-letters/discard',
    needs('operator'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const body = (req.body ?? {}) as Choice & { reason?: unknown };
      const select = chosen(body);
      if (!select)
        return apiError(res, 422, 'CHOOSE_LETTERS', 'name the letters: { lines: [...] } or { code }');
      if (typeof body.reason !== 'string' || body.reason.trim() === '')
        return apiError(res, 422, 'REASON_REQUIRED', 'a discard needs { "reason": "..." }');
      const gone = (await letters(batchId)).filter((l) => select(l.data));
      for (const letter of gone) await letter.remove();
      if (gone.length > 0) {
        // The batch's page says what was left out, why and by whom (its counts keep the failures).
        const links = runtime.keys.console.batchLinks;
        const before = JSON.parse(
          (await runtime.redis.hget(links, `${batchId}:discarded`)) ?? '[]',
        ) as object[];
        const codes = [...new Set(gone.map((l) => l.data.code))];
        await runtime.redis
          .multi()
          .hset(
            links,
            `${batchId}:discarded`,
            JSON.stringify([
              ...before,
              {
                count: gone.length,
                codes,
                reason: body.reason.trim(),
                by: actor(req).name,
                at: new Date().toISOString(),
              },
            ]),
          )
          .expire(links, BATCH_RETENTION_S)
          .exec();
      }
      await audit.record({
        actor: actor(req),
        action: 'discard',
        batchId,
        detail: {
          discarded: gone.length,
          lines: gone.map((l) => l.data.source?.line),
          reason: body.reason.trim(),
        },
      });
      res.json({ discarded: gone.length });
    }),
  );

  return router;
}
