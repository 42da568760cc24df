import { monthlyOptOuts } from '../queries/index.js'
import { formatCount, formatIsoDay } from '../../core/format.js'
import { paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function optOutsSection({ ctx, section }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // Opt-outs
  section('7. Opt-out figures')
  paragraph(
    doc,
    'Patients whose latest choice in the practice system is an active opt-out, at each month end; NHS England NDOP publication where imported.',
    { size: 9 },
  )
  const optouts = await monthlyOptOuts(db, scope)
  const odsById = new Map(ctx.practices.map((p) => [p.id, p.odsCode]))
  const soo = ctx.section('opt_outs')
  optouts.forEach((o) =>
    soo.add([odsById.get(o.practiceId), o.month, o.ndop, o.type1, o.publishedAsOf, o.publishedOptOuts, o.publishedListSize]),
  )
  drawTable(
    doc,
    [
      { header: 'Practice', width: 1.2, token: true },
      { header: 'Month', width: 1.4 },
      { header: 'NDOP (system)', width: 1.5, align: 'right' },
      { header: 'Type 1 (system)', width: 1.5, align: 'right' },
      { header: 'NDOP published', width: 1.6, align: 'right' },
      { header: 'List size', width: 1.4, align: 'right' },
    ],
    optouts.map((o) => [
      odsById.get(o.practiceId) ?? '',
      formatIsoDay(o.month).slice(0, 7),
      formatCount(o.ndop),
      formatCount(o.type1),
      o.publishedOptOuts == null ? '' : formatCount(o.publishedOptOuts),
      o.publishedListSize == null ? '' : formatCount(o.publishedListSize),
    ]),
    { emptyText: 'No figures.' },
  )
}
