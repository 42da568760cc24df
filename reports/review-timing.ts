import { formatIsoDateTime } from '../core/format.js'

// An override's review timing in words, one implementation for the evidence pack and the
// incident review: its due date, and whether the first review was on time, late, or is overdue
// at the report's snapshot.

const DAY_MS = 86_400_000

/** Whole days from a to b, in words ("3 days", "1 day", "less than a day"). */
function daysBetween(a: Date, b: Date): string {
  const n = Math.floor((b.getTime() - a.getTime()) / DAY_MS)
  return n < 1 ? 'less than a day' : n === 1 ? '1 day' : `${n} days`
}

export function reviewTiming(kind: string, due: Date, firstSignedAt: Date | null, asOf: Date): string {
  if (kind === 'override_stopped') return 'No review needed (end of emergency access)'
  const dueText = `due ${formatIsoDateTime(due)}`
  if (!firstSignedAt) return asOf > due ? `Overdue by ${daysBetween(due, asOf)} (${dueText})` : `Awaiting review, ${dueText}`
  return firstSignedAt > due ? `First review ${daysBetween(due, firstSignedAt)} late (${dueText})` : `Reviewed on time (${dueText})`
}
