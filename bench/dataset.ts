// Phase (a), the dataset: a dedicated database with N synthetic disclosures generated inside
// PostgreSQL, roll-ups rebuilt once, then VACUUM ANALYZE; or, with --reuse, an earlier run's.
import { performance } from 'node:perf_hooks'
import { openDatabase, type Db, type DbHandle } from '../db/client.js'
import { migrateLatest } from '../db/migrate.js'
import { rebuildRollups } from '../db/rollups.js'
import { BASE_URL, DB_NAME, END_DAY, START_DAY, benchUrl, log, ms, round, type BenchOptions } from './common.js'

// Weighted vocabularies: most sharing is direct care with trusts and other practices.
const PURPOSES: Array<[string, number]> = [
  ['direct_care', 55],
  ['emergency_care', 6],
  ['safeguarding', 3],
  ['commissioning', 5],
  ['service_management', 4],
  ['clinical_audit', 4],
  ['research', 4],
  ['risk_stratification', 3],
  ['public_health', 3],
  ['legal', 3],
  ['subject_access', 3],
  ['secondary_processing', 2],
  ['surveys', 1],
  ['capacity_planning', 1],
  ['benchmarking', 1],
  ['insurance', 1],
  ['marketing', 1],
]
const LEGAL: Array<[string | null, number]> = [
  ['implied_consent', 50],
  ['explicit_consent', 12],
  ['public_interest', 10],
  ['legal_obligation', 8],
  ['s251', 4],
  ['safeguarding_duty', 3],
  ['vital_interests', 2],
  ['copi', 1],
  [null, 10],
]
const LEVELS: Array<[string, number]> = [
  ['identifiable', 70],
  ['pseudonymised', 20],
  ['anonymised', 10],
]
const RECIPIENT_TYPES: Array<[string, number]> = [
  ['nhs_trust', 12],
  ['gp_practice', 6],
  ['ambulance_trust', 2],
  ['icb', 2],
  ['social_care', 3],
  ['local_authority', 3],
  ['private_provider', 3],
  ['research_org', 3],
  ['nhs_england', 1],
  ['police_judicial', 2],
  ['solicitor', 4],
  ['insurer', 3],
  ['data_processor', 2],
  ['survey_contractor', 1],
]
const expand = <T>(xs: Array<[T, number]>): T[] => xs.flatMap(([v, w]) => Array<T>(w).fill(v))

export async function recreateDatabase(): Promise<DbHandle> {
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
export async function reuseDatabase(opts: BenchOptions): Promise<{ handle: DbHandle; bulk: Bulk } | null> {
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
    log(
      `--reuse: ${DB_NAME} holds ${rows[0].n} bulk disclosures over ${practiceIds.length} practices, not ${opts.events} over ${opts.practices}: building afresh`,
    )
    await handle.close()
    return null
  }
  const simulated = db('sources').where('name', 'like', 'Simulator %').select('id')
  for (const table of ['disclosures', 'patient_choices', 'override_events', 'quarantine', 'source_cursors'])
    await db(table).whereIn('source_id', simulated).delete()
  await db('job_runs').whereIn('source_id', simulated).delete()
  await db('sources').where('name', 'like', 'Simulator %').delete()
  await db.raw('VACUUM (ANALYZE) disclosures') // cheap when nothing changed; after a migration, needed
  const overrides = Number((await db('override_events').whereIn('source_id', sourceIds).count('* as n'))[0]!.n)
  const choices = Number((await db('patient_choices').whereIn('source_id', sourceIds).count('* as n'))[0]!.n)
  return {
    handle,
    bulk: {
      practiceIds,
      sourceIds,
      recipientIds,
      seconds: round(ms(t0) / 1000),
      disclosures: opts.events,
      overrides,
      choices,
      rollupRebuildSeconds: 0,
      rollups: [],
    },
  }
}

export interface Bulk {
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

export async function buildDataset(db: Db, opts: BenchOptions): Promise<Bulk> {
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
  // afterwards (rebuildRollups, also `ledger rollups rebuild`). The collectors keep them on. The
  // ledger's insert trigger stays on: every row is chained, as any load must be (decision 024).
  await db.raw('ALTER TABLE disclosures DISABLE TRIGGER USER')
  await db.raw('ALTER TABLE disclosures ENABLE TRIGGER disclosures_ledger_ins')
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
  log(
    `dataset: roll-ups rebuilt in ${rollupRebuildSeconds} s (${rollups.map((r) => `${r.table} ${r.rows.toLocaleString('en-GB')}`).join(', ')})`,
  )
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
  return {
    practiceIds,
    sourceIds,
    recipientIds,
    seconds: round(ms(t0) / 1000),
    disclosures: opts.events,
    overrides,
    choices,
    rollupRebuildSeconds,
    rollups,
  }
}
