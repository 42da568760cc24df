import type { Knex } from 'knex'
import type { Db } from '../db/client.js'
import { sumDisclosuresByPurpose, sumDisclosuresByRecipient } from '../db/queries/disclosures.js'
import { listSourceCoverage, listWindowGaps, listWindowQuarantine, listWindowRuns } from '../db/queries/collection-completeness.js'
import { listFindingEvents, listFindingsAboutPeriod } from '../db/queries/findings.js'
import { latestCheckpoint } from '../db/ledger/checkpoint.js'
import { countDisclosures, countPatientsInSnapshot } from '../db/queries/overview.js'
import { monthlyOptOuts } from '../db/queries/opt-outs.js'
import { listPromiseEvidence } from '../db/queries/promises.js'
import { whereScopeDays, whereScopeInstants } from '../db/queries/scope.js'
import { DEFAULT_OVERRIDE_REVIEW_DAYS, type ReportContext } from './context.js'
import { RUN_STATUS_LABELS, RUN_TRIGGER_LABELS, SOURCE_KIND_LABELS } from '../core/labels.js'
import { glossary, Labels } from './labels.js'
import { reviewTiming as reviewTimingInWords } from './review-timing.js'
import { barChart } from './pdf/chart.js'
import { Contents } from './pdf/contents.js'
import { formatCount, formatIsoDateTime, formatIsoDay } from '../core/format.js'
import { heading, keyValues, paragraph } from './pdf/heading.js'
import { drawTable, Table } from './pdf/table.js'
import { titlePage } from './title-page.js'

// The audit evidence pack (auditor): everything recorded for the practices and period, with a
// manifest of row counts and digests. This module only chooses content; drawing is reports/pdf.

/** Rows fetched per round trip of the disclosure log (FETCH from one cursor). */
export const LOG_BATCH = 2000

/**
 * The rows of `query` in batches of `size`, from one cursor (in a subtransaction of the
 * report's read-only snapshot, or its own read-only transaction when called alone): the
 * query is planned, and its rows sorted, once (keyset pages re-read and re-sort what is left
 * on every page), and the log is one snapshot. The next batch is fetched while the caller
 * draws the current one (the database works on the other core).
 */
export async function* cursorBatches(db: Db, query: Knex.QueryBuilder, size: number): AsyncGenerator<Array<Record<string, unknown>>> {
  const { sql, bindings } = query.toSQL()
  const trx = await db.transaction()
  type Rows = Array<Record<string, unknown>>
  let pending: Promise<Rows> | undefined
  const fetch = () => {
    // .then() once: a knex query runs again each time it is awaited
    const p: Promise<Rows> = trx.raw(`FETCH ${size} FROM report_rows`).then((r: { rows: Rows }) => r.rows)
    p.catch(() => {}) // awaited below; not an unhandled rejection while the caller draws
    return p
  }
  try {
    await trx.raw('SET TRANSACTION READ ONLY')
    // Every row will be fetched: plan for the whole result (sort the scope's rows once), not for
    // the first few (walking the (occurred_at, id) index across every practice's rows).
    await trx.raw('SET LOCAL cursor_tuple_fraction = 1.0')
    await trx.raw(`DECLARE report_rows NO SCROLL CURSOR FOR ${sql}`, bindings as Knex.RawBinding[])
    pending = fetch()
    for (;;) {
      const rows: Rows = await pending
      pending = rows.length === size ? fetch() : undefined
      if (rows.length > 0) yield rows
      if (!pending) break
    }
  } finally {
    if (pending) await pending.catch(() => {})
    await trx.rollback().catch(() => {}) // read only: nothing to keep
  }
}

/** The pack's sections in order: the contents page lists them, each marks its page and bookmark. */
const SECTIONS = [
  { title: 'Method and limitations' },
  { title: 'Promises of the privacy notice' },
  { title: '1. Summary' },
  { title: '2. Sharing by purpose' },
  { title: 'By legal basis', level: 2 as const },
  { title: '3. Sharing by recipient' },
  { title: '4. Disclosure log' },
  { title: '5. Override events and their reviews' },
  { title: '6. Compliance findings' },
  { title: '7. Opt-out figures' },
  { title: '8. Data sharing agreements in force' },
  { title: '9. Collection completeness' },
  { title: '10. Ledger: chain heads and checkpoint' },
  { title: '11. Glossary of codes' },
  { title: 'Manifest' },
]

export async function renderAudit(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const labels = await Labels.load(db) // codes print as their labels; the glossary at the end lists them
  titlePage(ctx)
  const section = (title: string, level: 1 | 2 = 1) => {
    heading(doc, title, level)
    ctx.contents!.mark(title)
  }

  // What the executive summary needs is read first (small queries, same snapshot); the
  // sections below print the same figures in full.
  const promiseEvidence = await listPromiseEvidence(db, scope)
  const total = await countDisclosures(db, scope)
  const purposes = await sumDisclosuresByPurpose(db, scope)
  const findings = await listFindingsAboutPeriod(db, scope)
  const reviewDays = ctx.request.overrideReviewDays ?? DEFAULT_OVERRIDE_REVIEW_DAYS
  const reviewState = await overrideReviewState(db, scope, reviewDays)
  const coverage = await listSourceCoverage(db, scope)
  const runs = await listWindowRuns(db, scope)
  const gaps = await listWindowGaps(db, scope)
  const quarantine = await listWindowQuarantine(db, scope)

  // ---- Executive summary (page 2): what an auditor must look at first
  heading(doc, 'Executive summary')
  const broken = promiseEvidence.flatMap((p) => p.promises.filter((pr) => pr.verdict.kind === 'broken').map((pr) => `${p.odsCode}: ${pr.title}`))
  const noNotice = promiseEvidence.filter((p) => !p.notice).map((p) => p.odsCode)
  const openFindings = findings.filter((f) => f.status === 'open')
  const openHigh = openFindings.filter((f) => f.severity === 'high')
  const prohibited = purposes.filter((p) => p.prohibited && p.disclosures > 0)
  const uncovered = coverage.filter((c) => c.coveredAt === null)
  const failedRuns = runs.filter((r) => r.status === 'failed')
  const waiting = quarantine.reduce((n, q) => n + q.pending, 0)
  const attention: Array<[string, string]> = [
    ['Promises broken', broken.length === 0 ? 'none' : `${formatCount(broken.length)}: ${broken.join('; ')} (see Promises)`],
    ...(noNotice.length > 0 ? [['No privacy notice recorded', noNotice.join(', ')] as [string, string]] : []),
    ['Open high-severity findings', `${formatCount(openHigh.length)} of ${formatCount(openFindings.length)} open findings about the period (see 6)`],
    ['Prohibited purposes', prohibited.length === 0 ? 'no disclosure' : `${prohibited.map((p) => `${formatCount(p.disclosures)} for ${p.label}`).join(', ')} (see 2)`],
    ['Override reviews overdue', `${formatCount(reviewState.overdue)}; signed late: ${formatCount(reviewState.late)} (see 5)`],
    ['Collection', `${uncovered.length === 0 ? 'every source collected since the period ended' : `${formatCount(uncovered.length)} source(s) not collected since the period ended`}; ${formatCount(failedRuns.length)} failed run(s), ${formatCount(gaps.length)} gap(s), ${formatCount(waiting)} record(s) set aside and waiting (see 9)`],
  ]
  const clear = broken.length === 0 && openHigh.length === 0 && prohibited.length === 0 && reviewState.overdue === 0 && uncovered.length === 0 && failedRuns.length === 0 && gaps.length === 0 && waiting === 0
  paragraph(doc, clear ? 'Nothing in this period needs an auditor\'s attention first: no promise broken, no open high-severity finding, no prohibited purpose, no overdue review and no gap in collection.' : 'Look at these first:', { bold: !clear })
  keyValues(doc, attention)
  keyValues(doc, [
    ['Disclosures in the period', formatCount(total)],
    ['Findings about the period', `${formatCount(findings.length)} (${formatCount(openFindings.length)} still open)`],
  ])
  ctx.section('executive_summary').add([broken.length, openHigh.length, openFindings.length, prohibited.reduce((n, p) => n + p.disclosures, 0), reviewState.overdue, reviewState.late, uncovered.length, failedRuns.length, gaps.length, waiting])

  // ---- Contents (and the PDF's bookmarks)
  doc.addPage()
  ctx.contents = new Contents(doc)
  ctx.contents.draw(SECTIONS)

  // ---- Method and limitations
  section('Method and limitations')
  for (const text of [
    'Source. Every figure is read from the Sharing Ledger database in one read-only snapshot, taken when this report was generated (its time is the "data as of" in section 9). The database holds what collectors read from the practices\' systems (FHIR AuditEvent and Consent), the manual disclosure registers and NHS England opt-out publications imported into it; nothing is estimated.',
    'Period. Days are England days (Europe/London), inclusive. A disclosure, override or opt-out belongs to the period by when it happened, not when it was collected; findings by the date of their subject, whenever they were detected.',
    'Patients. Patients appear only as keyed pseudonyms; no NHS number, name or address is held or printed.',
    'Limitations. Only what the sources recorded can be reported: a source not collected since the period ended (section 9) may still hold records of the period; records set aside by the collectors (quarantine) are counted by reason but are not in the figures until resolved. Findings are the checks the privacy notices promise (decision record 008); a finding is evidence to review, not a verdict.',
    'Checking. The last page lists each section\'s rows and digest; the rows are attached to this file, and the whole report is signed: see the Manifest.',
  ]) {
    paragraph(doc, text, { size: 9 })
  }

  // ---- The notice's promises: what the practice told patients, and whether it kept it
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
    paragraph(doc, `Privacy notice version ${p.notice.version}, “${p.notice.title}”, in force from ${formatIsoDay(p.notice.inForceFrom)}${earlier ? `; earlier in the period: ${earlier}` : ''}.`, { size: 9 })
    for (const pr of p.promises) sPromises.add([p.odsCode, p.notice.version, pr.code, pr.words, pr.checkedBy.join(','), pr.applied, pr.open, pr.reviewed, pr.verdict.text])
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

  // ---- Summary, with subtotals per practice
  const patients = await countPatientsInSnapshot(db, scope)
  const overrideCount = Number(
    (await whereScopeInstants(db('override_events'), scope, 'practice_id', 'occurred_at').count({ n: '*' }).first())?.n ?? 0,
  )
  section('1. Summary')
  keyValues(doc, [
    ['Disclosures', formatCount(total)],
    ['Patients affected', formatCount(patients)],
    ['Override events', formatCount(overrideCount)],
  ])
  ctx.section('summary').add(['disclosures', total])
  ctx.section('summary').add(['patients', patients])
  ctx.section('summary').add(['overrides', overrideCount])
  if (ctx.practices.length > 1) {
    heading(doc, 'By practice', 2)
    const byPractice = await practiceSubtotals(db, scope)
    const findingsByPractice = new Map<string, { open: number; high: number }>()
    for (const f of findings) {
      const c = findingsByPractice.get(f.odsCode) ?? { open: 0, high: 0 }
      if (f.status === 'open') c.open++
      if (f.status === 'open' && f.severity === 'high') c.high++
      findingsByPractice.set(f.odsCode, c)
    }
    const sbp = ctx.section('practice_subtotals')
    const rows = ctx.practices.map((p) => {
      const d = byPractice.get(p.id) ?? { disclosures: 0, overrides: 0 }
      const f = findingsByPractice.get(p.odsCode) ?? { open: 0, high: 0 }
      sbp.add([p.odsCode, d.disclosures, d.overrides, f.open, f.high])
      return [`${p.odsCode} ${p.name}`, formatCount(d.disclosures), formatCount(d.overrides), formatCount(f.open), formatCount(f.high)]
    })
    drawTable(
      doc,
      [
        { header: 'Practice', width: 5 },
        { header: 'Disclosures', width: 1.6, align: 'right' },
        { header: 'Override events', width: 1.6, align: 'right' },
        { header: 'Open findings', width: 1.6, align: 'right' },
        { header: 'of which high', width: 1.6, align: 'right' },
      ],
      [...rows, ['All practices', formatCount(total), formatCount(overrideCount), formatCount(openFindings.length), formatCount(openHigh.length)]],
      { boldLast: true },
    )
  }

  // ---- By purpose
  section('2. Sharing by purpose')
  const sp = ctx.section('purposes')
  purposes.forEach((p) => sp.add([p.purpose, p.disclosures]))
  drawTable(
    doc,
    [
      { header: 'Purpose', width: 7 },
      { header: 'Disclosures', width: 2, align: 'right' },
    ],
    [...purposes.map((p) => [labels.purpose(p.purpose) + (p.prohibited && !/prohibited/i.test(labels.purpose(p.purpose)) ? ' (prohibited)' : ''), formatCount(p.disclosures)]), ['Total', formatCount(total)]],
    { emptyText: 'No disclosures in the period.', boldLast: true },
  )
  barChart(doc, purposes.map((p) => ({ label: p.label, value: p.disclosures, display: formatCount(p.disclosures) })), { title: 'Disclosures by purpose' })
  section('By legal basis', 2)
  paragraph(doc, 'The legal basis each source recorded for the disclosure; "none recorded" where it gave none (consent-based direct care usually carries none).', { size: 9 })
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

  // ---- By recipient
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

  // ---- Disclosure log, streamed
  doc.addPage()
  section('4. Disclosure log')
  paragraph(doc, `Every disclosure recorded in the period, oldest first (${formatCount(total)} rows). Patients appear only by pseudonym.`, { size: 9 })
  // Identifiers never wrap: their columns are just wide enough to hold them whole (an id of 8
  // digits, an ODS code, a pseudonym); the time wraps at its space; labels wrap at spaces and
  // share what is left (a row is usually two lines).
  const log = new Table(doc, [
    { header: 'Id', width: 0.1, token: true, fit: '12345678' },
    { header: 'When', width: 0.1, fit: '2026-10-25' },
    { header: 'Practice', width: 0.1, token: true, fit: 'AAAAAAA' },
    { header: 'Patient (pseudonym)', width: 0.1, token: true, fit: PSEUDONYM_SAMPLE },
    { header: 'Recipient', width: 1.9 },
    { header: 'Purpose', width: 4.1 },
    { header: 'Legal basis, data level', width: 2.6 },
  ], { fontSize: 7 })
  const sl = ctx.section('disclosure_log')
  const logQuery = whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .join('practices as p', 'p.id', 'd.practice_id')
    .select('d.id', 'd.occurred_at', 'p.ods_code', 'd.patient_pseudonym', 'o.name as recipient', 'd.purpose', 'd.legal_basis', 'd.data_level')
    .orderBy([{ column: 'd.occurred_at' }, { column: 'd.id' }])
  const progress = (done: number) => ctx.request.onProgress?.({ stage: 'Disclosure log', done, total })
  progress(0)
  for await (const rows of cursorBatches(db, logQuery, LOG_BATCH)) {
    for (const r of rows) {
      sl.add([String(r.id), r.occurred_at, r.ods_code, r.patient_pseudonym, r.recipient, r.purpose, r.legal_basis, r.data_level])
      log.addRow([
        String(r.id),
        formatIsoDateTime(r.occurred_at as Date).replace(' ', '\n'), // date above time
        String(r.ods_code),
        String(r.patient_pseudonym),
        String(r.recipient),
        labels.purpose(r.purpose as string),
        `${labels.legalBasis(r.legal_basis as string | null)}; ${labels.dataLevel(r.data_level as string)}`,
      ])
    }
    await ctx.drain()
    progress(sl.rows)
  }
  if (sl.rows === 0) log.addSpanningRow('No disclosures in the period.')
  log.end()

  // ---- Overrides with reviews: when each review was due, whether it was late, which review stands
  section('5. Override events and their reviews')
  paragraph(
    doc,
    `A Caldicott guardian's review is due ${reviewDays} days after the event. A signed review is never edited: a later review supersedes it, ` +
      'and both are listed; "Standing" gives the number of each review and whether it is current or which review superseded it. Lateness is counted to the first review, or to the time of this report when there is none.',
    { size: 9 },
  )
  const overrides: Array<Record<string, unknown>> = await whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at')
    .join('practices as p', 'p.id', 'e.practice_id')
    .leftJoin('override_reviews as r', 'r.override_event_id', 'e.id')
    .leftJoin('users as u', 'u.id', 'r.reviewer_id')
    .leftJoin('users as s', 's.id', 'r.second_signer_id')
    // Issue 16: the second signer's own decision, signed by them (or its absence).
    .leftJoin('override_countersignatures as cs', 'cs.review_id', 'r.id')
    .select(
      'e.id',
      'e.occurred_at',
      'p.ods_code',
      'e.patient_pseudonym',
      'e.kind',
      'e.reason_code',
      'e.actor_role',
      db.raw('e.occurred_at + make_interval(days => ?) AS due_at', [reviewDays]),
      db.raw('(SELECT min(x.signed_at) FROM override_reviews x WHERE x.override_event_id = e.id) AS first_signed_at'),
      db.raw('now() AS as_of'),
      'r.id as review_id',
      'r.verdict',
      'r.reasons',
      'r.signed_at',
      'r.escalated',
      db.raw('(SELECT n.id FROM override_reviews n WHERE n.supersedes_id = r.id) AS superseded_by'),
      'u.display_name as reviewer',
      's.display_name as second_signer',
      'cs.decision as cs_decision',
      'cs.signed_at as cs_signed_at',
      'cs.reason as cs_reason',
    )
    .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }, { column: 'r.signed_at' }, { column: 'r.id' }])
  const so = ctx.section('overrides')
  const ot = new Table(doc, [
    { header: 'Event', width: 0.1, token: true, fit: '12345' },
    { header: 'When', width: 0.1, fit: '2026-10-25' },
    { header: 'Practice / patient', width: 0.1, fit: PSEUDONYM_SAMPLE },
    { header: 'Kind, reason, role', width: 2.6 },
    { header: 'Due, lateness', width: 2.2, fit: '(due 2026-10-25 01:59)' },
    { header: 'Standing', width: 1.6, fit: 'superseded by 12345' },
    { header: 'Review', width: 4.6 },
  ], { fontSize: 7 })
  let overdue = 0
  let late = 0
  const counted = new Set<unknown>()
  for (const r of overrides) {
    const timing = reviewTiming(r)
    if (!counted.has(r.id)) {
      counted.add(r.id)
      if (timing.startsWith('Overdue')) overdue++
      if (/ late/.test(timing)) late++
    }
    so.add([String(r.id), r.occurred_at, r.ods_code, r.patient_pseudonym, r.kind, r.reason_code, r.actor_role, r.due_at, r.review_id == null ? null : String(r.review_id), r.verdict, r.reasons, r.signed_at, r.reviewer, r.second_signer, r.superseded_by == null ? null : String(r.superseded_by), r.cs_decision, r.cs_signed_at, r.cs_reason])
    const standing = r.review_id == null ? '' : r.superseded_by == null ? `${r.review_id}: current` : `${r.review_id}: superseded by ${r.superseded_by}`
    const review =
      r.review_id == null
        ? r.kind === 'override_stopped'
          ? 'None needed'
          : 'Not reviewed'
        : `${labels.verdict(r.verdict as string)} by ${r.reviewer} at ${formatIsoDateTime(r.signed_at as Date)}${countersignature(r)}${r.escalated ? ' (escalated)' : ''}: ${r.reasons}`
    const kindReasonRole = [labels.overrideKind(r.kind as string), r.reason_code ? `reason: ${labels.overrideReason(r.reason_code as string)}` : null, r.actor_role ? `by ${r.actor_role}` : null]
    ot.addRow([String(r.id), formatIsoDateTime(r.occurred_at as Date).replace(' ', '\n'), `${r.ods_code}\n${r.patient_pseudonym}`, kindReasonRole.filter(Boolean).join('; '), timing, standing, review])
  }
  if (overrides.length === 0) ot.addSpanningRow('No override events in the period.')
  ot.end()
  keyValues(doc, [
    ['Reviews overdue', formatCount(overdue)],
    ['Reviews signed late', formatCount(late)],
  ])

  // ---- Findings: by their subject's date, not their detection date (issue 15)
  section('6. Compliance findings')
  paragraph(
    doc,
    'Every finding whose subject falls in the period, whenever it was detected: a disclosure or override event that occurred in the period, ' +
      'an NHS England opt-out publication dated in it, or a source whose problem was open at some time in it. ' +
      'Status is as at the report; its history follows the table.',
    { size: 9 },
  )
  const sf = ctx.section('findings')
  findings.forEach((f) => sf.add([String(f.id), f.ruleId, f.severity, f.odsCode, f.subjectKey, f.subjectAt, f.summary, f.status, f.statusReason, f.openedAt]))
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
    ['By severity', `${formatCount(counts.high ?? 0)} high, ${formatCount(counts.medium ?? 0)} medium, ${formatCount(counts.low ?? 0)} low`],
    ['Still open', formatCount(findings.filter((f) => f.status === 'open').length)],
  ])
  if (findings.length > 0) {
    heading(doc, 'Status history of these findings', 2)
    const history = await listFindingEvents(db, findings.map((f) => f.id))
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
      history.map((e) => [String(e.findingId), formatIsoDateTime(e.at), `${e.fromStatus ? labels.findingStatus(e.fromStatus) : 'New'} to ${labels.findingStatus(e.toStatus)}`, e.byUser ?? 'the system', e.reason]),
    )
  }

  // ---- Opt-outs
  section('7. Opt-out figures')
  paragraph(doc, 'Patients whose latest choice in the practice system is an active opt-out, at each month end; NHS England NDOP publication where imported.', { size: 9 })
  const optouts = await monthlyOptOuts(db, scope)
  const odsById = new Map(ctx.practices.map((p) => [p.id, p.odsCode]))
  const soo = ctx.section('opt_outs')
  optouts.forEach((o) => soo.add([odsById.get(o.practiceId), o.month, o.ndop, o.type1, o.publishedAsOf, o.publishedOptOuts, o.publishedListSize]))
  drawTable(
    doc,
    [
      { header: 'Practice', width: 1.2, token: true },
      { header: 'Month', width: 1.4 },
      { header: 'NDOP (system)', width: 1.5, align: 'right' },
      { header: 'Type 1 (system)', width: 1.5, align: 'right' },
      { header: 'NDOP published', width: 1.6, align: 'right' },
      { header: 'List size', width: 1.4, align: 'right' },
    ],
    optouts.map((o) => [
      odsById.get(o.practiceId) ?? '',
      formatIsoDay(o.month).slice(0, 7),
      formatCount(o.ndop),
      formatCount(o.type1),
      o.publishedOptOuts == null ? '' : formatCount(o.publishedOptOuts),
      o.publishedListSize == null ? '' : formatCount(o.publishedListSize),
    ]),
    { emptyText: 'No figures.' },
  )

  // ---- Agreements
  section('8. Data sharing agreements in force')
  const agreements: Array<Record<string, unknown>> = await db('data_sharing_agreements as a')
    .join('organisations as o', 'o.id', 'a.recipient_id')
    .whereExists(db('agreement_practices as ap').whereRaw('ap.agreement_id = a.id').whereIn('ap.practice_id', scope.practiceIds))
    .where('a.valid_from', '<=', scope.to)
    .where((q) => q.whereNull('a.valid_to').orWhere('a.valid_to', '>=', scope.from))
    .select(
      'a.id',
      'a.reference',
      'o.name as recipient',
      'a.data_level',
      db.raw(`to_char(a.valid_from, 'YYYY-MM-DD') as valid_from`),
      db.raw(`to_char(a.valid_to, 'YYYY-MM-DD') as valid_to`),
      db.raw(`(SELECT string_agg(purpose, ',' ORDER BY purpose) FROM agreement_purposes WHERE agreement_id = a.id) as purposes`),
      db.raw(
        `(SELECT string_agg(p.ods_code, ', ' ORDER BY p.ods_code) FROM agreement_practices ap JOIN practices p ON p.id = ap.practice_id WHERE ap.agreement_id = a.id) as practices`,
      ),
    )
    .orderBy('a.reference')
  const sa = ctx.section('agreements')
  agreements.forEach((a) => sa.add([a.reference, a.recipient, a.data_level, a.valid_from, a.valid_to, a.purposes == null ? null : String(a.purposes).split(',').join(', '), a.practices]))
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

  // ---- Collection completeness: by each source's window (issue 15), not runs started in the period
  section('9. Collection completeness')
  const asOf: Date = (await db.raw('SELECT now() AS at')).rows[0].at // the snapshot's time: the report's data as of then
  paragraph(
    doc,
    'A period is usually collected after it ends. For each source, the window runs from the start of the period to its first ' +
      'successful collection that finished after the period ended (which covers the period), or to the time below if none has yet. ' +
      'Runs, gaps and records set aside are those in that window.',
    { size: 9 },
  )
  const totals = runs.reduce(
    (t, r) => ({ read: t.read + r.read, inserted: t.inserted + r.inserted, updated: t.updated + r.updated, duplicates: t.duplicates + r.duplicates, quarantined: t.quarantined + r.quarantined }),
    { read: 0, inserted: 0, updated: 0, duplicates: 0, quarantined: 0 },
  )
  keyValues(doc, [
    ['Data as of', `${formatIsoDateTime(asOf)} (${asOf.toISOString()})`],
    ['Sources', formatCount(coverage.length)],
    ['Sources not yet collected after the period', uncovered.length === 0 ? 'none' : `${formatCount(uncovered.length)}: ${uncovered.map((c) => c.name).join(', ')}`],
    ['Runs in the windows', formatCount(runs.length)],
    ['Failed runs', formatCount(failedRuns.length)],
    ['Gaps between successful runs', formatCount(gaps.length)],
    ['Records set aside (quarantine)', formatCount(quarantine.reduce((n, q) => n + q.pending + q.resolved, 0))],
  ])
  const sc = ctx.section('sources')
  coverage.forEach((c) => sc.add([String(c.id), c.name, c.kind, c.odsCode, c.lastSuccessAt, c.coveredAt, c.highWater]))
  heading(doc, 'Sources', 2)
  drawTable(
    doc,
    [
      { header: 'Source', width: 3 },
      { header: 'Practice', width: 1.3 },
      { header: 'Last successful collection', width: 2.3 },
      { header: 'Covers the period', width: 2.3, fit: 'yes, run finished 2026-10-25 01:59' },
      { header: 'High-water mark', width: 3.4 },
    ],
    coverage.map((c) => [
      `${c.name}\n${SOURCE_KIND_LABELS[c.kind] ?? c.kind}`,
      c.odsCode ?? 'national',
      c.lastSuccessAt ? formatIsoDateTime(c.lastSuccessAt) : 'never',
      c.coveredAt ? `yes, run finished ${formatIsoDateTime(c.coveredAt)}` : 'no: not collected since the period ended',
      c.highWater ?? '',
    ]),
    { emptyText: 'No source.' },
  )
  heading(doc, 'Runs', 2)
  paragraph(
    doc,
    `Read: records received. New, updated, already held (duplicates) and set aside: rows written from them (one AuditEvent can give two rows, ` +
      `a disclosure and an override). Totals: ${formatCount(totals.read)} read; ${formatCount(totals.inserted)} new, ${formatCount(totals.updated)} updated, ` +
      `${formatCount(totals.duplicates)} already held, ${formatCount(totals.quarantined)} set aside.`,
    { size: 9 },
  )
  const sj = ctx.section('job_runs')
  runs.forEach((r) => sj.add([String(r.id), r.jobName, r.source, r.trigger, r.status, r.startedAt, r.finishedAt, r.read, r.inserted, r.updated, r.duplicates, r.quarantined, r.error]))
  drawTable(
    doc,
    [
      { header: 'Run', width: 0.9, token: true },
      { header: 'Job / source', width: 2.6 },
      { header: 'Status', width: 1.4 },
      { header: 'Started', width: 2 },
      { header: 'Read / new / upd. / held / aside', width: 2.6 },
      { header: 'Error', width: 2.8 },
    ],
    runs.map((r) => [
      String(r.id),
      `${r.jobName} / ${r.source} (${RUN_TRIGGER_LABELS[r.trigger] ?? r.trigger})`,
      RUN_STATUS_LABELS[r.status] ?? r.status,
      formatIsoDateTime(r.startedAt),
      `${r.read} / ${r.inserted} / ${r.updated} / ${r.duplicates} / ${r.quarantined}`,
      r.error ?? '',
    ]),
    { emptyText: 'No collector run in the windows.' },
  )
  const sg = ctx.section('gaps')
  gaps.forEach((g) => sg.add([g.source, g.lastSuccess, g.nextSuccess]))
  if (gaps.length > 0) {
    heading(doc, 'Gaps between successful runs', 2)
    drawTable(
      doc,
      [{ header: 'Source', width: 3 }, { header: 'Last success', width: 2 }, { header: 'Next success', width: 2 }],
      gaps.map((g) => [g.source, formatIsoDateTime(g.lastSuccess), g.nextSuccess ? formatIsoDateTime(g.nextSuccess) : 'none yet']),
    )
  }
  heading(doc, 'Records set aside, by reason', 2)
  const sq = ctx.section('quarantine')
  quarantine.forEach((q) => sq.add([q.source, q.reason, q.pending, q.resolved]))
  drawTable(
    doc,
    [
      { header: 'Source', width: 2.4 },
      { header: 'Reason', width: 6 },
      { header: 'Waiting', width: 1.2, align: 'right' },
      { header: 'Resolved', width: 1.2, align: 'right' },
    ],
    quarantine.map((q) => [q.source, q.reason, formatCount(q.pending), formatCount(q.resolved)]),
    { emptyText: 'None.' },
  )

  // ---- The tamper-evident ledger (decision 024): the chain heads this report's data sit under,
  // and the latest signed checkpoint, so a pack and a checkpoint kept elsewhere prove each other.
  section('10. Ledger: chain heads and checkpoint')
  paragraph(
    doc,
    'Every record that must never change (disclosures and opt-out choices as collected, overrides, reviews and countersignatures, finding changes, ' +
      'agreements, report records and the access log) is hash-chained, one chain per practice and one for system-wide records. Below, each chain\'s head ' +
      'at the time of this report, and the latest checkpoint signed over the heads. Check them: `npm run ledger -- integrity verify --checkpoint FILE.json`.',
    { size: 9 },
  )
  const chainKeys = [...scope.practiceIds, 0]
  const heads: Array<{ chain_key: number; seq: string; hash: string }> = await db('ledger_heads')
    .whereIn('chain_key', chainKeys)
    .orderBy('chain_key')
    .select('chain_key', 'seq', db.raw(`encode(hash, 'hex') AS hash`))
  const checkpoint = await latestCheckpoint(db)
  const checkpointed = new Map((checkpoint?.chains ?? []).map((c) => [c.chain, c]))
  const chainName = (key: number) => (key === 0 ? 'System-wide' : (ctx.practices.find((p) => p.id === key)?.odsCode ?? String(key)))
  keyValues(doc, [
    [
      'Latest checkpoint',
      checkpoint
        ? `number ${checkpoint.id}, signed ${formatIsoDateTime(new Date(checkpoint.createdAt))} by ${checkpoint.createdBy}${checkpoint.developmentKey ? ' with the DEVELOPMENT key (proves nothing)' : ''}; key fingerprint ${checkpoint.keyFingerprint}`
        : 'none signed yet: run `npm run ledger -- integrity checkpoint` (the scheduler signs one nightly)',
    ],
  ])
  const sled = ctx.section('ledger')
  drawTable(
    doc,
    [
      { header: 'Chain', width: 1.6 },
      { header: 'Entries', width: 1.3, align: 'right' },
      { header: 'Head hash (SHA-256)', width: 6.4 },
      { header: 'Checkpoint covers', width: 2.6 },
    ],
    heads.map((h) => {
      const seq = Number(h.seq)
      const c = checkpointed.get(h.chain_key)
      const covers = !c ? 'not checkpointed' : c.seq >= seq ? 'every entry' : `${formatCount(c.seq)} entries; ${formatCount(seq - c.seq)} since`
      sled.add([chainName(h.chain_key), seq, h.hash, c?.seq ?? null, c?.hash ?? null])
      return [chainName(h.chain_key), formatCount(seq), h.hash, covers]
    }),
    { emptyText: 'No chain yet.' },
  )

  // ---- Glossary: the codes behind the labels printed above (before the manifest)
  glossary(doc, labels, '11. Glossary of codes', ctx.section('glossary'), () => ctx.contents!.mark('11. Glossary of codes'))
}

/** Overrides of the period whose review is overdue now, and those whose first review was signed late (the executive summary). */
async function overrideReviewState(db: Db, scope: ReportContext['scope'], reviewDays: number): Promise<{ overdue: number; late: number }> {
  const row = await whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at')
    .whereNot('e.kind', 'override_stopped')
    .select(
      db.raw(
        `count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM override_reviews r WHERE r.override_event_id = e.id) AND e.occurred_at + make_interval(days => ?) < now()) AS overdue`,
        [reviewDays],
      ),
      db.raw(`count(*) FILTER (WHERE (SELECT min(r.signed_at) FROM override_reviews r WHERE r.override_event_id = e.id) > e.occurred_at + make_interval(days => ?)) AS late`, [reviewDays]),
    )
    .first()
  return { overdue: Number(row?.overdue ?? 0), late: Number(row?.late ?? 0) }
}

/** Disclosures and override events per practice (the summary's subtotals). */
async function practiceSubtotals(db: Db, scope: ReportContext['scope']): Promise<Map<number, { disclosures: number; overrides: number }>> {
  const out = new Map<number, { disclosures: number; overrides: number }>()
  const disclosures = await whereScopeDays(db('disclosure_daily as dd'), scope, 'dd.practice_id', 'dd.day').groupBy('dd.practice_id').select('dd.practice_id as id').sum('dd.disclosures as n')
  for (const r of disclosures as Array<{ id: number; n: string }>) out.set(r.id, { disclosures: Number(r.n), overrides: 0 })
  const overrides = await whereScopeInstants(db('override_events'), scope, 'practice_id', 'occurred_at').groupBy('practice_id').select('practice_id as id').count({ n: '*' })
  for (const r of overrides as Array<{ id: number; n: string }>) out.set(r.id, { disclosures: out.get(r.id)?.disclosures ?? 0, overrides: Number(r.n) })
  return out
}

/** Disclosures per legal basis, most first; code null where the source recorded none. */
async function sumDisclosuresByLegalBasis(db: Db, scope: ReportContext['scope']): Promise<Array<{ code: string | null; label: string; disclosures: number }>> {
  const rows = await whereScopeDays(db('disclosure_daily as dd'), scope, 'dd.practice_id', 'dd.day')
    .leftJoin('legal_bases as lb', 'lb.code', 'dd.legal_basis')
    .groupBy('dd.legal_basis', 'lb.label')
    .select('dd.legal_basis as code', 'lb.label')
    .sum('dd.disclosures as n')
    .orderBy([{ column: 'n', order: 'desc' }, { column: 'dd.legal_basis' }])
  return (rows as Array<{ code: string; label: string | null; n: string }>)
    .map((r) => ({ code: r.code === '' ? null : r.code, label: r.code === '' ? 'None recorded' : (r.label ?? r.code), disclosures: Number(r.n) }))
    .filter((r) => r.disclosures > 0)
}

/** A pseudonym of the widest usual form (jobs/pseudonym.ts PSEUDONYM_PATTERN); wider ones shrink in their cell. */
const PSEUDONYM_SAMPLE = 'P-0000-0000-0000'

/** What a finding is about, in words: "disclosure 123, 4 Mar 2026 10:00", "source 5", "NDOP publication 2026-03-31". */
function subjectLabel(key: string, at: Date | null): string {
  const [kind, id, , day] = key.split(':')
  if (kind === 'disclosure') return `disclosure ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'override') return `override event ${id}${at ? `, ${formatIsoDateTime(at)}` : ''}`
  if (kind === 'source') return `source ${id}`
  if (kind === 'practice') return `NDOP publication ${day}`
  return key
}

/** An event's review timing: due date, and whether the first review was late or is overdue (at the report's snapshot). */
function reviewTiming(r: Record<string, unknown>): string {
  return reviewTimingInWords(String(r.kind), r.due_at as Date, r.first_signed_at as Date | null, r.as_of as Date)
}

/** Who countersigned a review and when, or that they declined (why) or have not yet signed. */
function countersignature(r: Record<string, unknown>): string {
  if (!r.second_signer) return ''
  if (r.cs_decision === 'countersigned') return `; countersigned by ${r.second_signer} at ${formatIsoDateTime(r.cs_signed_at as Date)}`
  if (r.cs_decision === 'declined') return `; ${r.second_signer} declined to countersign at ${formatIsoDateTime(r.cs_signed_at as Date)} (${r.cs_reason})`
  return `; awaiting countersignature by ${r.second_signer}`
}
