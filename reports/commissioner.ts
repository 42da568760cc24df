import type { ReportContext } from './context.js'
import { commissionerTables, decideForRequest, NO_DATA, type CommissionerTables, type PublishedCell } from './commissioner-set.js'
import { controlledCount, controlledPercent, DISCLOSURE_CONTROL_NOTE, showCount } from './disclosure-control.js'
import { barChart } from './pdf/chart.js'
import { heading, paragraph } from './pdf/heading.js'
import { drawTable, type Column } from './pdf/table/index.js'
import { titlePage } from './title-page.js'

// The commissioner report (practice manager -> ICB): aggregates only, never a patient-level
// row or a pseudonym; one practice or an ICB roll-up of several. Every figure is decided for
// the whole set of reports an ICB receives (reports/commissioner-set.ts,
// docs/decisions/021-disclosure-control-sets.md) before it is printed or digested; this module
// only prints the tables `commissionerTables` returns.

/** What a published cell prints. */
export function cellText(c: PublishedCell): string {
  return c.value === NO_DATA ? NO_DATA : showCount(c.value)
}
const num = (c: PublishedCell): number | null => (c.value === NO_DATA ? null : c.value)

/** The rows each table prints, as text, in printed order (the PDF test compares these with pdftotext). */
export function printedRows(t: CommissionerTables): {
  byPurpose: string[][]
  byType: string[][]
  byMonth: string[][]
  optOuts: string[][]
} {
  const rollup = t.practices.length > 1
  const list = (rows: CommissionerTables['byPurpose']) =>
    t.noData ? [] : [...rows.rows.map((r) => [r.label, cellText(r.cell)]), ['Total', cellText(rows.total)]]
  const lists = t.practices.map((p) => t.optOuts.rows.find((r) => r.practiceId === p.id)!)
  const listTotal = lists.every((r) => r.listSize != null) ? controlledCount(lists.reduce((s, r) => s + (r.listSize ?? 0), 0)) : null
  const optRow = (label: string, list: number | null, ndop: PublishedCell, type1: PublishedCell) => [
    label,
    showCount(list),
    cellText(ndop),
    controlledPercent(num(ndop), list, 2),
    cellText(type1),
    controlledPercent(num(type1), list, 2),
  ]
  return {
    byPurpose: list(t.byPurpose),
    byType: list(t.byType),
    byMonth: [
      ...t.byMonth.months.map((m, i) => [
        m.month,
        ...t.byMonth.cells[i]!.map(cellText),
        ...(rollup ? [cellText(t.byMonth.rowTotals[i]!)] : []),
      ]),
      ['Total', ...t.byMonth.columnTotals.map(cellText), ...(rollup ? [cellText(t.byMonth.grandTotal)] : [])],
    ],
    optOuts: [
      ...lists.map((r) => optRow(r.label, r.listSize == null ? null : controlledCount(r.listSize), r.ndop, r.type1)),
      ...(t.optOuts.total ? [optRow('All practices', listTotal, t.optOuts.total.ndop, t.optOuts.total.type1)] : []),
    ],
  }
}

export async function renderCommissioner(ctx: ReportContext): Promise<void> {
  const { doc, db, scope, practices } = ctx
  const rollup = practices.length > 1
  const spec = { practiceIds: practices.map((p) => p.id), from: scope.from, to: scope.to }
  const decided = await decideForRequest(db, spec, ctx.generatedAt)
  const t = commissionerTables(decided.data, decided.outcome.published, spec)
  const printed = printedRows(t)
  const icbs = [...new Set(practices.map((p) => (p.icbCode ? `${p.icbCode} ${p.icbName ?? ''}`.trim() : 'not recorded')))]
  const listDates = [...new Set(practices.map((p) => t.optOuts.rows.find((r) => r.practiceId === p.id)?.listSizeAsOf ?? 'not recorded'))]
  titlePage(
    ctx,
    [
      ['Report type', rollup ? `ICB roll-up of ${practices.length} practices` : 'Single practice'],
      ['ICB', icbs.join('; ')],
      ['Opt-outs as at', t.optOuts.asAt],
      ['List size as at', listDates.join('; ')],
    ],
    DISCLOSURE_CONTROL_NOTE,
  )
  paragraph(doc, DISCLOSURE_CONTROL_NOTE, { size: 9 })
  if (decided.outcome.unresolved.length > 0) {
    paragraph(
      doc,
      `Caution: ${decided.outcome.unresolved.length} hidden figure(s) of this report could be narrowed with the standard reports of its financial year; prefer a quarter or the year.`,
      { size: 9, bold: true },
    )
  }
  const noDataText = 'No data collected for this period.'

  // ---- 1. By purpose
  heading(doc, '1. Disclosures by purpose')
  const sp = ctx.section('by_purpose')
  if (!t.noData) {
    t.byPurpose.rows.forEach((r) => sp.add([r.code, num(r.cell)]))
    sp.add(['total', num(t.byPurpose.total)])
  }
  drawTable(
    doc,
    [
      { header: 'Purpose', width: 6 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    printed.byPurpose,
    {
      emptyText: noDataText,
      boldLast: true,
    },
  )
  if (!t.noData) {
    barChart(
      doc,
      t.byPurpose.rows.map((r) => ({ label: r.label, value: num(r.cell) ?? 0, display: cellText(r.cell) })),
      { title: 'Disclosures by purpose (published figures; * = hidden)' },
    )
  }

  // ---- 2. By recipient type
  heading(doc, '2. Disclosures by recipient type')
  const st = ctx.section('by_recipient_type')
  if (!t.noData) {
    t.byType.rows.forEach((r) => st.add([r.code, num(r.cell)]))
    st.add(['total', num(t.byType.total)])
  }
  drawTable(
    doc,
    [
      { header: 'Recipient type', width: 6 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    printed.byType,
    {
      emptyText: noDataText,
      boldLast: true,
    },
  )

  // ---- 3. By month (and practice, for a roll-up)
  heading(doc, rollup ? '3. Disclosures by month and practice' : '3. Disclosures by month')
  paragraph(
    doc,
    `"${NO_DATA}": the month lies outside what has been collected from the practice system (before its first collected record or after its last successful collection), which is not the same as 0.`,
    { size: 9 },
  )
  const sm = ctx.section('by_month')
  t.byMonth.months.forEach((m, i) =>
    sm.add([m.month, ...t.byMonth.cells[i]!.map((c) => (c.value === NO_DATA ? NO_DATA : c.value)), c2(t.byMonth.rowTotals[i]!)]),
  )
  sm.add(['total', ...t.byMonth.columnTotals.map(c2), c2(t.byMonth.grandTotal)])
  const monthColumns: Column[] = [
    { header: 'Month', width: 1.4 },
    ...t.practices.map((p) => ({ header: p.odsCode, width: 1.2, align: 'right' as const })),
  ]
  if (rollup) monthColumns.push({ header: 'Total', width: 1.2, align: 'right' })
  drawTable(doc, monthColumns, printed.byMonth, { boldLast: true })

  // ---- 4. Opt-out rates
  heading(doc, '4. Opt-out rates')
  paragraph(
    doc,
    `National Data Opt-out and Type 1 opt-outs recorded in each practice system ${t.optOuts.asAtNote}, against the registered list size ` +
      `(as at ${listDates.join('; ')}). Rates are computed from the published (rounded) figures.`,
    { size: 9 },
  )
  const so = ctx.section('opt_outs')
  t.optOuts.rows.forEach((r) =>
    so.add([r.label.split(' ')[0]!, r.listSize == null ? null : controlledCount(r.listSize), num(r.ndop), num(r.type1)]),
  )
  if (t.optOuts.total) {
    const last = printed.optOuts.at(-1)!
    so.add(['total', last[1] === '*' ? null : Number(last[1]!.replace(/,/g, '')), num(t.optOuts.total.ndop), num(t.optOuts.total.type1)])
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
    printed.optOuts,
    { boldLast: rollup },
  )
  heading(doc, "NHS England's published National Data Opt-out figure", 2)
  drawTable(
    doc,
    [
      { header: 'Practice', width: 4 },
      { header: 'Published figure', width: 4 },
    ],
    t.optOuts.rows.map((r) => [
      r.label,
      r.published
        ? `${r.published.optOuts.toLocaleString('en-GB')} of ${r.published.listSize.toLocaleString('en-GB')} (as at ${r.published.asOf})`
        : 'not recorded',
    ]),
  )
}

const c2 = (c: PublishedCell) => (c.value === NO_DATA ? NO_DATA : c.value)
