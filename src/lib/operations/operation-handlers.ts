import type { Operation } from '../feishu/hire-schemas';
import { createApplication } from './create-application';
import type { OperationHandler } from './operation-handler';
import { terminateApplication } from './terminate-application';

/** Every operation hire-queue runs, by name (its queue's name too). */
export const operationHandlers: { readonly [O in Operation]: OperationHandler<O> } = {
  create: createApplication,
  terminate: terminateApplication,
};

export function handlerOf<O extends Operation>(operation: O): OperationHandler<O> {
  return operationHandlers[operation] as OperationHandler<O>;
}
