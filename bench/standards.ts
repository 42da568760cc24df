// Phase (f), standards (issue 18, decision 037): the BALP export's rate over the benchmark's
// disclosures, and a backfill through FHIR Bulk Data $export beside the same backfill page by
// page, from the same simulated practice systems (in their own process), same data.
import { Writable } from 'node:stream'
import { performance } from 'node:perf_hooks'
import type { Config } from '../config/env.js'
import type { DbHandle } from '../db/client.js'
import { ensurePractice } from '../db/queries/practices.js'
import { addSource } from '../db/queries/sources.js'
import { collectSource } from '../jobs/collect.js'
import { writeBalp } from '../reports/balp.js'
import { END_DAY, log, ms, round, type BenchOptions } from './common.js'
import { startSimulatorProcess } from './ingest.js'

/** At most this many disclosures are exported (whole practices, in id order, until it is reached). */
const EXPORT_CAP = 1_000_000

export async function standards(handle: DbHandle, config: Config, opts: BenchOptions) {
  return { balp: await balpExport(handle), bulk: await bulkIngest(handle, config, opts) }
}

async function balpExport(handle: DbHandle) {
  const db = handle.db
  const perPractice: Array<{ practice_id: number; n: number }> = (
    await db.raw(`SELECT practice_id, count(*)::int AS n FROM disclosures GROUP BY practice_id ORDER BY practice_id`)
  ).rows
  const practiceIds: number[] = []
  let expected = 0
  for (const p of perPractice) {
    if (expected >= EXPORT_CAP) break
    practiceIds.push(p.practice_id)
    expected += p.n
  }
  let bytes = 0
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      done()
    },
  })
  const rssBefore = process.memoryUsage().rss
  let peakRss = rssBefore
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)
  const t0 = performance.now()
  const rows = await writeBalp(db, { practiceIds }, {}, sink).finally(() => clearInterval(sampler))
  const seconds = ms(t0) / 1000
  const result = {
    practices: practiceIds.length,
    rows,
    seconds: round(seconds),
    rowsPerSec: Math.round(rows / seconds),
    megabytes: round(bytes / 2 ** 20, 1),
    peakRssMb: Math.round(peakRss / 2 ** 20),
    baselineRssMb: Math.round(rssBefore / 2 ** 20),
  }
  log(`standards: BALP export of ${rows} disclosures in ${result.seconds} s = ${result.rowsPerSec} rows/s, peak RSS ${result.peakRssMb} MB`)
  return result
}

async function bulkIngest(handle: DbHandle, config: Config, opts: BenchOptions) {
  const db = handle.db
  const target = opts.events >= 1_000_000 ? 200_000 : Math.max(2_000, Math.round(opts.events / 5))
  const practices = target >= 100_000 ? 10 : 4
  const days = 100
  const perDay = Math.max(1, Math.ceil(target / (practices * days)))
  log(`standards: simulator with ${practices} practices x ${days} days x ${perDay} events/day, $export ready at once`)
  const sim = await startSimulatorProcess({
    practices,
    days,
    seed: 41,
    eventsPerPracticePerDay: perDay,
    endDate: END_DAY,
    maxPageSize: 1000,
    bulk: { pollsBeforeReady: 0, linesPerFile: 50_000 },
  })
  const range = { from: '2026-01-01', to: END_DAY }
  try {
    const run = async (bulkExport: boolean) => {
      const sources = []
      for (const p of sim.practices) {
        const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name, icbCode: p.icbCode })
        // The same server twice: a trailing slash makes the second source its own (sources are unique
        // per practice and address), so each mode writes every record afresh under its own natural keys.
        const baseUrl = bulkExport ? `${p.fhirBaseUrl}/` : p.fhirBaseUrl
        sources.push(await addSource(db, { practiceId: practice.id, kind: 'fhir', name: `Simulator ${p.odsCode}`, baseUrl, bulkExport }))
      }
      const t0 = performance.now()
      let read = 0
      let inserted = 0
      let failed = 0
      for (const s of sources) {
        const r = await collectSource({ db, target: handle.target, config, log: () => {} }, s, { backfill: range })
        if (r.status !== 'completed') failed++
        read += r.counts?.read ?? 0
        inserted += r.counts?.inserted ?? 0
      }
      const seconds = ms(t0) / 1000
      return { events: read, inserted, failedSources: failed, seconds: round(seconds), eventsPerSec: Math.round(read / seconds) }
    }
    const paged = await run(false)
    const bulk = await run(true)
    log(`standards: backfill page by page ${paged.eventsPerSec} events/s; through $export ${bulk.eventsPerSec} events/s`)
    return { simulator: { practices, days, eventsPerPracticePerDay: perDay }, range, paged, bulk }
  } finally {
    await sim.close()
  }
}
