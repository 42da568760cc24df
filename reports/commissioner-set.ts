import {
  codeLabels,
  collectionCoverage,
  disclosureBuckets,
  icbPracticeIds,
  latestPublishedNdop,
  monthlyOptOuts,
  practiceIcbs,
  setPractices,
  type Db,
} from './queries/index.js'
import {
  controlSet,
  type ControlFigure,
  type ControlOutcome,
  type ControlProblem,
  type ControlTableSpec,
  type Decision,
} from './disclosure-set.js'
import { formatIsoDateTime } from '../core/format.js'

// The commissioner report's figures, decided for the whole set an ICB receives
// (docs/decisions/021-disclosure-control-sets.md): each practice's four quarterly reports and
// its annual report for an NHS financial year (April to March), and the roll-up of all the
// ICB's practices for the same five periods. Suppression is decided once over that set, so a
// figure printed in several reports (a practice-month, a practice's quarter total) is the same
// everywhere, and no difference between reports narrows a hidden count. A report outside the
// set (another period, a subset of the ICB) is decided afterwards with the set's decisions
// fixed. `commissionerTables` gives exactly the tables the PDF prints (the attack test reads
// them).

export interface ReportSpec {
  practiceIds: number[]
  from: string
  to: string
}

export const NO_DATA = 'no data'

/** A printed figure: its key in the set, and the published value (null = "*", NO_DATA = outside collection). */
export interface PublishedCell {
  key: string
  value: Decision | typeof NO_DATA
}

export interface PublishedRow {
  code: string
  label: string
  cell: PublishedCell
}

export interface OptOutRow {
  practiceId: number | null
  label: string
  listSize: number | null
  listSizeAsOf: string | null
  ndop: PublishedCell
  type1: PublishedCell
  /** NHS England's published NDOP figure for the practice, as recorded (public; printed as published). */
  published: { asOf: string; optOuts: number; listSize: number } | null
}

export interface CommissionerTables {
  spec: ReportSpec
  practices: Array<{ id: number; odsCode: string; name: string }>
  /** True when no month of the period has collected data for any practice of the report. */
  noData: boolean
  byPurpose: { rows: PublishedRow[]; total: PublishedCell }
  byType: { rows: PublishedRow[]; total: PublishedCell }
  byMonth: {
    months: Array<{ month: string; from: string; to: string }>
    /** [month][practice] */
    cells: PublishedCell[][]
    /** Per month, all practices (roll-up only; for one practice it is the cell). */
    rowTotals: PublishedCell[]
    /** Per practice, the whole period. */
    columnTotals: PublishedCell[]
    grandTotal: PublishedCell
  }
  optOuts: { asAt: string; asAtNote: string; rows: OptOutRow[]; total: { ndop: PublishedCell; type1: PublishedCell } | null }
}

// ---- periods

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
const monthEnd = (m: string) => addDays(`${nextMonth(m)}-01`, -1)
function nextMonth(m: string): string {
  const [y, mm] = m.split('-').map(Number) as [number, number]
  return mm === 12 ? `${y + 1}-01` : `${y}-${String(mm + 1).padStart(2, '0')}`
}

/** The NHS financial year (1 April to 31 March) a day falls in, and its quarters. */
export function financialYear(day: string): { year: ReportSpec; quarters: ReportSpec[] } {
  const y = Number(day.slice(0, 4)) - (Number(day.slice(5, 7)) < 4 ? 1 : 0)
  const q = (from: string, to: string): ReportSpec => ({ practiceIds: [], from, to })
  return {
    year: q(`${y}-04-01`, `${y + 1}-03-31`),
    quarters: [
      q(`${y}-04-01`, `${y}-06-30`),
      q(`${y}-07-01`, `${y}-09-30`),
      q(`${y}-10-01`, `${y}-12-31`),
      q(`${y + 1}-01-01`, `${y + 1}-03-31`),
    ],
  }
}

/** The months of a period, clipped to it. */
export function periodMonths(from: string, to: string): Array<{ month: string; from: string; to: string }> {
  const out = []
  for (let m = from.slice(0, 7); m <= to.slice(0, 7); m = nextMonth(m)) {
    out.push({ month: m, from: `${m}-01` < from ? from : `${m}-01`, to: monthEnd(m) > to ? to : monthEnd(m) })
  }
  return out
}

/** The day opt-outs are stated at: the period's end, or yesterday if the period has not ended. */
export function optOutAsAt(to: string, generatedAt: Date): { asAt: string; note: string } {
  const today = formatIsoDateTime(generatedAt).slice(0, 10)
  if (to < today) return { asAt: to, note: `at the end of ${to}, the period's last day` }
  const y = addDays(today, -1)
  return { asAt: y, note: `at the end of ${y} (yesterday: the period ends ${to}, on or after the day this report was produced)` }
}

// ---- keys (one figure, one key, whichever table prints it)

const ids = (p: number[]) => [...p].sort((a, b) => a - b).join('+')
export const totalKey = (p: number[], from: string, to: string) => `T|${ids(p)}|${from}|${to}`
export const purposeKey = (p: number[], from: string, to: string, code: string) => `U|${ids(p)}|${from}|${to}|${code}`
export const typeKey = (p: number[], from: string, to: string, code: string) => `R|${ids(p)}|${from}|${to}|${code}`
export const optOutKey = (kind: 'ndop' | 'type1', p: number[], asAt: string) => `O${kind === 'ndop' ? 'N' : 'Y'}|${ids(p)}|${asAt}`

// ---- the set's data

export interface SetData {
  practices: Array<{ id: number; odsCode: string; name: string; listSize: number | null; listSizeAsOf: string | null }>
  reports: ReportSpec[]
  /** Periods split at every report boundary. */
  blocks: Array<{ from: string; to: string }>
  /** Blocks split again at month starts; `block` is the block each lies in. */
  subBlocks: Array<{ from: string; to: string; block: number }>
  purposes: Map<string, string>
  types: Map<string, string>
  /** `${practice}|${block}|${code}` -> disclosures */
  byPurpose: Map<string, number>
  byType: Map<string, number>
  /** `${practice}|${subBlock}` -> disclosures */
  bySub: Map<string, number>
  /** Per practice, the first and last day collected data can speak for (null: nothing collected). */
  coverage: Map<number, { first: string; last: string } | null>
  /** `${practice}|${asAt}` -> counts */
  optOuts: Map<string, { ndop: number; type1: number }>
  published: Map<string, { asOf: string; optOuts: number; listSize: number } | null>
  asAt: Map<string, { asAt: string; note: string }>
}

function splitPoints(periods: Array<{ from: string; to: string }>, months: boolean): Array<{ from: string; to: string }> {
  const lo = periods.reduce((a, p) => (p.from < a ? p.from : a), periods[0]!.from)
  const hi = periods.reduce((a, p) => (p.to > a ? p.to : a), periods[0]!.to)
  const cuts = new Set<string>()
  for (const p of periods) {
    cuts.add(p.from)
    cuts.add(addDays(p.to, 1))
  }
  if (months) for (const m of periodMonths(lo, hi)) cuts.add(m.from)
  const sorted = [...cuts].filter((c) => c >= lo && c <= addDays(hi, 1)).sort()
  const out = []
  for (let i = 0; i + 1 < sorted.length; i++) out.push({ from: sorted[i]!, to: addDays(sorted[i + 1]!, -1) })
  return out
}

/** The most practices whose whole set is decided together (see standardSet). */
export const MAX_SET_PRACTICES = 10

/** The standard set a request belongs to (and whether the request is one of its reports). */
export async function standardSet(db: Db, spec: ReportSpec): Promise<{ universe: number[]; reports: ReportSpec[]; member: boolean }> {
  const requested = await practiceIcbs(db, spec.practiceIds)
  const icb = requested.every((p) => p.icbCode && p.icbCode === requested[0]?.icbCode) ? (requested[0]?.icbCode ?? undefined) : undefined
  const icbPractices = icb ? await icbPracticeIds(db, icb) : []
  const requestedIds = [...spec.practiceIds].sort((a, b) => a - b)
  // The programme grows with the practices (decision 021: ~13 s for 10 adversarial practices'
  // whole set); beyond MAX_SET_PRACTICES the set is the requested practices', and beyond that
  // the request is decided on its own.
  const universe = icbPractices.length > 0 && icbPractices.length <= MAX_SET_PRACTICES ? icbPractices : requestedIds
  if (universe.length > MAX_SET_PRACTICES) return { universe, reports: [], member: false }
  const periods: ReportSpec[] = []
  // The financial years the period touches (at most two; a longer period is controlled with its own years only).
  const years = [financialYear(spec.from), financialYear(spec.to)].filter(
    (y, i, a) => a.findIndex((o) => o.year.from === y.year.from) === i,
  )
  if (years.length <= 2 && Date.parse(spec.to) - Date.parse(spec.from) < 2 * 366 * 86_400_000)
    for (const y of years) periods.push(...y.quarters, y.year)
  const reports: ReportSpec[] = []
  for (const per of periods) {
    for (const p of universe) reports.push({ practiceIds: [p], from: per.from, to: per.to })
    if (universe.length > 1) reports.push({ practiceIds: universe, from: per.from, to: per.to })
  }
  const same = (r: ReportSpec) => r.from === spec.from && r.to === spec.to && ids(r.practiceIds) === ids(spec.practiceIds)
  return { universe, reports, member: reports.some(same) }
}

export async function loadSetData(db: Db, reports: ReportSpec[], generatedAt: Date): Promise<SetData> {
  const practiceIds = [...new Set(reports.flatMap((r) => r.practiceIds))].sort((a, b) => a - b)
  const practices = await setPractices(db, practiceIds)
  const blocks = splitPoints(reports, false)
  const subs = splitPoints(reports, true)
  const subBlocks = subs.map((s) => ({ ...s, block: blocks.findIndex((b) => b.from <= s.from && s.to <= b.to) }))
  const lo = blocks[0]!.from
  const hi = blocks.at(-1)!.to

  const rows = await disclosureBuckets(
    db,
    practiceIds,
    subs.map((s) => s.from),
    lo,
    hi,
  )
  const byPurpose = new Map<string, number>()
  const byType = new Map<string, number>()
  const bySub = new Map<string, number>()
  const inc = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n)
  for (const r of rows) {
    if (r.n === 0) continue
    const b = subBlocks[r.sub]!.block
    inc(byPurpose, `${r.practiceId}|${b}|${r.purpose}`, r.n)
    inc(byType, `${r.practiceId}|${b}|${r.type}`, r.n)
    inc(bySub, `${r.practiceId}|${r.sub}`, r.n)
  }
  const codes = (m: Map<string, number>) => new Set([...m.keys()].map((k) => k.split('|')[2]!))
  const cov = await collectionCoverage(db, practiceIds)
  const coverage = new Map<number, { first: string; last: string } | null>()
  for (const c of cov) coverage.set(Number(c.id), c.first && c.last ? { first: c.first, last: c.last } : null)

  const asAt = new Map<string, { asAt: string; note: string }>()
  for (const r of reports) asAt.set(`${r.from}|${r.to}`, optOutAsAt(r.to, generatedAt))
  const optOuts = new Map<string, { ndop: number; type1: number }>()
  const published = new Map<string, { asOf: string; optOuts: number; listSize: number } | null>()
  for (const d of new Set([...asAt.values()].map((a) => a.asAt))) {
    for (const o of await monthlyOptOuts(db, { practiceIds, from: d, to: d }))
      optOuts.set(`${o.practiceId}|${d}`, { ndop: o.ndop, type1: o.type1 })
    const pub = await latestPublishedNdop(db, { practiceIds }, d)
    for (const p of practiceIds) {
      const x = pub.find((q) => Number(q.practiceId) === p)
      published.set(`${p}|${d}`, x ? { asOf: x.asOf, optOuts: x.optOuts, listSize: x.listSize } : null)
    }
  }
  return {
    practices,
    reports,
    blocks,
    subBlocks,
    purposes: await codeLabels(db, 'purposes', [...codes(byPurpose)]),
    types: await codeLabels(db, 'recipient_types', [...codes(byType)]),
    byPurpose,
    byType,
    bySub,
    coverage,
    optOuts,
    published,
    asAt,
  }
}

// ---- the problem (pure)

function blocksIn(data: SetData, from: string, to: string): number[] {
  return data.blocks.flatMap((b, i) => (b.from >= from && b.to <= to ? [i] : []))
}

/** The figures one report prints, with their tables (total and parts) and their terms over atoms. */
function reportFigures(
  data: SetData,
  r: ReportSpec,
  add: (key: string, raw: number, terms: string[]) => void,
  tables: ControlTableSpec[],
): void {
  const P = r.practiceIds
  const blocks = blocksIn(data, r.from, r.to)
  const x = (p: number, b: number, u: string) => `x|${p}|${b}|${u}`
  const y = (p: number, b: number, t: string) => `y|${p}|${b}|${t}`
  const sum = (m: Map<string, number>, p: number, b: number, c: string) => m.get(`${p}|${b}|${c}`) ?? 0
  const total = totalFigure(data, P, r.from, r.to)
  add(...total)

  const purposeParts = [...data.purposes.keys()].map((u) => {
    const key = purposeKey(P, r.from, r.to, u)
    add(
      key,
      P.reduce((s, p) => s + blocks.reduce((t, b) => t + sum(data.byPurpose, p, b, u), 0), 0),
      P.flatMap((p) => blocks.map((b) => x(p, b, u))),
    )
    return key
  })
  tables.push({ total: total[0], parts: purposeParts })
  const typeParts = [...data.types.keys()].map((t) => {
    const key = typeKey(P, r.from, r.to, t)
    add(
      key,
      P.reduce((s, p) => s + blocks.reduce((a, b) => a + sum(data.byType, p, b, t), 0), 0),
      P.flatMap((p) => blocks.map((b) => y(p, b, t))),
    )
    return key
  })
  tables.push({ total: total[0], parts: typeParts })

  const months = periodMonths(r.from, r.to)
  const cells = months.map((m) => P.map((p) => totalFigure(data, [p], m.from, m.to)))
  cells.flat().forEach((c) => add(...c))
  if (P.length === 1) {
    tables.push({ total: total[0], parts: cells.map((row) => row[0]![0]) })
  } else {
    const rowTotals = months.map((m) => totalFigure(data, P, m.from, m.to))
    rowTotals.forEach((c) => add(...c))
    const colTotals = P.map((p) => totalFigure(data, [p], r.from, r.to))
    colTotals.forEach((c) => add(...c))
    months.forEach((_, i) => tables.push({ total: rowTotals[i]![0], parts: cells[i]!.map((c) => c[0]) }))
    P.forEach((_, j) => tables.push({ total: colTotals[j]![0], parts: cells.map((row) => row[j]![0]) }))
    tables.push({ total: total[0], parts: rowTotals.map((c) => c[0]) })
    tables.push({ total: total[0], parts: colTotals.map((c) => c[0]) })
  }

  const d = data.asAt.get(`${r.from}|${r.to}`)!.asAt
  for (const kind of ['ndop', 'type1'] as const) {
    const parts = P.map((p) => {
      const key = optOutKey(kind, [p], d)
      add(key, data.optOuts.get(`${p}|${d}`)?.[kind] ?? 0, [`o|${kind}|${p}|${d}`])
      return key
    })
    if (P.length > 1) {
      const key = optOutKey(kind, P, d)
      add(
        key,
        P.reduce((s, p) => s + (data.optOuts.get(`${p}|${d}`)?.[kind] ?? 0), 0),
        P.map((p) => `o|${kind}|${p}|${d}`),
      )
      tables.push({ total: key, parts })
    }
  }
}

/** Disclosures of practices P from..to: over whole blocks by purpose atoms, else by sub-block atoms. */
function totalFigure(data: SetData, P: number[], from: string, to: string): [string, number, string[]] {
  const subs = data.subBlocks.flatMap((s, i) => (s.from >= from && s.to <= to ? [i] : []))
  const raw = P.reduce((a, p) => a + subs.reduce((t, s) => t + (data.bySub.get(`${p}|${s}`) ?? 0), 0), 0)
  return [totalKey(P, from, to), raw, P.flatMap((p) => subs.map((s) => `z|${p}|${s}`))]
}

export function buildProblem(data: SetData, reports: ReportSpec[], fixed?: Map<string, Decision>): ControlProblem {
  const figures = new Map<string, ControlFigure>()
  const tables: ControlTableSpec[] = []
  const add = (key: string, raw: number, terms: string[]) => {
    if (!figures.has(key)) figures.set(key, { key, raw, terms })
  }
  for (const r of reports) reportFigures(data, r, add, tables)
  // Per practice and block: its purposes, its recipient types and its days add up to the same number.
  const links: Array<[string[], string[]]> = []
  const P = [...new Set(reports.flatMap((r) => r.practiceIds))]
  for (const p of P) {
    data.blocks.forEach((_, b) => {
      const xs = [...data.purposes.keys()].map((u) => `x|${p}|${b}|${u}`)
      const ys = [...data.types.keys()].map((t) => `y|${p}|${b}|${t}`)
      const zs = data.subBlocks.flatMap((s, i) => (s.block === b ? [`z|${p}|${i}`] : []))
      links.push([xs, ys], [xs, zs])
    })
  }
  const atoms = new Map<string, number>()
  for (const [k, n] of data.byPurpose) atoms.set(`x|${k}`, n)
  for (const [k, n] of data.byType) atoms.set(`y|${k}`, n)
  for (const [k, n] of data.bySub) atoms.set(`z|${k}`, n)
  for (const [k, v] of data.optOuts) {
    const [p, d] = k.split('|')
    atoms.set(`o|ndop|${p}|${d}`, v.ndop)
    atoms.set(`o|type1|${p}|${d}`, v.type1)
  }
  return { figures: [...figures.values()], atoms, links, tables, fixed }
}

// ---- decisions and tables

export interface SetDecisions {
  data: SetData
  outcome: ControlOutcome
  /** The standard set's outcome when the request was decided after it (else the same). */
  standard: ControlOutcome
}

/** Loads the set a request belongs to and decides every figure in it. */
export async function decideForRequest(
  db: Db,
  spec: ReportSpec,
  generatedAt: Date,
): Promise<SetDecisions & { standardReports: ReportSpec[] }> {
  const set = await standardSet(db, spec)
  const all = set.member || set.reports.length === 0 ? set.reports : [...set.reports, spec]
  const reports = all.length === 0 ? [spec] : all
  const data = await loadSetData(db, reports, generatedAt)
  const standardReports = set.reports.length > 0 ? set.reports : [spec]
  const standard = controlSet(buildProblem(data, standardReports))
  if (set.member || set.reports.length === 0) return { data, outcome: standard, standard, standardReports }
  const outcome = controlSet(buildProblem(data, reports, standard.published))
  return { data, outcome, standard, standardReports }
}

function noDataFor(data: SetData, p: number, from: string, to: string): boolean {
  const c = data.coverage.get(p)
  return !c || to < c.first || from > c.last
}

/** The tables one report prints, from the set's decisions. */
export function commissionerTables(data: SetData, decisions: Map<string, Decision>, spec: ReportSpec): CommissionerTables {
  const P = [...spec.practiceIds].sort((a, b) => a - b)
  const practices = data.practices.filter((p) => P.includes(p.id))
  const order = practices.map((p) => p.id) // printed by ODS code
  const months = periodMonths(spec.from, spec.to)
  const val = (key: string): Decision => {
    if (!decisions.has(key)) throw new Error(`figure ${key} was not decided`)
    return decisions.get(key)!
  }
  const cell = (key: string, noData = false): PublishedCell => ({ key, value: noData ? NO_DATA : val(key) })
  const nd = (ps: number[], from: string, to: string) => ps.every((p) => noDataFor(data, p, from, to))
  const noData = nd(P, spec.from, spec.to)
  const blocks = blocksIn(data, spec.from, spec.to)
  const present = (m: Map<string, number>, code: string) => P.some((p) => blocks.some((b) => (m.get(`${p}|${b}|${code}`) ?? 0) > 0))

  // Rows in label order, never by size: an order by count would place a hidden count between its neighbours.
  const rowsOf = (labels: Map<string, string>, m: Map<string, number>, key: (c: string) => string): PublishedRow[] =>
    [...labels].filter(([c]) => present(m, c)).map(([code, label]) => ({ code, label, cell: cell(key(code)) }))
  const total = cell(totalKey(P, spec.from, spec.to), noData)
  const cells = months.map((m) => order.map((p) => cell(totalKey([p], m.from, m.to), nd([p], m.from, m.to))))
  const d = data.asAt.get(`${spec.from}|${spec.to}`)!
  const rows: OptOutRow[] = practices.map((p) => ({
    practiceId: p.id,
    label: `${p.odsCode} ${p.name}`,
    listSize: p.listSize,
    listSizeAsOf: p.listSizeAsOf,
    ndop: cell(optOutKey('ndop', [p.id], d.asAt)),
    type1: cell(optOutKey('type1', [p.id], d.asAt)),
    published: data.published.get(`${p.id}|${d.asAt}`) ?? null,
  }))
  return {
    spec,
    practices: practices.map(({ id, odsCode, name }) => ({ id, odsCode, name })),
    noData,
    byPurpose: { rows: rowsOf(data.purposes, data.byPurpose, (c) => purposeKey(P, spec.from, spec.to, c)), total },
    byType: { rows: rowsOf(data.types, data.byType, (c) => typeKey(P, spec.from, spec.to, c)), total },
    byMonth: {
      months,
      cells,
      rowTotals: months.map((m, i) => (P.length === 1 ? cells[i]![0]! : cell(totalKey(P, m.from, m.to), nd(P, m.from, m.to)))),
      columnTotals: order.map((p) => cell(totalKey([p], spec.from, spec.to), nd([p], spec.from, spec.to))),
      grandTotal: total,
    },
    optOuts: {
      asAt: d.asAt,
      asAtNote: d.note,
      rows,
      total: P.length > 1 ? { ndop: cell(optOutKey('ndop', P, d.asAt)), type1: cell(optOutKey('type1', P, d.asAt)) } : null,
    },
  }
}

/** The published tables of every report in the request's standard set (the attack test's input). */
export async function standardSetTables(
  db: Db,
  spec: ReportSpec,
  generatedAt: Date,
): Promise<{ decisions: SetDecisions; tables: CommissionerTables[] }> {
  const d = await decideForRequest(db, spec, generatedAt)
  return { decisions: d, tables: d.standardReports.map((r) => commissionerTables(d.data, d.standard.published, r)) }
}
