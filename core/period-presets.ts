/**
 * Named periods for the filter bar ("this month", "last quarter", ...), computed from a day in
 * England. One place, so the web page and anything else that offers them agree. Days are
 * 'YYYY-MM-DD', inclusive, as ?from=&to= are.
 *
 * "This ..." runs from the start of the month, quarter or financial year to today (there is
 * no data from the future); "last ..." is the whole previous one; "last 12 months" is the 12
 * whole calendar months before this one. Quarters are the calendar quarters (Jan-Mar, Apr-Jun,
 * Jul-Sep, Oct-Dec), which are also the NHS financial quarters; the financial year starts on
 * 1 April (UK).
 */

export type PresetId =
  'this-month' | 'last-month' | 'this-quarter' | 'last-quarter' | 'last-12-months' | 'this-financial-year' | 'last-financial-year'

export interface PeriodPreset {
  id: PresetId
  label: string
  from: string
  to: string
}

// The pages' own month names (core/format.ts uses the same en-GB format: "Sept", not "Sep").
const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' })
const MONTHS = Array.from({ length: 12 }, (_, m) => monthFormat.format(new Date(Date.UTC(2026, m, 1))))

// en-CA prints ISO order (YYYY-MM-DD). Made once: building an Intl formatter costs more than
// using it, and every page asks for today.
const ENGLAND_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })

/** The calendar day in England at `now` ('YYYY-MM-DD'). */
export function englandToday(now = new Date()): string {
  return ENGLAND_DAY.format(now)
}

const pad = (n: number) => String(n).padStart(2, '0')
/** First day of month `m` (0-based, may be out of range: it rolls into the next/previous year). */
function monthStart(y: number, m: number): string {
  const d = new Date(Date.UTC(y, m, 1))
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-01`
}
/** Last day of month `m` (0-based, may roll). */
function monthEnd(y: number, m: number): string {
  const d = new Date(Date.UTC(y, m + 1, 0))
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}
/** 'Oct 2026' for a first day. */
const monthName = (day: string) => `${MONTHS[Number(day.slice(5, 7)) - 1]} ${day.slice(0, 4)}`
/** 'Oct to Dec 2026', or 'Dec 2025 to Nov 2026' across a year. */
function span(from: string, to: string): string {
  return from.slice(0, 4) === to.slice(0, 4)
    ? `${MONTHS[Number(from.slice(5, 7)) - 1]} to ${monthName(to)}`
    : `${monthName(from)} to ${monthName(to)}`
}

export function periodPresets(today: string): PeriodPreset[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new Error(`periodPresets: not a day: ${today}`)
  const y = Number(today.slice(0, 4))
  const m = Number(today.slice(5, 7)) - 1
  const q = m - (m % 3) // first month of this quarter
  const fy = m >= 3 ? y : y - 1 // the year this financial year started (1 April)
  const thisMonth = monthStart(y, m)
  const lastMonth = monthStart(y, m - 1)
  const thisQuarter = monthStart(y, q)
  const lastQuarter = monthStart(y, q - 3)
  const yearAgo = monthStart(y, m - 12)
  return [
    { id: 'this-month', label: `This month (${monthName(thisMonth)})`, from: thisMonth, to: today },
    { id: 'last-month', label: `Last month (${monthName(lastMonth)})`, from: lastMonth, to: monthEnd(y, m - 1) },
    { id: 'this-quarter', label: `This quarter (${span(thisQuarter, monthEnd(y, q + 2))})`, from: thisQuarter, to: today },
    { id: 'last-quarter', label: `Last quarter (${span(lastQuarter, monthEnd(y, q - 1))})`, from: lastQuarter, to: monthEnd(y, q - 1) },
    { id: 'last-12-months', label: `Last 12 months (${span(yearAgo, monthEnd(y, m - 1))})`, from: yearAgo, to: monthEnd(y, m - 1) },
    { id: 'this-financial-year', label: `This financial year (from 1 Apr ${fy})`, from: `${fy}-04-01`, to: today },
    { id: 'last-financial-year', label: `Last financial year (Apr ${fy - 1} to Mar ${fy})`, from: `${fy - 1}-04-01`, to: `${fy}-03-31` },
  ]
}
