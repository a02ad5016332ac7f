import type { NextFunction, Request, Response } from 'express';
import { isHireQueueError } from '../../lib/errors/hire-queue-error';
import type { ConsoleContext } from '../console-context';
import { apiError } from '../guards';

/** HTTP statuses of the library's refusals a page can act on; any other refusal is a 422. */
const statusOf: Readonly<Record<string, number>> = {
  UNKNOWN_BATCH: 404,
  BATCH_FINISHED: 409,
  BATCH_CONFLICT: 409,
  LEGACY_BATCH: 409,
};

/** An async route whose failures answer JSON: a known refusal by its code, anything else a 500 without its stack. */
export const route =
  (ctx: ConsoleContext, handler: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction) =>
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent) return next(error);
      if (isHireQueueError(error)) {
        return apiError(res, statusOf[error.code] ?? 422, error.code, error.message);
      }
      ctx.logger.error({ err: (error as Error).message, path: req.path }, 'console request failed');
      return apiError(res, 500, 'INTERNAL', 'the console could not answer this request (see its log)');
    });
