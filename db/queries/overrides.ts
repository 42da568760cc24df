import type { Knex } from 'knex'
import type { Db } from '../client.js'
import { writeAccessLog, type AccessLogEntry } from './access-log.js'
import { whereScopeInstants, type Scope } from './scope.js'

// Override events and their Caldicott guardian reviews. Reviews are append-only (a trigger
// refuses UPDATE and DELETE); a later review supersedes the one before it through
// supersedes_id, which is unique, so the reviews of an event form one chain and its head is the
// latest verdict.

export type OverrideKind = 'break_glass' | 'consent_override' | 'override_stopped'
export type Verdict = 'justified' | 'not_justified' | 'inconclusive'
/**
 * pending: no review yet, or the latest review's second signer declined it;
 * awaiting_countersignature: the latest review names a second signer who has not yet
 * countersigned (issue 16: the review is not complete until they do); reviewed: the latest
 * review is complete (no second signer named, or countersigned); not_required: an "emergency
 * override stopped" marker with no review (it closes a break-glass session, which is the event
 * that needs the review; the overview's "awaiting review" count leaves it out the same way).
 */
export type ReviewStatus = 'pending' | 'awaiting_countersignature' | 'reviewed' | 'not_required'

export interface OverrideQueueFilter {
  status: 'pending' | 'reviewed' | 'all'
  overdueOnly: boolean
}

export interface OverrideEventFacts {
  id: number
  practiceId: number
  practiceOds: string
  practiceName: string
  occurredAt: Date
  dueAt: Date
  patientPseudonym: string
  kind: OverrideKind
  reasonCode: string | null
  purposeCode: string | null
  /** Our purpose for the source's PurposeOfUse code, when the code map knows it. */
  purposeLabel: string | null
  legalBasis: string | null
  legalBasisLabel: string | null
  actorRole: string | null
  actor: string | null
  recipientName: string | null
  recipientOds: string | null
  description: string | null
}

export interface OverrideQueueItem extends OverrideEventFacts {
  status: ReviewStatus
  overdue: boolean
  reviewCount: number
  latestReviewId: number | null
  latestVerdict: Verdict | null
  latestSignedAt: Date | null
  latestEscalated: boolean | null
  latestReviewerName: string | null
  /** The named second signer of the latest review, while their countersignature is awaited. */
  awaitingCountersignatureBy: string | null
}

export interface OverrideReview {
  id: number
  /** 1 for the first review of the event, 2 for the next, ... */
  number: number
  verdict: Verdict
  reasons: string
  escalated: boolean
  signedAt: Date
  reviewerId: number
  reviewerName: string
  reviewerRole: string
  secondSignerId: number | null
  secondSignerName: string | null
  secondSignerRole: string | null
  supersedesId: number | null
  supersedesNumber: number | null
  supersededById: number | null
  supersededByNumber: number | null
  /** The second signer's decision, when they have made it. */
  countersignature: { decision: 'countersigned' | 'declined'; reason: string | null; signedAt: Date; signerName: string } | null
}

const V3_ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'

/** The columns every listing of events shows; `?` is the review period in days. */
function factColumns(db: Db, reviewDays: number) {
  return [
    'o.id',
    'o.practice_id as practiceId',
    'p.ods_code as practiceOds',
    'p.name as practiceName',
    'o.occurred_at as occurredAt',
    db.raw('o.occurred_at + make_interval(days => ?) AS "dueAt"', [reviewDays]),
    'o.patient_pseudonym as patientPseudonym',
    'o.kind',
    'o.reason_code as reasonCode',
    'o.purpose_code as purposeCode',
    'pu.label as purposeLabel',
    'o.legal_basis as legalBasis',
    'lb.label as legalBasisLabel',
    'o.actor_role as actorRole',
    'o.actor',
    'org.name as recipientName',
    'org.ods_code as recipientOds',
    'o.description',
  ]
}

function withFactJoins(db: Db, q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q
    .join('practices as p', 'p.id', 'o.practice_id')
    .leftJoin('legal_bases as lb', 'lb.code', 'o.legal_basis')
    .leftJoin('organisations as org', 'org.id', 'o.recipient_id')
    .leftJoin('purpose_code_map as pcm', (j) => j.on('pcm.code', 'o.purpose_code').andOnVal('pcm.system', V3_ACT_REASON))
    .leftJoin('purposes as pu', 'pu.code', 'pcm.purpose')
}

/** The head of the event's review chain: the review no other review supersedes. */
const LATEST_REVIEW = `LEFT JOIN LATERAL (
    SELECT r.id, r.verdict, r.signed_at, r.escalated, u.display_name AS reviewer_name,
           r.second_signer_id, s2.display_name AS second_signer_name, cs.decision AS cs_decision,
           (SELECT count(*) FROM override_reviews c WHERE c.override_event_id = o.id) AS review_count
      FROM override_reviews r
      JOIN users u ON u.id = r.reviewer_id
      LEFT JOIN users s2 ON s2.id = r.second_signer_id
      LEFT JOIN override_countersignatures cs ON cs.review_id = r.id
     WHERE r.override_event_id = o.id
       AND NOT EXISTS (SELECT 1 FROM override_reviews s WHERE s.supersedes_id = r.id)
     ORDER BY r.signed_at DESC, r.id DESC
     LIMIT 1
  ) lr ON true`

const STATUS_SQL = `CASE WHEN lr.id IS NOT NULL AND (lr.second_signer_id IS NULL OR lr.cs_decision = 'countersigned') THEN 'reviewed'
                         WHEN lr.id IS NOT NULL AND lr.cs_decision IS NULL THEN 'awaiting_countersignature'
                         WHEN o.kind = 'override_stopped' THEN 'not_required'
                         ELSE 'pending' END`

/** Still needing someone to act: no complete review yet. */
const OPEN_SQL = `${STATUS_SQL} IN ('pending', 'awaiting_countersignature')`

/** The scoped, filtered queue without ordering or paging: shared by the page, its count and the CSV. */
function queueQuery(db: Db, scope: Scope, filter: OverrideQueueFilter, reviewDays: number): Knex.QueryBuilder {
  const q = withFactJoins(db, db('override_events as o')).joinRaw(LATEST_REVIEW)
  whereScopeInstants(q, scope, 'o.practice_id', 'o.occurred_at')
  if (filter.status === 'pending' || filter.overdueOnly) q.whereRaw(OPEN_SQL)
  if (filter.status === 'reviewed') q.whereRaw(`${STATUS_SQL} = 'reviewed'`)
  if (filter.overdueOnly) q.whereRaw('o.occurred_at + make_interval(days => ?) < now()', [reviewDays])
  return q
}

/**
 * One page of the review queue: events awaiting review first, then by due date (oldest first,
 * so the most overdue lead), with each event's latest verdict.
 */
export async function listOverrideQueue(
  db: Db,
  scope: Scope,
  filter: OverrideQueueFilter,
  reviewDays: number,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: OverrideQueueItem[] }> {
  const [countRow, rows] = await Promise.all([
    queueQuery(db, scope, filter, reviewDays).count('* as n').first(),
    queueQuery(db, scope, filter, reviewDays)
      .select(...factColumns(db, reviewDays), ...queueColumns(db, reviewDays))
      .orderByRaw(`CASE WHEN ${OPEN_SQL} THEN 0 ELSE 1 END, o.occurred_at, o.id`)
      .limit(page.limit)
      .offset(page.offset),
  ])
  return { total: Number(countRow?.n ?? 0), items: rows.map(toQueueItem) }
}

function queueColumns(db: Db, reviewDays: number) {
  return [
    db.raw(`${STATUS_SQL} AS status`),
    db.raw(`(${OPEN_SQL} AND o.occurred_at + make_interval(days => ?) < now()) AS overdue`, [reviewDays]),
    db.raw('coalesce(lr.review_count, 0) AS "reviewCount"'),
    'lr.id as latestReviewId',
    'lr.verdict as latestVerdict',
    'lr.signed_at as latestSignedAt',
    'lr.escalated as latestEscalated',
    'lr.reviewer_name as latestReviewerName',
    db.raw(`CASE WHEN ${STATUS_SQL} = 'awaiting_countersignature' THEN lr.second_signer_name END AS "awaitingCountersignatureBy"`),
  ]
}

function toQueueItem(r: OverrideQueueItem): OverrideQueueItem {
  return { ...r, reviewCount: Number(r.reviewCount), latestReviewId: r.latestReviewId === null ? null : Number(r.latestReviewId) }
}

/**
 * How many events of the scope await a complete review (none signed, one awaiting its
 * countersignature, or one whose second signer declined), and how many of those are overdue.
 */
export async function countOverridesPending(db: Db, scope: Scope, reviewDays: number): Promise<{ pending: number; overdue: number }> {
  const row = await whereScopeInstants(db('override_events as o'), scope, 'o.practice_id', 'o.occurred_at')
    .joinRaw(LATEST_REVIEW)
    .whereRaw(OPEN_SQL)
    .select(
      db.raw('count(*) AS pending'),
      db.raw('count(*) FILTER (WHERE o.occurred_at + make_interval(days => ?) < now()) AS overdue', [reviewDays]),
    )
    .first()
  return { pending: Number(row?.pending ?? 0), overdue: Number(row?.overdue ?? 0) }
}

/**
 * Every event of the queue's filters (no paging) for the CSV export. Capped so one download
 * cannot exhaust the server; the cap is far above a year of overrides for an ICB.
 */
export async function listOverrideQueueForExport(db: Db, scope: Scope, filter: OverrideQueueFilter, reviewDays: number, cap = 100_000) {
  return (await listOverrideQueue(db, scope, filter, reviewDays, { limit: cap, offset: 0 })).items
}

/**
 * One event with its facts and review status, whatever its practice: the caller checks the
 * practice against the viewer's (requirePractice) before showing anything.
 */
export async function getOverrideEvent(db: Db, id: number, reviewDays: number): Promise<OverrideQueueItem | undefined> {
  const row = await withFactJoins(db, db('override_events as o'))
    .joinRaw(LATEST_REVIEW)
    .where('o.id', id)
    .select(...factColumns(db, reviewDays), ...queueColumns(db, reviewDays))
    .first()
  return row ? toQueueItem(row) : undefined
}

/** The event's reviews, newest first, each with who superseded it (if anyone). */
export async function listOverrideReviews(db: Db, eventId: number): Promise<OverrideReview[]> {
  const { rows } = await db.raw(
    `WITH chain AS (
       SELECT r.*, row_number() OVER (ORDER BY r.signed_at, r.id) AS number
         FROM override_reviews r
        WHERE r.override_event_id = ?
     )
     SELECT c.id, c.number, c.verdict, c.reasons, c.escalated, c.signed_at AS "signedAt",
            c.reviewer_id AS "reviewerId", u.display_name AS "reviewerName", u.role AS "reviewerRole",
            c.second_signer_id AS "secondSignerId", s2.display_name AS "secondSignerName", s2.role AS "secondSignerRole",
            c.supersedes_id AS "supersedesId", pv.number AS "supersedesNumber", nx.id AS "supersededById", nx.number AS "supersededByNumber",
            cs.decision AS "csDecision", cs.reason AS "csReason", cs.signed_at AS "csSignedAt", csu.display_name AS "csSignerName"
       FROM chain c
       JOIN users u ON u.id = c.reviewer_id
       LEFT JOIN users s2 ON s2.id = c.second_signer_id
       LEFT JOIN chain pv ON pv.id = c.supersedes_id
       LEFT JOIN chain nx ON nx.supersedes_id = c.id
       LEFT JOIN override_countersignatures cs ON cs.review_id = c.id
       LEFT JOIN users csu ON csu.id = cs.signer_id
      ORDER BY c.signed_at DESC, c.id DESC`,
    [eventId],
  )
  type Row = Omit<OverrideReview, 'countersignature'> & {
    csDecision: 'countersigned' | 'declined' | null
    csReason: string | null
    csSignedAt: Date
    csSignerName: string
  }
  return (rows as Row[]).map(({ csDecision, csReason, csSignedAt, csSignerName, ...r }) => ({
    ...r,
    countersignature: csDecision ? { decision: csDecision, reason: csReason, signedAt: csSignedAt, signerName: csSignerName } : null,
    id: Number(r.id),
    number: Number(r.number),
    supersedesId: r.supersedesId === null ? null : Number(r.supersedesId),
    supersedesNumber: r.supersedesNumber === null ? null : Number(r.supersedesNumber),
    supersededById: r.supersededById === null ? null : Number(r.supersededById),
    supersededByNumber: r.supersededByNumber === null ? null : Number(r.supersededByNumber),
  }))
}

/**
 * Who may co-sign a review of this practice's events: Caldicott guardians and practice
 * managers who work for the practice and are not disabled, never the reviewer themself.
 */
export async function listSecondSigners(
  db: Db,
  practiceId: number,
  reviewerId: number,
): Promise<Array<{ id: number; name: string; role: string }>> {
  return db('users as u')
    .join('user_practices as up', 'up.user_id', 'u.id')
    .where('up.practice_id', practiceId)
    .whereIn('u.role', ['caldicott_guardian', 'practice_manager'])
    .whereNull('u.disabled_at')
    .whereNot('u.id', reviewerId)
    .orderBy([{ column: 'u.display_name' }, { column: 'u.id' }])
    .select('u.id', 'u.display_name as name', 'u.role')
}

export interface NewReview {
  eventId: number
  reviewerId: number
  verdict: Verdict
  reasons: string
  secondSignerId: number | null
  escalated: boolean
  /** The latest review the reviewer saw on the page (null: none); anything else is a conflict. */
  expectedLatestId: number | null
}

export type SignResult = { ok: true; reviewId: number; supersedes: number | null } | { ok: false; conflict: true }

/**
 * Signs a review: locks the event row (so two first reviews cannot race past each other: a
 * NULL supersedes_id never collides in the unique key), checks that nobody signed since the
 * reviewer loaded the page, inserts the review superseding the current latest, and appends the
 * access-log entry, all in one transaction: no review without its log entry, or the reverse.
 */
export async function signOverrideReview(
  db: Db,
  review: NewReview,
  log: Omit<AccessLogEntry, 'detail' | 'target' | 'practiceId'>,
): Promise<SignResult> {
  try {
    return await db.transaction(async (trx) => {
      const event = await trx('override_events').where({ id: review.eventId }).forUpdate().first('id', 'practice_id')
      if (!event) throw new Error(`override event ${review.eventId} vanished`)
      const latest = await trx('override_reviews as r')
        .where('r.override_event_id', review.eventId)
        .whereNotExists(trx('override_reviews as s').whereRaw('s.supersedes_id = r.id'))
        .orderBy([
          { column: 'r.signed_at', order: 'desc' },
          { column: 'r.id', order: 'desc' },
        ])
        .first('r.id')
      const latestId = latest ? Number(latest.id) : null
      if (latestId !== review.expectedLatestId) return { ok: false, conflict: true } as const
      const [row] = await trx('override_reviews')
        .insert({
          override_event_id: review.eventId,
          reviewer_id: review.reviewerId,
          verdict: review.verdict,
          reasons: review.reasons,
          second_signer_id: review.secondSignerId,
          escalated: review.escalated,
          supersedes_id: latestId,
        })
        .returning('id')
      const reviewId = Number(row.id)
      await writeAccessLog(trx, {
        ...log,
        practiceId: event.practice_id,
        target: `override:${review.eventId}`,
        detail: {
          verdict: review.verdict,
          escalated: review.escalated,
          supersedes: latestId,
          review: reviewId,
          secondSigner: review.secondSignerId,
        },
      })
      return { ok: true, reviewId, supersedes: latestId } as const
    })
  } catch (error) {
    // The unique key on supersedes_id: someone else superseded the same review first.
    if (
      (error as { code?: string }).code === '23505' &&
      String((error as { constraint?: string }).constraint ?? '').includes('supersedes')
    ) {
      return { ok: false, conflict: true }
    }
    throw error
  }
}

/** A review awaiting the viewer's countersignature, as /overrides lists it. */
export interface AwaitingCountersignature {
  reviewId: number
  eventId: number
  practiceOds: string
  occurredAt: Date
  kind: OverrideKind
  verdict: Verdict
  reviewerName: string
  signedAt: Date
}

/** The current reviews naming this user as second signer that they have not yet decided on. */
export async function listAwaitingCountersignature(db: Db, userId: number): Promise<AwaitingCountersignature[]> {
  const rows = await db('override_reviews as r')
    .join('override_events as o', 'o.id', 'r.override_event_id')
    .join('practices as p', 'p.id', 'o.practice_id')
    .join('users as u', 'u.id', 'r.reviewer_id')
    .join('user_practices as up', (j) => j.on('up.practice_id', 'o.practice_id').andOnVal('up.user_id', userId))
    .where('r.second_signer_id', userId)
    .whereNotExists(db('override_reviews as s').whereRaw('s.supersedes_id = r.id'))
    .whereNotExists(db('override_countersignatures as c').whereRaw('c.review_id = r.id'))
    .orderBy([{ column: 'r.signed_at' }, { column: 'r.id' }])
    .limit(200)
    .select(
      'r.id as reviewId',
      'o.id as eventId',
      'p.ods_code as practiceOds',
      'o.occurred_at as occurredAt',
      'o.kind',
      'r.verdict',
      'u.display_name as reviewerName',
      'r.signed_at as signedAt',
    )
  return rows.map((r) => ({ ...r, reviewId: Number(r.reviewId), eventId: Number(r.eventId) }))
}

export interface CountersignInput {
  reviewId: number
  signerId: number
  decision: 'countersigned' | 'declined'
  reason: string | null
}

export type CountersignResult =
  { ok: true; id: number } | { ok: false; reason: 'not_signer' | 'superseded' | 'already_decided' | 'not_found' }

/**
 * Records the named second signer's countersignature or decline. Only the person the review
 * names may decide (whoever else is signed in gets not_signer), only on the event's current
 * review, and only once (the unique key on review_id backs the check). The access-log entry
 * commits with it.
 */
export async function countersignReview(
  db: Db,
  input: CountersignInput,
  log: Omit<AccessLogEntry, 'detail' | 'target' | 'practiceId' | 'action'>,
): Promise<CountersignResult> {
  try {
    return await db.transaction(async (trx) => {
      const review = await trx('override_reviews').where({ id: input.reviewId }).first('id', 'override_event_id', 'second_signer_id')
      if (!review) return { ok: false, reason: 'not_found' } as const
      // The event row lock orders this against a new review of the same event.
      const event = await trx('override_events').where({ id: review.override_event_id }).forUpdate().first('id', 'practice_id')
      if (review.second_signer_id !== input.signerId) return { ok: false, reason: 'not_signer' } as const
      if (await trx('override_reviews').where({ supersedes_id: input.reviewId }).first('id'))
        return { ok: false, reason: 'superseded' } as const
      if (await trx('override_countersignatures').where({ review_id: input.reviewId }).first('id'))
        return { ok: false, reason: 'already_decided' } as const
      const [row] = await trx('override_countersignatures')
        .insert({ review_id: input.reviewId, signer_id: input.signerId, decision: input.decision, reason: input.reason })
        .returning('id')
      await writeAccessLog(trx, {
        ...log,
        action: input.decision === 'countersigned' ? 'override_countersign' : 'override_countersign_declined',
        practiceId: event.practice_id,
        target: `override:${event.id}`,
        detail: { review: input.reviewId, decision: input.decision },
      })
      return { ok: true, id: Number(row.id) } as const
    })
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return { ok: false, reason: 'already_decided' }
    throw error
  }
}
