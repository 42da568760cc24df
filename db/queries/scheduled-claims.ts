import type { Db } from '../client.js'

/**
 * Claims one scheduled run of a job (its due minute): true for the one process whose claim is
 * recorded, false for every other process that tries the same minute.
 */
export async function claimScheduledRun(db: Db, job: string, dueAt: Date, claimedBy: string): Promise<boolean> {
  const { rows } = await db.raw(
    `INSERT INTO scheduled_claims (job, due_at, claimed_by) VALUES (?, ?, ?) ON CONFLICT (job, due_at) DO NOTHING RETURNING job`,
    [job, dueAt, claimedBy],
  )
  return rows.length === 1
}
