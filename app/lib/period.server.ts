import { z } from 'zod'
import { PeriodDay } from '../../core/inputs.js'
/** Inclusive calendar days ('YYYY-MM-DD', England); a missing end is open. */
export interface Period {
  from?: string
  to?: string
}

/** Why ?from=&to= was refused, and which field to show it at. */
export interface PeriodError {
  field: 'from' | 'to'
  message: string
}

// An empty date field in the period form submits "from=": that means no limit, not an error.
const OptionalDay = z.preprocess((v) => (v === '' || v === null ? undefined : v), PeriodDay.optional())

const PeriodSchema = z
  .object({ from: OptionalDay, to: OptionalDay })
  .refine((p) => !p.from || !p.to || p.from <= p.to, { message: 'the start date ("from") is after the end date ("to")', path: ['from'] })

/**
 * Reads ?from=&to= (inclusive days). A bad value is the person's mistake and is said at the
 * field, so a page keeps its filter bar: the period falls back to none (every date) and the
 * error goes with it.
 */
export function readPeriod(url: URL): { period: Period; error?: PeriodError } {
  const parsed = PeriodSchema.safeParse({ from: url.searchParams.get('from'), to: url.searchParams.get('to') })
  if (parsed.success) return { period: parsed.data }
  const issue = parsed.error.issues[0]!
  const field = issue.path[0] === 'to' ? 'to' : 'from'
  const named = issue.message.startsWith('the start date') ? '' : `"${field}" `
  return { period: {}, error: { field, message: `The period is not valid: ${named}${issue.message}.` } }
}

/** For a file (a CSV export), which cannot show an error at a field: a bad period is a 400 that says which. */
export function requirePeriod(url: URL): Period {
  const { period, error } = readPeriod(url)
  if (error)
    throw new Response(error.message, { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  return period
}

/**
 * A form's From and To (a report's, a statement's): each message at its field, in the words the
 * form shows. One implementation for every form that asks for a period.
 */
export function checkPeriodFields(from: string, to: string): { from?: string; to?: string } {
  const day = (value: string, label: string) => {
    if (value.trim() === '') return `Enter the ${label} day of the period.`
    const r = PeriodDay.safeParse(value.trim())
    return r.success ? undefined : `The ${label} day ${r.error.issues[0]!.message}.`
  }
  const errors: { from?: string; to?: string } = {}
  const fromError = day(from, 'first')
  const toError = day(to, 'last')
  if (fromError) errors.from = fromError
  if (toError) errors.to = toError
  if (!fromError && !toError && from.trim() > to.trim()) errors.to = 'The last day of the period must be on or after the first day.'
  return errors
}
