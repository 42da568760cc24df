/**
 * FHIR date search parameters (_lastUpdated, date) as the simulator understands them. A date
 * without a time covers its whole day (month, year) in UTC; a value with seconds is a point in
 * time, so `gt` with the exact lastUpdated of the last record seen means "strictly after it".
 */

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le'

export interface DateCriterion {
  prefix: DatePrefix
  /** First millisecond the value covers. */
  from: number
  /** First millisecond after it. */
  to: number
}

const DATE_PARAM =
  /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/

/** Parses one value such as `ge2026-09-01` or `gt2026-09-01T10:15:00.123Z`; an error says what is wrong. */
export function parseDateCriterion(name: string, raw: string): DateCriterion | { error: string } {
  // An unencoded "+" in a query string arrives as a space: "T10:00:00 01:00" means "+01:00".
  const value = raw.replace(/ (\d{2}:\d{2})$/, '+$1')
  const m = DATE_PARAM.exec(value)
  if (!m) return { error: `${name}=${raw} is not a FHIR date search value (e.g. ge2026-09-01 or gt2026-09-01T10:00:00Z)` }
  const [, prefix = 'eq', y, mo, d, hh, mm, ss, fraction, zone] = m
  if (prefix === 'sa' || prefix === 'eb' || prefix === 'ap') return { error: `${name}: the ${prefix} prefix is not supported here` }
  const year = Number(y)
  const month = mo === undefined ? 1 : Number(mo)
  const day = d === undefined ? 1 : Number(d)
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    return { error: `${name}=${raw} is not a real date` }
  }
  let from: number
  let to: number
  if (hh !== undefined) {
    if (Number(hh) > 23 || Number(mm) > 59 || (ss !== undefined && Number(ss) > 59)) return { error: `${name}=${raw} is not a real time` }
    const seconds = ss ?? '00'
    from = Date.parse(`${y}-${mo}-${d}T${hh}:${mm}:${seconds}${(fraction ?? '').slice(0, 4)}${zone ?? 'Z'}`)
    to = ss === undefined ? from + 60_000 : from + 1
  } else if (d !== undefined) {
    from = Date.UTC(year, month - 1, day)
    to = Date.UTC(year, month - 1, day + 1)
  } else if (mo !== undefined) {
    from = Date.UTC(year, month - 1, 1)
    to = Date.UTC(year, month, 1)
  } else {
    from = Date.UTC(year, 0, 1)
    to = Date.UTC(year + 1, 0, 1)
  }
  return { prefix: prefix as DatePrefix, from, to }
}

export function matchesDate(c: DateCriterion, t: number): boolean {
  switch (c.prefix) {
    case 'eq':
      return t >= c.from && t < c.to
    case 'ne':
      return t < c.from || t >= c.to
    case 'ge':
      return t >= c.from
    case 'gt':
      return t >= c.to
    case 'le':
      return t < c.to
    case 'lt':
      return t < c.from
  }
}

/** The times [from, to) a set of criteria allows, when they describe one interval (every prefix but ne). */
export function intervalOf(criteria: readonly DateCriterion[]): { from: number; to: number } {
  let from = -Infinity
  let to = Infinity
  for (const c of criteria) {
    if (c.prefix === 'eq' || c.prefix === 'ge') from = Math.max(from, c.from)
    if (c.prefix === 'gt') from = Math.max(from, c.to)
    if (c.prefix === 'eq' || c.prefix === 'le') to = Math.min(to, c.to)
    if (c.prefix === 'lt') to = Math.min(to, c.from)
  }
  return { from, to }
}

/** First index whose value is >= target, in an ascending array. */
export function lowerBound(sorted: Float64Array, target: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}
