import { z } from 'zod'
import { PeriodDay } from '../../core/inputs.js'
/** Inclusive calendar days ('YYYY-MM-DD', England); a missing end is open. */
export interface Period {
  from?: string
  to?: string
}

// An empty date field in the period form submits "from=": that means no limit, not an error.
const OptionalDay = z.preprocess((v) => (v === '' || v === null ? undefined : v), PeriodDay.optional())

const PeriodSchema = z
  .object({ from: OptionalDay, to: OptionalDay })
  .refine((p) => !p.from || !p.to || p.from <= p.to, 'the start date ("from") is after the end date ("to")')

/** Reads ?from=&to= (inclusive days); a bad value is the caller's mistake, so a 400 that says which. */
export function readPeriod(url: URL): Period {
  const parsed = PeriodSchema.safeParse({ from: url.searchParams.get('from'), to: url.searchParams.get('to') })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.length > 0 ? `"${String(issue.path[0])}" ` : ''
    const message = `The period is not valid: ${field}${issue.message}.`
    throw new Response(message, { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
  return parsed.data
}
