import { incidentReviews, listFindingsAboutPeriod, type OverrideYear, type PeriodFinding } from '../queries/index.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { RULES } from '../../core/findings/index.js'
import { controlledCount, showCount } from '../disclosure-control.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import { controlTable, type ControlledTable } from './control.js'
import type { AnnualReport } from './types.js'

// The year's governance for the board: emergency access (overrides) and how the guardian judged
// it, how quickly, who countersigned; the compliance findings opened and closed; and incidents.
// Counts about individuals pass through disclosure control (decision 035).

const JUDGEMENT_ROWS = [
  ['justified', 'Justified'],
  ['not_justified', 'Not justified'],
  ['inconclusive', 'Inconclusive'],
  ['awaiting', 'Not yet reviewed'],
] as const
const TIMELINESS_ROWS = [
  ['on_time', 'First review on time'],
  ['late', 'First review late'],
  ['overdue', 'Not reviewed, overdue'],
  ['not_yet_due', 'Not reviewed, not yet due'],
] as const
const COUNTERSIGN_ROWS = [
  ['countersigned', 'Countersigned'],
  ['declined', 'Declined by the second signer'],
  ['awaiting', 'Awaiting countersignature'],
] as const

/** The printed rows of a controlled table (labels, then the total), and its digest rows. */
function printTable<K extends string>(
  rows: ReadonlyArray<readonly [K, string]>,
  table: ControlledTable<K>,
): { printed: string[][]; digest: Array<[string, number | null]> } {
  return {
    printed: [...rows.map(([k, label]) => [label, showCount(table.rows[k])]), ['Total', showCount(table.total)]],
    digest: [...rows.map(([k]) => [k, table.rows[k]] as [string, number | null]), ['total', table.total]],
  }
}

/** The published figures of the overrides section (the test compares them with direct counts). */
export function overrideTables(o: OverrideYear) {
  return {
    judgements: controlTable(o.judgements),
    timeliness: controlTable(o.timeliness),
    countersignatures: controlTable(o.countersignatures),
  }
}

export function overridesSection(r: AnnualReport, o: OverrideYear): void {
  const { ctx, section, reviewDays } = r
  const { doc } = ctx
  const t = overrideTables(o)
  section('4. Emergency access and how it was judged')
  paragraph(
    doc,
    'Each time staff overrode a patient’s sharing choice or a record’s protection (emergency access), the Caldicott guardian reviews it. ' +
      `A review is due ${reviewDays} days after the event; a correction supersedes a review, and the latest one stands. Events of the year, as at this report.`,
    { size: 9 },
  )
  const cols = [
    { header: 'Outcome', width: 6 },
    { header: 'Events', width: 2, align: 'right' as const },
  ]
  for (const [name, rows, table, title] of [
    ['override_judgements', JUDGEMENT_ROWS, t.judgements, 'How the reviews judged them'],
    ['override_timeliness', TIMELINESS_ROWS, t.timeliness, 'Review timeliness'],
    ['countersignatures', COUNTERSIGN_ROWS, t.countersignatures, 'Reviews a second signer was asked to countersign'],
  ] as const) {
    heading(doc, title, 2)
    const { printed, digest } = printTable(rows as ReadonlyArray<readonly [string, string]>, table as ControlledTable<string>)
    const s = ctx.section(name)
    digest.forEach((d) => s.add(d))
    drawTable(
      doc,
      name === 'override_judgements' ? cols : [cols[0]!, { ...cols[1]!, header: name === 'countersignatures' ? 'Reviews' : 'Events' }],
      printed,
      {
        boldLast: true,
      },
    )
  }
  keyValues(doc, [
    ['Median time to first review', o.medianDaysToReview === null ? 'no event was reviewed' : `${o.medianDaysToReview.toFixed(1)} days`],
  ])
}

/** A rule's findings about the year, by their status as at the report. */
export interface FindingsYearRow {
  ruleId: string
  /** What they are about: 'disclosure', 'override', 'source' or 'practice' (the subject key's prefix). */
  subject: string
  found: number
  accepted: number
  resolved: number
  open: number
}

/** Findings about the period (the evidence pack's definition: by their subject's date, whenever detected), counted by rule and status. */
export function findingsByRule(findings: PeriodFinding[]): FindingsYearRow[] {
  const byRule = new Map<string, FindingsYearRow>()
  for (const f of findings) {
    const subject = f.subjectKey.split(':')[0]!
    const key = `${f.ruleId}|${subject}`
    let row = byRule.get(key)
    if (!row) byRule.set(key, (row = { ruleId: f.ruleId, subject, found: 0, accepted: 0, resolved: 0, open: 0 }))
    row.found++
    if (f.status === 'accepted' || f.status === 'resolved' || f.status === 'open') row[f.status as 'accepted' | 'resolved' | 'open']++
  }
  return [...byRule.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.subject < b.subject ? -1 : 1))
}

/** Counts of findings about disclosures or override events are about individuals; about sources and publications, not. */
const ABOUT_INDIVIDUALS = new Set(['disclosure', 'override'])

export function findingCell(row: FindingsYearRow, n: number): number | null {
  return ABOUT_INDIVIDUALS.has(row.subject) ? controlledCount(n) : n
}

export async function findingsSection(r: AnnualReport): Promise<FindingsYearRow[]> {
  const { ctx, section, labels } = r
  const { doc } = ctx
  section('5. Compliance findings')
  paragraph(
    doc,
    'Findings about the year (a disclosure or override event of the year, an opt-out publication dated in it, a source whose problem was open in it), ' +
      'whenever they were detected, by rule and by their status as at this report: accepted with a reason, resolved, or still open. ' +
      'Counts of findings about disclosures or override events are about individuals and pass through disclosure control; those about sources and publications are exact.',
    { size: 9 },
  )
  const rows = findingsByRule(await listFindingsAboutPeriod(ctx.db, ctx.scope))
  const s = ctx.section('findings')
  const cells = rows.map((row) => [row.found, row.accepted, row.resolved, row.open].map((n) => findingCell(row, n)))
  rows.forEach((row, i) => s.add([row.ruleId, row.subject, ...cells[i]!]))
  drawTable(
    doc,
    [
      { header: 'Rule', width: 5 },
      { header: 'Found', width: 1.5, align: 'right' },
      { header: 'Accepted', width: 1.5, align: 'right' },
      { header: 'Resolved', width: 1.5, align: 'right' },
      { header: 'Still open', width: 1.5, align: 'right' },
    ],
    rows.map((row, i) => [labels.rule(row.ruleId), ...cells[i]!.map(showCount)]),
    { emptyText: 'No findings about the year.' },
  )
  return rows
}

export async function incidentsSection(r: AnnualReport, overrides: OverrideYear, findings: FindingsYearRow[]): Promise<void> {
  const { ctx, section } = r
  const { doc } = ctx
  section('7. Incidents')
  paragraph(
    doc,
    'What the year recorded that may be a data protection incident: emergency access judged not justified, high-severity findings about the year, ' +
      'and the incident reviews the guardian produced. Whether to report one to the ICO (within 72 hours) is decided and recorded outside this tool.',
    { size: 9 },
  )
  const highFound = findings.filter((f) => HIGH_RULES.has(f.ruleId)).reduce((n, f) => n + f.found, 0)
  const reviews = await incidentReviews(ctx.db, ctx.scope)
  const s = ctx.section('incidents')
  const notJustified = controlledCount(overrides.judgements.not_justified)
  const high = controlledCount(highFound)
  s.add(['not_justified', notJustified])
  s.add(['high_findings', high])
  s.add(['incident_reviews', reviews.length])
  keyValues(doc, [
    ['Emergency access judged not justified', showCount(notJustified)],
    ['High-severity findings about the year', showCount(high)],
    ['Incident reviews produced', formatCount(reviews.length)],
  ])
  if (reviews.length > 0) {
    heading(doc, 'Incident reviews produced in the year', 2)
    const sr = ctx.section('incident_reviews')
    reviews.forEach((x) => sr.add([x.id, x.generatedAt, x.generatedBy, x.eventId, x.findingId]))
    drawTable(
      doc,
      [
        { header: 'Produced', width: 2 },
        { header: 'By', width: 3 },
        { header: 'About', width: 3 },
        { header: 'Report id', width: 4, token: true },
      ],
      reviews.map((x) => [
        formatIsoDateTime(x.generatedAt),
        x.generatedBy,
        [x.eventId !== null ? `override event ${x.eventId}` : '', x.findingId !== null ? `finding ${x.findingId}` : '']
          .filter(Boolean)
          .join(', '),
        x.id,
      ]),
    )
  }
}

/** Rules whose findings are high severity. */
const HIGH_RULES = new Set<string>(RULES.filter((rule) => rule.severity === 'high').map((rule) => rule.id))
