import { z } from 'zod';

/**
 * Request shapes of the two Hire endpoints, field by field from the seed documents
 * (../shared/seeds). Shared by the client (validate before calling), the producers (validate
 * each row) and the sandbox (answer 1002002 for anything else), so there is one reading of the seeds.
 */

/** Ids go into paths and queries: these characters would change the request instead of naming a thing. */
// Control characters are the point of this pattern.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_ID = /[\s/?#%\u0000-\u001f\u007f]/;

/**
 * A number as Excel shows one it has turned into floating point: `7.00000000000000E+18`, `6.8E+18`.
 * Excel does this to every 19-digit id in a column not formatted as text; the digits past the 15th
 * are gone for good.
 */
const EXCEL_SCIENTIFIC = /^[+-]?\d+(\.\d+)?E[+-]?\d+$/i;
/** A long id written as a float (`7300000000000000027.0`): past 15 digits, a float cannot hold it. */
const FLOAT_ID = /^\d{16,}\.\d*$/;

/** "a number", "a list", ...: what a value is, as a message names it. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'true or false';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** How a message names what zod expected. */
const expectedWords: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  array: 'a list',
  object: 'an object',
  boolean: 'true or false',
};

/** The message of a field that must be text and is not. */
const mustBeText = (field: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field}: required` : `${field} must be text, got ${kindOf(issue.input)}`;

/** The message of text past its limit, with the limit and the length found. */
const atMost = (field: string, max: number) => (issue: { input?: unknown }) =>
  `${field} must be at most ${max.toLocaleString('en-US')} characters, got ${String(issue.input ?? '').length.toLocaleString('en-US')}`;

/** An id field: trimmed, 1 to 128 characters, nothing that would change a path or query. */
export const idSchema = (field: string) =>
  z
    .string({ error: mustBeText(field) })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(128, { error: atMost(field, 128) })
    .refine((value) => !EXCEL_SCIENTIFIC.test(value), {
      error: `${field} looks like Excel's scientific notation: the digits are lost; format the column as text in Excel and copy the ids again`,
    })
    .refine((value) => !FLOAT_ID.test(value), {
      error: `${field} looks like a number with a decimal point (a spreadsheet or pandas wrote the id as a float): digits past the 15th may be lost; keep the column as text and copy the ids again`,
    })
    .refine((value) => !UNSAFE_IN_ID.test(value), {
      error: `${field} must not contain whitespace, /, ?, #, % or control characters`,
    });

/** `user_id_type` query parameter of create application; default open_id. */
export const userIdTypes = ['open_id', 'union_id', 'user_id'] as const;
export type UserIdType = (typeof userIdTypes)[number];

/** Body of `POST /open-apis/hire/v1/applications`. */
export const createApplicationBodySchema = z.strictObject({
  talent_id: idSchema('talent_id'),
  job_id: idSchema('job_id'),
  user_id: idSchema('user_id').optional(),
  resume_source_id: idSchema('resume_source_id').optional(),
  application_preferred_city_code_list: z
    .array(idSchema('application_preferred_city_code_list item'), {
      error: 'application_preferred_city_code_list must be a list of city codes',
    })
    .optional(),
  delivery_type: z
    .union([z.literal(1), z.literal(2)], {
      error: 'delivery_type must be 1 (HR sourcing) or 2 (candidate applied)',
    })
    .optional(),
});
export type CreateApplicationBody = z.infer<typeof createApplicationBodySchema>;

/** A create job: the body plus the query parameter that travels with it. */
export const createApplicationInputSchema = createApplicationBodySchema.extend({
  user_id_type: z
    .enum(userIdTypes, { error: 'user_id_type must be open_id, union_id or user_id' })
    .optional(),
});
export type CreateApplicationInput = z.infer<typeof createApplicationInputSchema>;

/** Termination types of the seed: 1 we rejected the candidate, 22 the candidate declined, 27 other. */
export const terminationTypes = [1, 22, 27] as const;
export type TerminationType = (typeof terminationTypes)[number];

/** The seed's limit on a termination note. */
export const TERMINATION_NOTE_MAX_CHARS = 2000;

/** Body of `POST /open-apis/hire/v1/applications/:application_id/terminate`. */
export const terminateApplicationBodySchema = z.strictObject({
  termination_type: z.union([z.literal(1), z.literal(22), z.literal(27)], {
    error: 'termination_type must be 1 (we rejected), 22 (candidate declined) or 27 (other)',
  }),
  termination_reason_list: z
    .array(idSchema('termination_reason_list item'), {
      error: 'termination_reason_list must be a list of reason ids',
    })
    .optional(),
  termination_reason_note: z
    .string({ error: mustBeText('termination_reason_note') })
    .max(TERMINATION_NOTE_MAX_CHARS, { error: atMost('termination_reason_note', TERMINATION_NOTE_MAX_CHARS) })
    .optional(),
});
export type TerminateApplicationBody = z.infer<typeof terminateApplicationBodySchema>;

/** A terminate job: the path parameter plus the body. */
export const terminateApplicationInputSchema = terminateApplicationBodySchema.extend({
  application_id: idSchema('application_id'),
});
export type TerminateApplicationInput = z.infer<typeof terminateApplicationInputSchema>;

/** An ISO 8601 date, or date and time with an optional zone: what `Date.parse` reads the same everywhere. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** A cutoff this far ahead is a clock's difference, not a typo. */
const FUTURE_TOLERANCE_MS = 60_000;

/**
 * hire-queue's own guard on a terminate row, never sent to Feishu: terminate only if the
 * application was not updated after this instant. A millisecond timestamp or an ISO time; kept as ms.
 */
export const ifNotUpdatedSinceSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const ms =
    typeof value === 'number'
      ? value
      : /^\d+$/.test(text!)
        ? Number(text)
        : ISO_TIME.test(text!)
          ? Date.parse(text!)
          : Number.NaN;
  const problem = !Number.isSafeInteger(ms)
    ? 'if_not_updated_since must be a millisecond timestamp or an ISO time like 2026-11-01T00:00:00Z'
    : ms < 100_000_000_000
      ? `if_not_updated_since ${ms} looks like seconds, not milliseconds (it would be ${new Date(ms).toISOString()}): multiply by 1000`
      : ms > Date.now() + FUTURE_TOLERANCE_MS
        ? `if_not_updated_since ${new Date(ms).toISOString()} is in the future: every application would count as not updated since`
        : undefined;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return ms;
});

/** A terminate job: the call's input plus hire-queue's guard. */
export const terminateJobInputSchema = terminateApplicationInputSchema.extend({
  if_not_updated_since: ifNotUpdatedSinceSchema.optional(),
  /**
   * hire-queue's own, never sent to Feishu: the application's job. With `if_not_updated_since`, the
   * guard lists the job's applications updated since then once for the fleet, instead of reading
   * each application (`UpdatedSinceListing`).
   */
  job_id: idSchema('job_id').optional(),
});
export type TerminateJobInput = z.infer<typeof terminateJobInputSchema>;

export type Operation = 'create' | 'terminate';
export const operations: readonly Operation[] = ['create', 'terminate'];

/** What a row, and so a job, of each operation holds. */
export const inputSchemas = {
  create: createApplicationInputSchema,
  terminate: terminateJobInputSchema,
} as const;

export interface InputOf {
  create: CreateApplicationInput;
  terminate: TerminateJobInput;
}

/** The fields a file of each operation must have a column for. */
export const requiredFields: { readonly [O in Operation]: readonly (keyof InputOf[O] & string)[] } = {
  create: ['talent_id', 'job_id'],
  terminate: ['application_id', 'termination_type'],
};

/**
 * Parses with the offending value kept on each issue (zod leaves it out unless asked), so a message
 * tells a wrong type ("must be text, got a number") from a missing field ("required").
 */
export function checkInput<O extends Operation>(operation: O, value: unknown) {
  return inputSchemas[operation].safeParse(value, { reportInput: true });
}

/** Readable one-line reasons, each naming its field, e.g. `delivery_type: must be 1 ... or 2 ...`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_type') {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return `${path}: required`;
      if (!issue.message.startsWith(path))
        return `${path}: must be ${expectedWords[issue.expected] ?? issue.expected}, got ${kindOf(input)}`;
    }
    if (!path || issue.message.startsWith(path)) return issue.message;
    return `${path}: ${issue.message}`;
  });
}
