import type { Knex } from 'knex'
import type { Db } from '../../db/client.js'
import { whereScopeDays, whereScopeInstants, type Scope } from '../../db/queries/scope.js'

/** A report's scope: practices and a period, both ends given. */
export type ReportScope = Scope & { from: string; to: string }

// The audit pack's own reads (the reads it shares with the app's pages are in db/queries/).
// Every one runs in the report's read-only snapshot; `now()` is that snapshot's time.

/** The snapshot's time: what the report's figures are as of. */
export async function snapshotTime(db: Db): Promise<Date> {
  return (await db.raw('SELECT now() AS at')).rows[0].at
}

export async function countOverrideEvents(db: Db, scope: Scope): Promise<number> {
  return Number((await whereScopeInstants(db('override_events'), scope, 'practice_id', 'occurred_at').count({ n: '*' }).first())?.n ?? 0)
}

/** Overrides of the period whose review is overdue now, and those whose first review was signed late (the executive summary). */
export async function overrideReviewState(db: Db, scope: Scope, reviewDays: number): Promise<{ overdue: number; late: number }> {
  const row = await whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at')
    .whereNot('e.kind', 'override_stopped')
    .select(
      db.raw(
        `count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM override_reviews r WHERE r.override_event_id = e.id) AND e.occurred_at + make_interval(days => ?) < now()) AS overdue`,
        [reviewDays],
      ),
      db.raw(
        `count(*) FILTER (WHERE (SELECT min(r.signed_at) FROM override_reviews r WHERE r.override_event_id = e.id) > e.occurred_at + make_interval(days => ?)) AS late`,
        [reviewDays],
      ),
    )
    .first()
  return { overdue: Number(row?.overdue ?? 0), late: Number(row?.late ?? 0) }
}

/** Disclosures and override events per practice (the summary's subtotals). */
export async function practiceSubtotals(db: Db, scope: Scope): Promise<Map<number, { disclosures: number; overrides: number }>> {
  const out = new Map<number, { disclosures: number; overrides: number }>()
  const disclosures = await whereScopeDays(db('disclosure_daily as dd'), scope, 'dd.practice_id', 'dd.day')
    .groupBy('dd.practice_id')
    .select('dd.practice_id as id')
    .sum('dd.disclosures as n')
  for (const r of disclosures as Array<{ id: number; n: string }>) out.set(r.id, { disclosures: Number(r.n), overrides: 0 })
  const overrides = await whereScopeInstants(db('override_events'), scope, 'practice_id', 'occurred_at')
    .groupBy('practice_id')
    .select('practice_id as id')
    .count({ n: '*' })
  for (const r of overrides as Array<{ id: number; n: string }>)
    out.set(r.id, { disclosures: out.get(r.id)?.disclosures ?? 0, overrides: Number(r.n) })
  return out
}

/** Disclosures per legal basis, most first; code null where the source recorded none. */
export async function sumDisclosuresByLegalBasis(
  db: Db,
  scope: Scope,
): Promise<Array<{ code: string | null; label: string; disclosures: number }>> {
  const rows = await whereScopeDays(db('disclosure_daily as dd'), scope, 'dd.practice_id', 'dd.day')
    .leftJoin('legal_bases as lb', 'lb.code', 'dd.legal_basis')
    .groupBy('dd.legal_basis', 'lb.label')
    .select('dd.legal_basis as code', 'lb.label')
    .sum('dd.disclosures as n')
    .orderBy([{ column: 'n', order: 'desc' }, { column: 'dd.legal_basis' }])
  return (rows as Array<{ code: string; label: string | null; n: string }>)
    .map((r) => ({
      code: r.code === '' ? null : r.code,
      label: r.code === '' ? 'None recorded' : (r.label ?? r.code),
      disclosures: Number(r.n),
    }))
    .filter((r) => r.disclosures > 0)
}

/** A row of the disclosure log (ids are bigint: strings). */
export interface DisclosureLogRow {
  id: string
  occurred_at: Date
  ods_code: string
  patient_pseudonym: string
  recipient: string
  purpose: string
  legal_basis: string | null
  data_level: string
}

/** Every disclosure of the period, oldest first: read through cursorBatches, never whole. */
export function disclosureLogQuery(db: Db, scope: Scope): Knex.QueryBuilder {
  return whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .join('practices as p', 'p.id', 'd.practice_id')
    .select(
      'd.id',
      'd.occurred_at',
      'p.ods_code',
      'd.patient_pseudonym',
      'o.name as recipient',
      'd.purpose',
      'd.legal_basis',
      'd.data_level',
    )
    .orderBy([{ column: 'd.occurred_at' }, { column: 'd.id' }])
}

/** An override event of the period with one of its reviews (or none), and that review's countersignature. */
export interface OverrideReviewRow {
  id: string
  occurred_at: Date
  ods_code: string
  patient_pseudonym: string
  kind: string
  reason_code: string | null
  actor_role: string | null
  due_at: Date
  first_signed_at: Date | null
  /** The snapshot's time. */
  as_of: Date
  review_id: string | null
  verdict: string | null
  reasons: string | null
  signed_at: Date | null
  escalated: boolean | null
  superseded_by: string | null
  reviewer: string | null
  second_signer: string | null
  cs_decision: string | null
  cs_signed_at: Date | null
  cs_reason: string | null
}

/** Override events of the period, one row per review (every review, superseded ones too), oldest first. */
export async function listOverridesWithReviews(db: Db, scope: Scope, reviewDays: number): Promise<OverrideReviewRow[]> {
  return (
    whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at')
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
  )
}

export interface AgreementInForce {
  id: number
  reference: string
  recipient: string
  data_level: string
  valid_from: string
  valid_to: string | null
  /** Purpose codes, comma-separated and sorted; null for none. */
  purposes: string | null
  /** ODS codes, ', '-separated and sorted. */
  practices: string | null
}

/** Agreements covering a practice of the scope and in force at some time in the period, by reference. */
export async function listAgreementsInForce(db: Db, scope: ReportScope): Promise<AgreementInForce[]> {
  return db('data_sharing_agreements as a')
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
}

/** A ledger chain's head (seq is bigint: a string). */
export interface ChainHead {
  chain_key: number
  seq: string
  hash: string
}

/** The heads of the given chains (practice ids, 0 for the system-wide chain), by chain. */
export async function listChainHeads(db: Db, chainKeys: number[]): Promise<ChainHead[]> {
  return db('ledger_heads')
    .whereIn('chain_key', chainKeys)
    .orderBy('chain_key')
    .select('chain_key', 'seq', db.raw(`encode(hash, 'hex') AS hash`))
}
