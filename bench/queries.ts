// Phase (c), the dashboard: every page's queries for one practice and for all, timed against the
// naive GROUP BY over the raw rows in the same run, then whole pages as the loaders run them.
import type { Knex } from 'knex'
import type { Db } from '../db/client.js'
import {
  countMatchingDisclosures,
  listDisclosures,
  listRecipientsInScope,
  sumDisclosuresByDataLevel,
  sumDisclosuresByLegalBasis,
  sumDisclosuresByPurpose,
  sumDisclosuresByPurposeAndRecipientType,
  sumDisclosuresByRecipient,
} from '../db/queries/disclosures.js'
import { listCases, openFindingTotals } from '../db/queries/finding-cases.js'
import { latestPublishedNdop, listScopePractices, monthlyOptOuts } from '../db/queries/opt-outs.js'
import { countOverridesPending, listOverrideQueue } from '../db/queries/overrides.js'
import {
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  countOverridesAwaitingReview,
  countPatientsAffected,
  disclosureTrend,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../db/queries/overview.js'
import type { Scope } from '../db/queries/scope.js'
import { ODD_YEAR, YEAR, log, round, time, type BenchOptions } from './common.js'
import type { Bulk } from './dataset.js'
type QuerySet = Array<{
  page: string
  query: string
  run: (db: Db, scope: Scope) => Promise<unknown>
  naive?: (db: Db, scope: Scope) => Promise<unknown>
}>

/** The naive equivalent: the same aggregate straight from the raw disclosures table. */
function naive(select: string, groupBy: string | null, join = '') {
  return async (db: Db, scope: Scope) => {
    const { rows } = await db.raw(
      `SELECT ${select} FROM disclosures d ${join}
        WHERE d.practice_id = ANY(?) AND (d.occurred_at AT TIME ZONE 'Europe/London')::date BETWEEN ?::date AND ?::date
        ${groupBy ? `GROUP BY ${groupBy}` : ''}`,
      [scope.practiceIds, scope.from ?? '-infinity', scope.to ?? 'infinity'] as Knex.RawBinding[],
    )
    return rows
  }
}

/**
 * The naive opt-out series: straight from the raw choices, each choice a span to the patient's
 * next choice of the kind (lead()), counted at every month end of the period it covers.
 */
async function naiveOptOuts(db: Db, scope: Scope) {
  const { rows } = await db.raw(
    `WITH months AS (
       SELECT least((m + interval '1 month')::date - 1, :to::date) AS as_of
         FROM generate_series(date_trunc('month', :from::date), date_trunc('month', :to::date), interval '1 month') AS m
     ),
     spans AS (
       SELECT c.practice_id, c.kind, c.decision, c.status, (c.effective_at AT TIME ZONE 'Europe/London')::date AS start_day,
              (lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id) AT TIME ZONE 'Europe/London')::date AS end_day
         FROM patient_choices c WHERE c.practice_id = ANY(:practices) AND c.kind IN ('ndop', 'type1')
     )
     SELECT s.practice_id, m.as_of, count(*) FILTER (WHERE s.kind = 'ndop') AS ndop, count(*) FILTER (WHERE s.kind = 'type1') AS type1
       FROM spans s JOIN months m ON s.start_day <= m.as_of AND (s.end_day IS NULL OR s.end_day > m.as_of)
      WHERE s.decision = 'deny' AND s.status = 'active'
      GROUP BY 1, 2`,
    { practices: scope.practiceIds, from: scope.from!, to: scope.to! },
  )
  return rows
}

const REVIEW_DAYS = 14
export const QUERIES: QuerySet = [
  {
    page: 'overview',
    query: 'getDisclosureDayRange',
    run: getDisclosureDayRange,
    naive: naive('min(occurred_at), max(occurred_at)', null),
  },
  { page: 'overview', query: 'countDisclosures', run: countDisclosures, naive: naive('count(*)', null) },
  // Exact distinct patients: counted from the raw rows once per change of the scope's data (cold),
  // then from patient_count_cache until a collector changes one of its practices (warm).
  { page: 'overview', query: 'countPatientsAffected (warm)', run: countPatientsAffected },
  {
    page: 'overview (cold)',
    query: 'countPatientsAffected (cold, raw rows)',
    run: async (db, s) => {
      await db('patient_count_cache').delete()
      return countPatientsAffected(db, s)
    },
  },
  { page: 'overview', query: 'countOverridesAwaitingReview', run: (db, s) => countOverridesAwaitingReview(db, s, REVIEW_DAYS) },
  { page: 'overview', query: 'openFindingTotals', run: openFindingTotals },
  {
    page: 'overview',
    query: 'disclosureTrend(week)',
    run: (db, s) => disclosureTrend(db, s, 'week'),
    naive: naive(`date_trunc('week', (d.occurred_at AT TIME ZONE 'Europe/London')::date) AS period, count(*)`, '1'),
  },
  { page: 'overview', query: 'countDisclosuresByPurpose', run: countDisclosuresByPurpose, naive: naive('d.purpose, count(*)', '1') },
  {
    page: 'overview',
    query: 'countDisclosuresByRecipient',
    run: countDisclosuresByRecipient,
    naive: naive('o.id, o.name, count(*)', '1, 2', 'JOIN organisations o ON o.id = d.recipient_id'),
  },
  { page: 'overview', query: 'listLastRunPerSource', run: listLastRunPerSource },
  { page: 'disclosures', query: 'listRecipientsInScope', run: listRecipientsInScope, naive: naive('DISTINCT d.recipient_id', null) },
  {
    page: 'disclosures',
    query: 'sumDisclosuresByPurpose',
    run: (db, s) => sumDisclosuresByPurpose(db, s),
    naive: naive('d.purpose, count(*)', '1'),
  },
  {
    page: 'disclosures',
    query: 'sumDisclosuresByRecipient',
    run: (db, s) => sumDisclosuresByRecipient(db, s),
    naive: naive('o.id, o.name, count(*)', '1, 2', 'JOIN organisations o ON o.id = d.recipient_id'),
  },
  {
    page: 'disclosures',
    query: 'sumDisclosuresByPurposeAndRecipientType',
    run: (db, s) => sumDisclosuresByPurposeAndRecipientType(db, s),
    naive: naive('d.purpose, o.recipient_type, count(*)', '1, 2', 'JOIN organisations o ON o.id = d.recipient_id'),
  },
  {
    page: 'disclosures',
    query: 'sumDisclosuresByLegalBasis',
    run: (db, s) => sumDisclosuresByLegalBasis(db, s),
    naive: naive('d.legal_basis, count(*)', '1'),
  },
  {
    page: 'disclosures',
    query: 'sumDisclosuresByDataLevel',
    run: (db, s) => sumDisclosuresByDataLevel(db, s),
    naive: naive('d.data_level, count(*)', '1'),
  },
  {
    page: 'disclosures/list',
    query: 'countMatchingDisclosures',
    run: (db, s) => countMatchingDisclosures(db, s, {}),
    naive: naive('count(*)', null),
  },
  {
    page: 'disclosures/list',
    query: 'listDisclosures page 1',
    run: (db, s) => listDisclosures(db, s, {}, { sort: 'occurred_at', dir: 'desc', limit: 50, offset: 0 }),
  },
  {
    page: 'disclosures/list',
    query: 'listDisclosures purpose=research p3',
    run: (db, s) => listDisclosures(db, s, { purpose: 'research' }, { sort: 'occurred_at', dir: 'desc', limit: 50, offset: 100 }),
  },
  { page: 'opt-outs', query: 'listScopePractices', run: listScopePractices },
  {
    page: 'opt-outs',
    query: 'monthlyOptOuts',
    run: (db, s) => monthlyOptOuts(db, { ...s, from: s.from!, to: s.to! }),
    naive: naiveOptOuts,
  },
  { page: 'opt-outs', query: 'latestPublishedNdop', run: (db, s) => latestPublishedNdop(db, s, s.to!) },
  {
    page: 'overrides',
    query: 'listOverrideQueue',
    run: (db, s) => listOverrideQueue(db, s, { status: 'pending', overdueOnly: false }, REVIEW_DAYS, { limit: 50, offset: 0 }),
  },
  { page: 'overrides', query: 'countOverridesPending', run: (db, s) => countOverridesPending(db, s, REVIEW_DAYS) },
  // The findings page lists cases (decision 036); without a period they come from the roll-up.
  {
    page: 'findings',
    query: 'listCases',
    run: (db, s) => listCases(db, { practiceIds: s.practiceIds }, { status: 'open' }, { limit: 25, offset: 0 }),
  },
]

export async function dashboard(db: Db, bulk: Bulk, opts: BenchOptions) {
  const scopes: Array<{ name: string; scope: Scope }> = [
    { name: '1 practice, 1 year', scope: { practiceIds: [bulk.practiceIds[0]!], ...YEAR } },
    { name: `${bulk.practiceIds.length} practices, 1 year`, scope: { practiceIds: bulk.practiceIds, ...YEAR } },
    { name: `${bulk.practiceIds.length} pr., 365 odd days`, scope: { practiceIds: bulk.practiceIds, ...ODD_YEAR } },
  ]
  const results = []
  for (const { name, scope } of scopes) {
    for (const q of QUERIES) {
      const t = await time(() => q.run(db, scope), opts.runs)
      const n =
        q.naive && !name.includes('odd') && !opts.skip.has('naive')
          ? await time(() => q.naive!(db, scope), Math.min(opts.runs, opts.events >= 5_000_000 ? 3 : 10))
          : null
      results.push({
        scope: name,
        page: q.page,
        query: q.query,
        p50: t.p50,
        p95: t.p95,
        runs: t.runs,
        naiveP50: n?.p50 ?? null,
        naiveP95: n?.p95 ?? null,
        speedup: n ? round(n.p50 / Math.max(t.p50, 0.01), 1) : null,
      })
      log(`dashboard: ${name} ${q.page} ${q.query} p50 ${t.p50} ms p95 ${t.p95} ms${n ? ` naive p50 ${n.p50} ms` : ''}`)
    }
  }
  // Whole pages as the loaders run them (Promise.all over the same pool).
  const pages = [...new Set(QUERIES.map((q) => q.page))]
  const pageTimes = []
  for (const { name, scope } of scopes) {
    for (const page of pages) {
      const qs = QUERIES.filter((q) => q.page === page)
      const t = await time(() => Promise.all(qs.map((q) => q.run(db, scope))), opts.runs)
      pageTimes.push({ scope: name, page, p50: t.p50, p95: t.p95, runs: t.runs })
    }
  }
  return { queries: results, pages: pageTimes }
}
