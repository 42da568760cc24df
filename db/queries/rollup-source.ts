import type { Knex } from 'knex'
import type { Db } from '../client.js'
import { DAILY_CUBE, NARROW_ROLLUPS, type RollupDimension, type RollupTable } from '../rollups.js'
import type { Scope } from './scope.js'

// Reads disclosure counts from the smallest roll-ups that can answer exactly: whole calendar
// months of the period from a narrow monthly roll-up, whole weeks of what is left from a weekly
// one, and the at most six odd days at either end from a daily one (the day totals, or the
// six-dimension cube when a dimension is needed). A query names
// the dimensions it groups or filters by; the answer is a FROM clause with the columns
// practice_id, day (a month's first day for monthly rows), those dimensions and disclosures.

/** A dimension's value, or an SQL expression it must equal (e.g. ANY(...)). */
export type RollupFilter = Partial<Record<RollupDimension, string | number | Knex.Raw>>

const has = (t: RollupTable, d: RollupDimension) => t.dims.some((c) => c.column === d)
// A recipient's type comes from organisations when the table holds the recipient itself.
const covers = (t: RollupTable, d: RollupDimension) => has(t, d) || (d === 'recipient_type' && has(t, 'recipient_id'))

// Smallest first: the first table that covers every dimension wins.
const MONTHLY = NARROW_ROLLUPS.filter((t) => t.grain === 'month').sort((a, b) => rowsPerPeriod(a) - rowsPerPeriod(b))
const WEEKLY = NARROW_ROLLUPS.filter((t) => t.grain === 'week').sort((a, b) => rowsPerPeriod(a) - rowsPerPeriod(b))
const DAILY = [...NARROW_ROLLUPS.filter((t) => t.grain === 'day'), DAILY_CUBE].sort((a, b) => a.dims.length - b.dims.length)

/** Rough distinct values per practice and period, to order the candidates. */
function rowsPerPeriod(t: RollupTable): number {
  const sizes: Record<RollupDimension, number> = { data_level: 3, legal_basis: 10, purpose: 20, recipient_id: 50, recipient_type: 15 }
  return t.dims.reduce((n, d) => n * sizes[d.column], 1)
}

/** The dimensions a query groups by plus those it filters on. */
const neededDimensions = (dims: RollupDimension[], filter: RollupFilter) => [
  ...new Set([...dims, ...(Object.keys(filter) as RollupDimension[])]),
]

function pick(candidates: RollupTable[], needed: RollupDimension[]): RollupTable | undefined {
  return candidates.find((t) => needed.every((d) => covers(t, d)))
}

type DayRange = { from?: string; to?: string }

// Day arithmetic on YYYY-MM-DD strings. Days compare as strings only within years 0000-9999:
// beyond that toISOString writes '+010000-...', which sorts before '9999-...' and once made the
// month loop below run forever. So every day is checked on the way in and every loop counts.
const DAY = /^\d{4}-\d{2}-\d{2}$/
const checkedDay = (day: string) => {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new RangeError(`Not a day between years 0000 and 9999: ${day}`)
  return day
}
const isoDayOfMs = (ms: number) => checkedDay(new Date(ms).toISOString().slice(0, 10))
const addDays = (day: string, n: number) => isoDayOfMs(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000)
const firstOfMonth = (day: string) => `${day.slice(0, 7)}-01`
const addMonths = (monthStart: string, n: number) => {
  const d = new Date(`${monthStart}T00:00:00Z`)
  d.setUTCMonth(d.getUTCMonth() + n)
  return isoDayOfMs(d.getTime())
}

/**
 * Splits inclusive days [from, to] (either may be open) into the whole months inside it (as
 * first days of months), the whole Monday-to-Sunday weeks inside what is left (as Mondays;
 * never crossing a month, so a month bucket can still group them), and the days left over.
 */
export function splitPeriod(from?: string, to?: string): { months: DayRange | null; weeks: DayRange[]; days: DayRange[] } {
  if (from !== undefined) checkedDay(from)
  if (to !== undefined) checkedDay(to)
  const firstMonth = from === undefined ? undefined : from.endsWith('-01') ? from : addMonths(firstOfMonth(from), 1)
  const lastMonth = to === undefined ? undefined : addDays(to, 1).endsWith('-01') ? firstOfMonth(to) : addMonths(firstOfMonth(to), -1)
  const edges: Array<{ from: string; to: string }> = []
  let months: DayRange | null
  if (firstMonth !== undefined && lastMonth !== undefined && firstMonth > lastMonth) {
    months = null
    edges.push({ from: from!, to: to! })
  } else {
    months = { from: firstMonth, to: lastMonth }
    if (from !== undefined && firstMonth !== undefined && from < firstMonth) edges.push({ from, to: addDays(firstMonth, -1) })
    if (to !== undefined && lastMonth !== undefined && addMonths(lastMonth, 1) <= to) edges.push({ from: addMonths(lastMonth, 1), to })
  }
  const weeks: DayRange[] = []
  const days: DayRange[] = []
  for (const edge of edges.flatMap(splitAtMonths)) {
    const firstWeek = addDays(edge.from, (8 - weekday(edge.from)) % 7)
    const lastWeek = addDays(edge.to, -((weekday(edge.to) + 6) % 7) - (weekday(edge.to) === 0 ? 0 : 7))
    if (firstWeek > lastWeek) {
      days.push(edge)
      continue
    }
    weeks.push({ from: firstWeek, to: lastWeek })
    if (edge.from < firstWeek) days.push({ from: edge.from, to: addDays(firstWeek, -1) })
    if (addDays(lastWeek, 7) <= edge.to) days.push({ from: addDays(lastWeek, 7), to: edge.to })
  }
  return { months, weeks, days }
}

/** 0 = Sunday, 1 = Monday, ... */
const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay()

/** Inclusive days cut at each first of the month they cross. */
function splitAtMonths(range: { from: string; to: string }): Array<{ from: string; to: string }> {
  const parts: Array<{ from: string; to: string }> = []
  let start = range.from
  // An edge is less than two months long (the whole months went to the monthly roll-up), so a
  // third pass means a bug: stop rather than spin.
  for (let pass = 0; start <= range.to; pass++) {
    if (pass > 2) throw new RangeError(`An edge of a period spans more than two months: ${range.from} to ${range.to}`)
    const nextMonth = addMonths(firstOfMonth(start), 1)
    const end = addDays(nextMonth, -1) < range.to ? addDays(nextMonth, -1) : range.to
    parts.push({ from: start, to: end })
    start = nextMonth
  }
  return parts
}

function branch(
  db: Db,
  table: RollupTable,
  scope: Scope,
  dims: RollupDimension[],
  filter: RollupFilter,
  ranges: DayRange[],
): Knex.QueryBuilder {
  const needed = neededDimensions(dims, filter)
  const column = (d: RollupDimension) => (has(table, d) ? `t.${d}` : 'o.recipient_type')
  const q = db(`${table.table} as t`)
    .whereIn('t.practice_id', scope.practiceIds)
    .select('t.practice_id', `t.${table.grain} as day`, ...dims.map((d) => `${column(d)} as ${d}`), 't.disclosures')
  if (needed.some((d) => !has(table, d))) q.join('organisations as o', 'o.id', 't.recipient_id')
  for (const [d, value] of Object.entries(filter) as Array<[RollupDimension, string | number | Knex.Raw]>) q.where(column(d), value)
  const bounded = ranges.filter((r) => r.from !== undefined || r.to !== undefined)
  if (bounded.length === ranges.length) {
    q.where((w) => {
      for (const r of bounded) {
        w.orWhere((b) => {
          if (r.from !== undefined) b.where(`t.${table.grain}`, '>=', r.from)
          if (r.to !== undefined) b.where(`t.${table.grain}`, '<=', r.to)
        })
      }
    })
  }
  return q
}

/**
 * FROM clause "(...) AS dd" of roll-up rows for the scope. `byDay` asks for day rows throughout
 * (day and week trends); otherwise whole months come from a monthly roll-up when one covers the
 * dimensions and filter.
 */
export function rollupRows(
  db: Db,
  scope: Scope,
  dims: RollupDimension[],
  filter: RollupFilter = {},
  options: { byDay?: boolean } = {},
): Knex.Raw {
  const needed = neededDimensions(dims, filter)
  const daily = pick(DAILY, needed)!
  const monthly = options.byDay ? undefined : pick(MONTHLY, needed)
  const weekly = options.byDay ? undefined : pick(WEEKLY, needed)
  const branches: Knex.QueryBuilder[] = []
  if (!monthly || !weekly) {
    branches.push(branch(db, daily, scope, dims, filter, [{ from: scope.from, to: scope.to }]))
  } else {
    const { months, weeks, days } = splitPeriod(scope.from, scope.to)
    if (months) branches.push(branch(db, monthly, scope, dims, filter, [months]))
    if (weeks.length > 0) branches.push(branch(db, weekly, scope, dims, filter, weeks))
    if (days.length > 0) branches.push(branch(db, daily, scope, dims, filter, days))
  }
  return db.raw(`(${branches.map(() => '?').join(' UNION ALL ')}) AS dd`, branches)
}
