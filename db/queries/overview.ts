import { planOnce, type Db } from '../client.js'
import type { RunStatus } from './job-runs.js'
import { rollupRows } from './rollup-source.js'
import { whereScopeInstants, type Scope } from './scope.js'

// Overview aggregates. Disclosure counts read the roll-ups (rollupRows picks the smallest that
// can answer), never the disclosures table, so the page stays fast at ten million disclosures.

export interface PurposeCount {
  purpose: string
  label: string
  /** Never allowed (marketing, insurance): the pages name it first. */
  prohibited: boolean
  disclosures: number
}

export interface RecipientCount {
  recipientId: number
  name: string
  recipientType: string
  recipientTypeLabel: string
  disclosures: number
}

export interface SourceLastRun {
  sourceId: number
  sourceName: string
  sourceKind: string
  practiceOds: string | null
  runId: number | null
  jobName: string | null
  status: RunStatus | null
  startedAt: Date | null
  finishedAt: Date | null
  lastSuccessAt: Date | null
  readCount: number
  insertedCount: number
  updatedCount: number
  duplicateCount: number
  quarantinedCount: number
  error: string | null
}

/** First and last day with any disclosure in the viewer's practices, or nulls. */
export async function getDisclosureDayRange(db: Db, scope: Scope): Promise<{ first: string | null; last: string | null }> {
  const row = await planOnce(
    db('disclosure_day_totals').whereIn('practice_id', scope.practiceIds).min('day as first').max('day as last').first(),
  )
  return { first: row?.first ?? null, last: row?.last ?? null }
}

export async function countDisclosures(db: Db, scope: Scope): Promise<number> {
  const row = await db
    .from(rollupRows(db, scope, []))
    .sum('dd.disclosures as n')
    .first()
  return row?.n ?? 0
}

/**
 * Distinct patients with at least one disclosure in the period. Not additive, so counted from
 * the raw rows, then kept in patient_count_cache with the scope's practice versions: the count
 * and the versions are read in one statement (one snapshot), and a later call reuses the count
 * only while no statement has changed those practices' disclosures since. Exact either way.
 * Callers asking for the same uncounted scope and versions at once share one count: an ICB's
 * overview opened by many people after a collection starts one multi-second count, not one
 * each.
 */
export async function countPatientsAffected(db: Db, scope: Scope): Promise<number> {
  const cache = await readPatientCountCache(db, scope)
  if (cache.patients !== null) return cache.patients
  const latest = latestCounts.get(db) ?? new Map<string, { versions: string; count: Promise<number> }>()
  latestCounts.set(db, latest)
  const key = patientCountKey(scope).scopeKey
  let entry = latest.get(key)
  // A count asked at the same practice versions is the same exact figure, whether it is still
  // running or has just finished: a viewer whose cache read raced the first count's write joins
  // it instead of counting again.
  if (!entry || entry.versions !== String(cache.versions)) {
    const created = { versions: String(cache.versions), count: countAndStorePatients(db, scope) }
    created.count.catch(() => {
      if (latest.get(key) === created) latest.delete(key)
    })
    if (latest.size >= 1000) latest.clear()
    latest.set(key, created)
    entry = created
  }
  return entry.count
}

/** Per database, each scope's latest count (running or done) and the practice versions it was asked at. */
const latestCounts = new WeakMap<Db, Map<string, { versions: string; count: Promise<number> }>>()

async function countAndStorePatients(db: Db, scope: Scope): Promise<number> {
  const { practiceIds, scopeKey } = patientCountKey(scope)
  // Counts nobody has asked for in a month are dropped as new ones are written.
  await db('patient_count_cache').where('computed_at', '<', db.raw(`now() - interval '30 days'`)).delete()
  const count = distinctPatients(db, { ...scope, practiceIds })
  const { rows } = await db.raw(
    `WITH v AS (${PRACTICE_VERSIONS}), n AS (:count)
     INSERT INTO patient_count_cache AS c (scope_key, versions, patients, computed_at)
     SELECT :scopeKey, v.versions, n.n, now() FROM v, n
     ON CONFLICT (scope_key) DO UPDATE SET versions = excluded.versions, patients = excluded.patients, computed_at = excluded.computed_at
     RETURNING patients`,
    { practiceIds, scopeKey, count },
  )
  return Number(rows[0].patients)
}

/**
 * The same exact count for a read-only snapshot (a report's): the cached figure when it belongs
 * to the snapshot's practice versions, else counted from the raw rows without storing it.
 */
export async function countPatientsInSnapshot(db: Db, scope: Scope): Promise<number> {
  const cached = await cachedPatientCount(db, scope)
  if (cached !== null) return cached
  const row = await distinctPatients(db, scope).first()
  return Number(row?.n ?? 0)
}

/** COUNT(DISTINCT pseudonym) over the scope's raw rows (an index-only scan, migration 20261205110000). */
function distinctPatients(db: Db, scope: Scope) {
  return whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at').countDistinct('d.patient_pseudonym as n')
}

/**
 * The patient count if patient_count_cache holds it for the scope's current practice versions,
 * else null (countPatientsAffected would have to read the raw rows): one small query, so a page
 * can tell at once whether the count will take milliseconds or seconds.
 */
export async function cachedPatientCount(db: Db, scope: Scope): Promise<number | null> {
  return (await readPatientCountCache(db, scope)).patients
}

/** The scope's practice versions now, and the cached count if it was counted at those versions. */
async function readPatientCountCache(db: Db, scope: Scope): Promise<{ patients: number | null; versions: string }> {
  if (scope.practiceIds.length === 0) return { patients: 0, versions: '' }
  const { practiceIds, scopeKey } = patientCountKey(scope)
  const { rows } = await db.raw(
    `WITH v AS (${PRACTICE_VERSIONS})
     SELECT v.versions, c.patients FROM v LEFT JOIN patient_count_cache c ON c.scope_key = :scopeKey AND c.versions = v.versions`,
    { practiceIds, scopeKey },
  )
  const row = rows[0] as { versions: string; patients: number | null }
  return { versions: row.versions, patients: row.patients === null ? null : Number(row.patients) }
}

const PRACTICE_VERSIONS = `SELECT coalesce(string_agg(practice_id || ':' || version, ',' ORDER BY practice_id), '') AS versions
                             FROM disclosure_practice_versions WHERE practice_id = ANY(:practiceIds)`

function patientCountKey(scope: Scope) {
  const practiceIds = [...new Set(scope.practiceIds)].sort((a, b) => a - b)
  return { practiceIds, scopeKey: `${practiceIds.join(',')}|${scope.from ?? ''}|${scope.to ?? ''}` }
}

/**
 * Override events with no complete review yet (none signed, or every one naming a second signer
 * who has not countersigned it: issue 16), and how many of them are past the review deadline.
 */
export async function countOverridesAwaitingReview(
  db: Db,
  scope: Scope,
  reviewDays: number,
): Promise<{ pending: number; overdue: number }> {
  const row = await planOnce(
    db('override_events as o')
      .whereIn('o.practice_id', scope.practiceIds)
      .whereNot('o.kind', 'override_stopped')
      .whereNotExists(
        db('override_reviews as r')
          .leftJoin('override_countersignatures as c', 'c.review_id', 'r.id')
          .whereRaw(`r.override_event_id = o.id AND (r.second_signer_id IS NULL OR c.decision = 'countersigned')`),
      )
      .select(
        db.raw('count(*) AS pending'),
        db.raw(`count(*) FILTER (WHERE o.occurred_at < now() - make_interval(days => ?)) AS overdue`, [reviewDays]),
      )
      .first(),
  )
  return { pending: Number(row?.pending ?? 0), overdue: Number(row?.overdue ?? 0) }
}

/** Disclosures per day (or per month for long periods), for the trend chart. */
export async function disclosureTrend(
  db: Db,
  scope: Scope,
  bucket: 'day' | 'week' | 'month',
): Promise<Array<{ period: string; disclosures: number }>> {
  const rows = await planOnce(
    db
      .from(rollupRows(db, scope, [], {}, { byDay: bucket !== 'month' }))
      .select(db.raw(`to_char(date_trunc(?, dd.day), 'YYYY-MM-DD') AS period`, [bucket]))
      .sum('dd.disclosures as disclosures')
      .groupByRaw('1')
      .orderByRaw('1'),
  )
  return rows.map((r: { period: string; disclosures: number }) => ({ period: r.period, disclosures: Number(r.disclosures) }))
}

/** Most-used purpose first; purposes with no disclosures in the period are left out. */
export async function countDisclosuresByPurpose(db: Db, scope: Scope): Promise<PurposeCount[]> {
  return planOnce(
    db
      .from(rollupRows(db, scope, ['purpose']))
      .join('purposes as p', 'p.code', 'dd.purpose')
      .groupBy('p.code', 'p.label', 'p.prohibited')
      .select('p.code as purpose', 'p.label', 'p.prohibited')
      .sum('dd.disclosures as disclosures')
      .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'p.label' }]),
  )
}

/** Most-used recipient first, with its recipient type spelled out. */
export async function countDisclosuresByRecipient(db: Db, scope: Scope): Promise<RecipientCount[]> {
  return planOnce(
    db
      .from(rollupRows(db, scope, ['recipient_id']))
      .join('organisations as o', 'o.id', 'dd.recipient_id')
      .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
      .groupBy('o.id', 'o.name', 'rt.code', 'rt.label')
      .select('o.id as recipientId', 'o.name', 'rt.code as recipientType', 'rt.label as recipientTypeLabel')
      .sum('dd.disclosures as disclosures')
      .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'o.name' }]),
  )
}

/**
 * Each source of the viewer's practices with its most recent run and its last successful one.
 * National sources (the NDOP publication) belong to every practice, so everyone sees them.
 */
export async function listLastRunPerSource(db: Db, scope: Scope): Promise<SourceLastRun[]> {
  const { rows } = await planOnce(
    db.raw(
      `SELECT s.id AS "sourceId", s.name AS "sourceName", s.kind AS "sourceKind", p.ods_code AS "practiceOds",
            r.id AS "runId", r.job_name AS "jobName", r.status, r.started_at AS "startedAt",
            r.finished_at AS "finishedAt", ok.finished_at AS "lastSuccessAt", coalesce(r.read_count, 0) AS "readCount",
            coalesce(r.inserted_count, 0) AS "insertedCount", coalesce(r.updated_count, 0) AS "updatedCount",
            coalesce(r.duplicate_count, 0) AS "duplicateCount", coalesce(r.quarantined_count, 0) AS "quarantinedCount",
            r.error
       FROM sources s
       LEFT JOIN practices p ON p.id = s.practice_id
       LEFT JOIN LATERAL (
         SELECT * FROM job_runs WHERE job_runs.source_id = s.id ORDER BY job_runs.id DESC LIMIT 1
       ) r ON true
       LEFT JOIN LATERAL (
         SELECT finished_at FROM job_runs
          WHERE job_runs.source_id = s.id AND job_runs.status = 'completed' ORDER BY job_runs.id DESC LIMIT 1
       ) ok ON true
      WHERE s.practice_id IS NULL OR s.practice_id = ANY(?)
      ORDER BY s.id`,
      [scope.practiceIds],
    ),
  )
  return rows
}
