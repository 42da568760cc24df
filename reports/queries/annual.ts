import type { Db } from '../../db/client.js'
import type { ReportScope } from './audit.js'

// The annual Caldicott report's own reads (reports/annual/). Each returns raw counts: the report
// decides what may be printed (disclosure control) before anything is drawn. Periods are days in
// England, as everywhere (db/queries/scope.ts).

/** The instant a period's last day ends in England, as SQL over a bound day. */
const END_OF = `((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`
const START_OF = `(?::date::timestamp AT TIME ZONE 'Europe/London')`

export type JudgementKey = 'justified' | 'not_justified' | 'inconclusive' | 'awaiting'
export type TimelinessKey = 'on_time' | 'late' | 'overdue' | 'not_yet_due'
export type CountersignKey = 'countersigned' | 'declined' | 'awaiting'

export interface OverrideYear {
  /** Emergency-access events needing a review (not the "access ended" events), by their current verdict. */
  judgements: Record<JudgementKey, number>
  /** The same events by when their first review was signed against its due date, as at the snapshot. */
  timeliness: Record<TimelinessKey, number>
  /** Current reviews that named a second signer, by that person's answer. */
  countersignatures: Record<CountersignKey, number>
  /** Days from the event to its first review: the median over reviewed events, or null. */
  medianDaysToReview: number | null
}

/**
 * Override events of the period and how they were judged. The current review of an event is its
 * latest signed one (a correction supersedes the one before).
 */
export async function overrideYear(db: Db, scope: ReportScope, reviewDays: number): Promise<OverrideYear> {
  const { rows } = await db.raw(
    `WITH ev AS (SELECT e.id, e.occurred_at, e.occurred_at + make_interval(days => ?) AS due_at
                   FROM override_events e
                  WHERE e.practice_id = ANY(?) AND e.kind <> 'override_stopped'
                    AND e.occurred_at >= ${START_OF} AND e.occurred_at < ${END_OF}),
          cur AS (SELECT DISTINCT ON (r.override_event_id) r.override_event_id, r.id, r.verdict, r.second_signer_id
                    FROM override_reviews r JOIN ev ON ev.id = r.override_event_id
                   ORDER BY r.override_event_id, r.signed_at DESC, r.id DESC),
          firsts AS (SELECT r.override_event_id, min(r.signed_at) AS first_at
                       FROM override_reviews r JOIN ev ON ev.id = r.override_event_id GROUP BY r.override_event_id)
     SELECT
       count(*) FILTER (WHERE cur.verdict = 'justified')::int AS justified,
       count(*) FILTER (WHERE cur.verdict = 'not_justified')::int AS not_justified,
       count(*) FILTER (WHERE cur.verdict = 'inconclusive')::int AS inconclusive,
       count(*) FILTER (WHERE cur.id IS NULL)::int AS awaiting,
       count(*) FILTER (WHERE f.first_at <= ev.due_at)::int AS on_time,
       count(*) FILTER (WHERE f.first_at > ev.due_at)::int AS late,
       count(*) FILTER (WHERE f.first_at IS NULL AND ev.due_at < now())::int AS overdue,
       count(*) FILTER (WHERE f.first_at IS NULL AND ev.due_at >= now())::int AS not_yet_due,
       count(*) FILTER (WHERE cur.second_signer_id IS NOT NULL AND cs.decision = 'countersigned')::int AS cs_countersigned,
       count(*) FILTER (WHERE cur.second_signer_id IS NOT NULL AND cs.decision = 'declined')::int AS cs_declined,
       count(*) FILTER (WHERE cur.second_signer_id IS NOT NULL AND cs.id IS NULL)::int AS cs_awaiting,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_at - ev.occurred_at) / 86400)
         FILTER (WHERE f.first_at IS NOT NULL) AS median_days
       FROM ev
       LEFT JOIN cur ON cur.override_event_id = ev.id
       LEFT JOIN firsts f ON f.override_event_id = ev.id
       LEFT JOIN override_countersignatures cs ON cs.review_id = cur.id`,
    [reviewDays, scope.practiceIds, scope.from, scope.to],
  )
  const r = rows[0]
  return {
    judgements: { justified: r.justified, not_justified: r.not_justified, inconclusive: r.inconclusive, awaiting: r.awaiting },
    timeliness: { on_time: r.on_time, late: r.late, overdue: r.overdue, not_yet_due: r.not_yet_due },
    countersignatures: { countersigned: r.cs_countersigned, declined: r.cs_declined, awaiting: r.cs_awaiting },
    medianDaysToReview: r.median_days === null ? null : Number(r.median_days),
  }
}

export interface AgreementChange {
  reference: string
  recipient: string
  validFrom: string
  validTo: string | null
  /** Purpose codes, sorted. */
  purposes: string[]
}

/** Agreements covering the scope's practices: recorded during the period, and ending between its start and `expiringBy`. */
export async function agreementChanges(
  db: Db,
  scope: ReportScope,
  expiringBy: string,
): Promise<{ added: AgreementChange[]; expiring: AgreementChange[] }> {
  const base = () =>
    db('data_sharing_agreements as a')
      .join('organisations as o', 'o.id', 'a.recipient_id')
      .whereExists(db('agreement_practices as ap').whereRaw('ap.agreement_id = a.id').whereIn('ap.practice_id', scope.practiceIds))
      .select(
        'a.reference',
        'o.name as recipient',
        db.raw(`to_char(a.valid_from, 'YYYY-MM-DD') AS "validFrom"`),
        db.raw(`to_char(a.valid_to, 'YYYY-MM-DD') AS "validTo"`),
        db.raw(
          `coalesce((SELECT array_agg(purpose ORDER BY purpose) FROM agreement_purposes WHERE agreement_id = a.id), '{}') AS purposes`,
        ),
      )
      .orderBy([{ column: 'a.reference' }])
  const added = await base().whereRaw(`a.created_at >= ${START_OF}`, [scope.from]).whereRaw(`a.created_at < ${END_OF}`, [scope.to])
  const expiring = await base().where('a.valid_to', '>=', scope.from).where('a.valid_to', '<=', expiringBy).orderBy('a.valid_to')
  return { added: added as AgreementChange[], expiring: expiring as AgreementChange[] }
}

export interface IncidentReviewRecord {
  id: string
  generatedAt: Date
  generatedBy: string
  eventId: number | null
  findingId: number | null
}

/** Incident reviews produced during the period for the scope's practices (report_exports). */
export async function incidentReviews(db: Db, scope: ReportScope): Promise<IncidentReviewRecord[]> {
  const { rows } = await db.raw(
    `SELECT id, generated_at AS "generatedAt", generated_by AS "generatedBy",
            (params->>'eventId')::bigint AS "eventId", (params->>'findingId')::bigint AS "findingId"
       FROM report_exports
      WHERE kind = 'incident' AND (params->'practiceIds') @> to_jsonb(?::int[])
        AND generated_at >= ${START_OF} AND generated_at < ${END_OF}
      ORDER BY generated_at, id`,
    [scope.practiceIds, scope.from, scope.to],
  )
  return (rows as IncidentReviewRecord[]).map((r) => ({
    ...r,
    eventId: r.eventId === null ? null : Number(r.eventId),
    findingId: r.findingId === null ? null : Number(r.findingId),
  }))
}

/** The practice's Caldicott guardians (their names go in the sign-off box). */
export async function practiceGuardians(db: Db, practiceIds: number[]): Promise<string[]> {
  const rows = await db('users as u')
    .join('user_practices as up', 'up.user_id', 'u.id')
    .whereIn('up.practice_id', practiceIds)
    .where('u.role', 'caldicott_guardian')
    .whereNull('u.disabled_at')
    .distinct('u.display_name')
    .orderBy('u.display_name')
  return rows.map((r: { display_name: string }) => r.display_name)
}
