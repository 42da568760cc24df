// The performance benchmark (issue 7): `npm run bench -- [--events N] [--practices 150] [--json-out FILE]`.
// Builds a dedicated database (ledger_bench, dropped and recreated), loads N disclosures with
// generate_series inside PostgreSQL, then measures ingest (the real collector against the
// simulator, and the raw INSERT baseline), the dashboard's queries (roll-up vs the naive GROUP BY)
// and a load test of the running server. Prints a table and writes JSON.
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import type { Knex } from 'knex'
import { loadConfig, type Config } from '../config/env.js'
import { openDatabase, type Db, type DbHandle } from '../db/client.js'
import { migrateLatest } from '../db/migrate.js'
import { rebuildRollups } from '../db/rollups.js'
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
import { listFindings } from '../db/queries/findings.js'
import { latestPublishedNdop, listScopePractices, monthlyOptOuts } from '../db/queries/opt-outs.js'
import { countOverridesPending, listOverrideQueue } from '../db/queries/overrides.js'
import {
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  countOpenFindings,
  countOverridesAwaitingReview,
  countPatientsAffected,
  disclosureTrend,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../db/queries/overview.js'
import { ensurePractice } from '../db/queries/practices.js'
import type { Scope } from '../db/queries/scope.js'
import { addSource } from '../db/queries/sources.js'
import { createUser } from '../db/queries/users.js'
import { collectSource } from '../jobs/collect.js'
import { refreshFindings } from '../core/findings/refresh.js'
import type { SimulatedPractice, SimulatorOptions } from '../jobs/simulator/server.js'

// ---- Options --------------------------------------------------------------------------------

function parseArgs(argv: string[]) {
  const opts = { events: 1_000_000, practices: 150, jsonOut: 'bench-output/latest.json', runs: 20, loadSeconds: 15, concurrency: 50, sessionRate: 1, skip: new Set<string>(), reuse: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--events') opts.events = Number(next())
    else if (a === '--practices') opts.practices = Number(next())
    else if (a === '--json-out') opts.jsonOut = next()
    else if (a === '--runs') opts.runs = Number(next())
    else if (a === '--load-seconds') opts.loadSeconds = Number(next())
    else if (a === '--concurrency') opts.concurrency = Number(next())
    else if (a === '--session-rate') opts.sessionRate = Number(next())
    else if (a === '--skip') for (const phase of next().split(',')) opts.skip.add(phase.trim())
    else if (a === '--reuse') opts.reuse = true
    else if (a === '--') continue
    else throw new Error(`Unknown option ${a}. Usage: npm run bench -- [--events N] [--practices 150] [--json-out FILE] [--runs 20] [--load-seconds 15] [--concurrency 50] [--session-rate 1] [--skip ingest,findings,dashboard,naive,reports,load] [--reuse]`)
  }
  for (const [k, v] of Object.entries(opts)) if (typeof v === 'number' && (!Number.isFinite(v) || v < 1)) throw new Error(`--${k} must be a positive number`)
  return opts
}

const opts = parseArgs(process.argv.slice(2))
const BASE_URL = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/postgres'
// Another name lets two benchmark runs (or a developer's experiment) share one server.
const DB_NAME = process.env.BENCH_DATABASE_NAME ?? 'ledger_bench'
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error('BENCH_DATABASE_NAME must be a plain lower-case identifier')
const benchUrl = BASE_URL.replace(/\/[^/]*$/, `/${DB_NAME}`)
const END_DAY = '2026-11-01'
const START_DAY = '2024-11-02' // two years ending END_DAY
// The dashboard's "last 12 months": whole calendar months, read from the monthly roll-ups.
const YEAR: { from: string; to: string } = { from: '2025-11-01', to: '2026-10-31' }
// 365 days from an odd day: 30 days at the ends come from the daily roll-ups.
const ODD_YEAR: { from: string; to: string } = { from: '2025-11-16', to: '2026-11-15' }
const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`)
const ms = (t0: number) => performance.now() - t0

// ---- Helpers --------------------------------------------------------------------------------

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[idx]!
}

interface Timing {
  runs: number
  p50: number
  p95: number
}

/** Runs fn up to `runs` times (fewer once 10 s are spent), after one warm-up, and returns p50/p95 in ms. */
async function time(fn: () => Promise<unknown>, runs = opts.runs): Promise<Timing> {
  await fn()
  const samples: number[] = []
  const started = performance.now()
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    samples.push(ms(t0))
    if (ms(started) > 10_000 && samples.length >= 3) break
  }
  samples.sort((a, b) => a - b)
  return { runs: samples.length, p50: round(quantile(samples, 0.5)), p95: round(quantile(samples, 0.95)) }
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

// ---- (a) Dataset ----------------------------------------------------------------------------

// Weighted vocabularies: most sharing is direct care with trusts and other practices.
const PURPOSES: Array<[string, number]> = [
  ['direct_care', 55], ['emergency_care', 6], ['safeguarding', 3], ['commissioning', 5], ['service_management', 4],
  ['clinical_audit', 4], ['research', 4], ['risk_stratification', 3], ['public_health', 3], ['legal', 3],
  ['subject_access', 3], ['secondary_processing', 2], ['surveys', 1], ['capacity_planning', 1], ['benchmarking', 1],
  ['insurance', 1], ['marketing', 1],
]
const LEGAL: Array<[string | null, number]> = [
  ['implied_consent', 50], ['explicit_consent', 12], ['public_interest', 10], ['legal_obligation', 8], ['s251', 4],
  ['safeguarding_duty', 3], ['vital_interests', 2], ['copi', 1], [null, 10],
]
const LEVELS: Array<[string, number]> = [['identifiable', 70], ['pseudonymised', 20], ['anonymised', 10]]
const RECIPIENT_TYPES: Array<[string, number]> = [
  ['nhs_trust', 12], ['gp_practice', 6], ['ambulance_trust', 2], ['icb', 2], ['social_care', 3], ['local_authority', 3],
  ['private_provider', 3], ['research_org', 3], ['nhs_england', 1], ['police_judicial', 2], ['solicitor', 4], ['insurer', 3],
  ['data_processor', 2], ['survey_contractor', 1],
]
const expand = <T>(xs: Array<[T, number]>): T[] => xs.flatMap(([v, w]) => Array<T>(w).fill(v))

async function recreateDatabase(): Promise<DbHandle> {
  const admin = await openDatabase({ kind: 'postgres', url: BASE_URL }, { poolMax: 1 })
  try {
    await admin.db.raw(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`)
    await admin.db.raw(`CREATE DATABASE ${DB_NAME}`)
  } finally {
    await admin.close()
  }
  const handle = await openDatabase({ kind: 'postgres', url: benchUrl }, { poolMax: 12 })
  await migrateLatest(handle.db)
  return handle
}

/**
 * --reuse: the database of an earlier run with the same N and practices, its bulk rows kept; the
 * earlier run's ingest (simulator sources and their rows) is removed first,
 * so the collector inserts afresh (load-test users stay: the access log refers to them). Null (and a full build) when there is nothing to reuse.
 */
async function reuseDatabase(): Promise<{ handle: DbHandle; bulk: Bulk } | null> {
  const admin = await openDatabase({ kind: 'postgres', url: BASE_URL }, { poolMax: 1 })
  const exists = await admin.db.raw('SELECT 1 FROM pg_database WHERE datname = ?', [DB_NAME]).finally(() => admin.close())
  if (exists.rows.length === 0) return null
  const handle = await openDatabase({ kind: 'postgres', url: benchUrl }, { poolMax: 12 })
  const db = handle.db
  const t0 = performance.now()
  await migrateLatest(db)
  const practiceIds = (await db('practices').where('ods_code', 'like', 'Y9%').orderBy('id').pluck('id')) as number[]
  const sourceIds = (await db('sources').where('name', 'like', 'Bulk %').orderBy('id').pluck('id')) as number[]
  const recipientIds = (await db('organisations').where('name', 'like', 'Bench recipient %').orderBy('id').pluck('id')) as number[]
  const { rows } = await db.raw(`SELECT count(*)::int AS n FROM disclosures WHERE source_id = ANY(?)`, [sourceIds])
  if (practiceIds.length !== opts.practices || rows[0].n !== opts.events) {
    log(`--reuse: ${DB_NAME} holds ${rows[0].n} bulk disclosures over ${practiceIds.length} practices, not ${opts.events} over ${opts.practices}: building afresh`)
    await handle.close()
    return null
  }
  const simulated = db('sources').where('name', 'like', 'Simulator %').select('id')
  for (const table of ['disclosures', 'patient_choices', 'override_events', 'quarantine', 'source_cursors']) await db(table).whereIn('source_id', simulated).delete()
  await db('job_runs').whereIn('source_id', simulated).delete()
  await db('sources').where('name', 'like', 'Simulator %').delete()
  await db.raw('VACUUM (ANALYZE) disclosures') // cheap when nothing changed; after a migration, needed
  const overrides = Number((await db('override_events').whereIn('source_id', sourceIds).count('* as n'))[0]!.n)
  const choices = Number((await db('patient_choices').whereIn('source_id', sourceIds).count('* as n'))[0]!.n)
  return {
    handle,
    bulk: { practiceIds, sourceIds, recipientIds, seconds: round(ms(t0) / 1000), disclosures: opts.events, overrides, choices, rollupRebuildSeconds: 0, rollups: [] },
  }
}

interface Bulk {
  rollupRebuildSeconds: number
  rollups: Array<{ table: string; rows: number }>
  practiceIds: number[]
  sourceIds: number[]
  recipientIds: number[]
  seconds: number
  disclosures: number
  overrides: number
  choices: number
}

async function buildDataset(db: Db): Promise<Bulk> {
  const t0 = performance.now()
  const practiceIds: number[] = []
  const sourceIds: number[] = []
  const { rows: prs } = await db.raw(
    `INSERT INTO practices (ods_code, name, icb_code, icb_name, list_size, list_size_as_of)
     SELECT 'Y' || (90000 + i)::text, 'Bench Practice ' || i, 'QBE', 'Bench ICB', 4000 + (i * 7919) % 14000, ?::date
       FROM generate_series(1, ?) i ORDER BY i RETURNING id`,
    [END_DAY, opts.practices],
  )
  practiceIds.push(...prs.map((r: { id: number }) => r.id))
  // Bulk sources are disabled: `collect --all` never tries to reach them.
  const { rows: srcs } = await db.raw(
    `INSERT INTO sources (practice_id, kind, name, base_url, enabled)
     SELECT id, 'fhir', 'Bulk ' || ods_code, 'http://bulk.invalid/' || ods_code, false FROM practices WHERE id = ANY(?) ORDER BY id RETURNING id`,
    [practiceIds],
  )
  sourceIds.push(...srcs.map((r: { id: number }) => r.id))
  const types = expand(RECIPIENT_TYPES)
  const { rows: orgs } = await db.raw(
    `INSERT INTO organisations (ods_code, name, recipient_type)
     SELECT CASE WHEN t IN ('solicitor', 'insurer') THEN NULL ELSE 'ZB' || lpad(i::text, 3, '0') END,
            'Bench recipient ' || i || ' (' || t || ')', t
       FROM unnest(?::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i RETURNING id`,
    [types],
  )
  const recipientIds = orgs.map((r: { id: number }) => r.id)
  const span = 730 * 86400
  const params = {
    practices: practiceIds,
    sources: sourceIds,
    recipients: recipientIds,
    purposes: expand(PURPOSES),
    legal: expand(LEGAL),
    levels: expand(LEVELS),
    start: START_DAY,
    span,
  }
  // A cheap deterministic hash of the row number picks each attribute.
  const h = (salt: number) => `((g::bigint * ${2654435761 + salt * 2}) % 4294967291)`
  // A bulk load as an operator would do it: roll-up triggers off, one rebuild from the raw rows
  // afterwards (rebuildRollups, also `ledger rollups rebuild`). The collectors keep them on.
  await db.raw('ALTER TABLE disclosures DISABLE TRIGGER USER')
  const BATCH = 250_000
  for (let lo = 1; lo <= opts.events; lo += BATCH) {
    const hi = Math.min(opts.events, lo + BATCH - 1)
    await db.raw(
      `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym,
                               recipient_id, purpose, purpose_code, legal_basis, data_level, data_description, disclosed_by_role, disclosed_by)
       SELECT (:practices::int[])[1 + g % n.p], (:sources::int[])[1 + g % n.p], 'bulk-' || g, '1',
              :start::date::timestamp AT TIME ZONE 'Europe/London' + make_interval(secs => (${h(1)} % :span)::float8),
              'P-' || (g % n.p) || '-' || (${h(2)} % 6000),
              (:recipients::int[])[1 + ${h(3)} % n.r], (:purposes::text[])[1 + ${h(4)} % n.pu], NULL,
              (:legal::text[])[1 + ${h(5)} % n.l], (:levels::text[])[1 + ${h(6)} % n.lv], 'Summary care record', 'GP', 'staff-' || (g % 40)
         FROM generate_series(${lo}::bigint, ${hi}::bigint) g,
              (SELECT cardinality(:practices::int[]) AS p, cardinality(:recipients::int[]) AS r, cardinality(:purposes::text[]) AS pu,
                      cardinality(:legal::text[]) AS l, cardinality(:levels::text[]) AS lv) n
        ORDER BY g`,
      params,
    )
    log(`dataset: ${hi.toLocaleString('en-GB')} / ${opts.events.toLocaleString('en-GB')} disclosures`)
  }
  await db.raw('ALTER TABLE disclosures ENABLE TRIGGER USER')
  const tr = performance.now()
  const rollups = await rebuildRollups(db)
  const rollupRebuildSeconds = round(ms(tr) / 1000)
  log(`dataset: roll-ups rebuilt in ${rollupRebuildSeconds} s (${rollups.map((r) => `${r.table} ${r.rows.toLocaleString('en-GB')}`).join(', ')})`)
  const overrides = Math.max(10, Math.floor(opts.events / 500))
  await db.raw(
    `INSERT INTO override_events (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, kind, reason_code, purpose_code, actor_role, actor)
     SELECT (:practices::int[])[1 + g % cardinality(:practices::int[])], (:sources::int[])[1 + g % cardinality(:sources::int[])], 'bulk-ov-' || g, '1',
            :start::date::timestamp AT TIME ZONE 'Europe/London' + make_interval(secs => (${h(7)} % :span)::float8),
            'P-' || (g % cardinality(:practices::int[])) || '-' || (${h(8)} % 6000),
            (ARRAY['break_glass', 'break_glass', 'consent_override', 'override_stopped'])[1 + g % 4],
            (ARRAY['OVRER', 'OVRPJ', 'OVRPS', 'OVRTPS'])[1 + ${h(9)} % 4], 'ETREAT', 'GP', 'staff-' || (g % 40)
       FROM generate_series(1::bigint, :n::bigint) g`,
    { ...params, n: overrides },
  )
  const choices = Math.max(10, Math.floor(opts.events / 100))
  await db.raw(
    `INSERT INTO patient_choices (practice_id, source_id, source_record_id, source_version, patient_pseudonym, kind, decision, effective_at, status)
     SELECT (:practices::int[])[1 + g % cardinality(:practices::int[])], (:sources::int[])[1 + g % cardinality(:sources::int[])], 'bulk-pc-' || g, '1',
            'P-' || (g % cardinality(:practices::int[])) || '-' || (${h(10)} % 6000),
            (ARRAY['ndop', 'type1', 'ndop', 'record_sharing'])[1 + g % 4],
            CASE WHEN ${h(11)} % 10 < 8 THEN 'deny' ELSE 'permit' END,
            :start::date::timestamp AT TIME ZONE 'Europe/London' + make_interval(secs => (${h(12)} % :span)::float8), 'active'
       FROM generate_series(1::bigint, :n::bigint) g`,
    { ...params, n: choices },
  )
  // As an operator would after a bulk load: statistics, and the visibility map that lets the
  // distinct-patient count scan its index alone.
  await db.raw('VACUUM (ANALYZE)')
  return { practiceIds, sourceIds, recipientIds, seconds: round(ms(t0) / 1000), disclosures: opts.events, overrides, choices, rollupRebuildSeconds, rollups }
}

// ---- (b) Ingest -----------------------------------------------------------------------------

const BENCH_PSEUDONYM_KEY = 'sharing-ledger-benchmark-pseudonym-key-not-for-real-data-0123456789'
const BENCH_SESSION_SECRET = 'sharing-ledger-benchmark-session-secret-0123456789'
/** Ed25519 seed for the benchmark's server (reports are signed; the server will not start on PostgreSQL without one). */
const BENCH_SIGNING_KEY = 'be0c'.repeat(16)

function benchConfig(): Config {
  return loadConfig({
    DATABASE_URL: benchUrl,
    PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY,
    SESSION_SECRET: BENCH_SESSION_SECRET,
    SIGNING_KEY: BENCH_SIGNING_KEY,
    NODE_ENV: 'test',
    SCHEDULER: 'off',
    FHIR_PAGE_SIZE: '500',
  })
}

async function ingest(handle: DbHandle, config: Config) {
  const db = handle.db
  const target = opts.events >= 1_000_000 ? 200_000 : Math.max(2_000, Math.round(opts.events / 5))
  const practices = target >= 100_000 ? 20 : 5
  const days = 100
  const perDay = Math.max(1, Math.ceil(target / (practices * days)))
  log(`ingest: simulator with ${practices} practices x ${days} days x ${perDay} events/day`)
  const sim = await startSimulatorProcess({ practices, days, seed: 7, eventsPerPracticePerDay: perDay, endDate: END_DAY, maxPageSize: 1000 })
  let simulatorRequests: number | null = null
  let measured
  try {
    const sources = []
    for (const p of sim.practices) {
      const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name, icbCode: p.icbCode })
      sources.push(await addSource(db, { practiceId: practice.id, kind: 'fhir', name: `Simulator ${p.odsCode}`, baseUrl: p.fhirBaseUrl }))
    }
    const t0 = performance.now()
    let read = 0
    let inserted = 0
    let failed = 0
    for (const s of sources) {
      const r = await collectSource({ db, target: handle.target, config, log: () => {} }, s)
      if (r.status !== 'completed') failed++
      read += r.counts?.read ?? 0
      inserted += r.counts?.inserted ?? 0
    }
    const collectMs = ms(t0)
    const sourceIds = sources.map((s) => s.id)
    const { rows } = await db.raw(`SELECT count(*)::int AS n FROM disclosures WHERE source_id = ANY(?)`, [sourceIds])
    const mapped = Number(rows[0].n)

    // Raw baseline: the same already-mapped rows into an identical table (same indexes, no
    // roll-up trigger), one INSERT ... SELECT, the fastest path PostgreSQL offers short of COPY.
    await db.raw(`DROP TABLE IF EXISTS disclosures_copy`)
    await db.raw(`CREATE TABLE disclosures_copy (LIKE disclosures INCLUDING ALL)`)
    const t1 = performance.now()
    await db.raw(`INSERT INTO disclosures_copy SELECT * FROM disclosures WHERE source_id = ANY(?)`, [sourceIds])
    const rawMs = ms(t1)
    await db.raw(`DROP TABLE disclosures_copy`)
    const collectorPerSec = read / (collectMs / 1000)
    const rawPerSec = mapped / (rawMs / 1000)
    measured = {
      simulator: { practices, days, eventsPerPracticePerDay: perDay },
      events: read,
      inserted,
      disclosuresWritten: mapped,
      failedSources: failed,
      collectorSeconds: round(collectMs / 1000),
      collectorEventsPerSec: Math.round(collectorPerSec),
      rawInsertSeconds: round(rawMs / 1000, 3),
      rawInsertRowsPerSec: Math.round(rawPerSec),
      collectorToRawRatio: round(rawPerSec / collectorPerSec, 1),
    }
  } finally {
    simulatorRequests = await sim.close()
  }
  return { ...measured, simulatorRequests }
}

/** bench/simulator-process.ts in a child process: the practice systems on their own core. */
async function startSimulatorProcess(options: Omit<SimulatorOptions, 'port'>) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'simulator-process.ts'), JSON.stringify(options)], {
    cwd: path.resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  let waiting: (() => void) | undefined
  let buffered = ''
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString()
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      waiting?.()
    }
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const nextLine = async () => {
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error('the simulator process exited before it was ready')
      await Promise.race([new Promise<void>((r) => (waiting = r)), exited])
    }
    return lines.shift()!
  }
  const ready = JSON.parse(await nextLine()) as { url: string; practices: SimulatedPractice[] }
  return {
    practices: ready.practices,
    async close(): Promise<number | null> {
      if (child.exitCode !== null) return null
      child.kill('SIGTERM')
      const last = await nextLine().catch(() => null)
      await exited
      return last ? (JSON.parse(last) as { requests: number }).requests : null
    },
  }
}

// ---- (b2) Findings ---------------------------------------------------------------------------

/**
 * The compliance rules over everything collected (the collector's own refresh is incremental;
 * this is the full re-evaluation `ledger findings refresh --full` runs), so the findings page
 * is timed over real findings, not an empty table.
 */
async function findings(handle: DbHandle, config: Config) {
  const t0 = performance.now()
  const result = await refreshFindings({ db: handle.db, config }, { mode: 'full' })
  const open = Number((await handle.db('findings').where({ status: 'open' }).count('* as n'))[0]!.n)
  return { seconds: round(ms(t0) / 1000), opened: result.opened, reopened: result.reopened, resolved: result.resolved, open }
}

// ---- (c) Dashboard queries -------------------------------------------------------------------

type QuerySet = Array<{ page: string; query: string; run: (db: Db, scope: Scope) => Promise<unknown>; naive?: (db: Db, scope: Scope) => Promise<unknown> }>

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
const QUERIES: QuerySet = [
  { page: 'overview', query: 'getDisclosureDayRange', run: getDisclosureDayRange, naive: naive('min(occurred_at), max(occurred_at)', null) },
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
  { page: 'overview', query: 'countOpenFindings', run: countOpenFindings },
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
  { page: 'disclosures', query: 'sumDisclosuresByPurpose', run: (db, s) => sumDisclosuresByPurpose(db, s), naive: naive('d.purpose, count(*)', '1') },
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
  { page: 'disclosures', query: 'sumDisclosuresByLegalBasis', run: (db, s) => sumDisclosuresByLegalBasis(db, s), naive: naive('d.legal_basis, count(*)', '1') },
  { page: 'disclosures', query: 'sumDisclosuresByDataLevel', run: (db, s) => sumDisclosuresByDataLevel(db, s), naive: naive('d.data_level, count(*)', '1') },
  { page: 'disclosures/list', query: 'countMatchingDisclosures', run: (db, s) => countMatchingDisclosures(db, s, {}), naive: naive('count(*)', null) },
  { page: 'disclosures/list', query: 'listDisclosures page 1', run: (db, s) => listDisclosures(db, s, {}, { sort: 'occurred_at', dir: 'desc', limit: 50, offset: 0 }) },
  {
    page: 'disclosures/list',
    query: 'listDisclosures purpose=research p3',
    run: (db, s) => listDisclosures(db, s, { purpose: 'research' }, { sort: 'occurred_at', dir: 'desc', limit: 50, offset: 100 }),
  },
  { page: 'opt-outs', query: 'listScopePractices', run: listScopePractices },
  { page: 'opt-outs', query: 'monthlyOptOuts', run: (db, s) => monthlyOptOuts(db, { ...s, from: s.from!, to: s.to! }), naive: naiveOptOuts },
  { page: 'opt-outs', query: 'latestPublishedNdop', run: (db, s) => latestPublishedNdop(db, s, s.to!) },
  {
    page: 'overrides',
    query: 'listOverrideQueue',
    run: (db, s) => listOverrideQueue(db, s, { status: 'pending', overdueOnly: false }, REVIEW_DAYS, { limit: 50, offset: 0 }),
  },
  { page: 'overrides', query: 'countOverridesPending', run: (db, s) => countOverridesPending(db, s, REVIEW_DAYS) },
  { page: 'findings', query: 'listFindings', run: (db, s) => listFindings(db, s, { status: 'open' }) },
]

async function dashboard(db: Db, bulk: Bulk) {
  const scopes: Array<{ name: string; scope: Scope }> = [
    { name: '1 practice, 1 year', scope: { practiceIds: [bulk.practiceIds[0]!], ...YEAR } },
    { name: `${bulk.practiceIds.length} practices, 1 year`, scope: { practiceIds: bulk.practiceIds, ...YEAR } },
    { name: `${bulk.practiceIds.length} pr., 365 odd days`, scope: { practiceIds: bulk.practiceIds, ...ODD_YEAR } },
  ]
  const results = []
  for (const { name, scope } of scopes) {
    for (const q of QUERIES) {
      const t = await time(() => q.run(db, scope))
      const n = q.naive && !name.includes('odd') && !opts.skip.has('naive') ? await time(() => q.naive!(db, scope), Math.min(opts.runs, opts.events >= 5_000_000 ? 3 : 10)) : null
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
      const t = await time(() => Promise.all(qs.map((q) => q.run(db, scope))))
      pageTimes.push({ scope: name, page, p50: t.p50, p95: t.p95, runs: t.runs })
    }
  }
  return { queries: results, pages: pageTimes }
}

// ---- (d) Reports ----------------------------------------------------------------------------

/**
 * The audit evidence pack over about 100,000 disclosure rows (N/10 for smaller N), then the
 * larger one over about 200,000 (N/5): the first practices' whole two years. Peak memory is
 * this process's RSS sampled every 25 ms, so it includes the benchmark's own baseline (reported too).
 */
async function evidencePack(db: Db, bulk: Bulk) {
  const pack = await evidencePackOf(db, bulk, Math.min(100_000, Math.max(1_000, Math.floor(opts.events / 10))))
  if (pack.skipped) return pack
  const larger = await evidencePackOf(db, bulk, Math.min(200_000, Math.max(2_000, Math.floor(opts.events / 5))))
  return { ...pack, larger }
}

async function evidencePackOf(db: Db, bulk: Bulk, wanted: number) {
  if (!fs.existsSync(path.resolve(import.meta.dirname, '../reports/index.ts'))) return { skipped: true, reason: 'reports/ does not exist yet' }
  const { generateReport } = await import('../reports/index.js')
  const perPractice = opts.events / bulk.practiceIds.length
  const practiceIds = bulk.practiceIds.slice(0, Math.max(1, Math.min(bulk.practiceIds.length, Math.ceil(wanted / perPractice))))
  // Whole practices, and the most recent part of the two years that holds about `wanted` rows.
  const days = Math.min(730, Math.max(1, Math.round((730 * wanted) / (practiceIds.length * perPractice))))
  const from = new Date(Date.parse(`${END_DAY}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10)
  const { rows } = await db.raw(
    `SELECT count(*)::int AS n FROM disclosures WHERE practice_id = ANY(?) AND occurred_at >= (?::date::timestamp AT TIME ZONE 'Europe/London')
        AND occurred_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`,
    [practiceIds, from, END_DAY],
  )
  const file = path.join(os.tmpdir(), `ledger-bench-pack-${process.pid}.pdf`)
  const baselineRss = process.memoryUsage().rss
  let peakRss = baselineRss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25)
  const t0 = performance.now()
  try {
    const report = await generateReport(db, { kind: 'audit', practiceIds, from, to: END_DAY, generatedBy: 'benchmark' }, file)
    const seconds = ms(t0) / 1000
    return {
      skipped: false,
      kind: 'audit',
      practices: practiceIds.length,
      period: { from, to: END_DAY },
      disclosureRows: Number(rows[0].n),
      pages: report.pages,
      bytes: fs.statSync(file).size,
      seconds: round(seconds),
      peakRssMb: round(peakRss / 2 ** 20, 1),
      baselineRssMb: round(baselineRss / 2 ** 20, 1),
    }
  } finally {
    clearInterval(sampler)
    fs.rmSync(file, { force: true })
  }
}

// ---- (e) Load -------------------------------------------------------------------------------

/**
 * The real server (server.ts) in its own process, so the load generator's event loop does not
 * share a core's worth of JavaScript with the server's. Stopped with SIGTERM by its pid.
 */
async function startServerProcess(): Promise<{ url: string; stderr(): string; close(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net.AddressInfo).port
      probe.close(() => resolve(p))
    })
  })
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      DATABASE_URL: benchUrl,
      PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY,
      SESSION_SECRET: BENCH_SESSION_SECRET,
      SIGNING_KEY: BENCH_SIGNING_KEY,
      // As deployed: React's production build renders several times faster than its development
      // one, and one web process per core (WEB_WORKERS, README) unless told otherwise.
      NODE_ENV: 'production',
      WEB_WORKERS: process.env.WEB_WORKERS ?? String(os.availableParallelism()),
      SCHEDULER: 'off',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}: ${stderr}`)
    try {
      const res = await fetch(`${url}/healthz`)
      await res.arrayBuffer()
      if (res.status < 500) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new Error(`the server did not start within 60 s: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    stderr: () => stderr,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

/** The server runs the production build; make one if there is none or it is a development build. */
function ensureProductionBuild() {
  const root = path.resolve(import.meta.dirname, '..')
  const serverBuild = path.join(root, 'build/server/index.js')
  if (fs.existsSync(serverBuild) && !fs.readFileSync(serverBuild, 'utf8').includes('jsxDEV')) return
  log('load: building the app for production (npm run build)')
  execFileSync(path.join(root, 'node_modules/.bin/remix'), ['build'], { cwd: root, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } })
}

/**
 * People, not loops: each session opens a page, reads it, opens the next, with the gaps between
 * its page requests drawn at random around 1 / rate seconds (exponential, so arrivals across
 * sessions are independent, as real users' are; seeded, so runs repeat). A session's own
 * requests never overlap (one keep-alive connection each); a page's latency counts from when
 * the session wanted it, so a slow answer also charges the wait it causes to the next one
 * (no coordinated omission).
 */
async function pacedSessions(o: { url: string; cookies: string[]; paths: string[]; sessions: number; rate: number; seconds: number }) {
  let seed = 20261205
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296)
  const gap = () => (-Math.log(1 - random()) / o.rate) * 1000
  const get = (pathname: string, cookie: string, agent: http.Agent) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get(`${o.url}${pathname}`, { agent, headers: { cookie } }, (res) => {
        res.resume()
        res.once('end', () => resolve(res.statusCode ?? 0))
        res.once('error', reject)
      })
      req.setTimeout(30_000, () => req.destroy(new Error('timed out')))
      req.once('error', reject)
    })
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let errors = 0
  const start = performance.now() + 50
  const end = start + o.seconds * 1000
  await Promise.all(
    Array.from({ length: o.sessions }, async (_, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      const cookie = o.cookies[i % o.cookies.length]!
      try {
        for (let due = start + gap(), n = i; due < end; due += gap(), n++) {
          const wait = due - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          const status = await get(o.paths[n % o.paths.length]!, cookie, agent).catch(() => 'network')
          statuses[String(status)] = (statuses[String(status)] ?? 0) + 1
          if (status !== 200) errors++
          latencies.push(performance.now() - due)
        }
      } finally {
        agent.destroy()
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  return {
    pagesPerSecondPerSession: o.rate,
    seconds: round(seconds),
    requests: latencies.length,
    requestsPerSec: round(latencies.length / seconds, 1),
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p97_5: round(quantile(latencies, 0.975)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
    errors,
    statuses,
  }
}

async function load(handle: DbHandle, bulk: Bulk) {
  ensureProductionBuild()
  const server = await startServerProcess()
  try {
    const password = 'benchmark password 0123456789'
    const users: string[] = []
    for (let i = 0; i < 10; i++) {
      const email = `bench.manager${i}.${process.pid}@example.nhs.uk`
      await createUser(handle.db, { email, password, role: 'practice_manager', practiceIds: [bulk.practiceIds[i % bulk.practiceIds.length]!] })
      const res = await fetch(`${server.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
        body: new URLSearchParams({ email, password, redirectTo: '/' }),
      })
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
      if (res.status >= 400 || !cookie) throw new Error(`sign-in failed for the load test: HTTP ${res.status}`)
      users.push(cookie)
    }
    // Sanity: a signed-in GET renders the page, not the sign-in form.
    const check = await fetch(`${server.url}/`, { headers: { Cookie: users[0]! }, redirect: 'manual' })
    if (check.status !== 200) throw new Error(`the overview answered HTTP ${check.status} to a signed-in user; the server said: ${server.stderr().slice(-2000)}`)
    await check.text()

    const paths = ['/', '/disclosures']
    // Saturation by autocannon (HTTP/1.1 keep-alive, one connection per session, each alternating
    // the two pages): a lean load generator, so the two cores go to the server and PostgreSQL
    // rather than to the generator. Connection i signs in as user i % 10.
    let connection = 0
    const run = (seconds: number, connections: number) =>
      autocannon({
        url: server.url,
        connections,
        duration: seconds,
        timeout: 30,
        setupClient: (client) => {
          const i = connection++
          const cookie = users[i % users.length]!
          // Half the connections start on each page, so both are always in flight.
          const order = i % 2 === 0 ? paths : [...paths].reverse()
          client.setRequests(order.map((page) => ({ method: 'GET', path: page, headers: { cookie } })))
        },
      })
    const saturate = async () => {
      connection = 0
      const result = await run(opts.loadSeconds, opts.concurrency)
      const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, Number((s as { count: number | string }).count)]))
      return {
        pagesPerSecondPerSession: null,
        seconds: round(result.duration),
        requests: result.requests.total,
        requestsPerSec: round(result.requests.total / result.duration, 1),
        p50: result.latency.p50,
        p90: result.latency.p90,
        p97_5: result.latency.p97_5,
        p99: result.latency.p99,
        max: result.latency.max,
        errors: result.errors + result.timeouts + result.non2xx,
        statuses,
      }
    }
    // Warm-up (JIT, connection pool, caches): 3 s of the same traffic, not measured.
    await run(3, Math.min(10, opts.concurrency))
    // Two questions: 50 signed-in people each opening a page about every second (already far
    // busier than a governance team), and the saturation point: 50 clients that never pause.
    const paced = await pacedSessions({ url: server.url, cookies: users, paths, sessions: opts.concurrency, rate: opts.sessionRate, seconds: opts.loadSeconds })
    const saturated = await saturate()
    const autocannonVersion = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../node_modules/autocannon/package.json'), 'utf8')).version
    return {
      generator: `autocannon ${autocannonVersion}`,
      webWorkers: Number(process.env.WEB_WORKERS ?? os.availableParallelism()),
      concurrency: opts.concurrency,
      paths,
      sessions: users.length,
      paced,
      saturated,
    }
  } finally {
    await server.close()
  }
}

// ---- Main -----------------------------------------------------------------------------------

async function main() {
  const started = new Date()
  log(`N = ${opts.events.toLocaleString('en-GB')} disclosures across ${opts.practices} practices; database ${DB_NAME}`)
  const reused = opts.reuse ? await reuseDatabase() : null
  const handle = reused?.handle ?? (await recreateDatabase())
  const config = benchConfig()
  try {
    const bulk = reused?.bulk ?? (await buildDataset(handle.db))
    log(reused ? `dataset of an earlier run reused (${bulk.seconds} s to clear its ingest)` : `dataset built in ${bulk.seconds} s`)
    const { rows: sizes } = await handle.db.raw(
      `SELECT pg_size_pretty(pg_total_relation_size('disclosures')) AS disclosures, pg_size_pretty(pg_total_relation_size('disclosure_daily')) AS rollup,
              (SELECT count(*) FROM disclosure_daily)::int AS rollup_rows`,
    )
    const skipped = (phase: string) => opts.skip.has(phase)
    const ingestResult = skipped('ingest') ? null : await ingest(handle, config)
    if (ingestResult) log(`ingest: ${ingestResult.events} events in ${ingestResult.collectorSeconds} s = ${ingestResult.collectorEventsPerSec} events/s; raw ${ingestResult.rawInsertRowsPerSec} rows/s`)
    // The synthetic rows carry no data sharing agreements, so nearly every one is a finding:
    // above 1M that is millions of findings and tens of minutes, measuring the data, not the rules.
    if (opts.events > 1_000_000 && !skipped('findings')) {
      log('findings: skipped above 1,000,000 events (the synthetic data has no agreements, so almost every row is a finding)')
      opts.skip.add('findings')
    }
    const findingsResult = skipped('findings') ? null : await findings(handle, config)
    if (findingsResult) log(`findings: ${JSON.stringify(findingsResult)}`)
    await handle.db.raw('ANALYZE')
    const dash = skipped('dashboard') ? null : await dashboard(handle.db, bulk)
    const reports = skipped('reports') ? null : await evidencePack(handle.db, bulk)
    if (reports) log(`reports: ${JSON.stringify(reports)}`)
    const loadResult = skipped('load') ? null : await load(handle, bulk)
    if (loadResult) {
      const { paced, saturated } = loadResult
      log(`load: paced ${paced.requestsPerSec} req/s, p99 ${paced.p99} ms, errors ${paced.errors}; saturated ${saturated.requestsPerSec} req/s, p99 ${saturated.p99} ms, errors ${saturated.errors}`)
    }

    const output = {
      date: started.toISOString(),
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, memoryGb: round(os.totalmem() / 2 ** 30, 1), node: process.version },
      postgres: (await handle.db.raw('SHOW server_version')).rows[0].server_version,
      n: opts.events,
      practices: opts.practices,
      skipped: [...opts.skip],
      dataset: { ...bulk, practiceIds: undefined, sourceIds: undefined, recipientIds: undefined, sizes: sizes[0] },
      ingest: ingestResult,
      findings: findingsResult,
      dashboard: dash,
      reports,
      load: loadResult,
    }
    printTable(output)
    fs.mkdirSync(path.dirname(path.resolve(opts.jsonOut)), { recursive: true })
    fs.writeFileSync(opts.jsonOut, JSON.stringify(output, null, 2) + '\n')
    log(`wrote ${opts.jsonOut}`)
  } finally {
    await handle.close()
  }
}

function printTable(o: {
  n: number
  machine: { cores: number }
  dataset: { seconds: number; sizes: Record<string, unknown> }
  ingest: Awaited<ReturnType<typeof ingest>> | null
  findings: Awaited<ReturnType<typeof findings>> | null
  dashboard: Awaited<ReturnType<typeof dashboard>> | null
  reports: Awaited<ReturnType<typeof evidencePack>> | null
  load: Awaited<ReturnType<typeof load>> | null
}) {
  const lines: string[] = []
  lines.push(`Sharing Ledger benchmark: N = ${o.n.toLocaleString('en-GB')}, ${o.machine.cores} cores`)
  lines.push(`dataset load: ${o.dataset.seconds} s (${JSON.stringify(o.dataset.sizes)})`)
  const i = o.ingest
  if (i)
    lines.push(
      `ingest: ${i.events} events in ${i.collectorSeconds} s = ${i.collectorEventsPerSec} events/s (collector, end to end); raw INSERT..SELECT ${i.rawInsertRowsPerSec} rows/s; raw/collector = ${i.collectorToRawRatio}x`,
    )
  else lines.push('ingest: skipped')
  lines.push(o.findings ? `findings: full re-evaluation of every rule in ${o.findings.seconds} s; ${o.findings.open} open findings` : 'findings: skipped')
  lines.push('')
  if (o.dashboard) {
    lines.push(['scope'.padEnd(22), 'page'.padEnd(17), 'query'.padEnd(40), 'p50 ms'.padStart(9), 'p95 ms'.padStart(9), 'naive p50'.padStart(10), 'x faster'.padStart(9)].join(' '))
    for (const r of o.dashboard.queries) {
      lines.push(
        [
          r.scope.padEnd(22),
          r.page.padEnd(17),
          r.query.padEnd(40),
          r.p50.toFixed(2).padStart(9),
          r.p95.toFixed(2).padStart(9),
          (r.naiveP50 === null ? '-' : r.naiveP50.toFixed(1)).padStart(10),
          (r.speedup === null ? '-' : String(r.speedup)).padStart(9),
        ].join(' '),
      )
    }
    lines.push('')
    lines.push('whole pages (queries in parallel, as the loaders run them):')
    for (const p of o.dashboard.pages) lines.push(`  ${p.scope.padEnd(22)} ${p.page.padEnd(17)} p50 ${p.p50.toFixed(1).padStart(8)} ms  p95 ${p.p95.toFixed(1).padStart(8)} ms`)
  } else lines.push('dashboard: skipped')
  lines.push('')
  const r = o.reports
  lines.push(
    !r
      ? 'reports: skipped'
      : r.skipped
        ? `reports: skipped (${'reason' in r ? r.reason : ''})`
        : `reports: audit evidence pack, ${'disclosureRows' in r ? `${r.disclosureRows} disclosure rows, ${r.pages} pages in ${r.seconds} s, peak RSS ${r.peakRssMb} MB (process baseline ${r.baselineRssMb} MB)` : ''}` +
          ('larger' in r && r.larger && 'disclosureRows' in r.larger ? `; larger pack ${r.larger.disclosureRows} rows, ${r.larger.pages} pages in ${r.larger.seconds} s, peak RSS ${r.larger.peakRssMb} MB` : ''),
  )
  const l = o.load
  const figures = (m: { seconds: number; requestsPerSec: number; p50: number; p90: number; p99: number; errors: number }) =>
    `${m.seconds} s, ${m.requestsPerSec} req/s, p50 ${m.p50} ms, p90 ${m.p90} ms, p99 ${m.p99} ms, errors ${m.errors}`
  if (l) {
    lines.push(`load: ${l.webWorkers} web processes, ${l.concurrency} signed-in sessions on ${l.paths.join(' and ')} (${l.generator})`)
    lines.push(`  paced, each session a page every ${1 / l.paced.pagesPerSecondPerSession} s on average: ${figures(l.paced)}`)
    lines.push(`  saturation, no pause between pages: ${figures(l.saturated)}`)
  } else lines.push('load: skipped')
  console.log(lines.join('\n'))
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
