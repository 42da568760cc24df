import { commissionerTables, decideForRequest, type SetDecisions } from '../commissioner-set.js'
import { DEFAULT_OVERRIDE_REVIEW_DAYS, ReportError, type ReportContext } from '../context.js'
import { DISCLOSURE_CONTROL_NOTE, showCount } from '../disclosure-control.js'
import { glossary, Labels } from '../labels.js'
import { Contents } from '../pdf/contents.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import { titlePage } from '../title-page.js'
import { findingsSection, incidentsSection, overridesSection, overrideTables } from './governance.js'
import { agreementsSection, dsptSection, signOffSection } from './records.js'
import { optOutSection, sharingSection } from './sharing.js'
import type { AnnualReport } from './types.js'
import { overrideYear, type OverrideYear } from '../queries/index.js'

// The annual Caldicott report (issue 17, decision 035): one practice's year for its board, from
// the guardian. It prints aggregates only, never a pseudonym; every count about individuals is
// disclosure-controlled, since a board paper is read beyond those entitled to patient-level data.

/** The longest period an annual report covers (a leap year). */
export const ANNUAL_MAX_DAYS = 366

/** Checked before anything is drawn: one practice, a period of at most a year. */
export function checkAnnualRequest(scope: { practiceIds: number[]; from: string; to: string }): void {
  if (scope.practiceIds.length !== 1) throw new ReportError('An annual Caldicott report covers one practice: its board receives it.')
  const days = (Date.parse(`${scope.to}T00:00:00Z`) - Date.parse(`${scope.from}T00:00:00Z`)) / 86_400_000 + 1
  if (days > ANNUAL_MAX_DAYS)
    throw new ReportError(`An annual report covers at most a year (${ANNUAL_MAX_DAYS} days); this period has ${days}.`)
}

const SECTIONS = [
  '1. The year at a glance',
  '2. Sharing by purpose and recipient',
  '3. Sharing month by month',
  '4. Emergency access and how it was judged',
  '5. Compliance findings',
  '6. Opt-out trend',
  '7. Incidents',
  '8. Data sharing agreements',
  '9. DSPT evidence index',
  '10. Caldicott guardian sign-off',
  '11. Glossary of codes',
  'Manifest',
]

export async function renderAnnual(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const labels = await Labels.load(db)
  const reviewDays = ctx.request.overrideReviewDays ?? DEFAULT_OVERRIDE_REVIEW_DAYS
  titlePage(ctx, [['For', 'The practice board, from its Caldicott guardian']], DISCLOSURE_CONTROL_NOTE)
  doc.addPage()
  ctx.contents = new Contents(doc)
  ctx.contents.draw(SECTIONS.map((title) => ({ title })))
  const report: AnnualReport = {
    ctx,
    labels,
    reviewDays,
    section: (title) => {
      doc.addPage()
      heading(doc, title)
      ctx.contents!.mark(title)
    },
  }
  const spec = { practiceIds: scope.practiceIds, from: scope.from, to: scope.to }
  const decided = await decideForRequest(db, spec, ctx.generatedAt)
  const overrides = await overrideYear(db, scope, reviewDays)
  glance(report, decided, overrides)
  sharingSection(report, decided)
  overridesSection(report, overrides)
  const findings = await findingsSection(report)
  await optOutSection(report, decided)
  await incidentsSection(report, overrides, findings)
  await agreementsSection(report)
  await dsptSection(report)
  await signOffSection(report)
  doc.addPage()
  glossary(doc, labels, '11. Glossary of codes', ctx.section('glossary'), () => ctx.contents!.mark('11. Glossary of codes'))
}

/** The year at a glance: the few figures a board reads first, each repeated from its section. */
function glance(r: AnnualReport, decided: SetDecisions, overrides: OverrideYear): void {
  const { ctx } = r
  const { doc, scope } = ctx
  r.section('1. The year at a glance')
  paragraph(doc, DISCLOSURE_CONTROL_NOTE, { size: 8 })
  const t = commissionerTables(decided.data, decided.outcome.published, { practiceIds: scope.practiceIds, from: scope.from, to: scope.to })
  const o = overrideTables(overrides)
  const total = t.byPurpose.total.value
  const figures: Array<[string, string, number | string | null]> = [
    ['disclosures', 'Disclosures in the year', total],
    ['override_events', 'Emergency access events', o.judgements.total],
    ['not_justified', 'Judged not justified', o.judgements.rows.not_justified],
    ['overdue', 'Reviews overdue', o.timeliness.rows.overdue],
  ]
  const s = ctx.section('glance')
  figures.forEach(([key, , v]) => s.add([key, v]))
  keyValues(
    doc,
    figures.map(([, label, v]) => [label, typeof v === 'string' ? v : showCount(v)]),
  )
  heading(doc, 'About this report', 2)
  paragraph(
    doc,
    'Aggregates only: no patient is named or given by pseudonym. The sharing figures are those the commissioner report of the same period publishes. ' +
      'A figure shown as "*" is hidden to protect individuals; it is hidden the same way wherever it appears.',
    { size: 9 },
  )
}
