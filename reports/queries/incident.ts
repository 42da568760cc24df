import type { Db } from '../../db/client.js'

// The incident review's reads: the event or finding it is about, and the patient's records
// around it at that practice.

/** Days either side of the event or disclosure that the timeline covers. */
export const WINDOW_DAYS = 30

const WINDOW_SQL = (col: string) =>
  `to_char((${col} AT TIME ZONE 'Europe/London')::date - ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_from, ` +
  `to_char((${col} AT TIME ZONE 'Europe/London')::date + ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_to`

/** An override event with its practice, recipient, source and timeline window (ids are bigint: strings). */
export interface IncidentEvent {
  id: string
  practice_id: number
  ods_code: string
  patient_pseudonym: string
  occurred_at: Date
  kind: string
  reason_code: string | null
  purpose_code: string | null
  /** The purpose of use as the code map reads it. */
  purpose_label: string | null
  legal_basis: string | null
  actor_role: string | null
  actor: string | null
  recipient: string | null
  description: string | null
  source_name: string | null
  source_record_id: string
  window_from: string
  window_to: string
}

export async function loadIncidentEvent(db: Db, id: number): Promise<IncidentEvent | undefined> {
  return db('override_events as e')
    .join('practices as p', 'p.id', 'e.practice_id')
    .leftJoin('organisations as o', 'o.id', 'e.recipient_id')
    .leftJoin('sources as s', 's.id', 'e.source_id')
    .where('e.id', id)
    .first(
      'e.*',
      'p.ods_code',
      'o.name as recipient',
      's.name as source_name',
      // the purpose of use as the code map reads it (BTG, ETREAT: HL7 v3 ActReason)
      db.raw(
        `(SELECT pu.label FROM purpose_code_map m JOIN purposes pu ON pu.code = m.purpose WHERE m.code = e.purpose_code ORDER BY m.system = 'http://terminology.hl7.org/CodeSystem/v3-ActReason' DESC LIMIT 1) AS purpose_label`,
      ),
      db.raw(`to_char((e.occurred_at AT TIME ZONE 'Europe/London')::date - ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_from`),
      db.raw(`to_char((e.occurred_at AT TIME ZONE 'Europe/London')::date + ${WINDOW_DAYS}, 'YYYY-MM-DD') as window_to`),
    )
}

/** A finding as stored (ids are bigint: strings). */
export interface FindingRecord {
  id: string
  rule_id: string
  severity: string
  summary: string
  status: string
  opened_at: Date
  subject_key: string
  evidence: unknown
  practice_id: number | null
}

export async function loadFinding(db: Db, id: number): Promise<FindingRecord | undefined> {
  return db('findings').where('id', id).first()
}

/** The disclosure a finding is about, with its practice and timeline window. */
export async function loadDisclosureAnchor(
  db: Db,
  id: number,
): Promise<
  { id: string; practice_id: number; ods_code: string; patient_pseudonym: string; window_from: string; window_to: string } | undefined
> {
  return db('disclosures as d')
    .join('practices as p', 'p.id', 'd.practice_id')
    .where('d.id', id)
    .first('d.id', 'd.practice_id', 'p.ods_code', 'd.patient_pseudonym', db.raw(WINDOW_SQL('d.occurred_at')))
}

export interface IncidentDisclosure {
  id: string
  occurred_at: Date
  recipient: string
  purpose: string
  legal_basis: string | null
  data_level: string
  data_description: string | null
  disclosed_by_role: string | null
  disclosed_by: string | null
  source_name: string | null
  source_record_id: string
}

export async function loadIncidentDisclosure(db: Db, id: number): Promise<IncidentDisclosure> {
  return db('disclosures as d')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .join('purposes as p', 'p.code', 'd.purpose')
    .leftJoin('sources as s', 's.id', 'd.source_id')
    .where('d.id', id)
    .first('d.*', 'o.name as recipient', 's.name as source_name')
}

/** One line of the patient's timeline: a disclosure, an override or an opt-out choice. */
export interface TimelineRow {
  at: Date
  type: 'disclosure' | 'override' | 'choice'
  ref: string
  /** Purpose (disclosure), kind (override), or "kind decision" (choice). */
  code: string
  /** Data level (disclosure), reason (override) or status (choice). */
  detail: string | null
  organisation: string | null
  legal_basis: string | null
  by: string
}

/** Every disclosure, override and opt-out choice of the patient at the practice in the window, in time order. */
export async function patientTimeline(db: Db, practiceId: number, pseudonym: string, from: string, to: string): Promise<TimelineRow[]> {
  const { rows } = await db.raw(
    `SELECT * FROM (
       SELECT d.occurred_at AS at, 'disclosure' AS type, d.id::text AS ref,
              d.purpose AS code, d.data_level AS detail, o.name AS organisation,
              d.legal_basis, coalesce(d.disclosed_by_role, '') AS by
         FROM disclosures d JOIN organisations o ON o.id = d.recipient_id
        WHERE d.practice_id = :practice AND d.patient_pseudonym = :patient
       UNION ALL
       SELECT e.occurred_at, 'override', e.id::text, e.kind, e.reason_code, o.name,
              e.legal_basis, coalesce(e.actor_role, '')
         FROM override_events e LEFT JOIN organisations o ON o.id = e.recipient_id
        WHERE e.practice_id = :practice AND e.patient_pseudonym = :patient
       UNION ALL
       SELECT c.effective_at, 'choice', c.id::text, c.kind || ' ' || c.decision, c.status, NULL, NULL, ''
         FROM patient_choices c
        WHERE c.practice_id = :practice AND c.patient_pseudonym = :patient
     ) t
     WHERE at >= (:from::date::timestamp AT TIME ZONE 'Europe/London')
       AND at < ((:to::date + 1)::timestamp AT TIME ZONE 'Europe/London')
     ORDER BY at, type, ref`,
    { practice: practiceId, patient: pseudonym, from, to },
  )
  return rows
}

export interface EventReview {
  id: string
  verdict: string
  reasons: string
  signed_at: Date
  escalated: boolean
  supersedes_id: string | null
  reviewer: string
  role: string
  second_signer: string | null
}

/** Every review of the override event (none for id -1), in signing order. */
export async function listEventReviews(db: Db, eventId: string | number): Promise<EventReview[]> {
  return db('override_reviews as r')
    .join('users as u', 'u.id', 'r.reviewer_id')
    .leftJoin('users as s', 's.id', 'r.second_signer_id')
    .where('r.override_event_id', eventId)
    .orderBy([{ column: 'r.signed_at' }, { column: 'r.id' }])
    .select(
      'r.id',
      'r.verdict',
      'r.reasons',
      'r.signed_at',
      'r.escalated',
      'r.supersedes_id',
      'u.display_name as reviewer',
      'u.role',
      's.display_name as second_signer',
    )
}

export interface RelatedFinding {
  id: string
  rule_id: string
  severity: string
  summary: string
  status: string
}

/** Findings at the practice about, or citing, the override event or the disclosure. */
export async function listRelatedFindings(
  db: Db,
  practiceId: number,
  eventId: string | undefined,
  disclosureId: number | undefined,
): Promise<RelatedFinding[]> {
  return db('findings')
    .where('practice_id', practiceId)
    .where((q) => {
      const keys = [
        eventId !== undefined ? `override:${eventId}` : null,
        disclosureId !== undefined ? `disclosure:${disclosureId}` : null,
      ].filter((k): k is string => k !== null)
      q.whereIn('subject_key', keys)
      if (eventId !== undefined) q.orWhereRaw(`evidence @> ?::jsonb`, [JSON.stringify([{ type: 'override', id: Number(eventId) }])])
      if (disclosureId !== undefined) q.orWhereRaw(`evidence @> ?::jsonb`, [JSON.stringify([{ type: 'disclosure', id: disclosureId }])])
    })
    .orderBy('id')
    .select('id', 'rule_id', 'severity', 'summary', 'status')
}
