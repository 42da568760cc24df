import { quoteSafely } from '../../core/identifiers.js'
import type { Db } from '../client.js'

export type RunTrigger = 'schedule' | 'manual' | 'backfill'
export type RunStatus = 'active' | 'completed' | 'failed' | 'cancelled'

export interface RunCounts {
  read: number
  inserted: number
  updated: number
  duplicates: number
  quarantined: number
}

export const ZERO_COUNTS: RunCounts = { read: 0, inserted: 0, updated: 0, duplicates: 0, quarantined: 0 }

export interface JobRunRow {
  id: number
  job_name: string
  source_id: number | null
  trigger: RunTrigger
  status: RunStatus
  started_at: Date
  finished_at: Date | null
  read_count: number
  inserted_count: number
  updated_count: number
  duplicate_count: number
  quarantined_count: number
  error: string | null
  locked_by: string | null
  params: Record<string, unknown> | null
}

export async function startRun(
  db: Db,
  r: { jobName: string; sourceId: number | null; trigger: RunTrigger; lockedBy: string; params?: Record<string, unknown> },
): Promise<JobRunRow> {
  const [row] = await db('job_runs')
    .insert({
      job_name: r.jobName,
      source_id: r.sourceId,
      trigger: r.trigger,
      status: 'active',
      locked_by: r.lockedBy,
      params: r.params ? JSON.stringify(r.params) : null,
    })
    .returning('*')
  return row
}

/** Adds a committed batch's counts to its run; called inside the batch's own transaction. */
export async function addRunCounts(db: Db, runId: number, c: RunCounts): Promise<void> {
  await db('job_runs').where({ id: runId }).increment({
    read_count: c.read,
    inserted_count: c.inserted,
    updated_count: c.updated,
    duplicate_count: c.duplicates,
    quarantined_count: c.quarantined,
  })
}

export async function finishRun(db: Db, runId: number, status: Exclude<RunStatus, 'active'>, error: string | null): Promise<JobRunRow> {
  const [row] = await db('job_runs')
    .where({ id: runId })
    // A run's error is shown on the jobs page: never an identifier or a source's whole answer.
    .update({ status, error: error === null ? null : quoteSafely(error, 1000), finished_at: db.fn.now() })
    .returning('*')
  return row
}

/**
 * Runs left 'active' by a process that died (SIGKILL, power loss). Only called by whoever now
 * holds the job's lock, so no live run can be among them.
 */
export async function abandonStaleRuns(db: Db, jobName: string, sourceId: number | null): Promise<number> {
  return db('job_runs')
    .where({ job_name: jobName, status: 'active' })
    .andWhere((q) => (sourceId === null ? q.whereNull('source_id') : q.where({ source_id: sourceId })))
    .update({ status: 'failed', finished_at: db.fn.now(), error: 'abandoned: the runner process ended before the run finished' })
}

export async function listRuns(db: Db, filter: { jobNames?: string[]; sourceId?: number; limit?: number } = {}): Promise<JobRunRow[]> {
  const q = db('job_runs')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
  if (filter.jobNames) q.whereIn('job_name', filter.jobNames)
  if (filter.sourceId !== undefined) q.where({ source_id: filter.sourceId })
  return q
}
