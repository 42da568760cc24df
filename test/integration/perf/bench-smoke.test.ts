import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../db/client.js'
import { TEST_SERVER_URL } from '../../support/test-env.js'
import { DEFAULT_REQUEST_CONCURRENCY } from '../../../config/env.js'

// The benchmark (`npm run bench`) at a tiny N: every phase runs and writes its figures. A smoke
// test only: it asserts what was measured and that nothing failed, never how fast.

const dbName = `ledger_bench_smoke_${process.pid}`
const jsonOut = path.join(os.tmpdir(), `${dbName}.json`)

afterAll(async () => {
  fs.rmSync(jsonOut, { force: true })
  const admin = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
  try {
    await admin.db.raw(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  } finally {
    await admin.close()
  }
})

describe('npm run bench (smoke, tiny N)', () => {
  it('runs every phase and writes the figures as JSON', { timeout: 300_000 }, async () => {
    const args = [
      '--import',
      'tsx',
      'bench/run.ts',
      '--events',
      '3000',
      '--practices',
      '10',
      '--runs',
      '2',
      '--load-seconds',
      '2',
      '--concurrency',
      '5',
      '--json-out',
      jsonOut,
    ]
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NO_COLOR: '1', BENCH_DATABASE_NAME: dbName, BENCH_DATABASE_SERVER: TEST_SERVER_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, output).toBe(0)
    expect(output).toContain('Sharing Ledger benchmark: N = 3,000')

    const figures = JSON.parse(fs.readFileSync(jsonOut, 'utf8'))
    expect(figures).toMatchObject({ n: 3000, practices: 10, machine: { cores: os.cpus().length } })
    expect(figures.dataset.rollups.find((r: { table: string }) => r.table === 'disclosure_daily').rows).toBeGreaterThan(0)
    expect(figures.ingest.failedSources).toBe(0)
    expect(figures.ingest.events).toBeGreaterThanOrEqual(2000)
    expect(figures.ingest.disclosuresWritten).toBeGreaterThan(0)
    expect(figures.ingest.collectorToRawRatio).toBeGreaterThan(0)
    const scopes = new Set(figures.dashboard.queries.map((q: { scope: string }) => q.scope))
    expect(scopes.size).toBe(3)
    for (const q of figures.dashboard.queries) expect(Number.isFinite(q.p50) && Number.isFinite(q.p95), `${q.scope} ${q.query}`).toBe(true)
    expect(figures.dashboard.queries.filter((q: { naiveP50: number | null }) => q.naiveP50 !== null).length).toBeGreaterThan(10)
    expect(figures.reports).toMatchObject({ skipped: false, kind: 'audit' })
    expect(figures.reports.pages).toBeGreaterThan(1)
    for (const run of [figures.load.paced, figures.load.saturated]) {
      expect(run.requests).toBeGreaterThan(0)
      expect(run.errors).toBe(0)
      expect(run.statuses).toEqual({ '200': run.requests })
    }
    expect(figures.load.paced.pagesPerSecondPerSession).toBe(1)
    // Served as deployed: each web process takes pages in turn, the default few at a time (decision 044).
    expect(figures.load.requestConcurrency).toBe(DEFAULT_REQUEST_CONCURRENCY)
    // The findings phase (issue 19): both data shapes, the reads timed, one agreement resolving its case exactly.
    expect(figures.findings.noAgreements.open).toBeGreaterThan(0)
    expect(figures.findings.oneAgreement).toMatchObject({ rollupsExact: true })
    expect(figures.findings.oneAgreement.resolved).toBeGreaterThan(0)
    // Only the recipient's disclosures were checked again, not every open finding (decision 042).
    expect(figures.findings.oneAgreement.disclosuresChecked).toBeGreaterThan(0)
    expect(figures.findings.oneAgreement.disclosuresChecked).toBeLessThan(figures.findings.noAgreements.open)
    expect(figures.findings.realistic.open).toBeLessThan(figures.findings.noAgreements.open)
    for (const r of [...figures.findings.noAgreements.reads, ...figures.findings.realistic.reads])
      for (const k of ['overviewCount', 'notificationsCount', 'notificationsCountEveryOverrideReviewed', 'casesPage', 'drillDown'])
        expect(Number.isFinite(r[k].p50), `${r.scope} ${k}`).toBe(true)
    // Issue 18: the BALP export over the dataset, and the same backfill page by page and through $export.
    expect(figures.standards.balp.rows).toBeGreaterThan(0)
    expect(figures.standards.balp.rowsPerSec).toBeGreaterThan(0)
    expect(figures.standards.bulk.paged.failedSources).toBe(0)
    expect(figures.standards.bulk.bulk.failedSources).toBe(0)
    expect(figures.standards.bulk.bulk.inserted).toBe(figures.standards.bulk.paged.inserted)
    expect(figures.standards.bulk.bulk.inserted).toBeGreaterThan(0)
    // Issue 16: integrity verify over every chain, the bulk load chained like any other write.
    expect(figures.ledger).toMatchObject({ intact: true, problems: 0 })
    expect(figures.ledger.rowsChecked).toBeGreaterThanOrEqual(3000)
  })
})
