import type { Db } from '../client.js'
import type { RunStatus } from './job-runs.js'
import type { SourceKind, SourceRow } from './sources.js'
import type { Scope } from './scope.js'

// Sources as the jobs page shows them: whose they are, when they last ran, when they last
// delivered, and whether they have gone silent. The bearer token is never selected here.

export interface SourceHealth {
  id: number
  name: string
  kind: SourceKind
  baseUrl: string | null
  enabled: boolean
  practiceId: number | null
  practiceOds: string | null
  practiceName: string | null
  expectedIntervalMinutes: number
  lastRunId: number | null
  lastRunStatus: RunStatus | null
  lastRunStartedAt: Date | null
  lastRunFinishedAt: Date | null
  lastRunError: string | null
  lastSuccessAt: Date | null
  /**
   * Enabled, and no successful run for longer than the expected interval (counted from when the
   * source was added if it never succeeded): the same test as the "silent source" finding.
   */
  silent: boolean
}

/** The sources of the viewer's practices, plus national sources (the NDOP publication), which belong to everyone. */
export async function listSourceHealth(db: Db, scope: Scope): Promise<SourceHealth[]> {
  const { rows } = await db.raw(
    `SELECT s.id, s.name, s.kind, s.base_url AS "baseUrl", s.enabled, s.practice_id AS "practiceId",
            p.ods_code AS "practiceOds", p.name AS "practiceName",
            s.expected_interval_minutes AS "expectedIntervalMinutes",
            last.id AS "lastRunId", last.status AS "lastRunStatus", last.started_at AS "lastRunStartedAt",
            last.finished_at AS "lastRunFinishedAt", last.error AS "lastRunError",
            ok.finished_at AS "lastSuccessAt",
            (s.enabled AND coalesce(ok.finished_at, s.created_at) < now() - make_interval(mins => s.expected_interval_minutes)) AS silent
       FROM sources s
       LEFT JOIN practices p ON p.id = s.practice_id
       LEFT JOIN LATERAL (
         SELECT id, status, started_at, finished_at, error FROM job_runs
          WHERE job_runs.source_id = s.id ORDER BY job_runs.id DESC LIMIT 1
       ) last ON true
       LEFT JOIN LATERAL (
         SELECT finished_at FROM job_runs
          WHERE job_runs.source_id = s.id AND job_runs.status = 'completed' ORDER BY job_runs.id DESC LIMIT 1
       ) ok ON true
      WHERE s.practice_id = ANY(?) OR s.practice_id IS NULL
      ORDER BY p.ods_code NULLS FIRST, s.name, s.id`,
    [scope.practiceIds],
  )
  return rows
}

/**
 * One source, if the viewer may see it: a source of one of their practices, or a national one.
 * Undefined otherwise, which the page turns into a 404 (as if it did not exist).
 */
export async function getSourceInScope(db: Db, scope: Scope, id: number): Promise<SourceRow | undefined> {
  return db('sources')
    .where({ id })
    .andWhere((w) => w.whereIn('practice_id', scope.practiceIds).orWhereNull('practice_id'))
    .first()
}
