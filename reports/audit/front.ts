import { formatCount } from '../../core/format.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import type { AuditPack } from './pack.js'

// The pack's front matter: the executive summary (what an auditor must look at first) and how
// the figures were made.

/** The executive summary (page 2): what needs attention first, from the overview's figures. */
export function executiveSummary({ ctx, overview }: AuditPack): void {
  const { doc } = ctx
  const { promiseEvidence, total, purposes, findingTotals, reviewState, gaps, quarantine, uncovered, failedRuns } = overview
  heading(doc, 'Executive summary')
  const broken = promiseEvidence.flatMap((p) =>
    p.promises.filter((pr) => pr.verdict.kind === 'broken').map((pr) => `${p.odsCode}: ${pr.title}`),
  )
  const noNotice = promiseEvidence.filter((p) => !p.notice).map((p) => p.odsCode)
  const prohibited = purposes.filter((p) => p.prohibited && p.disclosures > 0)
  const waiting = quarantine.reduce((n, q) => n + q.pending, 0)
  const attention: Array<[string, string]> = [
    ['Promises broken', broken.length === 0 ? 'none' : `${formatCount(broken.length)}: ${broken.join('; ')} (see Promises)`],
    ...(noNotice.length > 0 ? [['No privacy notice recorded', noNotice.join(', ')] as [string, string]] : []),
    [
      'Open high-severity findings',
      `${formatCount(findingTotals.openHigh)} of ${formatCount(findingTotals.open)} open findings about the period (see 6)`,
    ],
    [
      'Prohibited purposes',
      prohibited.length === 0
        ? 'no disclosure'
        : `${prohibited.map((p) => `${formatCount(p.disclosures)} for ${p.label}`).join(', ')} (see 2)`,
    ],
    ['Override reviews overdue', `${formatCount(reviewState.overdue)}; signed late: ${formatCount(reviewState.late)} (see 5)`],
    [
      'Collection',
      `${uncovered.length === 0 ? 'every source collected since the period ended' : `${formatCount(uncovered.length)} source(s) not collected since the period ended`}; ${formatCount(failedRuns.length)} failed run(s), ${formatCount(gaps.length)} gap(s), ${formatCount(waiting)} record(s) set aside and waiting (see 9)`,
    ],
  ]
  const clear =
    broken.length === 0 &&
    findingTotals.openHigh === 0 &&
    prohibited.length === 0 &&
    reviewState.overdue === 0 &&
    uncovered.length === 0 &&
    failedRuns.length === 0 &&
    gaps.length === 0 &&
    waiting === 0
  paragraph(
    doc,
    clear
      ? "Nothing in this period needs an auditor's attention first: no promise broken, no open high-severity finding, no prohibited purpose, no overdue review and no gap in collection."
      : 'Look at these first:',
    { bold: !clear },
  )
  keyValues(doc, attention)
  keyValues(doc, [
    ['Disclosures in the period', formatCount(total)],
    ['Findings about the period', `${formatCount(findingTotals.all)} (${formatCount(findingTotals.open)} still open)`],
  ])
  ctx
    .section('executive_summary')
    .add([
      broken.length,
      findingTotals.openHigh,
      findingTotals.open,
      prohibited.reduce((n, p) => n + p.disclosures, 0),
      reviewState.overdue,
      reviewState.late,
      uncovered.length,
      failedRuns.length,
      gaps.length,
      waiting,
    ])
}

export function methodAndLimitations({ ctx, section }: AuditPack): void {
  const { doc } = ctx
  section('Method and limitations')
  for (const text of [
    'Source. Every figure is read from the Sharing Ledger database in one read-only snapshot, taken when this report was generated (its time is the "data as of" in section 9). The database holds what collectors read from the practices\' systems (FHIR AuditEvent and Consent), the manual disclosure registers and NHS England opt-out publications imported into it; nothing is estimated.',
    'Period. Days are England days (Europe/London), inclusive. A disclosure, override or opt-out belongs to the period by when it happened, not when it was collected; findings by the date of their subject, whenever they were detected.',
    'Patients. Patients appear only as keyed pseudonyms; no NHS number, name or address is held or printed.',
    'Limitations. Only what the sources recorded can be reported: a source not collected since the period ended (section 9) may still hold records of the period; records set aside by the collectors (quarantine) are counted by reason but are not in the figures until resolved. Findings are the checks the privacy notices promise (decision record 008); a finding is evidence to review, not a verdict.',
    "Checking. The last page lists each section's rows and digest; the rows are attached to this file, and the whole report is signed: see the Manifest.",
  ]) {
    paragraph(doc, text, { size: 9 })
  }
}
