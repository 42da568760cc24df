/**
 * Whether a trend chart's bucket (a day, week or month, named by its first day) is only partly
 * covered: the chosen period, or the data, starts after the bucket starts or ends before it
 * ends. Today's month is always partial: its remaining days have not happened yet. A partial
 * bucket drawn as a whole one reads as a fall (a "cliff to zero"), so the chart marks it.
 * Weeks start on Monday (PostgreSQL's date_trunc('week')). Days are 'YYYY-MM-DD'.
 */

export type TrendBucket = 'day' | 'week' | 'month'

/** The last day of the bucket that starts on `start`. */
export function bucketEnd(start: string, bucket: TrendBucket): string {
  const d = new Date(`${start}T00:00:00Z`)
  if (bucket === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10)
  if (bucket === 'week') return new Date(d.getTime() + 6 * 86_400_000).toISOString().slice(0, 10)
  return start
}

/**
 * True when [coverFrom, coverTo] (inclusive; either open) does not cover the whole bucket.
 * coverTo is never later than today (callers pass min(period end, today)).
 */
export function isPartialBucket(start: string, bucket: TrendBucket, coverFrom: string | undefined, coverTo: string | undefined): boolean {
  return (coverFrom !== undefined && coverFrom > start) || (coverTo !== undefined && coverTo < bucketEnd(start, bucket))
}
