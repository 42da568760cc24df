import { drawTable } from '../pdf/table/index.js'
import { formatCount, formatIsoDay } from '../../core/format.js'
import { heading, paragraph } from '../pdf/heading.js'
import type { AuditPack } from './pack.js'

export function promisesSection({ ctx, labels, section, overview: { promiseEvidence } }: AuditPack): void {
  const { doc } = ctx
  // The notice's promises: what the practice told patients, and whether it kept it
  // (the same evidence as the /promises page: db/queries/promises.ts).
  section('Promises of the privacy notice')
  paragraph(
    doc,
    'Each promise of the privacy notice in force at the end of the period, in its own words; the rules that check it; the records of the period it applied to; its findings; the verdict. Open findings break a promise; accepted or resolved findings are exceptions a person has reviewed.',
    { size: 9 },
  )
  const sPromises = ctx.section('promises')
  for (const p of promiseEvidence) {
    heading(doc, `${p.name} (${p.odsCode})`, 2)
    if (!p.notice) {
      paragraph(doc, 'No privacy notice is recorded for this practice for the period, so its own promises cannot be checked.')
      sPromises.add([p.odsCode, null])
      continue
    }
    const earlier = p.earlierVersions.map((v) => `version ${v.version} (from ${formatIsoDay(v.inForceFrom)})`).join(', ')
    paragraph(
      doc,
      `Privacy notice version ${p.notice.version}, “${p.notice.title}”, in force from ${formatIsoDay(p.notice.inForceFrom)}${earlier ? `; earlier in the period: ${earlier}` : ''}.`,
      { size: 9 },
    )
    for (const pr of p.promises)
      sPromises.add([
        p.odsCode,
        p.notice.version,
        pr.code,
        pr.words,
        pr.checkedBy.join(','),
        pr.applied,
        pr.open,
        pr.reviewed,
        pr.verdict.text,
      ])
    drawTable(
      doc,
      [
        { header: 'Promise, in the notice’s words', width: 4.6 },
        { header: 'Checked by', width: 3.6, fit: 'Disclosure for a prohibited purpose' },
        { header: 'Applied to', width: 1.3, align: 'right' },
        { header: 'Open', width: 0.9, align: 'right' },
        { header: 'Reviewed', width: 1.2, align: 'right' },
        { header: 'Verdict', width: 2.1 },
      ],
      p.promises.map((pr) => [
        `${pr.title}: “${pr.words}”`,
        pr.checkedBy.length > 0 ? pr.checkedBy.map(labels.rule).join('; ') : 'by construction',
        formatCount(pr.applied),
        formatCount(pr.open),
        formatCount(pr.reviewed),
        pr.verdict.text,
      ]),
      { emptyText: 'The notice makes no promise from the catalogue.' },
    )
  }
}
