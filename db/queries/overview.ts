import type { Knex } from 'knex'
import type { Db } from '../client.js'
import type { RunStatus } from './job-runs.js'

// Dashboard aggregates. Every disclosure count reads the disclosure_daily roll-up, never the
// disclosures table, so a page stays instant at ten million disclosures. sum() is int8, which
// db/client.ts already turns into a number for both drivers.

/** Inclusive calendar days ('YYYY-MM-DD', England); a missing end is open. */
export interface Period {
  from?: string
  to?: string
}

export interface PurposeCount {
  purpose: string
  label: string
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
  readCount: number
  insertedCount: number
  updatedCount: number
  duplicateCount: number
  quarantinedCount: number
  error: string | null
}

function withinPeriod(q: Knex.QueryBuilder, period: Period): Knex.QueryBuilder {
  if (period.from) q.where('dd.day', '>=', period.from)
  if (period.to) q.where('dd.day', '<=', period.to)
  return q
}

/** First and last day with any disclosure, or nulls when nothing has been collected yet. */
export async function getDisclosureDayRange(db: Db): Promise<{ first: string | null; last: string | null }> {
  const row = await db('disclosure_daily').min('day as first').max('day as last').first()
  return { first: row?.first ?? null, last: row?.last ?? null }
}

export async function countDisclosures(db: Db, period: Period): Promise<number> {
  const row = await withinPeriod(db('disclosure_daily as dd'), period).sum('dd.disclosures as n').first()
  return row?.n ?? 0
}

/** Most-used purpose first; purposes with no disclosures in the period are left out. */
export async function countDisclosuresByPurpose(db: Db, period: Period): Promise<PurposeCount[]> {
  return withinPeriod(db('disclosure_daily as dd'), period)
    .join('purposes as p', 'p.code', 'dd.purpose')
    .groupBy('p.code', 'p.label')
    .select('p.code as purpose', 'p.label')
    .sum('dd.disclosures as disclosures')
    .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'p.label' }])
}

/** Most-used recipient first, with its recipient type spelled out. */
export async function countDisclosuresByRecipient(db: Db, period: Period): Promise<RecipientCount[]> {
  return withinPeriod(db('disclosure_daily as dd'), period)
    .join('organisations as o', 'o.id', 'dd.recipient_id')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .groupBy('o.id', 'o.name', 'rt.code', 'rt.label')
    .select('o.id as recipientId', 'o.name', 'rt.code as recipientType', 'rt.label as recipientTypeLabel')
    .sum('dd.disclosures as disclosures')
    .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'o.name' }])
}

/** Every source with its most recent run (of any job), or nulls when it has never run. */
export async function listLastRunPerSource(db: Db): Promise<SourceLastRun[]> {
  const { rows } = await db.raw(
    `SELECT s.id AS "sourceId", s.name AS "sourceName", s.kind AS "sourceKind", p.ods_code AS "practiceOds",
            r.id AS "runId", r.job_name AS "jobName", r.status, r.started_at AS "startedAt",
            r.finished_at AS "finishedAt", coalesce(r.read_count, 0) AS "readCount",
            coalesce(r.inserted_count, 0) AS "insertedCount", coalesce(r.updated_count, 0) AS "updatedCount",
            coalesce(r.duplicate_count, 0) AS "duplicateCount", coalesce(r.quarantined_count, 0) AS "quarantinedCount",
            r.error
       FROM sources s
       LEFT JOIN practices p ON p.id = s.practice_id
       LEFT JOIN LATERAL (
         SELECT * FROM job_runs WHERE job_runs.source_id = s.id ORDER BY job_runs.id DESC LIMIT 1
       ) r ON true
      ORDER BY s.id`,
  )
  return rows
}
