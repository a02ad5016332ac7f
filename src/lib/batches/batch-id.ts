import { randomBytes } from 'node:crypto';
import { InvalidOptionError } from '../errors/invalid-option-error';
import { batchIdPattern } from '../model/hire-job';
import type { Operation } from '../feishu/hire-schemas';

/** `create-20261122-013000-ab12`: sortable, readable, unique enough for one tenant. */
export function newBatchId(operation: Operation | string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${operation}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** `batchId` as it is, or an error naming `option`, the setting that gave it. */
export function checkBatchId(batchId: string, option = 'batchId'): string {
  if (!batchIdPattern.test(batchId)) {
    throw new InvalidOptionError(option, `"${batchId}": use 1 to 100 letters, digits, ".", "_" or "-"`);
  }
  return batchId;
}
