import { agreementChanges, latestReportsByKind, practiceGuardians, type AgreementChange } from '../queries/index.js'
import { DSPT_ITEMS, type DsptEvidence } from '../../core/dspt.js'
import { formatIsoDateTime } from '../../core/format.js'
import { frame, ensureSpace } from '../pdf/document.js'
import { heading, paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AnnualReport } from './types.js'

// Agreements added and expiring, the DSPT evidence index, and the guardian's sign-off box.
// Agreements are not about individuals: they are listed in full.

/** Agreements ending up to this many days after the period are "expiring" (the board can renew them in time). */
export const EXPIRING_WITHIN_DAYS = 90

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

export async function agreementsSection(r: AnnualReport): Promise<void> {
  const { ctx, section, labels } = r
  const { doc } = ctx
  const expiringBy = addDays(ctx.scope.to, EXPIRING_WITHIN_DAYS)
  const { added, expiring } = await agreementChanges(ctx.db, ctx.scope, expiringBy)
  section('8. Data sharing agreements')
  const columns = [
    { header: 'Reference', width: 2.2, token: true },
    { header: 'Recipient', width: 3.4 },
    { header: 'Purposes', width: 3.4 },
    { header: 'From', width: 1.6 },
    { header: 'To', width: 1.6 },
  ]
  const row = (a: AgreementChange) => [
    a.reference,
    a.recipient,
    a.purposes.map(labels.purpose).join(', '),
    a.validFrom,
    a.validTo ?? 'open-ended',
  ]
  heading(doc, 'Recorded during the year', 2)
  const sa = ctx.section('agreements_added')
  added.forEach((a) => sa.add([a.reference, a.recipient, a.purposes.join(','), a.validFrom, a.validTo]))
  drawTable(doc, columns, added.map(row), { emptyText: 'None recorded during the year.' })
  heading(doc, `Ending between ${ctx.scope.from} and ${expiringBy}`, 2)
  paragraph(
    doc,
    `Agreements that ended during the year or end within ${EXPIRING_WITHIN_DAYS} days of its close: renew them or stop the sharing.`,
    {
      size: 9,
    },
  )
  const se = ctx.section('agreements_expiring')
  expiring.forEach((a) => se.add([a.reference, a.recipient, a.purposes.join(','), a.validFrom, a.validTo]))
  drawTable(doc, columns, expiring.map(row), { emptyText: 'None.' })
}

function evidenceText(e: DsptEvidence, latest: Map<string, Date>): string {
  if (e.page) return `Page ${e.page.path} (${e.page.label})`
  if (e.command) return `Command: ${e.command}`
  const at = latest.get(e.report!.kind)
  return `${e.report!.label}: ${at ? `last produced ${formatIsoDateTime(at)}` : 'not yet produced'}`
}

export async function dsptSection(r: AnnualReport): Promise<void> {
  const { ctx, section } = r
  const { doc } = ctx
  section('9. DSPT evidence index')
  paragraph(
    doc,
    'What Sharing Ledger holds that supports the Data Security and Protection Toolkit, and where to find it. The toolkit renumbers its evidence items ' +
      "most years, so each entry names the National Data Guardian standard and the topic: write this year's item number beside it.",
    { size: 9 },
  )
  const latest = await latestReportsByKind(ctx.db, ctx.scope.practiceIds, ctx.generatedAt)
  const s = ctx.section('dspt_index')
  DSPT_ITEMS.forEach((i) => s.add([i.id, i.standard, ...i.evidence.map((e) => evidenceText(e, latest))]))
  drawTable(
    doc,
    [
      { header: 'Topic and standard', width: 3.2 },
      { header: 'What Sharing Ledger holds', width: 4 },
      { header: 'Evidence', width: 4.4 },
    ],
    DSPT_ITEMS.map((i) => [`${i.topic}\n${i.standard}`, i.holds, i.evidence.map((e) => evidenceText(e, latest)).join('\n')]),
  )
}

/** The guardian's sign-off box: who signs, a signature line and the date, drawn as a form to sign on paper. */
export async function signOffSection(r: AnnualReport): Promise<void> {
  const { ctx, section } = r
  const { doc } = ctx
  const guardians = await practiceGuardians(ctx.db, ctx.scope.practiceIds)
  section('10. Caldicott guardian sign-off')
  paragraph(
    doc,
    'I have read this report and it is a fair account of how the practice shared patient data in the year, and of the decisions I took as Caldicott guardian.',
  )
  ctx.section('sign_off').add([guardians.join('; ')])
  ensureSpace(doc, 200)
  const f = frame(doc)
  const top = doc.y + 6
  const lines = [
    ['Caldicott guardian', guardians.length > 0 ? guardians.join(' / ') : ''],
    ['Signature', ''],
    ['Date', ''],
    ['Presented to the practice board on', ''],
  ]
  const rowH = 40
  doc
    .lineWidth(1)
    .rect(f.left, top, f.width, rowH * lines.length)
    .stroke()
  lines.forEach(([label, value], i) => {
    const y = top + i * rowH
    if (i > 0) doc.moveTo(f.left, y).lineTo(f.right, y).stroke()
    doc.fontSize(9).text(label!, f.left + 6, y + 6, { width: f.width / 3 })
    if (value) doc.fontSize(11).text(value, f.left + f.width / 3, y + 6, { width: (2 * f.width) / 3 - 12 })
  })
  doc.x = f.left
  doc.y = top + rowH * lines.length + 12
}
