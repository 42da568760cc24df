import cliProgress from 'cli-progress'
import type { RunCounts } from '../db/queries/job-runs.js'

/** Prints rows as an aligned plain-text table (no colours: output is often piped). */
export function printTable(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    console.log('(none)')
    return
  }
  const columns = Object.keys(rows[0]!)
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v))
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  console.log(line(columns))
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))))
}

/**
 * A live line per run on an interactive terminal ("source 3: 4,200 read, 4,180 new"); nothing
 * when output is piped, so logs and --json stay clean.
 */
export function progressDisplay(): {
  update: (run: { id: number; source_id: number | null }, totals: RunCounts) => void
  stop: () => void
} | null {
  if (!process.stderr.isTTY) return null
  const bars = new cliProgress.MultiBar(
    {
      format: 'source {source}: {read} read, {inserted} new, {duplicates} duplicates, {quarantined} quarantined',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  const byRun = new Map<number, cliProgress.SingleBar>()
  return {
    update(run, totals) {
      let bar = byRun.get(run.id)
      if (!bar) {
        bar = bars.create(0, 0, { source: run.source_id ?? '-' })
        byRun.set(run.id, bar)
      }
      bar.update(totals.read, { source: run.source_id ?? '-', ...totals })
    },
    stop: () => bars.stop(),
  }
}
