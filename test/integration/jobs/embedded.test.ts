import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../db/client.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { runLedger } from '../../support/processes.js'

// The newcomer's path: no DATABASE_URL, so everything lives in an embedded PGlite folder.

let sim: RunningSimulator
let dataDir: string
const env = () => ({ DATABASE_URL: '', PSEUDONYM_KEY: '', LEDGER_DATA_DIR: dataDir, FHIR_PAGE_SIZE: '200' })

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 2, days: 20, seed: 3 })
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-embedded-'))
})
afterAll(async () => {
  await sim?.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

describe('embedded database mode', () => {
  // Several CLI processes, each starting tsx and PGlite: minutes on a busy 2-core machine.
  it('migrates, adds sources, collects and answers queries with no database server', { timeout: 180_000 }, async () => {
    const migrate = await runLedger(['migrate'], env())
    expect(migrate.code, migrate.stderr).toBe(0)
    expect(migrate.stdout).toMatch(/embedded database/)
    expect(migrate.stderr).toMatch(/DEVELOPMENT pseudonym key/)

    for (const p of sim.practices) {
      const add = await runLedger(['source', 'add', '--practice', p.odsCode, '--kind', 'fhir', '--url', p.fhirBaseUrl], env())
      expect(add.code, add.stderr).toBe(0)
    }
    const collected = await runLedger(['collect', '--all', '--json'], env())
    expect(collected.code, collected.stderr).toBe(0)
    const result = JSON.parse(collected.stdout)
    expect(result.sources).toHaveLength(2)
    for (const s of result.sources) expect(s).toMatchObject({ status: 'completed' })
    const inserted = result.sources.reduce((n: number, s: { inserted: number }) => n + s.inserted, 0)
    expect(inserted).toBeGreaterThan(100)

    const handle = await openDatabase({ kind: 'embedded', dir: path.join(dataDir, 'pglite') })
    try {
      const rows = await handle.db('disclosures').count('* as n').first()
      const choices = await handle.db('patient_choices').count('* as n').first()
      const overrides = await handle.db('override_events').count('* as n').first()
      expect(Number(rows!.n) + Number(choices!.n) + Number(overrides!.n)).toBe(inserted)
      const rolled = await handle.db('disclosure_daily').sum('disclosures as n').first()
      expect(Number(rolled!.n)).toBe(Number(rows!.n))

      // While this process holds the embedded database, another process must refuse it.
      const refused = await runLedger(['jobs', 'runs'], env())
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/already open in process \d+/)
    } finally {
      await handle.close()
    }
    const runs = await runLedger(['jobs', 'runs', '--json'], env())
    expect(runs.code, runs.stderr).toBe(0)
    expect(JSON.parse(runs.stdout).map((r: { status: string }) => r.status)).toEqual(['completed', 'completed'])

    // Issue 16: the ledger's chains on the embedded database (bytea comes back as Uint8Array there).
    const verified = await runLedger(['integrity', 'verify'], env())
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    // Three chains: each practice's disclosures, and the access log (`source add` is logged now
    // that the CLI and the web share one operation, decision 031).
    expect(verified.stdout).toMatch(/^Intact: 3 chain\(s\)/m)
  })

  it('stops with one clear sentence naming a bad setting', async () => {
    const bad = await runLedger(['migrate'], { ...env(), PORT: 'eighty' })
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toMatch(/^Configuration error: PORT .+\.$/)
    const noKey = await runLedger(['migrate'], { ...env(), DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' })
    expect(noKey.code).toBe(1)
    expect(noKey.stderr.trim()).toMatch(/^Configuration error: PSEUDONYM_KEY must be set/)
  })
})
