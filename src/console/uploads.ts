import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Operation } from '../lib/feishu/hire-schemas';
import type { RedisClient } from '../lib/redis/redis-connection';
import type { RedisKeys } from '../lib/redis/redis-keys';

/** Uploads go to and from Redis in pieces of this size. */
const CHUNK_BYTES = 1024 * 1024;

/** An upload is kept this long if nobody confirms it. */
export const UPLOAD_TTL_S = 86_400;

/** What an upload is and what reading it found: the answer of `POST /api/v1/uploads`, kept for the confirm step. */
export interface UploadMeta {
  uploadId: string;
  operation: Operation;
  /** The file's name as uploaded: the batch names its rows' source by it. */
  fileName: string;
  encoding?: string;
  /** A workbook's sheet, by name (the first when unset). */
  sheet?: string;
  mapping?: Record<string, string | null>;
  total: number;
  valid: number;
  invalid: { line: number; errors: string[] }[];
  /** How many invalid rows there are (the list holds the first thousand). */
  invalidCount: number;
  columns: string[];
  /**
   * Terminate rows without a termination type: valid once the confirm step gives one (counted in
   * `valid`, so the count confirmed is the count written), which it must then.
   */
  rowsWithoutType: number;
  /** For the stale applications of a job: what was listed, and how long the listing took. */
  stale?: { jobId: string; olderThanDays: number; cutoff: string; listedMs: number };
  createdBy: { openId: string; name: string };
  createdAt: string;
}

/**
 * Uploads kept in Redis under the prefix (any replica confirms what another received): the file's
 * bytes, stored once, and what reading them found. Gone at confirm, or after a day.
 */
export class Uploads {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  static newId(): string {
    return randomBytes(12).toString('base64url');
  }

  /** Keeps the file at `path` (copied a chunk at a time: a 100 MB file never sits in memory) and its meta. */
  async save(meta: UploadMeta, path: string): Promise<void> {
    const k = this.keys.console.upload(meta.uploadId);
    await this.redis.del(k.file);
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      await this.redis.append(k.file, chunk as Buffer);
      await this.redis.expire(k.file, UPLOAD_TTL_S);
    }
    await this.redis.set(k.meta, JSON.stringify(meta), 'EX', UPLOAD_TTL_S);
  }

  async meta(uploadId: string): Promise<UploadMeta | undefined> {
    const raw = await this.redis.get(this.keys.console.upload(uploadId).meta);
    return raw === null ? undefined : (JSON.parse(raw) as UploadMeta);
  }

  /** The file, written to a private temporary folder (a chunk at a time) for as long as `use` runs. */
  async withFile<T>(
    uploadId: string,
    fileName: string,
    use: (path: string) => Promise<T>,
  ): Promise<T | undefined> {
    const key = this.keys.console.upload(uploadId).file;
    const size = await this.redis.strlen(key);
    if (size === 0) return undefined;
    const dir = await mkdtemp(join(tmpdir(), 'hire-queue-upload-'));
    try {
      const path = join(dir, safeName(fileName));
      const out = createWriteStream(path);
      for (let start = 0; start < size; start += CHUNK_BYTES) {
        const chunk = await this.redis.getrangeBuffer(key, start, Math.min(size, start + CHUNK_BYTES) - 1);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
      return await use(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Keeps the upload for `seconds` more (a batch awaiting approval starts from it). */
  async keep(uploadId: string, seconds: number): Promise<void> {
    const k = this.keys.console.upload(uploadId);
    await this.redis
      .multi()
      .expire(k.file, seconds)
      .expire(k.meta, seconds)
      .expire(k.check, seconds)
      .expire(k.findings, seconds)
      .exec();
  }

  async remove(uploadId: string): Promise<void> {
    const k = this.keys.console.upload(uploadId);
    await this.redis.del(k.file, k.meta, k.check, k.findings);
  }
}

/** A file name safe to write (its extension kept: it tells the format), whatever the browser sent. */
export function safeName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? 'upload';
  const dot = base.lastIndexOf('.');
  const extension =
    dot > 0
      ? base
          .slice(dot)
          .toLowerCase()
          .replace(/[^.a-z0-9]/g, '')
      : '';
  return `upload${extension}`;
}
