import { USER_ROLE_LABELS } from '../core/labels.js'
import {
  listEventReviews,
  listFindingEvents,
  listRelatedFindings,
  loadDisclosureAnchor,
  loadFinding,
  loadIncidentDisclosure,
  loadIncidentEvent,
  patientTimeline,
  snapshotTime,
  WINDOW_DAYS,
  type FindingRecord,
  type IncidentEvent,
  type TimelineRow,
  type Db,
} from './queries/index.js'
import { DEFAULT_OVERRIDE_REVIEW_DAYS, ReportError, type ReportContext, type ReportRequest } from './context.js'
import { loadEvidence } from './incident-evidence.js'
import { Labels } from './labels.js'
import { reviewTiming } from './review-timing.js'
import { ensureSpace, frame } from './pdf/document.js'
import { formatIsoDateTime } from '../core/format.js'
import { heading, keyValues, paragraph } from './pdf/heading.js'
import { drawTable } from './pdf/table/index.js'
import { titlePage } from './title-page.js'

// The incident review (Caldicott guardian): one override event or finding; for a finding, the
// records it rests on whatever their date, with their provenance, and its status history; the
// timeline of every recorded event for that pseudonymised patient at that practice within
// WINDOW_DAYS either side, the organisations involved, legal basis, reviews with their due date
// and lateness (or a plain statement that no override is involved), related findings, the
// outcome, and space for the guardian's conclusion. Patients appear only by pseudonym.

export { WINDOW_DAYS }

interface Anchor {
  practiceId: number
  odsCode: string
  pseudonym: string
  windowFrom: string
  windowTo: string
  event?: IncidentEvent
  finding?: FindingRecord
  disclosureId?: number
}

/** What the review is about: an override event, or a finding about a disclosure or an override. */
async function loadAnchor(db: Db, r: ReportRequest): Promise<Anchor> {
  let eventId = r.eventId
  let finding: FindingRecord | undefined
  if (r.findingId !== undefined) {
    finding = await loadFinding(db, r.findingId)
    if (!finding) throw new ReportError(`There is no finding ${r.findingId}.`)
    const [kind, id] = String(finding.subject_key).split(':')
    if (kind === 'override') eventId = Number(id)
    else if (kind === 'disclosure') {
      const d = await loadDisclosureAnchor(db, Number(id))
      if (!d) throw new ReportError(`Finding ${r.findingId} is about disclosure ${id}, which is not recorded.`)
      return {
        practiceId: d.practice_id,
        odsCode: d.ods_code,
        pseudonym: d.patient_pseudonym,
        windowFrom: d.window_from,
        windowTo: d.window_to,
        finding,
        disclosureId: Number(d.id),
      }
    } else
      throw new ReportError(
        `Finding ${r.findingId} is about ${finding.subject_key}, not about a patient: an incident review needs a disclosure or an override.`,
      )
  }
  if (eventId === undefined) throw new ReportError('An incident review needs an override event id or a finding id.')
  const e = await loadIncidentEvent(db, eventId)
  if (!e) throw new ReportError(`There is no override event ${eventId}.`)
  return {
    practiceId: e.practice_id,
    odsCode: e.ods_code,
    pseudonym: e.patient_pseudonym,
    windowFrom: e.window_from,
    windowTo: e.window_to,
    event: e,
    finding,
  }
}

/** The scope of an incident review: the anchor's practice (which must be in the request) and its window. */
export async function resolveIncidentScope(db: Db, r: ReportRequest): Promise<{ practiceIds: number[]; from: string; to: string }> {
  const a = await loadAnchor(db, r)
  if (!r.practiceIds.includes(a.practiceId))
    throw new ReportError(`The incident belongs to practice ${a.odsCode}, which is not in the scope.`)
  return { practiceIds: [a.practiceId], from: a.windowFrom, to: a.windowTo }
}

export async function renderIncident(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const labels = await Labels.load(db)
  const a = await loadAnchor(db, ctx.request)
  const e = a.event
  const f = a.finding
  titlePage(ctx, [
    ...(f
      ? [
          ['Finding', `${f.id}: ${labels.rule(f.rule_id)} (${labels.severity(f.severity)}, ${labels.findingStatus(f.status)})`] as [
            string,
            string,
          ],
        ]
      : []),
    ...(e ? [['Override event', `${e.id}: ${labels.overrideKind(e.kind)}, ${formatIsoDateTime(e.occurred_at)}`] as [string, string]] : []),
    ...(a.disclosureId !== undefined ? [['Disclosure', String(a.disclosureId)] as [string, string]] : []),
    ['Patient (pseudonym)', a.pseudonym],
    ['Window', `${WINDOW_DAYS} days either side of the ${e ? 'event' : 'disclosure'}`],
  ])

  let part = 1
  if (f) {
    heading(doc, `${part++}. The finding`)
    const history = await listFindingEvents(db, [Number(f.id)])
    const last = history.at(-1)
    keyValues(doc, [
      ['Rule', `${labels.rule(f.rule_id)} (${labels.severity(f.severity)})`],
      ['Summary', f.summary],
      ['Status', `${labels.findingStatus(f.status)}${f.status !== 'open' && last ? `: ${last.reason}` : ''}`],
      ['Opened', formatIsoDateTime(f.opened_at)],
    ])
    ctx.section('finding').add([String(f.id), f.rule_id, f.severity, f.summary, f.status, f.opened_at])

    // What the finding rests on, whatever its date: the ±30-day timeline below may not reach it.
    heading(doc, `${part++}. The evidence it rests on`)
    paragraph(
      doc,
      'Each record the finding cites, whenever it is dated, with the system it came from and its identifier there, so it can be checked at the source.',
      { size: 9 },
    )
    const evidence = await loadEvidence(db, labels, f)
    const se = ctx.section('evidence')
    evidence.forEach((r) => se.add(r.canonical))
    drawTable(
      doc,
      [
        { header: 'Record', width: 1.8 },
        { header: 'What it records', width: 4.2 },
        { header: 'Dates', width: 2.4 },
        { header: 'Source system', width: 2.2 },
        { header: 'Source record id', width: 1.8, token: true },
      ],
      evidence.map((r) => [r.record, r.what, r.dates, r.source, r.sourceRecordId]),
      { emptyText: 'The finding cites no record.' },
    )

    heading(doc, 'Status history and reasons', 2)
    const sh = ctx.section('finding_history')
    history.forEach((h) => sh.add([String(h.findingId), h.at, h.fromStatus, h.toStatus, h.byUser, h.reason]))
    drawTable(
      doc,
      [
        { header: 'When', width: 2 },
        { header: 'Change', width: 2.4 },
        { header: 'By', width: 2 },
        { header: 'Reason', width: 6 },
      ],
      history.map((h) => [
        formatIsoDateTime(h.at),
        `${h.fromStatus ? labels.findingStatus(h.fromStatus) : 'New'} to ${labels.findingStatus(h.toStatus)}`,
        h.byUser ?? 'the system',
        h.reason,
      ]),
      { emptyText: 'No change of status recorded: open since it was detected.' },
    )
  }
  if (e) {
    heading(doc, `${part++}. The event`)
    keyValues(doc, [
      ['When', formatIsoDateTime(e.occurred_at)],
      ['Kind', labels.overrideKind(e.kind)],
      ['Reason', e.reason_code ? labels.overrideReason(e.reason_code) : 'not given'],
      ['Purpose of use', e.purpose_code ? (e.purpose_label ? `${e.purpose_label} (${e.purpose_code})` : e.purpose_code) : 'not given'],
      ['Legal basis', labels.legalBasis(e.legal_basis)],
      ['By', `${e.actor_role ?? 'role not given'}, ${e.actor ?? 'staff id not given'}`],
      ['Recipient', e.recipient ?? 'not recorded'],
      ['Description', e.description ?? ''],
      ['Practice', e.ods_code],
      ['Source', `${e.source_name ?? 'not recorded'}, record ${e.source_record_id}`],
    ])
    ctx
      .section('event')
      .add([
        String(e.id),
        e.occurred_at,
        e.kind,
        e.reason_code,
        e.purpose_code,
        e.legal_basis,
        e.actor_role,
        e.actor,
        e.recipient,
        e.description,
      ])
  }
  if (a.disclosureId !== undefined) {
    const d = await loadIncidentDisclosure(db, a.disclosureId)
    heading(doc, `${part++}. The disclosure`)
    keyValues(doc, [
      ['When', formatIsoDateTime(d.occurred_at)],
      ['Recipient', d.recipient],
      ['Purpose', labels.purpose(d.purpose)],
      ['Legal basis', labels.legalBasis(d.legal_basis)],
      ['Data', `${labels.dataLevel(d.data_level)}${d.data_description ? `: ${d.data_description}` : ''}`],
      ['By', `${d.disclosed_by_role ?? 'role not given'}, ${d.disclosed_by ?? 'staff id not given'}`],
      ['Practice', a.odsCode],
      ['Source', `${d.source_name ?? 'not recorded'}, record ${d.source_record_id}`],
    ])
    ctx
      .section('disclosure')
      .add([String(d.id), d.occurred_at, d.recipient, d.purpose, d.legal_basis, d.data_level, d.disclosed_by_role, d.disclosed_by])
  }

  // ---- Timeline
  const tl = await patientTimeline(db, a.practiceId, a.pseudonym, scope.from, scope.to)
  heading(doc, `${part++}. Timeline, ${scope.from} to ${scope.to}`)
  paragraph(doc, `Every recorded disclosure, override and opt-out choice for patient ${a.pseudonym} at ${a.odsCode}.`, { size: 9 })
  const st = ctx.section('timeline')
  tl.forEach((r) => st.add([r.at, r.type, r.ref, r.code, r.detail, r.organisation, r.legal_basis, r.by]))
  const TYPE_WORDS: Record<string, string> = { disclosure: 'Disclosure', override: 'Override', choice: 'Patient choice' }
  const what = (r: TimelineRow): string => {
    if (r.type === 'disclosure') return `${labels.purpose(String(r.code))} (${labels.dataLevel(String(r.detail))})`
    if (r.type === 'override')
      return `${labels.overrideKind(String(r.code))}${r.detail ? `; reason: ${labels.overrideReason(String(r.detail))}` : ''}`
    const [kind, decision] = String(r.code).split(' ')
    return `${labels.choice(kind!, decision!)}${r.detail === 'inactive' ? ' (inactive)' : ''}`
  }
  drawTable(
    doc,
    [
      { header: 'When', width: 2.1, fit: '2026-10-25 01:59' },
      { header: 'Type', width: 2.1 },
      { header: 'Ref', width: 0.8, token: true },
      { header: 'What', width: 3.3 },
      { header: 'Organisation', width: 2.6 },
      { header: 'Legal basis', width: 2.2 },
      { header: 'By', width: 0.8 },
    ],
    tl.map((r) => [
      formatIsoDateTime(r.at as Date),
      TYPE_WORDS[String(r.type)] +
        ((r.type === 'override' && e && Number(r.ref) === Number(e.id)) || (r.type === 'disclosure' && Number(r.ref) === a.disclosureId)
          ? ' (this)'
          : ''),
      String(r.ref),
      what(r),
      String(r.organisation ?? ''),
      r.type === 'choice' ? '' : labels.legalBasis(r.legal_basis as string | null),
      String(r.by),
    ]),
    { emptyText: 'Nothing recorded.' },
  )

  // ---- Organisations involved
  heading(doc, `${part++}. Organisations involved`)
  const orgs = [...new Set(tl.map((r) => r.organisation).filter((o): o is string => typeof o === 'string' && o.length > 0))].sort()
  ctx.section('organisations').add(orgs)
  paragraph(doc, orgs.length ? orgs.join('\n') : 'None recorded.')

  // ---- Reviews: when due, whether late, which stands; or, plainly, that no override is involved
  heading(doc, `${part++}. Override reviews`)
  const reviews = await listEventReviews(db, e?.id ?? -1)
  const sr = ctx.section('reviews')
  reviews.forEach((r) =>
    sr.add([
      String(r.id),
      r.verdict,
      r.reasons,
      r.signed_at,
      r.escalated,
      r.supersedes_id == null ? null : String(r.supersedes_id),
      r.reviewer,
      r.second_signer,
    ]),
  )
  if (!e) {
    paragraph(
      doc,
      'No override is involved in this finding: no override event is its subject or part of its evidence, so there is no review to be due.',
    )
  } else {
    const reviewDays = ctx.request.overrideReviewDays ?? DEFAULT_OVERRIDE_REVIEW_DAYS
    const asOf = await snapshotTime(db)
    const due = new Date(new Date(e.occurred_at).getTime() + reviewDays * DAY_MS)
    const first = reviews.length > 0 ? (reviews[0]!.signed_at as Date) : null
    keyValues(doc, [
      ['Review due', `${formatIsoDateTime(due)} (${reviewDays} days after the event)`],
      ['Timeliness', reviewTiming(e.kind, due, first, asOf)],
    ])
    ctx.section('review_due').add([String(e.id), due, first])
    drawTable(
      doc,
      [
        { header: 'Review', width: 0.9, token: true },
        { header: 'Signed', width: 1.7 },
        { header: 'Reviewer', width: 2.3 },
        { header: 'Verdict, standing', width: 2.2 },
        { header: 'Reasons', width: 4.6 },
      ],
      reviews.map((r) => {
        const by = reviews.find((o) => String(o.supersedes_id) === String(r.id))
        return [
          String(r.id),
          formatIsoDateTime(r.signed_at as Date),
          `${r.reviewer} (${USER_ROLE_LABELS[r.role as keyof typeof USER_ROLE_LABELS] ?? r.role})${r.second_signer ? `; second signer ${r.second_signer}` : ''}`,
          `${labels.verdict(String(r.verdict))}${r.escalated ? ', escalated' : ''}; ${by ? `superseded by review ${by.id}` : 'current'}${r.supersedes_id ? `; replaces review ${r.supersedes_id}` : ''}`,
          String(r.reasons),
        ]
      }),
      { emptyText: e.kind === 'override_stopped' ? 'None needed: the end of emergency access is not reviewed.' : 'Not reviewed yet.' },
    )
  }

  // ---- Findings
  heading(doc, `${part++}. Related compliance findings`)
  const findings = await listRelatedFindings(db, a.practiceId, e?.id, a.disclosureId)
  const sf = ctx.section('findings')
  findings.forEach((f) => sf.add([String(f.id), f.rule_id, f.severity, f.summary, f.status]))
  drawTable(
    doc,
    [
      { header: 'Id', width: 0.8, token: true },
      { header: 'Rule', width: 2.4 },
      { header: 'Severity', width: 1.2 },
      { header: 'Summary', width: 5.6 },
      { header: 'Status', width: 1.3 },
    ],
    findings.map((f) => [
      String(f.id),
      labels.rule(String(f.rule_id)),
      labels.severity(String(f.severity)),
      String(f.summary),
      labels.findingStatus(String(f.status)),
    ]),
    { emptyText: 'None recorded.' },
  )

  // ---- Outcome and conclusion
  heading(doc, `${part++}. Outcome`)
  const current = reviews.filter((r) => !reviews.some((o) => String(o.supersedes_id) === String(r.id))).at(-1)
  const outcome: string[] = []
  if (f) outcome.push(`Finding ${f.id} is ${labels.findingStatus(f.status).toLowerCase()}.`)
  if (e)
    outcome.push(
      current
        ? `Current review: ${labels.verdict(String(current.verdict))}${current.escalated ? ' (escalated)' : ''} by ${current.reviewer}, ${formatIsoDateTime(current.signed_at as Date)}.`
        : 'The override event has not been reviewed.',
    )
  else outcome.push('No override is involved.')
  paragraph(doc, outcome.join('\n'))
  ensureSpace(doc, 330) // heading, box and signature lines stay together
  heading(doc, `${part++}. Caldicott guardian's conclusion`)
  const box = frame(doc)
  doc.rect(box.left, doc.y, box.width, 180).lineWidth(0.8).strokeColor('#555555').stroke()
  doc.y += 190
  keyValues(doc, [
    ['Signed', '______________________________'],
    ['Name', '______________________________'],
    ['Date', '______________________________'],
  ])
}

const DAY_MS = 86_400_000
