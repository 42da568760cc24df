import { cursorBatches, disclosureLogQuery, type DisclosureLogRow } from '../queries/index.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { paragraph } from '../pdf/heading.js'
import { Table } from '../pdf/table/index.js'
import { PSEUDONYM_SAMPLE, type AuditPack } from './pack.js'

/** Rows fetched per round trip of the disclosure log (FETCH from one cursor). */
export const LOG_BATCH = 2000

/** Section 4: every disclosure of the period, streamed from one cursor into the PDF a batch at a time. */
export async function disclosureLogSection({ ctx, labels, section, overview: { total } }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // Disclosure log, streamed
  doc.addPage()
  section('4. Disclosure log')
  paragraph(doc, `Every disclosure recorded in the period, oldest first (${formatCount(total)} rows). Patients appear only by pseudonym.`, {
    size: 9,
  })
  // Identifiers never wrap: their columns are just wide enough to hold them whole (an id of 8
  // digits, an ODS code, a pseudonym); the time wraps at its space; labels wrap at spaces and
  // share what is left (a row is usually two lines).
  const log = new Table(
    doc,
    [
      { header: 'Id', width: 0.1, token: true, fit: '12345678' },
      { header: 'When', width: 0.1, fit: '2026-10-25' },
      { header: 'Practice', width: 0.1, token: true, fit: 'AAAAAAA' },
      { header: 'Patient (pseudonym)', width: 0.1, token: true, fit: PSEUDONYM_SAMPLE },
      { header: 'Recipient', width: 1.9 },
      { header: 'Purpose', width: 4.1 },
      { header: 'Legal basis, data level', width: 2.6 },
    ],
    { fontSize: 7 },
  )
  const sl = ctx.section('disclosure_log')
  const logQuery = disclosureLogQuery(db, scope)
  const progress = (done: number) => ctx.request.onProgress?.({ stage: 'Disclosure log', done, total })
  progress(0)
  for await (const rows of cursorBatches<DisclosureLogRow>(db, logQuery, LOG_BATCH)) {
    for (const r of rows) {
      sl.add([String(r.id), r.occurred_at, r.ods_code, r.patient_pseudonym, r.recipient, r.purpose, r.legal_basis, r.data_level])
      log.addRow([
        String(r.id),
        formatIsoDateTime(r.occurred_at).replace(' ', '\n'), // date above time
        String(r.ods_code),
        String(r.patient_pseudonym),
        String(r.recipient),
        labels.purpose(r.purpose),
        `${labels.legalBasis(r.legal_basis)}; ${labels.dataLevel(r.data_level)}`,
      ])
    }
    await ctx.drain()
    progress(sl.rows)
  }
  if (sl.rows === 0) log.addSpanningRow('No disclosures in the period.')
  log.end()
}
