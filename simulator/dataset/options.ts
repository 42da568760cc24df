/** What a simulated dataset is generated from, checked once, and the period it covers. */

export interface DatasetOptions {
  /** How many practices (1 to 500). Default 3. */
  practices?: number
  /** Days of activity, ending with endDate. Default 90. */
  days?: number
  seed?: number
  /** The last simulated day, YYYY-MM-DD. Default 2026-11-01: fixed so the data never depends on today. */
  endDate?: string
  /** Average everyday disclosures per practice per day (weekdays busier than weekends). Default 40. */
  eventsPerPracticePerDay?: number
}
export type ResolvedDatasetOptions = Required<DatasetOptions>

export const MAX_PRACTICES = 500
const DEFAULTS: ResolvedDatasetOptions = { practices: 3, days: 90, seed: 1, endDate: '2026-11-01', eventsPerPracticePerDay: 40 }

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const YEAR = 365 * DAY

export function resolveDatasetOptions(options: DatasetOptions = {}): ResolvedDatasetOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  const o: ResolvedDatasetOptions = { ...DEFAULTS, ...given }
  if (!Number.isInteger(o.practices) || o.practices < 1 || o.practices > MAX_PRACTICES) {
    throw new RangeError(`practices must be a whole number from 1 to ${MAX_PRACTICES}, not ${o.practices}.`)
  }
  if (!Number.isInteger(o.days) || o.days < 1) throw new RangeError(`days must be a whole number of at least 1, not ${o.days}.`)
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be a whole number, not ${o.seed}.`)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.endDate) || new Date(`${o.endDate}T00:00:00Z`).toISOString().slice(0, 10) !== o.endDate) {
    throw new RangeError(`endDate must be a date as YYYY-MM-DD, not ${o.endDate}.`)
  }
  if (!Number.isFinite(o.eventsPerPracticePerDay) || o.eventsPerPracticePerDay < 0) {
    throw new RangeError(`eventsPerPracticePerDay must be a number of at least 0, not ${o.eventsPerPracticePerDay}.`)
  }
  return o
}

/** First and last millisecond of the simulated period. */
export function windowOf(o: ResolvedDatasetOptions): { start: number; end: number } {
  const end = Date.parse(`${o.endDate}T00:00:00Z`) + DAY - 1
  return { start: end + 1 - o.days * DAY, end }
}
