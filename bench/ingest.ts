// Phase (b), ingest: the real collector against the simulator (in its own process) over HTTP,
// against the raw INSERT baseline. The compliance rules over what was collected are bench/findings.ts.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { loadConfig, type Config } from '../config/env.js'
import type { DbHandle } from '../db/client.js'
import { ensurePractice } from '../db/queries/practices.js'
import { addSource } from '../db/queries/sources.js'
import { collectSource } from '../jobs/collect.js'
import type { BulkConfig } from '../simulator/bulk.js'
import type { SimulatedPractice, SimulatorOptions } from '../simulator/server.js'
import {
  BENCH_PSEUDONYM_KEY,
  BENCH_SESSION_SECRET,
  BENCH_SIGNING_KEY,
  END_DAY,
  benchUrl,
  log,
  ms,
  round,
  type BenchOptions,
} from './common.js'
export function benchConfig(): Config {
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

export async function ingest(handle: DbHandle, config: Config, opts: BenchOptions) {
  const db = handle.db
  const target = opts.events >= 1_000_000 ? 200_000 : Math.max(2_000, Math.round(opts.events / 5))
  const practices = target >= 100_000 ? 20 : 5
  const days = 100
  const perDay = Math.max(1, Math.ceil(target / (practices * days)))
  log(`ingest: simulator with ${practices} practices x ${days} days x ${perDay} events/day`)
  const sim = await startSimulatorProcess({
    practices,
    days,
    seed: 7,
    eventsPerPracticePerDay: perDay,
    endDate: END_DAY,
    maxPageSize: 1000,
  })
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
export async function startSimulatorProcess(options: Omit<SimulatorOptions, 'port'> & { bulk?: BulkConfig }) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'simulator-process.ts'), JSON.stringify(options)],
    {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
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
