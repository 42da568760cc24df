import { z } from 'zod'
import { EARLIEST_DAY, LATEST_RECORD_DAY, latestPeriodDay } from './day-bounds.js'
import { isValidNhsNumber } from './identifiers.js'
import { DATA_LEVELS, type DataLevel as DataLevelCode } from '../db/queries/disclosures.js'
import { ODS_PRACTICE_PATTERN } from '../db/queries/practices.js'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES, type Role as RoleCode } from '../db/queries/users.js'

export { EARLIEST_DAY, LATEST_RECORD_DAY, latestPeriodDay }

/**
 * Bounded input, in one place: every date, number, length and code that arrives from a person
 * (web form, query string, CLI flag) is checked here before it reaches a query. Bounds are what
 * keep a request from taking the service down (a year-9999 period once looped forever), so each
 * schema is bounded by construction and the error is one sentence fit to show at the field.
 */

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/

/** True for a real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isCalendarDay(v: string): boolean {
  if (!DAY_PATTERN.test(v)) return false
  const d = new Date(`${v}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v
}

const ukDay = (v: string) => `${v.slice(8, 10)}/${v.slice(5, 7)}/${v.slice(0, 4)}`

// The same checks read two ways: as the end of a sentence naming the field ("\"from\" is not a
// real calendar date") for query strings and the CLI, or as a whole sentence for a form field.
const FRAGMENT = {
  format: 'must be a date written YYYY-MM-DD, such as 2026-03-01',
  real: 'is not a real calendar date',
  after: (d: string) => `must be on or after ${d}`,
  before: (d: string) => `must be on or before ${d}`,
}
const SENTENCE: typeof FRAGMENT = {
  format: 'Enter a date written YYYY-MM-DD, such as 2026-03-01',
  real: 'Enter a real calendar date',
  after: (d: string) => `Enter a date on or after ${d}`,
  before: (d: string) => `Enter a date on or before ${d}`,
}

function daySchema(latest: () => string, words = FRAGMENT) {
  return z
    .string()
    .trim()
    .max(10, words.format)
    .regex(DAY_PATTERN, words.format)
    .refine(isCalendarDay, words.real)
    .refine((v) => v >= EARLIEST_DAY, words.after(ukDay(EARLIEST_DAY)))
    .superRefine((v, ctx) => {
      const last = latest()
      if (v > last) ctx.addIssue({ code: z.ZodIssueCode.custom, message: words.before(ukDay(last)) })
    })
}

/** A day of a reporting period or filter: 2000-01-01 to a year after today. */
export const PeriodDay = daySchema(() => latestPeriodDay())
/** A day stored on a record that may lie years ahead (an agreement's end): 2000-01-01 to 2099-12-31. */
export const RecordDay = daySchema(() => LATEST_RECORD_DAY)
/** RecordDay for a form field: each error is a whole sentence shown beside the field. */
export const RecordDayField = daySchema(() => LATEST_RECORD_DAY, SENTENCE)

/**
 * A day someone types for a record (an agreement's start or end): a real calendar date from
 * 2000-01-01 to 2099-12-31. Its errors are whole sentences, shown at a web field or after the
 * CLI option's name, so both doors say the same thing.
 */
export const IsoDay = RecordDayField

/** Text that must be given, trimmed, at most `max` characters. */
export const requiredText = (max: number, empty: string, tooLong: string) => z.string().trim().min(1, empty).max(max, tooLong)

/** A GP practice's ODS code: one letter and five digits (A81001); lower case is accepted. */
export const OdsCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(ODS_PRACTICE_PATTERN, 'Enter the practice ODS code: one letter and five digits, such as A81001')

/** Any organisation's ODS code (3 to 10 letters and digits), or empty when it has none. */
export const OrganisationOdsCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine(
    (v) => v === '' || /^[A-Z0-9]{3,10}$/.test(v),
    'An ODS code is 3 to 10 letters and digits; leave it empty if the recipient has none',
  )

export const Email = z
  .string()
  .trim()
  .min(1, 'Enter an e-mail address')
  .max(254, 'The e-mail address is too long')
  .email('Enter an e-mail address like name@practice.nhs.uk')

/** A new password: its bounds are the ones sign-in and hashing enforce (db/queries/users.ts). */
export const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `The password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `The password is longer than ${MAX_PASSWORD_LENGTH} characters`)
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH }

/** How identifiable the data an agreement allows or a disclosure carried is. */
export { DATA_LEVELS, ROLES }
export type DataLevel = DataLevelCode
export type Role = RoleCode
/**
 * A patient's NHS number as a person types it (spaces or hyphens allowed), to its 10 digits,
 * modulus 11 checked. The statement page and `ledger statement` both read it with this. The
 * messages never repeat the number.
 */
export const NhsNumber = z
  .string()
  .transform((v) => v.replace(/[\s-]+/g, ''))
  .refine((d) => d !== '', "Enter the patient's NHS number.")
  .refine((d) => d === '' || /^\d{10}$/.test(d), 'An NHS number is 10 digits, often written in groups of 3, 3 and 4.')
  .refine(
    (d) => !/^\d{10}$/.test(d) || isValidNhsNumber(d),
    'This is not a valid NHS number: its last digit does not match the check. Check each digit.',
  )

export const DataLevel = z.enum(DATA_LEVELS, { message: 'Choose the level of data the agreement allows' })
export const Role = z.enum(ROLES, { message: 'Choose a role' })

/** Checks one value against a schema; the sentence is ready for a field or a CLI error. */
export function checkValue<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; message: string } {
  const r = schema.safeParse(value)
  return r.success ? { ok: true, value: r.data } : { ok: false, message: r.error.issues[0]!.message }
}

/** The first problem with each field (keyed by the input's field name), as a sentence for the person who typed it. */
export function issuesByField(error: z.ZodError, fallback = 'form'): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? fallback)
    errors[field] ??= issue.message
  }
  return errors
}

/** A whole number within [min, max] from text; anything else (1e400, -0.5, "12abc") is refused. */
export function boundedInt(min: number, max: number, message = `must be a whole number from ${min} to ${max}`) {
  return z
    .string()
    .trim()
    .max(16, message)
    .regex(/^-?\d+$/, message)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, message)
}

/**
 * Looks a code up among a record's own keys only: `__proto__`, `constructor` or `toString`
 * are not codes, whatever `in` or `obj[key]` would say.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(record, key) ? record[key] : undefined
}
