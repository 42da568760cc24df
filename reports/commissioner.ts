import { monthlyOptOuts } from '../db/queries/opt-outs.js'
import { whereScopeDays } from '../db/queries/scope.js'
import type { ReportContext } from './context.js'
import { controlledCount, controlledPercent, controlList, controlTable, DISCLOSURE_CONTROL_NOTE, showCount } from './disclosure-control.js'
import { barChart } from './pdf/chart.js'
import { heading, paragraph } from './pdf/heading.js'
import { drawTable, type Column } from './pdf/table.js'
import { titlePage } from './title-page.js'

// The commissioner report (practice manager -> ICB): aggregates only, never a patient-level
// row or a pseudonym; one practice or an ICB roll-up of several. Every count passes through
// reports/disclosure-control.ts before it is printed or digested.

interface Cell {
  practiceId: number
  month: string
  purpose: string
  purposeLabel: string
  recipientType: string
  recipientTypeLabel: string
  disclosures: number
}

function sumBy<K>(cells: Cell[], key: (c: Cell) => K): Map<K, number> {
  const m = new Map<K, number>()
  for (const c of cells) m.set(key(c), (m.get(key(c)) ?? 0) + c.disclosures)
  return m
}

export async function renderCommissioner(ctx: ReportContext): Promise<void> {
  const { doc, db, scope, practices } = ctx
  const rollup = practices.length > 1
  titlePage(ctx, [['Report type', rollup ? `ICB roll-up of ${practices.length} practices` : 'Single practice']], DISCLOSURE_CONTROL_NOTE)

  const rows: Cell[] = (
    await whereScopeDays(db('disclosure_daily as dd'), scope, 'dd.practice_id', 'dd.day')
      .join('organisations as o', 'o.id', 'dd.recipient_id')
      .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
      .join('purposes as p', 'p.code', 'dd.purpose')
      .groupBy('dd.practice_id', 'month', 'p.code', 'p.label', 'rt.code', 'rt.label')
      .select(
        'dd.practice_id as practiceId',
        db.raw(`to_char(date_trunc('month', dd.day), 'YYYY-MM') as month`),
        'p.code as purpose',
        'p.label as purposeLabel',
        'rt.code as recipientType',
        'rt.label as recipientTypeLabel',
      )
      .sum('dd.disclosures as disclosures')
  ).map((r: Cell) => ({ ...r, disclosures: Number(r.disclosures) }))

  paragraph(doc, DISCLOSURE_CONTROL_NOTE, { size: 9 })

  // ---- 1. By purpose
  const purposeLabels = new Map(rows.map((r) => [r.purpose, r.purposeLabel]))
  const byPurpose = [...sumBy(rows, (c) => c.purpose)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const cp = controlList(byPurpose.map(([, n]) => n))
  heading(doc, '1. Disclosures by purpose')
  const sp = ctx.section('by_purpose')
  byPurpose.forEach(([code], i) => sp.add([code, cp.values[i]]))
  sp.add(['total', cp.total])
  drawTable(
    doc,
    [{ header: 'Purpose', width: 6 }, { header: 'Disclosures', width: 2, align: 'right' }],
    [...byPurpose.map(([code], i) => [purposeLabels.get(code)!, showCount(cp.values[i]!)]), ['Total', showCount(cp.total)]],
    { emptyText: 'No disclosures in the period.', boldLast: true },
  )
  barChart(
    doc,
    byPurpose.map(([code], i) => ({ label: purposeLabels.get(code)!, value: cp.values[i] ?? 0, display: showCount(cp.values[i]!) })),
    { title: 'Disclosures by purpose (published figures; * = 1 to 7)' },
  )

  // ---- 2. By recipient type
  const typeLabels = new Map(rows.map((r) => [r.recipientType, r.recipientTypeLabel]))
  const byType = [...sumBy(rows, (c) => c.recipientType)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const ct = controlList(byType.map(([, n]) => n))
  heading(doc, '2. Disclosures by recipient type')
  const st = ctx.section('by_recipient_type')
  byType.forEach(([code], i) => st.add([code, ct.values[i]]))
  st.add(['total', ct.total])
  drawTable(
    doc,
    [{ header: 'Recipient type', width: 6 }, { header: 'Disclosures', width: 2, align: 'right' }],
    [...byType.map(([code], i) => [typeLabels.get(code)!, showCount(ct.values[i]!)]), ['Total', showCount(ct.total)]],
    { emptyText: 'No disclosures in the period.', boldLast: true },
  )

  // ---- 3. By month (and practice, for a roll-up)
  heading(doc, rollup ? '3. Disclosures by month and practice' : '3. Disclosures by month')
  const months: string[] = []
  for (let m = scope.from.slice(0, 7); m <= scope.to.slice(0, 7); ) {
    months.push(m)
    const [y, mm] = m.split('-').map(Number) as [number, number]
    m = mm === 12 ? `${y + 1}-01` : `${y}-${String(mm + 1).padStart(2, '0')}`
  }
  const byMonthPractice = sumBy(rows, (c) => `${c.month}|${c.practiceId}`)
  const matrix = months.map((m) => practices.map((p) => byMonthPractice.get(`${m}|${p.id}`) ?? 0))
  const cm = controlTable(matrix)
  const sm = ctx.section('by_month')
  months.forEach((m, i) => sm.add([m, ...cm.cells[i]!, cm.rowTotals[i]]))
  sm.add(['total', ...cm.columnTotals, cm.grandTotal])
  const monthColumns: Column[] = [{ header: 'Month', width: 1.4 }, ...practices.map((p) => ({ header: p.odsCode, width: 1.2, align: 'right' as const }))]
  if (rollup) monthColumns.push({ header: 'Total', width: 1.2, align: 'right' })
  drawTable(
    doc,
    monthColumns,
    [
      ...months.map((m, i) => [m, ...cm.cells[i]!.map(showCount), ...(rollup ? [showCount(cm.rowTotals[i]!)] : [])]),
      ['Total', ...cm.columnTotals.map(showCount), ...(rollup ? [showCount(cm.grandTotal)] : [])],
    ],
    { boldLast: true },
  )

  // ---- 4. Opt-out rates
  heading(doc, '4. Opt-out rates')
  paragraph(
    doc,
    `National Data Opt-out and Type 1 opt-outs recorded in each practice system at ${scope.to}, against the registered list size. ` +
      'Rates are computed from the published (rounded) figures.',
    { size: 9 },
  )
  const optouts = await monthlyOptOuts(db, scope)
  const latest = new Map<number, { ndop: number; type1: number }>()
  for (const o of optouts) latest.set(o.practiceId, { ndop: o.ndop, type1: o.type1 }) // months come in order; the last wins
  const raw = practices.map((p) => [latest.get(p.id)?.ndop ?? 0, latest.get(p.id)?.type1 ?? 0])
  const co = controlTable(raw)
  const lists = practices.map((p) => (p.listSize == null ? null : controlledCount(p.listSize)))
  const listTotal = practices.every((p) => p.listSize != null) ? controlledCount(practices.reduce((s, p) => s + (p.listSize ?? 0), 0)) : null
  const so = ctx.section('opt_outs')
  const optRows = practices.map((p, i) => {
    const [ndop, type1] = co.cells[i]!
    so.add([p.odsCode, lists[i], ndop, type1])
    return [`${p.odsCode} ${p.name}`, showCount(lists[i] ?? null), showCount(ndop!), controlledPercent(ndop!, lists[i]!, 2), showCount(type1!), controlledPercent(type1!, lists[i]!, 2)]
  })
  if (rollup) {
    const [ndopT, type1T] = co.columnTotals
    so.add(['total', listTotal, ndopT, type1T])
    optRows.push(['All practices', showCount(listTotal), showCount(ndopT!), controlledPercent(ndopT!, listTotal, 2), showCount(type1T!), controlledPercent(type1T!, listTotal, 2)])
  }
  drawTable(
    doc,
    [
      { header: 'Practice', width: 4 },
      { header: 'List size', width: 1.4, align: 'right' },
      { header: 'NDOP opt-outs', width: 1.4, align: 'right' },
      { header: 'NDOP rate', width: 1.2, align: 'right' },
      { header: 'Type 1 opt-outs', width: 1.4, align: 'right' },
      { header: 'Type 1 rate', width: 1.2, align: 'right' },
    ],
    optRows,
    { boldLast: rollup },
  )
}
