import type { Knex } from 'knex'
import type { Db } from '../client.js'
import type { RunStatus, RunTrigger } from './job-runs.js'
import type { Scope } from './scope.js'

// Collector run history for the jobs page and its CSV export. A run belongs to its source's
// practice; runs of national sources (the NDOP publication) and runs with no source (system
// jobs such as roll-up refreshes) hold no practice's records, so every viewer sees them.

export interface RunFilter {
  sourceId?: number
  status?: RunStatus
  job?: string
}

export interface RunHistoryRow {
  id: number
  jobName: string
  sourceId: number | null
  sourceName: string | null
  practiceOds: string | null
  trigger: RunTrigger
  status: RunStatus
  startedAt: Date
  finishedAt: Date | null
  readCount: number
  insertedCount: number
  updatedCount: number
  duplicateCount: number
  quarantinedCount: number
  error: string | null
}

function scopedRuns(db: Db, scope: Scope, filter: RunFilter): Knex.QueryBuilder {
  const q = db('job_runs as r')
    .leftJoin('sources as s', 's.id', 'r.source_id')
    .leftJoin('practices as p', 'p.id', 's.practice_id')
    .where((w) => w.whereIn('s.practice_id', scope.practiceIds).orWhereNull('s.practice_id'))
  if (filter.sourceId !== undefined) q.where('r.source_id', filter.sourceId)
  if (filter.status) q.where('r.status', filter.status)
  if (filter.job) q.where('r.job_name', filter.job)
  // The period is calendar days in England, like every other page (see scope.ts).
  if (scope.from) q.whereRaw(`r.started_at >= (?::date::timestamp AT TIME ZONE 'Europe/London')`, [scope.from])
  if (scope.to) q.whereRaw(`r.started_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`, [scope.to])
  return q
}

/** Runs newest first, one page at a time. */
export async function listRunHistory(
  db: Db,
  scope: Scope,
  filter: RunFilter,
  page: { limit: number; offset: number },
): Promise<RunHistoryRow[]> {
  return scopedRuns(db, scope, filter)
    .select(
      'r.id',
      'r.job_name as jobName',
      'r.source_id as sourceId',
      's.name as sourceName',
      'p.ods_code as practiceOds',
      'r.trigger',
      'r.status',
      'r.started_at as startedAt',
      'r.finished_at as finishedAt',
      'r.read_count as readCount',
      'r.inserted_count as insertedCount',
      'r.updated_count as updatedCount',
      'r.duplicate_count as duplicateCount',
      'r.quarantined_count as quarantinedCount',
      'r.error',
    )
    .orderBy('r.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
}

export async function countRunHistory(db: Db, scope: Scope, filter: RunFilter): Promise<number> {
  const row = await scopedRuns(db, scope, filter).count('* as n').first()
  return Number(row?.n ?? 0)
}

/** The job names that have runs the viewer may see, for the filter list. */
export async function listRunJobNames(db: Db, scope: Scope): Promise<string[]> {
  const rows = await scopedRuns(db, { practiceIds: scope.practiceIds }, {}).distinct('r.job_name as jobName').orderBy('jobName')
  return rows.map((r: { jobName: string }) => r.jobName)
}

/** The newest run recorded under any of these job names, among the runs the viewer may see. */
export async function lastRunOf(db: Db, scope: Scope, jobNames: string[]): Promise<RunHistoryRow | undefined> {
  const [row] = await scopedRuns(db, { practiceIds: scope.practiceIds }, {})
    .whereIn('r.job_name', jobNames)
    .select('r.id', 'r.job_name as jobName', 'r.status', 'r.started_at as startedAt', 'r.finished_at as finishedAt')
    .orderBy('r.id', 'desc')
    .limit(1)
  return row
}

/** The id of the newest run of a job for one source (0 when none), to spot the next one starting. */
export async function newestRunId(db: Db, jobName: string, sourceId: number): Promise<number> {
  const row = await db('job_runs').where({ job_name: jobName, source_id: sourceId }).max('id as id').first()
  return Number(row?.id ?? 0)
}

/** The first run of a job for one source started after `afterId`, if one has started. */
export async function runStartedAfter(
  db: Db,
  jobName: string,
  sourceId: number,
  afterId: number,
): Promise<{ id: number; status: RunStatus } | undefined> {
  return db('job_runs').where({ job_name: jobName, source_id: sourceId }).where('id', '>', afterId).orderBy('id').first('id', 'status')
}
