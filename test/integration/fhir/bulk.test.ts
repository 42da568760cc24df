import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../db/client.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { testConfig } from '../../support/config.js'
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../../support/db.js'
import { runLedger, spawnLedger, waitFor } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// FHIR Bulk Data $export as a backfill (issue 18 part 2, decision 037): kick-off, 202 polling
// as Retry-After asks, the manifest's NDJSON files through the paged collector's validation,
// quarantine and idempotent writes, an export that fails, a truncated line, and SIGKILL mid-file.

const t = useTestDatabase()
let sim: RunningSimulator
const RANGE = { from: '2026-10-01', to: '2026-11-01' }

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 1, days: 45, seed: 23, token: 'sim-token' })
})
afterAll(async () => {
  await sim?.close()
})

async function addSimSource(db: Db, bulkExport: boolean) {
  const p = sim.practices[0]!
  const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name })
  return addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'sim', baseUrl: p.fhirBaseUrl, token: 'sim-token', bulkExport })
}

const deps = (db: TestDatabase, overrides = {}) => ({
  db: db.db,
  target: { kind: 'postgres' as const, url: db.url },
  config: testConfig(db.url, overrides),
})

/** What collection wrote, by natural keys (two databases compare by it). */
async function snapshot(db: Db) {
  const disclosures = await db('disclosures as d')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .orderBy('source_record_id')
    .select(
      'source_record_id',
      'source_version',
      'patient_pseudonym',
      'purpose',
      'o.ods_code',
      'o.name',
      'occurred_at',
      'data_level',
      'legal_basis',
    )
  const choices = await db('patient_choices')
    .orderBy('source_record_id')
    .select('source_record_id', 'patient_pseudonym', 'kind', 'decision', 'effective_at')
  const overrides = await db('override_events')
    .orderBy('source_record_id')
    .select('source_record_id', 'patient_pseudonym', 'kind', 'reason_code')
  const quarantine = await db('quarantine').orderBy('record_key').select('record_key', 'reason', 'status')
  return { disclosures, choices, overrides, quarantine }
}

/** The same range collected page by page, into a database of its own: what $export must match. */
let paged: Awaited<ReturnType<typeof snapshot>>
beforeAll(async () => {
  const reference = await createTestDatabase()
  try {
    await addSimSource(reference.db, false)
    const [run] = await collect(deps(reference), { all: true }, { backfill: RANGE })
    expect(run!.status).toBe('completed')
    paged = await snapshot(reference.db)
    expect(paged.disclosures.length).toBeGreaterThan(200)
  } finally {
    await reference.drop()
  }
}, 120_000)

describe('a backfill of a bulk-capable source', () => {
  it('kicks off $export, polls as Retry-After asks, and stores exactly what the paged backfill stores', { timeout: 120_000 }, async () => {
    sim.setBulk({ pollsBeforeReady: 2, retryAfterSeconds: 1, linesPerFile: 700 })
    const kickOffsBefore = sim.bulkLog().kickOffs.length
    const pollsBefore = sim.bulkLog().polls.length
    const source = await addSimSource(t.db, true)
    const [run] = await collect(deps(t), { all: true }, { backfill: RANGE })
    expect(run!.status, run!.error ?? '').toBe('completed')

    const log = sim.bulkLog()
    expect(log.kickOffs.slice(kickOffsBefore)).toEqual([
      { ods: sim.practices[0]!.odsCode, type: 'AuditEvent,Consent', since: '2026-09-30T00:00:00.000Z' },
    ])
    const polls = log.polls.slice(pollsBefore)
    expect(polls.map((p) => p.status)).toEqual([202, 202, 200])
    // Each poll waited the Retry-After (1 s) the 202 before it asked for.
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(950)
    expect(log.files).toBeGreaterThan(2) // several files per type at 700 lines each

    expect(await snapshot(t.db)).toEqual(paged)
    expect(await t.db('bulk_export_progress').where({ source_id: source.id })).toEqual([])
    const row = await t.db('job_runs').where({ id: run!.runId }).first()
    expect(row).toMatchObject({ trigger: 'backfill', status: 'completed' })

    // Same natural keys: running it again inserts nothing.
    const [again] = await collect(deps(t), { all: true }, { backfill: RANGE })
    // (The simulator plants records that cannot be stored: they are set aside again, as by a paged re-run.)
    expect(again!.counts).toMatchObject({ inserted: 0, updated: 0, quarantined: run!.counts!.quarantined })
    expect(again!.counts!.duplicates).toBe(run!.counts!.inserted)
    expect(await snapshot(t.db)).toEqual(paged)
  })

  it(
    'fails the run with the OperationOutcome when the export fails, or is refused, and starts afresh next time',
    { timeout: 60_000 },
    async () => {
      const db = await createTestDatabase()
      try {
        const source = await addSimSource(db.db, true)
        sim.setBulk({ pollsBeforeReady: 0, fail: 'status' })
        const [failed] = await collect(deps(db), { all: true }, { backfill: RANGE })
        expect(failed!.status).toBe('failed')
        expect(failed!.error).toMatch(/\$export failed \(HTTP 500: The export failed: the practice system ran out of disk space\)/)
        expect(await db.db('bulk_export_progress').where({ source_id: source.id })).toEqual([])

        sim.setBulk({ fail: 'kickoff' })
        const [refused] = await collect(deps(db), { all: true }, { backfill: RANGE })
        expect(refused!.status).toBe('failed')
        expect(refused!.error).toMatch(/refused the \$export \(HTTP 400: Bulk export is switched off for this practice\)/)
        expect(Number((await db.db('disclosures').count('* as n').first())!.n)).toBe(0)

        sim.setBulk({ pollsBeforeReady: 0 })
        const [ok] = await collect(deps(db), { all: true }, { backfill: RANGE })
        expect(ok!.status, ok!.error ?? '').toBe('completed')
        expect(await snapshot(db.db)).toEqual(paged)
      } finally {
        await db.drop()
      }
    },
  )

  it('quarantines a truncated NDJSON line with its reason and reads on', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase()
    try {
      await addSimSource(db.db, true)
      sim.setBulk({ pollsBeforeReady: 0, truncateLine: 5 })
      const [run] = await collect(deps(db), { all: true }, { backfill: RANGE })
      expect(run!.status, run!.error ?? '').toBe('completed')
      // The simulator's planted bad records, and the cut line.
      expect(run!.counts!.quarantined).toBe(paged.quarantine.length + 1)
      const q = await db.db('quarantine').where('reason', 'like', 'line %').select('record_key', 'resource_type', 'reason', 'payload')
      expect(q).toHaveLength(1)
      expect(q[0].resource_type).toBe('AuditEvent')
      expect(q[0].reason).toBe('line 5 of $export file 1 (AuditEvent) is not complete JSON (truncated or damaged); it was not read')
      expect(q[0].payload.line).toBe(5)
      // Everything else arrived: at most the one cut record is missing.
      const n = Number((await db.db('disclosures').count('* as n').first())!.n)
      expect(n).toBeGreaterThanOrEqual(paged.disclosures.length - 1)
    } finally {
      await db.drop()
      sim.setBulk({ pollsBeforeReady: 0 })
    }
  })
})

describe('a bulk backfill killed with SIGKILL mid-file', () => {
  it(
    'resumes from the last committed batch of the file and ends with exactly the rows of an uninterrupted one',
    { timeout: 180_000 },
    async () => {
      const reference = await createTestDatabase()
      const db = await createTestDatabase()
      try {
        sim.setBulk({ pollsBeforeReady: 0, linesPerFile: 100_000 })
        await addSimSource(reference.db, true)
        const [clean] = await collect(deps(reference), { all: true }, { backfill: RANGE })
        expect(clean!.status).toBe('completed')

        const source = await addSimSource(db.db, true)
        const env = { DATABASE_URL: db.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, FHIR_PAGE_SIZE: '10', SCHEDULER: 'off' }
        const args = ['collect', '--source', String(source.id), '--from', RANGE.from, '--to', RANGE.to, '--json']
        const progress = () => db.db('bulk_export_progress').where({ source_id: source.id }).first()
        const kickOffs = sim.bulkLog().kickOffs.length
        const { child, done } = spawnLedger(args, env)
        // Killed once a few batches of the first file are committed (40 lines each at FHIR_PAGE_SIZE 10).
        await waitFor(async () => Number((await progress())?.line_offset ?? 0) >= 200, 'committed batches of the first file', 60_000)
        child.kill('SIGKILL')
        expect((await done).signal).toBe('SIGKILL')
        const stopped = await progress()
        expect(stopped.file_index).toBe(0)
        expect(Number(stopped.line_offset)).toBeGreaterThanOrEqual(200)
        expect(stopped.manifest).toHaveLength(2)

        const resumed = await runLedger(args, env)
        expect(resumed.code, resumed.stderr).toBe(0)
        expect(JSON.parse(resumed.stdout).sources[0].status).toBe('completed')
        expect(resumed.stderr).toMatch(/resuming the \$export at file 1, after line \d+/)
        // The same export, not a new one; and no line read twice: the runs' read counts add up to the clean run's.
        expect(sim.bulkLog().kickOffs.length).toBe(kickOffs + 1)
        const runs = await db.db('job_runs').orderBy('id').select('status', 'read_count', 'error')
        expect(runs.map((r) => r.status)).toEqual(['failed', 'completed'])
        expect(runs[0].error).toMatch(/abandoned/)
        expect(runs.reduce((n, r) => n + r.read_count, 0)).toBe(clean!.counts!.read)
        expect(await snapshot(db.db)).toEqual(await snapshot(reference.db))
        expect(await progress()).toBeUndefined()
      } finally {
        await reference.drop()
        await db.drop()
      }
    },
  )
})
