import type { Db } from '../db/client.js'
import { ReportError, type ReportContext, type ReportRequest } from './context.js'
import { ensureSpace, frame } from './pdf/document.js'
import { formatTime } from './pdf/format.js'
import { heading, keyValues, paragraph } from './pdf/heading.js'
import { drawTable } from './pdf/table.js'
import { titlePage } from './title-page.js'

// The incident review (Caldicott guardian): one override event, the timeline of every recorded
// event for that pseudonymised patient at that practice within WINDOW_DAYS either side, the
// organisations involved, legal basis, reviews, related findings, the outcome, and space for
// the guardian's conclusion. Patients appear only by pseudonym.

export const WINDOW_DAYS = 30

async function loadEvent(db: Db, id: number) {
  return db('override_events as e')
    .join('practices as p', 'p.id', 'e.practice_id')
    .leftJoin('organisations as o', 'o.id', 'e.recipient_id')
    .leftJoin('legal_bases as lb', 'lb.code', 'e.legal_basis')
    .where('e.id', id)
    .first(
      'e.*',
      'p.ods_code',
      'o.name as recipient',
      'lb.label as legal_basis_label',
      db.raw(`to_char((e.occurred_at AT TIME ZONE 'Europe/London')::date - ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_from`),
      db.raw(`to_char((e.occurred_at AT TIME ZONE 'Europe/London')::date + ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_to`),
    )
}

interface Anchor {
  practiceId: number
  odsCode: string
  pseudonym: string
  windowFrom: string
  windowTo: string
  event?: Record<string, any>
  finding?: Record<string, any>
  disclosureId?: number
}

const WINDOW_SQL = (col: string) =>
  `to_char((${col} AT TIME ZONE 'Europe/London')::date - ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_from, ` +
  `to_char((${col} AT TIME ZONE 'Europe/London')::date + ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_to`

/** What the review is about: an override event, or a finding about a disclosure or an override. */
async function loadAnchor(db: Db, r: ReportRequest): Promise<Anchor> {
  let eventId = r.eventId
  let finding: Record<string, any> | undefined
  if (r.findingId !== undefined) {
    finding = await db('findings').where('id', r.findingId).first()
    if (!finding) throw new ReportError(`There is no finding ${r.findingId}.`)
    const [kind, id] = String(finding.subject_key).split(':')
    if (kind === 'override') eventId = Number(id)
    else if (kind === 'disclosure') {
      const d = await db('disclosures as d')
        .join('practices as p', 'p.id', 'd.practice_id')
        .where('d.id', Number(id))
        .first('d.id', 'd.practice_id', 'p.ods_code', 'd.patient_pseudonym', db.raw(WINDOW_SQL('d.occurred_at')))
      if (!d) throw new ReportError(`Finding ${r.findingId} is about disclosure ${id}, which is not recorded.`)
      return { practiceId: d.practice_id, odsCode: d.ods_code, pseudonym: d.patient_pseudonym, windowFrom: d.window_from, windowTo: d.window_to, finding, disclosureId: Number(d.id) }
    } else throw new ReportError(`Finding ${r.findingId} is about ${finding.subject_key}, not about a patient: an incident review needs a disclosure or an override.`)
  }
  if (eventId === undefined) throw new ReportError('An incident review needs an override event id or a finding id.')
  const e = await loadEvent(db, eventId)
  if (!e) throw new ReportError(`There is no override event ${eventId}.`)
  return { practiceId: e.practice_id, odsCode: e.ods_code, pseudonym: e.patient_pseudonym, windowFrom: e.window_from, windowTo: e.window_to, event: e, finding }
}

/** The scope of an incident review: the anchor's practice (which must be in the request) and its window. */
export async function resolveIncidentScope(db: Db, r: ReportRequest): Promise<{ practiceIds: number[]; from: string; to: string }> {
  const a = await loadAnchor(db, r)
  if (!r.practiceIds.includes(a.practiceId)) throw new ReportError(`The incident belongs to practice ${a.odsCode}, which is not in the scope.`)
  return { practiceIds: [a.practiceId], from: a.windowFrom, to: a.windowTo }
}

export async function renderIncident(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const a = await loadAnchor(db, ctx.request)
  const e = a.event
  const f = a.finding
  titlePage(ctx, [
    ...(f ? [['Finding', `${f.id} ${f.rule_id} (${f.severity}, ${f.status})`] as [string, string]] : []),
    ...(e ? [['Override event', `${e.id} (${e.kind}, ${formatTime(e.occurred_at)})`] as [string, string]] : []),
    ...(a.disclosureId !== undefined ? [['Disclosure', String(a.disclosureId)] as [string, string]] : []),
    ['Patient (pseudonym)', a.pseudonym],
    ['Window', `${WINDOW_DAYS} days either side of the ${e ? 'event' : 'disclosure'}`],
  ])

  let part = 1
  if (f) {
    heading(doc, `${part++}. The finding`)
    keyValues(doc, [
      ['Rule', `${f.rule_id} (${f.severity})`],
      ['Summary', f.summary],
      ['Status', f.status],
      ['Opened', formatTime(f.opened_at)],
    ])
    ctx.section('finding').add([String(f.id), f.rule_id, f.severity, f.summary, f.status, f.opened_at])
  }
  if (e) {
    heading(doc, `${part++}. The event`)
    keyValues(doc, [
      ['When', formatTime(e.occurred_at)],
      ['Kind', e.kind],
      ['Reason code', e.reason_code ?? 'not given'],
      ['Purpose code', e.purpose_code ?? 'not given'],
      ['Legal basis', e.legal_basis ? `${e.legal_basis_label ?? e.legal_basis} (${e.legal_basis})` : 'none recorded'],
      ['By', `${e.actor_role ?? 'role not given'}, ${e.actor ?? 'staff id not given'}`],
      ['Recipient', e.recipient ?? 'not recorded'],
      ['Description', e.description ?? ''],
      ['Practice', e.ods_code],
    ])
    ctx.section('event').add([String(e.id), e.occurred_at, e.kind, e.reason_code, e.purpose_code, e.legal_basis, e.actor_role, e.actor, e.recipient, e.description])
  }
  if (a.disclosureId !== undefined) {
    const d = await db('disclosures as d')
      .join('organisations as o', 'o.id', 'd.recipient_id')
      .join('purposes as p', 'p.code', 'd.purpose')
      .leftJoin('legal_bases as lb', 'lb.code', 'd.legal_basis')
      .where('d.id', a.disclosureId)
      .first('d.*', 'o.name as recipient', 'p.label as purpose_label', 'lb.label as legal_basis_label')
    heading(doc, `${part++}. The disclosure`)
    keyValues(doc, [
      ['When', formatTime(d.occurred_at)],
      ['Recipient', d.recipient],
      ['Purpose', `${d.purpose_label} (${d.purpose})`],
      ['Legal basis', d.legal_basis ? `${d.legal_basis_label ?? d.legal_basis} (${d.legal_basis})` : 'none recorded'],
      ['Data', `${d.data_level}${d.data_description ? `: ${d.data_description}` : ''}`],
      ['By', `${d.disclosed_by_role ?? 'role not given'}, ${d.disclosed_by ?? 'staff id not given'}`],
      ['Practice', a.odsCode],
    ])
    ctx.section('disclosure').add([String(d.id), d.occurred_at, d.recipient, d.purpose, d.legal_basis, d.data_level, d.disclosed_by_role, d.disclosed_by])
  }

  // ---- Timeline
  const window = [scope.from, scope.to]
  const { rows: timeline } = await db.raw(
    `SELECT * FROM (
       SELECT d.occurred_at AS at, 'disclosure' AS type, d.id::text AS ref,
              p.label || ' (' || d.data_level || ')' AS detail, o.name AS organisation,
              coalesce(d.legal_basis, 'none') AS legal_basis, coalesce(d.disclosed_by_role, '') AS by
         FROM disclosures d JOIN organisations o ON o.id = d.recipient_id JOIN purposes p ON p.code = d.purpose
        WHERE d.practice_id = :practice AND d.patient_pseudonym = :patient
       UNION ALL
       SELECT e.occurred_at, 'override', e.id::text,
              e.kind || coalesce(' ' || e.reason_code, '') || coalesce(' ' || e.purpose_code, ''), o.name,
              coalesce(e.legal_basis, 'none'), coalesce(e.actor_role, '')
         FROM override_events e LEFT JOIN organisations o ON o.id = e.recipient_id
        WHERE e.practice_id = :practice AND e.patient_pseudonym = :patient
       UNION ALL
       SELECT c.effective_at, 'choice', c.id::text,
              c.kind || ' ' || c.decision || CASE WHEN c.status = 'inactive' THEN ' (inactive)' ELSE '' END, NULL, '', ''
         FROM patient_choices c
        WHERE c.practice_id = :practice AND c.patient_pseudonym = :patient
     ) t
     WHERE at >= (:from::date::timestamp AT TIME ZONE 'Europe/London')
       AND at < ((:to::date + 1)::timestamp AT TIME ZONE 'Europe/London')
     ORDER BY at, type, ref`,
    { practice: a.practiceId, patient: a.pseudonym, from: window[0], to: window[1] },
  )
  heading(doc, `${part++}. Timeline, ${scope.from} to ${scope.to}`)
  paragraph(doc, `Every recorded disclosure, override and opt-out choice for patient ${a.pseudonym} at ${a.odsCode}.`, { size: 9 })
  const st = ctx.section('timeline')
  const tl = timeline as Array<Record<string, unknown>>
  tl.forEach((r) => st.add([r.at, r.type, r.ref, r.detail, r.organisation, r.legal_basis, r.by]))
  drawTable(
    doc,
    [
      { header: 'When', width: 2.1 },
      { header: 'Type', width: 2.1 },
      { header: 'Ref', width: 0.8 },
      { header: 'What', width: 3.3 },
      { header: 'Organisation', width: 2.6 },
      { header: 'Legal basis', width: 2.2 },
      { header: 'By', width: 0.8 },
    ],
    tl.map((r) => [
      formatTime(r.at as Date),
      String(r.type) + ((r.type === 'override' && e && Number(r.ref) === Number(e.id)) || (r.type === 'disclosure' && Number(r.ref) === a.disclosureId) ? ' (this)' : ''),
      String(r.ref),
      String(r.detail),
      String(r.organisation ?? ''),
      String(r.legal_basis),
      String(r.by),
    ]),
    { emptyText: 'Nothing recorded.' },
  )

  // ---- Organisations involved
  heading(doc, `${part++}. Organisations involved`)
  const orgs = [...new Set(tl.map((r) => r.organisation).filter((o): o is string => typeof o === 'string' && o.length > 0))].sort()
  ctx.section('organisations').add(orgs)
  paragraph(doc, orgs.length ? orgs.join('\n') : 'None recorded.')

  // ---- Reviews
  heading(doc, `${part++}. Override reviews`)
  const reviews: Array<Record<string, unknown>> = await db('override_reviews as r')
    .join('users as u', 'u.id', 'r.reviewer_id')
    .leftJoin('users as s', 's.id', 'r.second_signer_id')
    .where('r.override_event_id', e?.id ?? -1)
    .orderBy([{ column: 'r.signed_at' }, { column: 'r.id' }])
    .select('r.id', 'r.verdict', 'r.reasons', 'r.signed_at', 'r.escalated', 'r.supersedes_id', 'u.display_name as reviewer', 'u.role', 's.display_name as second_signer')
  const sr = ctx.section('reviews')
  reviews.forEach((r) => sr.add([String(r.id), r.verdict, r.reasons, r.signed_at, r.escalated, r.supersedes_id == null ? null : String(r.supersedes_id), r.reviewer, r.second_signer]))
  drawTable(
    doc,
    [
      { header: 'Signed', width: 1.9 },
      { header: 'Reviewer', width: 2.5 },
      { header: 'Verdict', width: 1.5 },
      { header: 'Reasons', width: 5 },
    ],
    reviews.map((r) => [
      formatTime(r.signed_at as Date),
      `${r.reviewer} (${r.role})${r.second_signer ? `; second signer ${r.second_signer}` : ''}`,
      `${r.verdict}${r.escalated ? ', escalated' : ''}${r.supersedes_id ? `, replaces review ${r.supersedes_id}` : ''}`,
      String(r.reasons),
    ]),
    { emptyText: 'Not reviewed.' },
  )

  // ---- Findings
  heading(doc, `${part++}. Related compliance findings`)
  const findings: Array<Record<string, unknown>> = await db('findings')
    .where('practice_id', a.practiceId)
    .where((q) => {
      const keys = [e ? `override:${e.id}` : null, a.disclosureId !== undefined ? `disclosure:${a.disclosureId}` : null].filter((k): k is string => k !== null)
      q.whereIn('subject_key', keys)
      if (e) q.orWhereRaw(`evidence @> ?::jsonb`, [JSON.stringify([{ type: 'override', id: Number(e.id) }])])
      if (a.disclosureId !== undefined) q.orWhereRaw(`evidence @> ?::jsonb`, [JSON.stringify([{ type: 'disclosure', id: a.disclosureId }])])
    })
    .orderBy('id')
    .select('id', 'rule_id', 'severity', 'summary', 'status')
  const sf = ctx.section('findings')
  findings.forEach((f) => sf.add([String(f.id), f.rule_id, f.severity, f.summary, f.status]))
  drawTable(
    doc,
    [{ header: 'Id', width: 0.8 }, { header: 'Rule', width: 2 }, { header: 'Severity', width: 1.2 }, { header: 'Summary', width: 6 }, { header: 'Status', width: 1.3 }],
    findings.map((f) => [String(f.id), String(f.rule_id), String(f.severity), String(f.summary), String(f.status)]),
    { emptyText: 'None recorded.' },
  )

  // ---- Outcome and conclusion
  heading(doc, `${part++}. Outcome`)
  const current = reviews.filter((r) => !reviews.some((o) => String(o.supersedes_id) === String(r.id))).at(-1)
  const outcome: string[] = []
  if (f) outcome.push(`Finding ${f.id} is ${f.status}.`)
  if (e) outcome.push(current ? `Current review: ${current.verdict}${current.escalated ? ' (escalated)' : ''} by ${current.reviewer}, ${formatTime(current.signed_at as Date)}.` : 'The override event has not been reviewed.')
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
