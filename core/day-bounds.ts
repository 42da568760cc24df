/**
 * The window of days the ledger accepts, with no dependencies, so date pickers in the browser
 * can offer the same bounds the server enforces (core/inputs.ts).
 */

/** The earliest day the ledger reasons about: nothing it records is older. */
export const EARLIEST_DAY = '2000-01-01'
/** The latest day a record (an agreement's end, a notice's) may name. */
export const LATEST_RECORD_DAY = '2099-12-31'

/** Today (UTC) plus one year: the latest day a period may reach. */
export function latestPeriodDay(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), now.getUTCDate()))
  return d.toISOString().slice(0, 10)
}
