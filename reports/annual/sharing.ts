import { monthlyOptOuts } from '../queries/index.js'
import { cellText, printedRows } from '../commissioner.js'
import { commissionerTables, NO_DATA, optOutKey, type SetDecisions } from '../commissioner-set.js'
import { controlledCount, showCount } from '../disclosure-control.js'
import type { Decision } from '../disclosure-set.js'
import { barChart } from '../pdf/chart.js'
import { paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AnnualReport } from './types.js'

// The year's sharing, for the board: by purpose, by recipient type and by month, and the opt-out
// trend. The sharing figures are the commissioner set's decisions for the same practice and
// period (reports/commissioner-set.ts), so a figure this report prints is shown exactly as the
// commissioner report of the same year shows it, and hiding it in one cannot be undone by the other.

export function sharingSection(r: AnnualReport, decided: SetDecisions): void {
  const { ctx, section } = r
  const { doc } = ctx
  const spec = { practiceIds: ctx.scope.practiceIds, from: ctx.scope.from, to: ctx.scope.to }
  const t = commissionerTables(decided.data, decided.outcome.published, spec)
  const printed = printedRows(t)

  section('2. Sharing by purpose and recipient')
  paragraph(doc, 'Disclosures recorded in the practice systems in the year, by why the data was shared and who received it.', { size: 9 })
  const sp = ctx.section('by_purpose')
  if (!t.noData) t.byPurpose.rows.forEach((row) => sp.add([row.code, row.cell.value]))
  drawTable(
    doc,
    [
      { header: 'Purpose', width: 6 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    printed.byPurpose,
    { emptyText: 'No data collected for this period.', boldLast: true },
  )
  if (!t.noData) {
    barChart(
      doc,
      t.byPurpose.rows.map((row) => ({
        label: row.label,
        value: row.cell.value === NO_DATA ? 0 : (row.cell.value ?? 0),
        display: cellText(row.cell),
      })),
      { title: 'Disclosures by purpose (published figures; * = hidden)' },
    )
  }
  const st = ctx.section('by_recipient_type')
  if (!t.noData) t.byType.rows.forEach((row) => st.add([row.code, row.cell.value]))
  drawTable(
    doc,
    [
      { header: 'Recipient type', width: 6 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    printed.byType,
    { emptyText: 'No data collected for this period.', boldLast: true },
  )

  section('3. Sharing month by month')
  paragraph(doc, `"${NO_DATA}": the month lies outside what has been collected from the practice system, which is not the same as 0.`, {
    size: 9,
  })
  const sm = ctx.section('by_month')
  t.byMonth.months.forEach((m, i) => sm.add([m.month, t.byMonth.cells[i]![0]!.value]))
  drawTable(
    doc,
    [
      { header: 'Month', width: 3 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    printed.byMonth,
    { boldLast: true },
  )
}

export interface OptOutTrendRow {
  month: string
  asOf: string
  ndop: Decision
  type1: Decision
}

/**
 * Opt-outs in force at each month's end. A month end the commissioner set also states is printed
 * as the set decided it; any other is controlled on its own (0, "*" for 1 to 7, else to the nearest 5).
 */
export async function optOutTrend(r: AnnualReport, decided: SetDecisions): Promise<OptOutTrendRow[]> {
  const { ctx } = r
  const rows = await monthlyOptOuts(ctx.db, ctx.scope)
  const decide = (kind: 'ndop' | 'type1', asOf: string, raw: number): Decision => {
    const key = optOutKey(kind, ctx.scope.practiceIds, asOf)
    return decided.outcome.published.has(key) ? decided.outcome.published.get(key)! : controlledCount(raw)
  }
  return rows.map((o) => ({
    month: o.month.slice(0, 7),
    asOf: o.asOf,
    ndop: decide('ndop', o.asOf, o.ndop),
    type1: decide('type1', o.asOf, o.type1),
  }))
}

export async function optOutSection(r: AnnualReport, decided: SetDecisions): Promise<void> {
  const { ctx, section } = r
  const { doc } = ctx
  section('6. Opt-out trend')
  paragraph(
    doc,
    'Patients whose latest recorded choice was an active opt-out at the end of each month (the last month: at the end of the period, or yesterday if it has not ended).',
    { size: 9 },
  )
  const trend = await optOutTrend(r, decided)
  const s = ctx.section('opt_out_trend')
  trend.forEach((t) => s.add([t.month, t.asOf, t.ndop, t.type1]))
  drawTable(
    doc,
    [
      { header: 'Month', width: 2 },
      { header: 'As at', width: 2 },
      { header: 'National Data Opt-out', width: 2.5, align: 'right' },
      { header: 'Type 1 opt-out', width: 2.5, align: 'right' },
    ],
    trend.map((t) => [t.month, t.asOf, showCount(t.ndop), showCount(t.type1)]),
    { emptyText: 'No figures.' },
  )
}
