import {
  caseWithSubject,
  cursorBatches,
  describeCaseKeys,
  findingHistoryAboutPeriodQuery,
  findingsAboutPeriodQuery,
  type PeriodCase,
  type PeriodFinding,
} from '../queries/index.js'
import { formatCount, formatIsoDateTime, formatIsoDay } from '../../core/format.js'
import { describeCase } from '../../core/findings/cases.js'
import type { CaseRow } from '../../db/queries/finding-cases.js'
import type { FindingEvent } from '../../db/queries/findings.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import { drawTable, Table } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export const FINDINGS_APPENDIX = 'Appendix: individual findings and their history'

interface PackCase {
  counts: PeriodCase
  row: CaseRow
}

/** The findings grouped by cause (decision 036, counted in the database), most severe first, then those with most findings. */
async function casesOf(pack: AuditPack): Promise<PackCase[]> {
  const { findingCases } = pack.overview
  const subjects = await describeCaseKeys(pack.ctx.db, [...new Set(findingCases.map((c) => c.caseKey))])
  const rank = (s: string) => ({ high: 0, medium: 1 })[s] ?? 2
  return findingCases
    .map((c) => {
      const row = caseWithSubject(
        {
          ruleId: c.ruleId,
          practiceId: c.practiceId,
          practiceOds: c.odsCode,
          caseKey: c.caseKey,
          severity: c.severity as CaseRow['severity'],
          status: c.open === 0 ? 'resolved' : 'open',
          findings: c.findings,
          firstAt: new Date(c.firstAt),
          lastAt: new Date(c.lastAt),
        },
        subjects,
      )
      return { counts: c, row }
    })
    .sort(
      (a, b) =>
        rank(a.counts.severity) - rank(b.counts.severity) ||
        b.counts.findings - a.counts.findings ||
        a.counts.ruleId.localeCompare(b.counts.ruleId) ||
        a.counts.odsCode.localeCompare(b.counts.odsCode) ||
        a.counts.caseKey.localeCompare(b.counts.caseKey),
    )
}

/** How many of the case's findings are in each status: "3 open, 1 accepted". */
function statusWords(pack: AuditPack, c: PeriodCase): string {
  return (['open', 'accepted', 'resolved'] as const)
    .filter((s) => c[s] > 0)
    .map((s) => `${formatCount(c[s])} ${pack.labels.findingStatus(s).toLowerCase()}`)
    .join(', ')
}

export async function findingsSection(pack: AuditPack): Promise<void> {
  const {
    ctx,
    labels,
    section,
    overview: { findingCases, findingTotals },
  } = pack
  const { doc } = ctx
  // Findings: by their subject's date, not their detection date (issue 15); grouped by cause (issue 19)
  section('6. Compliance findings')
  paragraph(
    doc,
    'Every finding whose subject falls in the period, whenever it was detected: a disclosure or override event that occurred in the period, ' +
      'an NHS England opt-out publication dated in it, or a source whose problem was open at some time in it. ' +
      'They are grouped into cases: one rule, one practice and the thing to fix (a recipient and purpose, an agreement, a source, a patient), ' +
      `most severe first. Status is as at the report; each finding, its status and reason and its history are in the ${FINDINGS_APPENDIX.toLowerCase()}.`,
    { size: 9 },
  )
  const cases = await casesOf(pack)
  const sc = ctx.section('finding_cases')
  cases.forEach(({ counts: c, row }) =>
    sc.add([c.ruleId, c.severity, c.odsCode, c.caseKey, String(c.findings), row.firstAt, row.lastAt, statusWords(pack, c)]),
  )
  drawTable(
    doc,
    [
      { header: 'Rule', width: 2.3 },
      { header: 'Severity', width: 1.3, fit: 'Medium' },
      { header: 'Practice and subject', width: 2.6 },
      { header: 'Findings', width: 1.1, align: 'right', fit: '1,000,000' },
      { header: 'First and last', width: 1.9, fit: '2026-10-25' },
      { header: 'Status', width: 1.8 },
      { header: 'To resolve', width: 4 },
    ],
    cases.map(({ counts: c, row }) => {
      const d = describeCase(row)
      return [
        labels.rule(c.ruleId),
        labels.severity(c.severity),
        `${c.odsCode} ${d.subject}`,
        formatCount(c.findings),
        `${formatIsoDay(formatIsoDateTime(row.firstAt))} to ${formatIsoDay(formatIsoDateTime(row.lastAt))}`,
        statusWords(pack, c),
        d.action.text,
      ]
    }),
    { emptyText: 'None recorded.' },
  )
  const counts = { high: 0, medium: 0, low: 0 } as Record<string, number>
  findingCases.forEach((c) => (counts[c.severity] = (counts[c.severity] ?? 0) + c.findings))
  keyValues(doc, [
    ['Findings about the period', formatCount(findingTotals.all)],
    ['Cases', formatCount(cases.length)],
    [
      'By severity',
      `${formatCount(counts.high ?? 0)} high, ${formatCount(counts.medium ?? 0)} medium, ${formatCount(counts.low ?? 0)} low`,
    ],
    ['Still open', formatCount(findingTotals.open)],
  ])
}

/** The appendix: every finding of section 6, with its case, status and reason, then their history. */
export async function findingsAppendix(pack: AuditPack): Promise<void> {
  const {
    ctx,
    labels,
    section,
    overview: { findingTotals },
  } = pack
  const { doc, db, scope } = ctx
  section(FINDINGS_APPENDIX)
  paragraph(doc, 'The findings of section 6 one by one, in the order they were recorded, with the case each belongs to.', { size: 9 })
  // A period can have hundreds of thousands of findings: read through a cursor a batch at a time,
  // each batch's PDF taken by the output before the next (ctx.drain); never all in memory.
  const sf = ctx.section('findings')
  const list = new Table(doc, [
    { header: 'Id', width: 0.7, token: true, fit: '123456' },
    { header: 'Rule', width: 2.3 },
    { header: 'Severity', width: 1.3, fit: 'Medium' },
    { header: 'Subject and case', width: 2.3 },
    { header: 'Summary', width: 4.4 },
    { header: 'Status and reason', width: 2.7 },
    { header: 'Detected', width: 1.7 },
  ])
  if (findingTotals.all === 0) list.addSpanningRow('None recorded.')
  for await (const batch of cursorBatches<PeriodFinding>(db, findingsAboutPeriodQuery(db, scope), APPENDIX_BATCH)) {
    for (const f of batch) {
      sf.add([String(f.id), f.ruleId, f.severity, f.odsCode, f.subjectKey, f.subjectAt, f.summary, f.status, f.statusReason, f.openedAt])
      list.addRow([
        String(f.id),
        labels.rule(f.ruleId),
        labels.severity(f.severity),
        `${f.odsCode} ${subjectLabel(f.subjectKey, f.subjectAt)}${f.caseKey !== f.subjectKey ? ` (case ${f.caseKey})` : ''}`,
        f.summary,
        // An open finding's reason is its summary again ("Found by rule ..."): the history has it.
        f.status === 'open' ? labels.findingStatus('open') : `${labels.findingStatus(f.status)}: ${f.statusReason ?? 'no reason recorded'}`,
        formatIsoDateTime(f.openedAt),
      ])
    }
    await ctx.drain()
  }
  list.end()
  if (findingTotals.all > 0) {
    heading(doc, 'Status history of these findings', 2)
    const sh = ctx.section('finding_history')
    const history = new Table(doc, [
      { header: 'Finding', width: 1, token: true, fit: '123456' },
      { header: 'When', width: 2, fit: '2026-10-25 01:59' },
      { header: 'Change', width: 2, fit: 'Accepted to Resolved' },
      { header: 'By', width: 2.6 },
      { header: 'Reason', width: 5.4 },
    ])
    type Event = FindingEvent & { findingId: number }
    for await (const events of cursorBatches<Event>(db, findingHistoryAboutPeriodQuery(db, scope), APPENDIX_BATCH)) {
      for (const e of events) {
        sh.add([String(e.findingId), e.at, e.fromStatus, e.toStatus, e.byUser, e.reason])
        history.addRow([
          String(e.findingId),
          formatIsoDateTime(e.at),
          `${e.fromStatus ? labels.findingStatus(e.fromStatus) : 'New'} to ${labels.findingStatus(e.toStatus)}`,
          e.byUser ?? 'the system',
          e.reason,
        ])
      }
      await ctx.drain()
    }
    history.end()
  }
}

/** Findings (and history rows) fetched and drawn per batch in the appendix. */
const APPENDIX_BATCH = 2000

/** What a finding is about, in words: "disclosure 123, 4 Mar 2026 10:00", "source 5", "NDOP publication 2026-03-31". */
function subjectLabel(key: string, at: Date | null): string {
  const [kind, id, , day] = key.split(':')
  if (kind === 'disclosure') return `disclosure ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'override') return `override event ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'source') return `source ${id}`
  if (kind === 'practice') return `NDOP publication ${day}`
  return key
}
