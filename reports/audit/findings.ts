import { listFindingEvents } from '../queries/index.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function findingsSection({ ctx, labels, section, overview: { findings } }: AuditPack): Promise<void> {
  const { doc, db } = ctx
  // Findings: by their subject's date, not their detection date (issue 15)
  section('6. Compliance findings')
  paragraph(
    doc,
    'Every finding whose subject falls in the period, whenever it was detected: a disclosure or override event that occurred in the period, ' +
      'an NHS England opt-out publication dated in it, or a source whose problem was open at some time in it. ' +
      'Status is as at the report; its history follows the table.',
    { size: 9 },
  )
  const sf = ctx.section('findings')
  findings.forEach((f) =>
    sf.add([String(f.id), f.ruleId, f.severity, f.odsCode, f.subjectKey, f.subjectAt, f.summary, f.status, f.statusReason, f.openedAt]),
  )
  drawTable(
    doc,
    [
      { header: 'Id', width: 0.7, token: true, fit: '123456' },
      { header: 'Rule', width: 2.3 },
      { header: 'Severity', width: 1.3, fit: 'Medium' },
      { header: 'Subject', width: 2.3 },
      { header: 'Summary', width: 4.4 },
      { header: 'Status and reason', width: 2.7 },
      { header: 'Detected', width: 1.7 },
    ],
    findings.map((f) => [
      String(f.id),
      labels.rule(f.ruleId),
      labels.severity(f.severity),
      `${f.odsCode} ${subjectLabel(f.subjectKey, f.subjectAt)}`,
      f.summary,
      // An open finding's reason is its summary again ("Found by rule ..."): the history has it.
      f.status === 'open' ? labels.findingStatus('open') : `${labels.findingStatus(f.status)}: ${f.statusReason ?? 'no reason recorded'}`,
      formatIsoDateTime(f.openedAt),
    ]),
    { emptyText: 'None recorded.' },
  )
  const counts = { high: 0, medium: 0, low: 0 } as Record<string, number>
  findings.forEach((f) => (counts[f.severity] = (counts[f.severity] ?? 0) + 1))
  keyValues(doc, [
    ['Findings about the period', formatCount(findings.length)],
    [
      'By severity',
      `${formatCount(counts.high ?? 0)} high, ${formatCount(counts.medium ?? 0)} medium, ${formatCount(counts.low ?? 0)} low`,
    ],
    ['Still open', formatCount(findings.filter((f) => f.status === 'open').length)],
  ])
  if (findings.length > 0) {
    heading(doc, 'Status history of these findings', 2)
    const history = await listFindingEvents(
      db,
      findings.map((f) => f.id),
    )
    const sh = ctx.section('finding_history')
    history.forEach((e) => sh.add([String(e.findingId), e.at, e.fromStatus, e.toStatus, e.byUser, e.reason]))
    drawTable(
      doc,
      [
        { header: 'Finding', width: 1, token: true, fit: '123456' },
        { header: 'When', width: 2, fit: '2026-10-25 01:59' },
        { header: 'Change', width: 2, fit: 'Accepted to Resolved' },
        { header: 'By', width: 2.6 },
        { header: 'Reason', width: 5.4 },
      ],
      history.map((e) => [
        String(e.findingId),
        formatIsoDateTime(e.at),
        `${e.fromStatus ? labels.findingStatus(e.fromStatus) : 'New'} to ${labels.findingStatus(e.toStatus)}`,
        e.byUser ?? 'the system',
        e.reason,
      ]),
    )
  }
}

/** What a finding is about, in words: "disclosure 123, 4 Mar 2026 10:00", "source 5", "NDOP publication 2026-03-31". */
function subjectLabel(key: string, at: Date | null): string {
  const [kind, id, , day] = key.split(':')
  if (kind === 'disclosure') return `disclosure ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'override') return `override event ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'source') return `source ${id}`
  if (kind === 'practice') return `NDOP publication ${day}`
  return key
}
