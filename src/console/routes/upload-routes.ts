import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { checkBatchId, newBatchId } from '../../lib/batches/batch-id';
import { BATCH_RETENTION_S } from '../../lib/retention';
import { HeaderError, InputFileError } from '../../lib/errors/input-file-error';
import { operations, type Operation } from '../../lib/feishu/hire-schemas';
import { enqueueFile, type EnqueueFileResult } from '../../producers/enqueue-file';
import { fieldsOf } from '../../lib/rows/input-fields';
import { findStaleApplicationIds } from '../../producers/stale-applications';
import type { ConsoleContext } from '../console-context';
import { apiError, needs } from '../guards';
import { safeName, UPLOAD_TTL_S, Uploads, type UploadMeta } from '../uploads';
import { APPROVAL_TTL_MS, Approvals } from '../../lib/access/approvals';
import { tellGroupApprovalAsked } from '../approval-card';
import { route } from './route';
import { checkEstimateSeconds, leavableVerdicts, UploadChecks, type LeavableVerdict } from '../upload-checks';

/** How a confirmed upload starts, kept with an approval until another person gives it. */
interface StartOptions extends Record<string, unknown> {
  defaults: Record<string, unknown>;
  priority?: 'high' | 'low';
  /** The check's verdicts whose rows are left out. */
  leaveOut?: LeavableVerdict[];
  /** Creates: a talent's active application on the job is taken as the row's (1002206). */
  existing?: 'adopt';
  /** How many rows the check's findings leave out (shown to whoever approves). */
  leftOut?: number;
}

/** How many invalid rows an upload's answer lists (the batch records them all). */
const INVALID_LISTED = 1000;

interface Received {
  fields: Record<string, string>;
  file?: { name: string; path: string };
  tooLarge: boolean;
}

/** Spools the multipart body's file to a private folder, stopping at the size limit. */
async function receive(req: Request, maxBytes: number, dir: string): Promise<Received> {
  const received: Received = { fields: {}, tooLarge: false };
  // Browsers send a file's name in UTF-8 (离职名单.csv); busboy reads latin1 unless told.
  const parser = busboy({
    headers: req.headers,
    defParamCharset: 'utf8',
    limits: { fileSize: maxBytes, files: 1, fields: 20 },
  });
  const writes: Promise<void>[] = [];
  parser.on('field', (name, value) => (received.fields[name] = value));
  parser.on('file', (name, stream, info) => {
    if (name !== 'file') return stream.resume();
    const path = join(dir, safeName(info.filename ?? 'upload'));
    received.file = { name: info.filename || 'upload', path };
    const out = createWriteStream(path);
    stream.on('limit', () => {
      received.tooLarge = true;
      stream.unpipe(out);
      stream.resume();
      out.end();
    });
    stream.pipe(out);
    writes.push(finished(out).then(() => undefined));
  });
  req.pipe(parser);
  await finished(parser);
  await Promise.all(writes);
  return received;
}

/** A mapping sent by the page: JSON of column -> field (or null). */
function parseMapping(raw: string | undefined): Record<string, string | null> | undefined | 'bad' {
  if (raw === undefined || raw === '') return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'bad';
    for (const field of Object.values(value)) if (field !== null && typeof field !== 'string') return 'bad';
    return value as Record<string, string | null>;
  } catch {
    return 'bad';
  }
}

/**
 * `POST /api/v1/uploads` (multipart: operation, file, encoding?, mapping?) reads and validates the
 * file exactly as `hire-queue enqueue` would, keeps it, and answers the preview; `POST
 * /api/v1/batches` confirms an upload into a batch.
 */
export function uploadRoutes(ctx: ConsoleContext): Router {
  const router = Router();
  const uploads = new Uploads(ctx.runtime.redis, ctx.runtime.keys);
  const approvals = new Approvals(ctx.runtime.redis, ctx.runtime.keys);
  const { settings, audit, runtime } = ctx;
  const checks = new UploadChecks(runtime, uploads, ctx.logger);
  ctx.onClose(() => checks.stopAll());
  /** An upload by its id, or undefined once a 404 is answered. */
  const knownUpload = async (uploadId: unknown, res: Response) => {
    const meta = typeof uploadId === 'string' ? await uploads.meta(uploadId) : undefined;
    if (!meta) apiError(res, 404, 'UNKNOWN_UPLOAD', 'no such upload (uploads are kept for a day)');
    return meta;
  };
  /** What the page is told of an upload: everything but who kept it where, and what a check would cost. */
  const publicMeta = (meta: UploadMeta) => {
    const { createdBy: _by, ...rest } = meta;
    return {
      ...rest,
      check: { estimateSeconds: checkEstimateSeconds(runtime, meta.valid), maxRows: settings.checkMaxRows },
    };
  };

  router.post(
    '/uploads',
    needs('operator'),
    route(ctx, async (req: Request, res: Response) => {
      const declared = Number(req.get('content-length') ?? 0);
      if (declared > settings.maxUploadBytes + 64 * 1024) return tooLarge(res, settings.maxUploadBytes);
      if (!req.is('multipart/form-data'))
        return apiError(res, 415, 'NOT_MULTIPART', 'send the file as multipart/form-data with a "file" part');
      const dir = await mkdtemp(join(tmpdir(), 'hire-queue-console-'));
      try {
        const received = await receive(req, settings.maxUploadBytes, dir);
        if (received.tooLarge) return tooLarge(res, settings.maxUploadBytes);
        const operation = received.fields.operation as Operation;
        if (!operations.includes(operation))
          return apiError(res, 422, 'INVALID_OPERATION', 'operation must be "create" or "terminate"');
        if (!received.file) return apiError(res, 422, 'NO_FILE', 'no file: send it as the "file" part');
        const mapping = parseMapping(received.fields.mapping);
        if (mapping === 'bad')
          return apiError(res, 422, 'INVALID_MAPPING', 'mapping must be JSON of column -> field (or null)');
        const file = received.file;
        let encoding = received.fields.encoding || undefined;
        const sheet = received.fields.sheet || undefined;
        let columns: string[] = [];
        let mapped: Record<string, string | null> = {};
        let rowsWithoutType = 0;
        const read = () =>
          enqueueFile(undefined, {
            operation,
            path: file.path,
            batchId: 'preview',
            sourceName: file.name,
            invalidSampleSize: INVALID_LISTED,
            ...(encoding ? { encoding } : {}),
            ...(mapping ? { mapping } : {}),
            ...(sheet ? { sheet } : {}),
            // A row without its type is checked as if it had one: the confirm step gives it.
            ...(operation === 'terminate'
              ? { defaults: { termination_type: 1 }, onDefault: () => rowsWithoutType++ }
              : {}),
            onHeader: (header, how) => {
              columns = header;
              mapped = how;
            },
          });
        let result;
        try {
          try {
            result = await read();
          } catch (error) {
            // GBK and GB18030 (Excel on a Chinese Windows) are read without being named.
            const suggested = error instanceof InputFileError ? error.encoding?.suggested : undefined;
            if (encoding !== undefined || suggested === undefined) throw error;
            encoding = suggested;
            result = await read();
          }
        } catch (error) {
          if (error instanceof HeaderError) {
            // A mapping chosen before for the same header is offered again.
            const saved = await runtime.redis.hget(
              runtime.keys.console.mappings,
              headerKey(operation, error.columns),
            );
            return apiError(res, 422, 'MAPPING_NEEDED', error.message, {
              columns: error.columns,
              mapping: saved ? (JSON.parse(saved) as Record<string, string | null>) : error.suggestedMapping,
              saved: saved !== null,
              fields: fieldsOf[operation],
            });
          }
          if (error instanceof InputFileError) return apiError(res, 422, 'INPUT_FILE', error.message);
          throw error;
        }
        const meta: UploadMeta = {
          ...previewOf(result, req),
          operation,
          fileName: file.name,
          ...(encoding ? { encoding } : {}),
          ...(mapping ? { mapping } : {}),
          ...(sheet ? { sheet } : {}),
          rowsWithoutType,
          columns,
        };
        await uploads.save(meta, file.path);
        if (mapping)
          await runtime.redis
            .multi()
            .hset(runtime.keys.console.mappings, headerKey(operation, columns), JSON.stringify(mapping))
            .expire(runtime.keys.console.mappings, 400 * 86_400)
            .exec();
        await audit.record({
          actor: meta.createdBy,
          action: 'upload',
          detail: {
            uploadId: meta.uploadId,
            file: file.name,
            operation,
            total: meta.total,
            valid: meta.valid,
          },
        });
        res.json({ ...publicMeta(meta), mapping: mapped });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
  );

  /**
   * The stale applications of a job (active, not updated for `olderThanDays`), listed under the read
   * limit, as terminate rows carrying `if_not_updated_since` and their job: the same preview as a
   * file's. The termination type is chosen at the confirm step.
   */
  router.post(
    '/uploads/stale',
    needs('operator'),
    route(ctx, async (req, res) => {
      const { jobId, olderThanDays } = (req.body ?? {}) as { jobId?: unknown; olderThanDays?: unknown };
      if (typeof jobId !== 'string' || !/^\w[\w-]{0,63}$/.test(jobId))
        return apiError(res, 422, 'INVALID_JOB', 'jobId must be a job id');
      if (typeof olderThanDays !== 'number' || !Number.isInteger(olderThanDays) || olderThanDays < 1)
        return apiError(res, 422, 'INVALID_AGE', 'olderThanDays must be a whole number of days, at least 1');
      const started = Date.now();
      const { ids, cutoffMs } = await findStaleApplicationIds(runtime.client, {
        jobId,
        olderThanMs: olderThanDays * 86_400_000,
      });
      const listedMs = Date.now() - started;
      const dir = await mkdtemp(join(tmpdir(), 'hire-queue-console-'));
      try {
        const path = join(dir, 'stale.csv');
        const lines = ids.map((id) => `${id},,${cutoffMs},${jobId}`);
        await writeFile(
          path,
          `application_id,termination_type,if_not_updated_since,job_id\n${lines.join('\n')}\n`,
        );
        const fileName = `stale-applications-${jobId}.csv`;
        // The type is chosen at the confirm step; any checks the rows meanwhile.
        const result =
          ids.length === 0
            ? undefined
            : await enqueueFile(undefined, {
                operation: 'terminate',
                path,
                batchId: 'preview',
                sourceName: fileName,
                invalidSampleSize: INVALID_LISTED,
                defaults: { termination_type: 1 },
              });
        const meta: UploadMeta = {
          ...previewOf(result, req),
          operation: 'terminate',
          fileName,
          columns: ['application_id', 'termination_type', 'if_not_updated_since', 'job_id'],
          rowsWithoutType: ids.length,
          stale: { jobId, olderThanDays, cutoff: new Date(cutoffMs).toISOString(), listedMs },
        };
        if (ids.length > 0) await uploads.save(meta, path);
        await audit.record({
          actor: meta.createdBy,
          action: 'upload',
          detail: { uploadId: meta.uploadId, staleOf: jobId, olderThanDays, found: ids.length, listedMs },
        });
        res.json({ ...publicMeta(meta), mapping: {} });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
  );

  router.get(
    '/uploads/:id',
    needs('operator'),
    route(ctx, async (req, res) => {
      const meta = await knownUpload(String(req.params.id), res);
      if (!meta) return;
      res.json(publicMeta(meta));
    }),
  );

  /**
   * The check against Feishu before anything is written (预检): reads only, in the read limit's
   * background lane, so running batches keep the reads they use.
   */
  router.post(
    '/uploads/:id/check',
    needs('operator'),
    route(ctx, async (req, res) => {
      const meta = await knownUpload(String(req.params.id), res);
      if (!meta) return;
      if (meta.valid === 0)
        return apiError(res, 422, 'NOTHING_TO_CHECK', 'the upload has no valid rows to check');
      if (meta.valid > settings.checkMaxRows)
        return apiError(
          res,
          422,
          'CHECK_TOO_LARGE',
          `a check reads ${meta.valid} rows one by one: above ${settings.checkMaxRows} (HIRE_CONSOLE_CHECK_MAX_ROWS) split the file`,
          { maxRows: settings.checkMaxRows },
        );
      if (await checks.isRunning(meta.uploadId))
        return apiError(res, 409, 'CHECK_RUNNING', 'this upload is being checked already');
      await checks.start(meta, req.caller!.name);
      const estimateSeconds = checkEstimateSeconds(runtime, meta.valid);
      await audit.record({
        actor: { openId: req.caller!.openId, name: req.caller!.name },
        action: 'check',
        detail: {
          uploadId: meta.uploadId,
          file: meta.fileName,
          operation: meta.operation,
          rows: meta.valid,
          estimateSeconds,
        },
      });
      res.status(202).json(await checks.read(meta.uploadId));
    }),
  );

  router.get(
    '/uploads/:id/check',
    needs('operator'),
    route(ctx, async (req, res) => {
      const meta = await knownUpload(String(req.params.id), res);
      if (!meta) return;
      // `?waitMs=`: answer when the check ends, or after that long (at most 25 s).
      const waitMs = Math.min(25_000, Math.max(0, Number(req.query.waitMs) || 0));
      if (waitMs > 0) await checks.ended(meta.uploadId, waitMs);
      const state = await checks.read(meta.uploadId);
      if (!state)
        return apiError(res, 404, 'NO_CHECK', 'this upload was not checked: POST to start the check');
      res.json(state);
    }),
  );

  /** Stops the check of an upload (the person went back, or does not want to wait). */
  router.post(
    '/uploads/:id/check/stop',
    needs('operator'),
    route(ctx, async (req, res) => {
      const uploadId = String(req.params.id);
      const state = await checks.read(uploadId);
      if (!state) return apiError(res, 404, 'NO_CHECK', 'this upload was not checked');
      checks.stop(uploadId);
      await checks.ended(uploadId, 5_000);
      res.json(await checks.read(uploadId));
    }),
  );

  router.post(
    '/batches',
    needs('operator'),
    route(ctx, async (req, res) => {
      const body = (req.body ?? {}) as {
        uploadId?: unknown;
        batchId?: unknown;
        priority?: unknown;
        terminationType?: unknown;
        terminationReasonIds?: unknown;
        note?: unknown;
        confirmCount?: unknown;
        leaveOut?: unknown;
        existing?: unknown;
      };
      const meta = await knownUpload(body.uploadId, res);
      if (!meta) return;
      const leaveOut = body.leaveOut ?? [];
      if (!Array.isArray(leaveOut) || !leaveOut.every((v) => leavableVerdicts.includes(v as LeavableVerdict)))
        return apiError(
          res,
          422,
          'INVALID_LEAVE_OUT',
          `leaveOut lists verdicts of the check to leave out: ${leavableVerdicts.join(', ')}`,
        );
      if (leaveOut.length > 0) {
        const check = await checks.read(meta.uploadId);
        if (check?.state !== 'done')
          return apiError(
            res,
            409,
            'CHECK_NOT_DONE',
            check
              ? `the check is ${check.state}: leave rows out once it is done`
              : 'no check was run to leave rows out by',
          );
      }
      const leftOut = await checks.leftOut(meta.uploadId, leaveOut as LeavableVerdict[], {
        adopt: body.existing === 'adopt',
      });
      const toWrite = meta.valid - leftOut.size;
      if (toWrite > settings.confirmRows && body.confirmCount !== toWrite)
        return apiError(
          res,
          422,
          'CONFIRM_COUNT',
          `${toWrite} rows will be written: type that number to confirm (confirmCount)`,
          { expected: toWrite },
        );
      if (meta.rowsWithoutType > 0 && ![1, 22, 27].includes(body.terminationType as number))
        return apiError(
          res,
          422,
          'TERMINATION_TYPE_REQUIRED',
          `${meta.rowsWithoutType} rows have no termination type: give terminationType 1, 22 or 27`,
        );
      const batchId =
        typeof body.batchId === 'string' && body.batchId !== '' ? body.batchId : newBatchId(meta.operation);
      checkBatchId(batchId);
      const priority: 'high' | 'low' | undefined =
        body.priority === 'high' || body.priority === 'low' ? body.priority : undefined;
      const defaults: Record<string, unknown> = {};
      if (meta.operation === 'terminate') {
        if (body.terminationType !== undefined) defaults.termination_type = body.terminationType;
        if (Array.isArray(body.terminationReasonIds) && body.terminationReasonIds.length > 0)
          defaults.termination_reason_list = body.terminationReasonIds;
        if (typeof body.note === 'string' && body.note !== '') defaults.termination_reason_note = body.note;
      }
      const requester = { openId: req.caller!.openId, name: req.caller!.name };
      if (body.existing !== undefined && body.existing !== 'adopt' && body.existing !== 'dead-letter')
        return apiError(res, 422, 'INVALID_EXISTING', 'existing must be "adopt" or "dead-letter"');
      if (body.existing === 'adopt' && meta.operation !== 'create')
        return apiError(res, 422, 'INVALID_EXISTING', 'existing applies to creates only');
      const options: StartOptions = {
        defaults,
        ...(leftOut.size > 0 ? { leftOut: leftOut.size } : {}),
        ...(priority ? { priority } : {}),
        ...(body.existing === 'adopt' ? { existing: 'adopt' as const } : {}),
        ...(leaveOut.length > 0 ? { leaveOut: leaveOut as LeavableVerdict[] } : {}),
      };
      if (settings.approvalRows !== undefined && toWrite > settings.approvalRows) {
        // Above the threshold nothing is enqueued: the batch waits for a second person.
        await approvals.request({
          batchId,
          operation: meta.operation,
          uploadId: meta.uploadId,
          fileName: meta.fileName,
          count: toWrite,
          options,
          requestedBy: requester,
        });
        await uploads.keep(meta.uploadId, Math.ceil(APPROVAL_TTL_MS / 1000) + UPLOAD_TTL_S);
        await audit.record({
          actor: requester,
          action: 'confirm',
          batchId,
          detail: {
            uploadId: meta.uploadId,
            file: meta.fileName,
            operation: meta.operation,
            awaitingApproval: toWrite,
            ...(leftOut.size > 0 ? { leftOut: leftOut.size } : {}),
            ...defaults,
          },
        });
        await tellGroupApprovalAsked(ctx, batchId, meta, requester);
        return res
          .status(202)
          .json({ batchId, state: 'awaitingApproval', accepted: 0, invalid: meta.invalidCount });
      }
      const started = await startFromUpload(meta, batchId, options, requester);
      if (!started)
        return apiError(res, 404, 'UNKNOWN_UPLOAD', 'the upload expired (uploads are kept for a day)');
      await audit.record({
        actor: requester,
        action: 'confirm',
        batchId,
        detail: {
          uploadId: meta.uploadId,
          file: meta.fileName,
          operation: meta.operation,
          accepted: started.accepted,
          invalid: started.invalidCount,
          ...(leftOut.size > 0 ? { leftOut: leftOut.size } : {}),
          ...defaults,
        },
      });
      res
        .status(201)
        .json({ batchId, accepted: started.accepted, invalid: started.invalidCount, leftOut: leftOut.size });
    }),
  );

  /** Enqueues an upload into its batch, recorded as started by `createdBy`; undefined once the upload expired. */
  const startFromUpload = async (
    meta: UploadMeta,
    batchId: string,
    options: StartOptions,
    createdBy: { openId: string; name: string },
  ) => {
    // Rows the check found done, failing or to skip, as the person chose: recorded so, never called.
    const leftOut = await checks.leftOut(meta.uploadId, options.leaveOut ?? [], {
      adopt: options.existing === 'adopt',
    });
    const result = await uploads.withFile(meta.uploadId, meta.fileName, (path) =>
      enqueueFile(runtime, {
        operation: meta.operation,
        path,
        batchId,
        sourceName: meta.fileName,
        ...(meta.encoding ? { encoding: meta.encoding } : {}),
        ...(meta.mapping ? { mapping: meta.mapping } : {}),
        ...(meta.sheet ? { sheet: meta.sheet } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
        ...(options.existing ? { existing: options.existing } : {}),
        defaults: options.defaults,
        ...(leftOut.size > 0 ? { settledBeforehand: (row) => leftOut.get(row.line) } : {}),
      }),
    );
    if (!result) return undefined;
    // A check still running reads for nothing now; stopped before its keys go with the upload.
    checks.stop(meta.uploadId);
    await checks.ended(meta.uploadId, 5_000);
    await runtime.redis
      .multi()
      .hset(runtime.keys.console.batchOwners, batchId, JSON.stringify(createdBy))
      .expire(runtime.keys.console.batchOwners, BATCH_RETENTION_S)
      .exec();
    await uploads.remove(meta.uploadId);
    return result;
  };

  /**
   * The approval of a batch still waiting for one, or undefined once the refusal is answered: none
   * (404), asked by `approverOpenId` itself (403, approving only), decided already (409).
   */
  const undecided = async (batchId: string, res: Response, approverOpenId?: string) => {
    const approval = await approvals.get(batchId);
    if (!approval) {
      apiError(res, 404, 'NO_APPROVAL', `batch ${batchId} is not waiting for an approval`);
      return undefined;
    }
    if (approverOpenId !== undefined && approval.requestedBy.openId === approverOpenId) {
      apiError(res, 403, 'OWN_BATCH', 'the person who confirmed a batch cannot approve it: another must');
      return undefined;
    }
    if (approval.state !== 'awaitingApproval') {
      apiError(
        res,
        409,
        'DECIDED',
        `batch ${batchId} is ${approval.state}${approval.reason ? ` (${approval.reason})` : ''}`,
      );
      return undefined;
    }
    return approval;
  };

  /** Another operator or an admin approves: the batch starts as it was confirmed. Not its requester. */
  router.post(
    '/batches/:id/approve',
    needs('operator'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const approval = await undecided(batchId, res, req.caller!.openId);
      if (!approval) return;
      const approver = { openId: req.caller!.openId, name: req.caller!.name };
      const before = await approvals.decide(batchId, 'approved', approver);
      if (before?.state !== 'awaitingApproval')
        return apiError(res, 409, 'DECIDED', `batch ${batchId} was decided already`);
      const meta = await uploads.meta(approval.uploadId);
      const started = meta
        ? await startFromUpload(meta, batchId, approval.options as StartOptions, approval.requestedBy)
        : undefined;
      if (!started)
        return apiError(res, 410, 'UPLOAD_GONE', 'the file of this batch is no longer kept: upload it again');
      await audit.record({
        actor: approver,
        action: 'approve',
        batchId,
        detail: { accepted: started.accepted, requestedBy: approval.requestedBy.name },
      });
      res.status(201).json({ batchId, accepted: started.accepted, invalid: started.invalidCount });
    }),
  );

  /** The file of a batch awaiting approval, as it was uploaded: what the approver is asked to let write. */
  router.get(
    '/batches/:id/approval-file',
    needs('viewer'),
    route(ctx, async (req, res) => {
      const approval = await approvals.get(String(req.params.id));
      const meta = approval ? await uploads.meta(approval.uploadId) : undefined;
      if (!approval || !meta)
        return apiError(res, 404, 'NO_APPROVAL_FILE', 'no file waits for an approval here');
      const sent = await uploads.withFile(meta.uploadId, meta.fileName, async (path) => {
        res.attachment(meta.fileName);
        await new Promise<void>((resolve, reject) =>
          res.sendFile(path, (error) => (error ? reject(error) : resolve())),
        );
        return true;
      });
      if (!sent) return apiError(res, 404, 'NO_APPROVAL_FILE', 'the file is no longer kept');
    }),
  );

  router.post(
    '/batches/:id/reject',
    needs('operator'),
    route(ctx, async (req, res) => {
      const batchId = String(req.params.id);
      const reason = (req.body as { reason?: unknown } | undefined)?.reason;
      if (typeof reason !== 'string' || reason.trim() === '')
        return apiError(res, 422, 'REASON_REQUIRED', 'a rejection needs { "reason": "..." }');
      const approval = await undecided(batchId, res);
      if (!approval) return;
      const by = { openId: req.caller!.openId, name: req.caller!.name };
      await approvals.decide(batchId, 'rejected', by, reason.trim());
      await uploads.remove(approval.uploadId);
      await audit.record({
        actor: by,
        action: 'reject',
        batchId,
        detail: { reason: reason.trim(), requestedBy: approval.requestedBy.name },
      });
      res.json({ batchId, state: 'rejected' });
    }),
  );

  return router;
}

function tooLarge(res: Response, maxBytes: number) {
  return apiError(
    res,
    413,
    'TOO_LARGE',
    `the file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (HIRE_CONSOLE_MAX_UPLOAD_MB)`,
  );
}

/** A file's header as the saved mappings know it: the operation and the columns, in order. */
function headerKey(operation: Operation, columns: readonly string[]): string {
  return `${operation}\t${columns.join('\u0001')}`;
}

/** What reading an upload found, as its meta keeps it (nothing read: no rows). */
function previewOf(result: EnqueueFileResult | undefined, req: Request) {
  return {
    uploadId: Uploads.newId(),
    total: result?.rows ?? 0,
    valid: result?.accepted ?? 0,
    invalid: (result?.invalidSample ?? []).map(({ line, errors }) => ({ line, errors })),
    invalidCount: result?.invalidCount ?? 0,
    createdBy: { openId: req.caller!.openId, name: req.caller!.name },
    createdAt: new Date().toISOString(),
  };
}
