import { sumDisclosuresByLegalBasis, sumDisclosuresByRecipient } from '../queries/index.js'
import { barChart } from '../pdf/chart.js'
import { formatCount } from '../../core/format.js'
import { paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

// Sections 2 and 3: who the practices shared with, why, and on what legal basis.

export async function sharingSections({ ctx, labels, section, overview: { purposes, total } }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // By purpose
  section('2. Sharing by purpose')
  const sp = ctx.section('purposes')
  purposes.forEach((p) => sp.add([p.purpose, p.disclosures]))
  drawTable(
    doc,
    [
      { header: 'Purpose', width: 7 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    [
      ...purposes.map((p) => [
        labels.purpose(p.purpose) + (p.prohibited && !/prohibited/i.test(labels.purpose(p.purpose)) ? ' (prohibited)' : ''),
        formatCount(p.disclosures),
      ]),
      ['Total', formatCount(total)],
    ],
    { emptyText: 'No disclosures in the period.', boldLast: true },
  )
  barChart(
    doc,
    purposes.map((p) => ({ label: p.label, value: p.disclosures, display: formatCount(p.disclosures) })),
    { title: 'Disclosures by purpose' },
  )
  section('By legal basis', 2)
  paragraph(
    doc,
    'The legal basis each source recorded for the disclosure; "none recorded" where it gave none (consent-based direct care usually carries none).',
    { size: 9 },
  )
  const bases = await sumDisclosuresByLegalBasis(db, scope)
  const sb = ctx.section('legal_bases')
  bases.forEach((b) => sb.add([b.code, b.disclosures]))
  drawTable(
    doc,
    [
      { header: 'Legal basis', width: 7 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    [...bases.map((b) => [labels.legalBasis(b.code), formatCount(b.disclosures)]), ['Total', formatCount(total)]],
    { emptyText: 'No disclosures in the period.', boldLast: true },
  )

  // By recipient
  section('3. Sharing by recipient')
  const recipients = await sumDisclosuresByRecipient(db, scope)
  const sr = ctx.section('recipients')
  recipients.forEach((r) => sr.add([r.recipientId, r.name, r.odsCode, r.recipientType, r.disclosures]))
  drawTable(
    doc,
    [
      { header: 'Recipient', width: 5 },
      { header: 'ODS', width: 1.5, token: true },
      { header: 'Type', width: 3 },
      { header: 'Disclosures', width: 1.6, align: 'right' },
    ],
    recipients.map((r) => [r.name, r.odsCode ?? '', labels.recipientType(r.recipientType), formatCount(r.disclosures)]),
    { emptyText: 'No disclosures in the period.' },
  )
  barChart(
    doc,
    recipients.slice(0, 15).map((r) => ({ label: r.name, value: r.disclosures, display: formatCount(r.disclosures) })),
    { title: recipients.length > 15 ? 'Disclosures by recipient (top 15)' : 'Disclosures by recipient' },
  )
}
