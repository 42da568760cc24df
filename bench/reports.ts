// Phase (d), reports: the audit evidence pack over about 100,000 and 200,000 rows, timed, with
// this process's peak memory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Db } from '../db/client.js'
import { END_DAY, ms, round, type BenchOptions } from './common.js'
import type { Bulk } from './dataset.js'
/**
 * The audit evidence pack over about 100,000 disclosure rows (N/10 for smaller N), then the
 * larger one over about 200,000 (N/5): the first practices' whole two years. Peak memory is
 * this process's RSS sampled every 25 ms, so it includes the benchmark's own baseline (reported too).
 */
export async function evidencePack(db: Db, bulk: Bulk, opts: BenchOptions) {
  const pack = await evidencePackOf(db, bulk, opts.events, Math.min(100_000, Math.max(1_000, Math.floor(opts.events / 10))))
  if (pack.skipped) return pack
  const larger = await evidencePackOf(db, bulk, opts.events, Math.min(200_000, Math.max(2_000, Math.floor(opts.events / 5))))
  return { ...pack, larger }
}

async function evidencePackOf(db: Db, bulk: Bulk, events: number, wanted: number) {
  if (!fs.existsSync(path.resolve(import.meta.dirname, '../reports/index.ts')))
    return { skipped: true, reason: 'reports/ does not exist yet' }
  const { generateReport } = await import('../reports/index.js')
  const perPractice = events / bulk.practiceIds.length
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
