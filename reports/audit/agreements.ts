import { listAgreementsInForce } from '../queries/index.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function agreementsSection({ ctx, labels, section }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // Agreements
  section('8. Data sharing agreements in force')
  const agreements = await listAgreementsInForce(db, scope)
  const sa = ctx.section('agreements')
  agreements.forEach((a) =>
    sa.add([
      a.reference,
      a.recipient,
      a.data_level,
      a.valid_from,
      a.valid_to,
      a.purposes == null ? null : String(a.purposes).split(',').join(', '),
      a.practices,
    ]),
  )
  drawTable(
    doc,
    [
      { header: 'Reference', width: 2, token: true },
      { header: 'Recipient', width: 2.6 },
      { header: 'Level', width: 1.6, fit: 'Pseudonymised' },
      { header: 'Valid', width: 1.8 },
      { header: 'Purposes', width: 3.2 },
      { header: 'Practices', width: 1.6 },
    ],
    agreements.map((a) => [
      String(a.reference),
      String(a.recipient),
      labels.dataLevel(String(a.data_level)),
      `${a.valid_from} to ${a.valid_to ?? 'open'}`,
      a.purposes == null ? '' : String(a.purposes).split(',').map(labels.purpose).join('; '),
      String(a.practices ?? ''),
    ]),
    { emptyText: 'No agreement in force.' },
  )
}
