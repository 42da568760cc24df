// What every phase of the benchmark shares: its options, where its database is, the period its
// data covers, logging and timing.
import { performance } from 'node:perf_hooks'

export interface BenchOptions {
  events: number
  practices: number
  jsonOut: string
  runs: number
  loadSeconds: number
  concurrency: number
  sessionRate: number
  skip: Set<string>
  reuse: boolean
}

export const BASE_URL = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/postgres'
// Another name lets two benchmark runs (or a developer's experiment) share one server.
export const DB_NAME = process.env.BENCH_DATABASE_NAME ?? 'ledger_bench'
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error('BENCH_DATABASE_NAME must be a plain lower-case identifier')
export const benchUrl = BASE_URL.replace(/\/[^/]*$/, `/${DB_NAME}`)
export const END_DAY = '2026-11-01'
export const START_DAY = '2024-11-02' // two years ending END_DAY
// The dashboard's "last 12 months": whole calendar months, read from the monthly roll-ups.
export const YEAR: { from: string; to: string } = { from: '2025-11-01', to: '2026-10-31' }
// 365 days from an odd day: 30 days at the ends come from the daily roll-ups.
export const ODD_YEAR: { from: string; to: string } = { from: '2025-11-16', to: '2026-11-15' }
export const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`)
export const ms = (t0: number) => performance.now() - t0

export const BENCH_PSEUDONYM_KEY = 'sharing-ledger-benchmark-pseudonym-key-not-for-real-data-0123456789'
export const BENCH_SESSION_SECRET = 'sharing-ledger-benchmark-session-secret-0123456789'
/** Ed25519 seed for the benchmark's server (reports are signed; the server will not start on PostgreSQL without one). */
export const BENCH_SIGNING_KEY = 'be0c'.repeat(16)

// ---- Helpers --------------------------------------------------------------------------------

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[idx]!
}

export interface Timing {
  runs: number
  p50: number
  p95: number
}

/** Runs fn up to `runs` times (fewer once 10 s are spent), after one warm-up, and returns p50/p95 in ms. */
export async function time(fn: () => Promise<unknown>, runs: number): Promise<Timing> {
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
