// How numbers, days and instants are written, once for the pages and the reports. Each function's
// name says its format: formatDay is '7 Dec 2026' (for reading), formatIsoDay '2026-12-07' (for
// tables that sort and match the exports). Fixed locale and time zone: the server and the browser
// must print the same text, or hydration fails; and the practices are in England whatever the
// viewer's machine says.

const count = new Intl.NumberFormat('en-GB')
const month = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' })
const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
const londonDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Europe/London' })
const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
})

/**
 * 12345 -> '12,345'. Whole numbers are grouped by hand: a dashboard page prints a few hundred
 * counts, and Intl's format cost more than the rest of the table's cells together.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return count.format(n)
  const digits = String(Math.abs(n))
  let out = digits.length > 3 ? digits.slice(0, digits.length % 3 || 3) : digits
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`
  return n < 0 ? `-${out}` : out
}

/** 'YYYY-MM-DD' -> '1 Mar 2026'. */
export const formatDay = (isoDay: string) => day.format(new Date(`${isoDay}T00:00:00Z`))

/** 'YYYY-MM-DD' (any day of the month; a longer timestamp is cut to its day) -> 'Mar 2026'. */
export const formatMonth = (isoDay: string) => month.format(new Date(`${isoDay.slice(0, 10)}T00:00:00Z`))

/** An instant -> '1 Mar 2026', its day in UK time; '' for none. */
export const formatInstantDay = (instant: string | Date | null) => (instant ? londonDay.format(new Date(instant)) : '')

/** An instant -> '1 Mar 2026, 14:05' in UK time. */
export const formatDateTime = (instant: string | Date) => dateTime.format(new Date(instant))

/** A date column -> '2026-03-01', whether pg returned a Date (local midnight) or a string; '' for none. */
export function formatIsoDay(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value.slice(0, 10)
  const y = value.getFullYear()
  const m = String(value.getMonth() + 1).padStart(2, '0')
  const d = String(value.getDate()).padStart(2, '0')
  return `${y}-${m}-${d}`
}

const isoClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

/** London's offset from UTC (ms) during one UTC hour; clocks change on whole UTC hours. */
const offsetByHour = new Map<number, number>()
function londonOffset(ms: number): number {
  const hour = Math.floor(ms / 3_600_000)
  let off = offsetByHour.get(hour)
  if (off === undefined) {
    const at = hour * 3_600_000
    const p = Object.fromEntries(isoClock.formatToParts(new Date(at)).map((x) => [x.type, x.value]))
    off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - at
    if (offsetByHour.size >= 100_000) offsetByHour.clear()
    offsetByHour.set(hour, off)
  }
  return off
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/**
 * An instant -> '2026-03-01 14:05' in Europe/London; '' for none. Reports print many of these
 * per page, so the offset is worked out once per hour, not formatted per row.
 */
export function formatIsoDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return ''
  const ms = (value instanceof Date ? value : new Date(value)).getTime()
  const local = new Date(ms + londonOffset(ms)) // its UTC fields are London's wall clock
  return `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())} ${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}`
}
