import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../db/client.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { testConfig } from '../../support/config.js'
import { createTestDatabase, useTestDatabase } from '../../support/db.js'
import { runLedger, spawnLedger, waitFor } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// A collector run SIGKILLed at arbitrary points and then run again must end with exactly the
// rows of an uninterrupted run: the batch and the cursor commit together (jobs/runner.ts).

const t = useTestDatabase()
let sim: RunningSimulator

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 1, days: 45, seed: 7 })
})
afterAll(async () => {
  await sim?.close()
})

async function addSimulatedSource(db: Db) {
  const p = sim.practices[0]!
  const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name })
  return addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'sim', baseUrl: p.fhirBaseUrl })
}

/** Everything collection writes, in a form two databases can be compared by. */
async function snapshot(db: Db) {
  // Compared by natural keys, not serial ids: a killed transaction still uses up sequence values.
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
    .select('source_record_id', 'patient_pseudonym', 'kind', 'decision', 'effective_at', 'status')
  const overrides = await db('override_events')
    .orderBy('source_record_id')
    .select('source_record_id', 'patient_pseudonym', 'kind', 'reason_code')
  const quarantine = await db('quarantine').orderBy('record_key').select('record_key', 'reason', 'status')
  const rollup = await db('disclosure_daily as r')
    .join('organisations as o', 'o.id', 'r.recipient_id')
    .orderBy(['day', 'purpose', 'o.name', 'legal_basis', 'data_level'])
    .select('day', 'purpose', 'o.name', 'legal_basis', 'data_level', 'disclosures')
  const cursors = await db('source_cursors').orderBy('stream').select('stream', 'cursor')
  return { disclosures, choices, overrides, quarantine, rollup, cursors }
}

describe('a collector run killed with SIGKILL', () => {
  it('resumes and ends with exactly the rows of an uninterrupted run', { timeout: 180_000 }, async () => {
    // The reference: the same source collected once, without interruption, into another database.
    const reference = await createTestDatabase()
    try {
      await addSimulatedSource(reference.db)
      const [clean] = await collect(
        { db: reference.db, target: { kind: 'postgres', url: reference.url }, config: testConfig(reference.url) },
        { all: true },
      )
      expect(clean!.status).toBe('completed')
      expect(clean!.counts!.inserted).toBeGreaterThan(500)

      await addSimulatedSource(t.db)
      const env = { DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, FHIR_PAGE_SIZE: '10', SCHEDULER: 'off' }
      const committed = async () => (await t.db('job_runs').sum('read_count as n').first())?.n ?? 0
      // Kill twice at different depths, then let a third run finish.
      for (const atLeast of [1, clean!.counts!.read / 3]) {
        const before = Number(await committed())
        const { child, done } = spawnLedger(['collect', '--all', '--json'], env)
        await waitFor(async () => Number(await committed()) >= before + atLeast, 'a committed batch')
        child.kill('SIGKILL')
        const killed = await done
        expect(killed.signal).toBe('SIGKILL')
      }
      const interrupted = await t.db('disclosures').count('* as n').first()
      expect(Number(interrupted!.n)).toBeLessThan(clean!.counts!.inserted + clean!.counts!.updated)

      const resumed = await runLedger(['collect', '--all', '--json'], env)
      expect(resumed.code, resumed.stderr).toBe(0)
      const result = JSON.parse(resumed.stdout)
      expect(result.sources[0].status).toBe('completed')

      expect(await snapshot(t.db)).toEqual(await snapshot(reference.db))
      const runs = await t.db('job_runs').orderBy('id').select('status', 'error')
      expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'completed'])
      expect(runs[0].error).toMatch(/abandoned/)

      // And once more: nothing new, everything a duplicate.
      const again = JSON.parse((await runLedger(['collect', '--all', '--json'], env)).stdout)
      expect(again.sources[0]).toMatchObject({ status: 'completed', inserted: 0, updated: 0 })
      expect(await snapshot(t.db)).toEqual(await snapshot(reference.db))

      // Issue 16: the kills left every hash chain intact (entries commit with their batch), and
      // the resumed run holds as many ledger entries for disclosures as the uninterrupted one.
      const verified = await runLedger(['integrity', 'verify'], env)
      expect(verified.code, verified.stdout + verified.stderr).toBe(0)
      const entries = async (db: typeof t.db) =>
        Number((await db('ledger_entries').where({ table_name: 'disclosures' }).count('* as n').first())!.n)
      expect(await entries(t.db)).toBe(await entries(reference.db))
    } finally {
      await reference.drop()
    }
  })
})
