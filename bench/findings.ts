// Phase (b2), the findings (issue 19, decisions 036 and 042): the full re-evaluation in two data
// shapes, realistic coverage (a few percent of disclosures lack an agreement) and no agreement in
// force at all (every installation before its agreements are registered), with the reads a visit makes timed in each:
// the overview's open count (roll-up), the notifications count, the cases page (first page of
// cases, most severe first) and a drill-down (the biggest case, its first page of findings);
// and the incremental path after one agreement is added for the biggest no-agreement case.
import type { Config } from '../config/env.js'
import type { Db, DbHandle } from '../db/client.js'
import { refreshFindings } from '../core/findings/refresh.js'
import { verifyFindingRollups } from '../db/finding-rollups.js'
import { listCaseFindings, listCases, openFindingTotals } from '../db/queries/finding-cases.js'
import { countNotifications } from '../db/queries/notifications.js'
import { createUser } from '../db/queries/users.js'
import type { Scope } from '../db/queries/scope.js'
import { log, ms, round, time, type BenchOptions } from './common.js'
import type { Bulk } from './dataset.js'

/** The share of disclosures left without an agreement in the realistic shape. */
const UNCOVERED_SHARE = 0.03

async function openCount(db: Db): Promise<number> {
  return Number(((await db('findings').where({ status: 'open' }).count('* as n').first()) as { n: string }).n)
}

/** The reads one visit makes, for one practice and for all, p50/p95 over `runs`. */
async function reads(db: Db, bulk: Bulk, opts: BenchOptions) {
  const scopes: Array<{ name: string; scope: Scope }> = [
    { name: '1 practice', scope: { practiceIds: [bulk.practiceIds[0]!] } },
    { name: `${bulk.practiceIds.length} practices`, scope: { practiceIds: bulk.practiceIds } },
  ]
  const out = []
  for (const { name, scope } of scopes) {
    const first = await listCases(db, scope, { status: 'open' }, { limit: 25, offset: 0 })
    const biggest = [...first.cases].sort((a, b) => b.findings - a.findings)[0]
    const viewer = { userId: 0, role: 'caldicott_guardian' as const, practiceIds: scope.practiceIds }
    const timings = {
      overviewCount: await time(() => openFindingTotals(db, scope), opts.runs),
      notificationsCount: await time(() => countNotifications(db, viewer, 7), opts.runs),
      casesPage: await time(() => listCases(db, scope, { status: 'open' }, { limit: 25, offset: 0 }), opts.runs),
      casesPage10: await time(() => listCases(db, scope, { status: 'open' }, { limit: 25, offset: 225 }), opts.runs),
      drillDown: biggest
        ? await time(
            () =>
              Promise.all([
                listCases(
                  db,
                  { practiceIds: [biggest.practiceId] },
                  { status: 'open', rule: biggest.ruleId, caseKey: biggest.caseKey },
                  {
                    limit: 1,
                    offset: 0,
                  },
                ),
                listCaseFindings(db, biggest, { limit: 100, offset: 0 }),
              ]),
            opts.runs,
          )
        : null,
    }
    const reviewed = await notificationsWithEveryOverrideReviewed(db, scope.practiceIds, opts)
    log(`findings reads (${name}): ${JSON.stringify({ ...timings, notificationsCountEveryOverrideReviewed: reviewed })}`)
    out.push({
      scope: name,
      cases: first.total,
      biggestCase: biggest?.findings ?? 0,
      ...timings,
      notificationsCountEveryOverrideReviewed: reviewed,
    })
  }
  return out
}

/**
 * The notification count's worst case: every override event reviewed, so the due-review part
 * finds none open and checks the latest review of every old event. The reviews are append-only,
 * so they are written in a transaction that is rolled back, leaving the dataset as it was.
 */
async function notificationsWithEveryOverrideReviewed(db: Db, practiceIds: number[], opts: BenchOptions) {
  let timing: Awaited<ReturnType<typeof time>> | null = null
  await db
    .transaction(async (trx) => {
      const reviewer = await createUser(trx, {
        email: `bench.reviewer.${process.pid}@example.nhs.uk`,
        password: 'benchmark password 0123456789',
        role: 'caldicott_guardian',
        practiceIds,
      })
      await trx.raw(
        `INSERT INTO override_reviews (override_event_id, reviewer_id, verdict, reasons, signed_at)
         SELECT id, ?, 'justified', 'Proportionate.', occurred_at + interval '1 day' FROM override_events
          WHERE kind <> 'override_stopped' AND practice_id = ANY(?)`,
        [reviewer.id, practiceIds],
      )
      await trx.raw('ANALYZE override_reviews')
      const viewer = { userId: reviewer.id, role: 'caldicott_guardian' as const, practiceIds }
      timing = await time(() => countNotifications(trx, viewer, 7), opts.runs)
      throw new RolledBack()
    })
    .catch((err) => {
      if (!(err instanceof RolledBack)) throw err
    })
  // The rolled-back reviews stay behind as dead rows (and the in-transaction ANALYZE's figures
  // are not rolled back): until autovacuum came, the overrides page read them, 450 ms instead of
  // 19 ms at 10M. Clear them, so the later phases measure the dataset as a practice would have it.
  await db.raw('VACUUM ANALYZE override_reviews')
  return timing
}

class RolledBack extends Error {}

/** Agreements for every (recipient, purpose) the data has except a random few, leaving about 3% of disclosures uncovered. */
async function registerRealisticAgreements(db: Db, bulk: Bulk): Promise<{ agreements: number; uncoveredShare: number }> {
  const { rows } = await db.raw(
    `SELECT d.recipient_id, d.purpose, sum(d.disclosures)::bigint AS n
       FROM disclosure_daily d JOIN purposes p ON p.code = d.purpose
      WHERE NOT p.prohibited AND NOT EXISTS (
        SELECT 1 FROM data_sharing_agreements a JOIN agreement_purposes ap ON ap.agreement_id = a.id
         WHERE a.recipient_id = d.recipient_id AND ap.purpose = d.purpose)
      GROUP BY 1, 2 ORDER BY md5(d.recipient_id || d.purpose)`,
  )
  const total = rows.reduce((s: number, r: { n: string }) => s + Number(r.n), 0)
  let left = 0
  const covered: Array<{ recipient_id: number; purpose: string }> = []
  for (const r of rows as Array<{ recipient_id: number; purpose: string; n: string }>) {
    if (left + Number(r.n) <= total * UNCOVERED_SHARE) left += Number(r.n)
    else covered.push(r)
  }
  await db.transaction(async (trx) => {
    for (const r of covered) {
      const [a] = await trx('data_sharing_agreements')
        .insert({
          reference: `BENCH-${r.recipient_id}-${r.purpose}`,
          recipient_id: r.recipient_id,
          data_level: 'identifiable',
          valid_from: '2000-01-01',
        })
        .returning('id')
      await trx('agreement_purposes').insert({ agreement_id: a.id, purpose: r.purpose })
      await trx.raw(`INSERT INTO agreement_practices (agreement_id, practice_id) SELECT ?, unnest(?::int[])`, [a.id, bulk.practiceIds])
    }
  })
  return { agreements: covered.length, uncoveredShare: round(left / Math.max(total, 1), 4) }
}

/** One agreement for the biggest open no-agreement case, then the incremental refresh that resolves it. */
async function oneAgreement(db: Db, config: Config) {
  const { rows } = await db.raw(
    `SELECT rule_id, case_key, sum(findings)::int AS n, array_agg(practice_id ORDER BY practice_id) AS practices FROM finding_case_counts
      WHERE status = 'open' AND rule_id = 'no_agreement'
        AND split_part(case_key, ':', 3) NOT IN (SELECT code FROM purposes WHERE prohibited)
      GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1`,
  )
  if (rows.length === 0) return null
  const [, recipient, purpose] = String(rows[0].case_key).split(':')
  const t0 = performance.now()
  // One agreement with the recipient for that purpose, party to every practice the case is open at.
  await registerOne(db, Number(recipient), purpose!, (rows[0].practices as number[]).map(Number))
  const refreshed = await refreshFindings({ db, config })
  const seconds = round(ms(t0) / 1000)
  const rule = refreshed.rules.find((r) => r.ruleId === 'no_agreement')
  const verify = await verifyFindingRollups(db)
  return {
    caseFindingsAcrossPractices: Number(rows[0].n),
    seconds,
    noAgreementRuleMs: rule?.ms ?? null,
    disclosuresChecked: rule?.checked ?? null,
    resolved: refreshed.resolved,
    rollupsExact: verify.mismatches.length === 0,
  }
}

async function registerOne(db: Db, recipientId: number, purpose: string, practiceIds: number[]) {
  await db.transaction(async (trx) => {
    const [a] = await trx('data_sharing_agreements')
      .insert({
        reference: `BENCH-ONE-${recipientId}-${purpose}`,
        recipient_id: recipientId,
        data_level: 'identifiable',
        valid_from: '2000-01-01',
      })
      .returning('id')
    await trx('agreement_purposes').insert({ agreement_id: a.id, purpose })
    await trx.raw(`INSERT INTO agreement_practices (agreement_id, practice_id) SELECT ?, unnest(?::int[])`, [a.id, practiceIds])
  })
}

/** Ends every benchmark agreement (in force for one day in 2000): the state of "no agreements" for the rules, reached the way a practice would. */
async function endAgreements(db: Db): Promise<number> {
  return db('data_sharing_agreements')
    .where('reference', 'like', 'BENCH-%')
    .update({ valid_to: db.raw('valid_from') })
}

/**
 * Realistic coverage first (a few percent of disclosures lack an agreement), then every agreement
 * ended (almost every disclosure a no_agreement finding, as at a new installation), then one
 * agreement added for the biggest case. In this order no step has to resolve millions of
 * findings, which would measure the bulk resolution rather than what a visit costs.
 */
export async function findingsPhase(handle: DbHandle, config: Config, bulk: Bulk, opts: BenchOptions) {
  const db = handle.db
  // Shape 1: realistic coverage, evaluated in full.
  const coverage = await registerRealisticAgreements(db, bulk)
  let t0 = performance.now()
  await refreshFindings({ db, config }, { mode: 'full' })
  const realistic = { ...coverage, seconds: round(ms(t0) / 1000), open: await openCount(db) }
  log(`findings (realistic coverage): ${JSON.stringify(realistic)}`)
  await db.raw('ANALYZE findings, finding_counts, finding_case_counts')
  const realisticReads = await reads(db, bulk, opts)

  // Shape 2: no agreement in force at all.
  const ended = await endAgreements(db)
  t0 = performance.now()
  const full = await refreshFindings({ db, config }, { mode: 'full' })
  const none = { seconds: round(ms(t0) / 1000), opened: full.opened, open: await openCount(db), agreementsEnded: ended }
  log(`findings (no agreements): full re-evaluation in ${none.seconds} s, ${none.open} open`)
  await db.raw('ANALYZE findings, finding_counts, finding_case_counts')
  const noneReads = await reads(db, bulk, opts)

  // Then one agreement for the biggest case, resolved incrementally (decision 042).
  const incremental = await oneAgreement(db, config)
  log(`findings: one agreement added: ${JSON.stringify(incremental)}`)
  return {
    // The figures the previous benchmark printed, for the summary line.
    seconds: none.seconds,
    open: none.open,
    noAgreements: { ...none, reads: noneReads },
    oneAgreement: incremental,
    realistic: { ...realistic, reads: realisticReads },
  }
}

/**
 * The reads alone, over whatever findings the database holds: with --reuse and --skip findings,
 * those an earlier run left (12M open after the no-agreement shape at 10M), to time the reads
 * again after a change without re-evaluating.
 */
export async function findingReadsPhase(handle: DbHandle, bulk: Bulk, opts: BenchOptions) {
  const db = handle.db
  await db.raw('ANALYZE findings, finding_counts, finding_case_counts')
  return { open: await openCount(db), reads: await reads(db, bulk, opts) }
}
