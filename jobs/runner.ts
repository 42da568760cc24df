import os from 'node:os'
import { quoteSafely } from '../core/identifiers.js'
import type { Config } from '../config/env.js'
import type { Db, DatabaseTarget } from '../db/client.js'
import {
  ZERO_COUNTS,
  abandonStaleRuns,
  addRunCounts,
  finishRun,
  startRun,
  type JobRunRow,
  type RunCounts,
  type RunTrigger,
} from '../db/queries/job-runs.js'
import { createJobLocks, type JobLocks } from './locks.js'

/** What every job gets: the database, configuration, its run, and a way to stop early. */
export interface RunnerDeps {
  db: Db
  target: DatabaseTarget
  config: Config
  locks?: JobLocks
  /** Aborted on SIGTERM: jobs finish the batch in hand, commit it, and stop. */
  signal?: AbortSignal
  log?: (line: string) => void
  /** Told after every committed batch, with the run's totals so far (progress display). */
  onBatch?: (run: JobRunRow, totals: RunCounts) => void
}

export interface JobContext {
  db: Db
  config: Config
  run: JobRunRow
  signal: AbortSignal
  /** Running totals of the batches committed so far. */
  counts: RunCounts
  /**
   * Runs one batch in a transaction: the batch's writes, the cursor it advances and its counts
   * on the run row commit together or not at all. That is what makes a killed run resumable.
   */
  commitBatch(work: (trx: Db) => Promise<RunCounts>): Promise<RunCounts>
  log(line: string): void
}

export interface RunRequest {
  jobName: string
  sourceId: number | null
  trigger: RunTrigger
  params?: Record<string, unknown>
}

export type RunOutcome =
  { status: 'completed' | 'failed' | 'cancelled'; run: JobRunRow; error: string | null } | { status: 'skipped'; reason: string }

/** How a run ended, in the shape commands and pages report it. */
export interface RunSummary {
  status: RunOutcome['status']
  runId: number | null
  counts: RunCounts | null
  error: string | null
}

export function summariseRun(outcome: RunOutcome): RunSummary {
  if (outcome.status === 'skipped') return { status: 'skipped', runId: null, counts: null, error: outcome.reason }
  const r = outcome.run
  return {
    status: outcome.status,
    runId: r.id,
    counts: {
      read: r.read_count,
      inserted: r.inserted_count,
      updated: r.updated_count,
      duplicates: r.duplicate_count,
      quarantined: r.quarantined_count,
    },
    error: outcome.error,
  }
}

export class JobStopped extends Error {
  constructor() {
    super('stopped on request (SIGTERM) after the last committed batch')
  }
}

export const RUNNER_ID = `${os.hostname()}:${process.pid}`

const locksByTarget = new WeakMap<object, JobLocks>()
function locksFor(deps: RunnerDeps): JobLocks {
  if (deps.locks) return deps.locks
  let locks = locksByTarget.get(deps.db)
  if (!locks) {
    locks = createJobLocks(deps.target)
    locksByTarget.set(deps.db, locks)
  }
  return locks
}

/**
 * Marks failed every run left 'active' by a runner that has died, whichever job or source it
 * was for, and says how many. A run is dead when its lock can be taken: the advisory lock lives
 * on the runner's own connection, which PostgreSQL closes when the process dies, so a held lock
 * means a live run (however slow) and a free one means nobody is running it. Called when a
 * scheduler starts and before each scheduled round, so a crashed run does not show as running
 * until its own source happens to be collected again.
 */
export async function reapAbandonedRuns(deps: RunnerDeps): Promise<number> {
  const active: Array<{ job_name: string; source_id: number | null }> = await deps
    .db('job_runs')
    .where({ status: 'active' })
    .distinct('job_name', 'source_id')
  let reaped = 0
  for (const run of active) {
    const release = await locksFor(deps).tryAcquire(`${run.job_name}:${run.source_id ?? '-'}`)
    if (!release) continue // a live runner holds it
    try {
      reaped += await abandonStaleRuns(deps.db, run.job_name, run.source_id)
    } finally {
      await release()
    }
  }
  return reaped
}

/**
 * Claims the job's lock, records the run, runs `body`, and records how it ended. A run that
 * cannot get the lock is skipped (another process is already doing it), not queued.
 */
export async function runJob(deps: RunnerDeps, req: RunRequest, body: (ctx: JobContext) => Promise<void>): Promise<RunOutcome> {
  const lockKey = `${req.jobName}:${req.sourceId ?? '-'}`
  const release = await locksFor(deps).tryAcquire(lockKey)
  if (!release) return { status: 'skipped', reason: `${lockKey} is already running in another process` }
  const log = deps.log ?? (() => {})
  try {
    await abandonStaleRuns(deps.db, req.jobName, req.sourceId)
    const run = await startRun(deps.db, { ...req, lockedBy: RUNNER_ID })
    const counts: RunCounts = { ...ZERO_COUNTS }
    const signal = deps.signal ?? new AbortController().signal
    const ctx: JobContext = {
      db: deps.db,
      config: deps.config,
      run,
      signal,
      counts,
      log,
      async commitBatch(work) {
        const batch = await deps.db.transaction(async (trx) => {
          const c = await work(trx)
          await addRunCounts(trx, run.id, c)
          return c
        })
        for (const k of Object.keys(counts) as Array<keyof RunCounts>) counts[k] += batch[k]
        deps.onBatch?.(run, counts)
        return batch
      },
    }
    let status: 'completed' | 'failed' | 'cancelled' = 'completed'
    let error: string | null = null
    try {
      await body(ctx)
      if (signal.aborted) throw new JobStopped()
    } catch (err) {
      status = err instanceof JobStopped ? 'cancelled' : 'failed'
      // Shown on pages, printed by the CLI, filed beside a failed inbox file: never an identifier.
      error = quoteSafely(errorMessage(err), 1000)
      log(`${lockKey} ${status}: ${error}`)
    }
    const finished = await finishRun(deps.db, run.id, status, error)
    return { status, run: finished, error }
  } finally {
    await release()
  }
}

/**
 * The error's own words. knex prefixes a database error with the whole statement ("INSERT ...
 * - new row violates ..."): the statement says nothing a reader can act on and would push the
 * reason past the length cap, so only PostgreSQL's message is kept.
 */
function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const fromDatabase = typeof (err as { code?: unknown }).code === 'string' && typeof (err as { routine?: unknown }).routine === 'string'
  const cut = err.message.lastIndexOf(' - ')
  return fromDatabase && cut >= 0 ? err.message.slice(cut + 3) : err.message
}
