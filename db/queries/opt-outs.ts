import type { Db } from '../client.js'
import type { Scope } from './scope.js'

// Opt-out figures per practice: the National Data Opt-out counts NHS England publishes, and
// the NDOP and Type 1 opt-outs recorded in the practice's own system (patient_choices), where
// the latest dated choice per patient and kind wins: a later "permit" or an inactive record
// withdraws an earlier opt-out.

export interface PracticeListSize {
  practiceId: number
  odsCode: string
  name: string
  listSize: number | null
  listSizeAsOf: string | null
}

export interface MonthlyOptOuts {
  practiceId: number
  /** First day of the month, 'YYYY-MM-DD'. */
  month: string
  /** The day the practice-system counts are taken at the end of: the month's last day, or the period's end if sooner. */
  asOf: string
  /** Patients whose latest NDOP choice in the practice system is an active opt-out. */
  ndop: number
  /** Patients whose latest Type 1 choice in the practice system is an active opt-out. */
  type1: number
  /** The NDOP publication dated in this month (the latest, if several), or nulls. */
  publishedAsOf: string | null
  publishedOptOuts: number | null
  publishedListSize: number | null
}

export interface PublishedCount {
  practiceId: number
  asOf: string
  optOuts: number
  listSize: number
}

/** The practices of the scope with their latest known list size, by ODS code. */
export async function listScopePractices(db: Db, scope: Scope): Promise<PracticeListSize[]> {
  return db('practices')
    .whereIn('id', scope.practiceIds)
    .orderBy('ods_code')
    .select('id as practiceId', 'ods_code as odsCode', 'name', 'list_size as listSize', 'list_size_as_of as listSizeAsOf')
}

/**
 * Each practice's opt-outs as of the end of every month from `from` to `to` (inclusive days in
 * England), in ONE query over the opt-out roll-ups (db/opt-out-rollups.ts): the count as of a
 * day is the running sum of deny spans starting minus ending up to that day, so every month
 * before the period's last is a prefix sum of month changes, and the last month (which may end
 * mid-month at `to`) adds its day changes up to `to`. A few rows per practice and month, where
 * reading every choice took 300-400 ms for 150 practices at 100,000 choices.
 * Every practice and month is present, with zero counts where nobody has opted out.
 */
export async function monthlyOptOuts(db: Db, scope: Scope & { from: string; to: string }): Promise<MonthlyOptOuts[]> {
  const { rows } = await db.raw(
    `WITH months AS (
       SELECT m::date AS month, least((m + interval '1 month')::date - 1, :to::date) AS as_of
         FROM generate_series(date_trunc('month', :from::date), date_trunc('month', :to::date), interval '1 month') AS m
     ),
     bounds AS (SELECT date_trunc('month', :from::date)::date AS first_month, date_trunc('month', :to::date)::date AS last_month),
     -- Changes before the first month count from it on (the count is a prefix sum over all time).
     changes AS (
       SELECT c.practice_id, c.kind, greatest(c.month, b.first_month) AS month, c.change
         FROM opt_out_month_changes c, bounds b
        WHERE c.practice_id = ANY(:practices) AND c.month < b.last_month
       UNION ALL
       SELECT c.practice_id, c.kind, b.last_month, c.change
         FROM opt_out_day_changes c, bounds b
        WHERE c.practice_id = ANY(:practices) AND c.day >= b.last_month AND c.day <= :to::date
     ),
     deltas AS (
       SELECT practice_id, month,
              sum(change) FILTER (WHERE kind = 'ndop') AS ndop,
              sum(change) FILTER (WHERE kind = 'type1') AS type1
         FROM changes GROUP BY practice_id, month
     ),
     counts AS (
       SELECT p.id AS practice_id, m.month,
              sum(coalesce(d.ndop, 0)) OVER w AS ndop,
              sum(coalesce(d.type1, 0)) OVER w AS type1
         FROM practices p
        CROSS JOIN months m
         LEFT JOIN deltas d ON d.practice_id = p.id AND d.month = m.month
        WHERE p.id = ANY(:practices)
       WINDOW w AS (PARTITION BY p.id ORDER BY m.month)
     ),
     published AS (
       SELECT DISTINCT ON (oc.practice_id, date_trunc('month', oc.as_of))
              oc.practice_id, date_trunc('month', oc.as_of)::date AS month, oc.as_of, oc.opt_outs, oc.list_size
         FROM practice_optout_counts oc
        WHERE oc.practice_id = ANY(:practices) AND oc.kind = 'ndop' AND oc.origin = 'ndop_publication'
          AND oc.as_of >= date_trunc('month', :from::date)::date AND oc.as_of <= :to::date
        ORDER BY oc.practice_id, date_trunc('month', oc.as_of), oc.as_of DESC
     )
     SELECT p.id AS "practiceId", to_char(m.month, 'YYYY-MM-DD') AS month, to_char(m.as_of, 'YYYY-MM-DD') AS "asOf",
            coalesce(c.ndop, 0) AS ndop, coalesce(c.type1, 0) AS type1,
            to_char(pub.as_of, 'YYYY-MM-DD') AS "publishedAsOf", pub.opt_outs AS "publishedOptOuts",
            pub.list_size AS "publishedListSize"
       FROM practices p
      CROSS JOIN months m
       LEFT JOIN counts c ON c.practice_id = p.id AND c.month = m.month
       LEFT JOIN published pub ON pub.practice_id = p.id AND pub.month = m.month
      WHERE p.id = ANY(:practices)
      ORDER BY p.ods_code, m.month`,
    { practices: scope.practiceIds, from: scope.from, to: scope.to },
  )
  return (rows as MonthlyOptOuts[]).map((r) => ({
    ...r,
    ndop: Number(r.ndop),
    type1: Number(r.type1),
    publishedOptOuts: r.publishedOptOuts === null ? null : Number(r.publishedOptOuts),
    publishedListSize: r.publishedListSize === null ? null : Number(r.publishedListSize),
  }))
}

/** Each practice's newest NDOP publication figure dated on or before `asOf`. */
export async function latestPublishedNdop(db: Db, scope: Scope, asOf: string): Promise<PublishedCount[]> {
  const { rows } = await db.raw(
    `SELECT DISTINCT ON (oc.practice_id)
            oc.practice_id AS "practiceId", to_char(oc.as_of, 'YYYY-MM-DD') AS "asOf", oc.opt_outs AS "optOuts", oc.list_size AS "listSize"
       FROM practice_optout_counts oc
      WHERE oc.practice_id = ANY(?) AND oc.kind = 'ndop' AND oc.origin = 'ndop_publication' AND oc.as_of <= ?::date
      ORDER BY oc.practice_id, oc.as_of DESC`,
    [scope.practiceIds, asOf],
  )
  return (rows as PublishedCount[]).map((r) => ({ ...r, optOuts: Number(r.optOuts), listSize: Number(r.listSize) }))
}
