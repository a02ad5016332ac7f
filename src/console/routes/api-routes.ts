import express, { Router, type Request, type Response } from 'express';
import { grantableRoles, type GrantableRole } from '../../lib/access/people';
import { cancelBatch, pauseBatch, resumeBatch } from '../../lib/batches/batch-control';
import { buildBatchReport } from '../../lib/batches/batch-report';
import { resultColumns, resultRecordOf } from '../../lib/batches/result-rows';
import { fieldsOf } from '../../lib/rows/input-fields';
import { openDownloadWriter } from '../../lib/rows/row-writer';
import { groupDeadLetters, languageOf, meaningOf } from '../code-meanings';
import { handlerOf } from '../../lib/operations/operation-handlers';
import { listBatchSummaries } from '../../lib/batches/batch-summaries';
import { batchesTouching } from '../../lib/batches/batches-touching';
import { waitForBatch } from '../../lib/batches/wait-for-batch';
import { tellGroupIfBatchEnded } from '../../lib/fleet/batch-notifier';
import type { ConsoleContext } from '../console-context';
import { apiError, csrfChecked, needs, signedIn } from '../guards';
import { approvalSummary, Approvals } from '../../lib/access/approvals';
import { route } from './route';
import { sustainedPerSecond } from '../../lib/limiter/rate-limit-spec';
import { uploadRoutes } from './upload-routes';
import { deadLetterRoutes } from './dead-letter-routes';

/** The JSON API under `/api/v1`: 401 without a session, 403 for a role that may not, CSRF on every write. */
export function apiRoutes(ctx: ConsoleContext): Router {
  const api = Router();
  const { runtime, people, audit } = ctx;
  const approvals = new Approvals(runtime.redis, runtime.keys);
  api.use(express.json({ limit: '1mb' }));
  api.use(signedIn(ctx));
  api.use(csrfChecked);
  const actor = (req: Request) => ({ openId: req.caller!.openId, name: req.caller!.name });

  api.get(
    '/me',
    route(ctx, async (req, res) => {
      const { openId, name, role } = req.caller!;
      const language = await people.language(openId);
      res.json({
        openId,
        name,
        role,
        csrfToken: req.session.csrfToken,
        confirmRows: ctx.settings.confirmRows,
        ...(ctx.settings.approvalRows !== undefined ? { approvalRows: ctx.settings.approvalRows } : {}),
        ...(language ? { language } : {}),
      });
    }),
  );

  api.put(
    '/me/language',
    route(ctx, async (req, res) => {
      const language = (req.body as { language?: unknown } | undefined)?.language;
      if (language !== 'zh-CN' && language !== 'en')
        return apiError(res, 422, 'INVALID_LANGUAGE', 'language must be "zh-CN" or "en"');
      await people.setLanguage(req.caller!.openId, language);
      res.status(204).end();
    }),
  );

  api.get(
    '/people',
    needs('admin'),
    route(ctx, async (_req, res) => res.json(await people.list())),
  );

  api.put(
    '/people/:openId/role',
    needs('admin'),
    route(ctx, async (req, res) => {
      const role = (req.body as { role?: unknown } | undefined)?.role;
      if (role !== null && !grantableRoles.includes(role as GrantableRole))
        return apiError(res, 422, 'INVALID_ROLE', 'role must be "operator", "viewer" or null');
      const openId = String(req.params.openId);
      if (ctx.settings.admins.has(openId))
        return apiError(res, 409, 'ADMIN_BY_CONFIG', 'admins are named by HIRE_CONSOLE_ADMINS, not here');
      const changed = await people.setRole(openId, role as GrantableRole | null);
      if (!changed)
        return apiError(res, 404, 'UNKNOWN_PERSON', `${openId} has not signed in to the console yet`);
      await audit.record({
        actor: actor(req),
        action: role === null ? 'revokeRole' : 'grantRole',
        detail: { openId, name: changed.person.name, from: changed.before, to: role },
      });
      res.json(changed.person);
    }),
  );

  api.get(
    '/audit',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const batchId = typeof req.query.batchId === 'string' ? req.query.batchId : undefined;
      res.json({ entries: await audit.list({ batchId }) });
    }),
  );

  api.get(
    '/batches',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const { state, operation, createdBy, applicationId, talentId } = req.query;
      const owners = await runtime.redis.hgetall(runtime.keys.console.batchOwners);
      // Batches waiting for (or refused) a second person's approval have nothing enqueued yet.
      const waiting = (await approvals.unstarted()).map(approvalSummary);
      const started = (await listBatchSummaries(runtime.batches, 200)).map((b) => ({
        ...b,
        ...(owners[b.batchId] ? { createdBy: JSON.parse(owners[b.batchId]!) as object } : {}),
      }));
      const batches = [...waiting, ...started]
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .filter(
          (b) =>
            (typeof state !== 'string' || b.state === state) &&
            (typeof operation !== 'string' || b.operation === operation),
        )
        .filter(
          (b) =>
            typeof createdBy !== 'string' ||
            (b as { createdBy?: { openId?: string } }).createdBy?.openId === createdBy,
        );
      // Which batches touched this candidate? Their rows (and made applications) are searched.
      const who =
        typeof applicationId === 'string' && applicationId.trim() !== ''
          ? { applicationId: applicationId.trim() }
          : typeof talentId === 'string' && talentId.trim() !== ''
            ? { talentId: talentId.trim() }
            : undefined;
      if (!who) return res.json({ batches });
      const touching = await batchesTouching(
        runtime.redis,
        runtime.keys,
        started.map((b) => b.batchId),
        who,
      );
      res.json({ batches: batches.filter((b) => touching.has(b.batchId)) });
    }),
  );

  api.get(
    '/batches/:id',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const report = await buildBatchReport(runtime.batches, runtime.queues.deadLetter, batchId);
      if (!report) {
        const approval = await approvals.get(batchId);
        if (!approval) return apiError(res, 404, 'UNKNOWN_BATCH', `no batch ${batchId}`);
        const none = { succeeded: 0, alreadyDone: 0, skipped: 0, deadLettered: 0, cancelled: 0, invalid: 0 };
        return res.json({
          batchId,
          operation: approval.operation,
          state: approval.state,
          files: [approval.fileName],
          allRowsIn: false,
          counts: { total: approval.count, ...none, pending: approval.count },
          reconciled: 0,
          startedAt: approval.requestedAt,
          elapsedMs: 0,
          ratePerSecond: 0,
          deadLetters: [],
          invalid: [],
          createdBy: approval.requestedBy,
          approval,
          limitPerSecond: 1,
          etaSeconds: null,
          deadLetterGroups: [],
        });
      }
      const owner = await runtime.redis.hget(runtime.keys.console.batchOwners, batchId);
      // A batch started by a second person's approval: who asked when, who approved when.
      const approved = await approvals.get(batchId);
      const [replayOf, replayedInto, discarded] = await runtime.redis.hmget(
        runtime.keys.console.batchLinks,
        `${batchId}:replayOf`,
        `${batchId}:replayedInto`,
        `${batchId}:discarded`,
      );
      const language = languageOf(req.query.lang, req.get('accept-language'));
      const limitPerSecond = sustainedPerSecond(handlerOf(report.operation).limitsOf(runtime.config));
      const pending = report.counts.pending;
      res.json({
        ...report,
        ...(owner ? { createdBy: JSON.parse(owner) as object } : {}),
        ...(replayOf ? { replayOf } : {}),
        ...(replayedInto ? { replayedInto: JSON.parse(replayedInto) as string[] } : {}),
        ...(discarded ? { discarded: JSON.parse(discarded) as object[] } : {}),
        ...(approved ? { approval: approved } : {}),
        limitPerSecond,
        etaSeconds: pending === 0 || report.state !== 'running' ? null : Math.ceil(pending / limitPerSecond),
        deadLetterGroups: groupDeadLetters(report.deadLetters, language),
      });
    }),
  );

  /** Server-Sent Events: `progress` (the counts) at most once a second, then `end`. */
  api.get(
    '/batches/:id/events',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      if (!(await runtime.batches.meta(batchId)))
        return apiError(res, 404, 'UNKNOWN_BATCH', `no batch ${batchId}`);
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      try {
        const last = await waitForBatch(runtime, batchId, {
          pollMs: 1000,
          signal: gone.signal,
          onProgress: (progress) => send('progress', progress),
        });
        if (!gone.signal.aborted) send('end', last);
      } catch (error) {
        send('error', { message: (error as Error).message });
      }
      res.end();
    }),
  );

  /**
   * One row per input row, as `--results` writes it, plus the meaning of a failure's code in the
   * page's language; `?status=` keeps some statuses only (`deadLettered`: the failed file;
   * `pending,cancelled`: the unprocessed one). Streamed: a million rows in bounded memory.
   */
  api.get(
    /^\/batches\/([^/]+)\/results\.(xlsx|csv)$/,
    needs('viewer'),
    route(ctx, async (req, res) => {
      const [batchId, format] = [String(req.params[0]), req.params[1] as 'xlsx' | 'csv'];
      const meta = await runtime.batches.meta(batchId);
      if (!meta) return apiError(res, 404, 'UNKNOWN_BATCH', `no batch ${batchId}`);
      const statuses =
        typeof req.query.status === 'string' && req.query.status !== ''
          ? new Set(req.query.status.split(','))
          : undefined;
      const language = languageOf(req.query.lang, req.get('accept-language'));
      res.setHeader(
        'Content-Type',
        format === 'csv'
          ? 'text/csv; charset=utf-8'
          : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      // The failed and the unprocessed rows get names of their own: three downloads, three files.
      const part = statuses?.has('deadLettered')
        ? 'failed'
        : statuses?.has('pending')
          ? 'unprocessed'
          : 'results';
      res.setHeader('Content-Disposition', `attachment; filename="${batchId}-${part}.${format}"`);
      const columns = [...new Set([...fieldsOf[meta.operation], ...resultColumns, 'meaning'])];
      const writer = openDownloadWriter(res, format, columns);
      await buildBatchReport(runtime.batches, runtime.queues.deadLetter, batchId, async (row) => {
        if (statuses && !statuses.has(row.status)) return;
        await writer.write({ ...resultRecordOf(row), meaning: meaningOf(row.code, language) });
      });
      await writer.close();
    }),
  );

  const control = (action: 'pause' | 'resume' | 'cancel') =>
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const reason = (req.body as { reason?: unknown } | undefined)?.reason;
      if (action === 'cancel' && (typeof reason !== 'string' || reason.trim() === ''))
        return apiError(res, 422, 'REASON_REQUIRED', 'a cancel needs { "reason": "..." }');
      const result =
        action === 'pause'
          ? await pauseBatch(runtime, batchId)
          : action === 'resume'
            ? await resumeBatch(runtime, batchId)
            : await cancelBatch(runtime, batchId);
      if (action === 'cancel') await tellGroupIfBatchEnded(runtime, batchId, ctx.logger);
      await audit.record({
        actor: actor(req),
        action,
        batchId,
        detail: { ...result, ...(typeof reason === 'string' ? { reason: reason.trim() } : {}) },
      });
      res.json(result);
    });
  api.post('/batches/:id/pause', needs('operator'), control('pause'));
  api.post('/batches/:id/resume', needs('operator'), control('resume'));
  api.post('/batches/:id/cancel', needs('operator'), control('cancel'));

  api.get(
    '/termination-reasons',
    needs('viewer'),
    route(ctx, async (_req, res) => res.json({ reasons: await runtime.client.listTerminationReasons() })),
  );

  api.use(uploadRoutes(ctx));
  api.use(deadLetterRoutes(ctx));
  api.use((_req: Request, res: Response) => apiError(res, 404, 'NOT_FOUND', 'no such API route'));
  return api;
}
