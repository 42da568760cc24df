import type { Db } from '../client.js'
import type { Role } from './users.js'

// Scheduled reports (decision 034). A schedule names its practices and recipients by id; the
// page shows them by name.

export interface ReportScheduleRow {
  id: number
  kind: 'audit' | 'commissioner' | 'annual'
  practiceIds: number[]
  periodRule: 'last-month' | 'last-quarter' | 'last-12-months' | 'last-financial-year'
  cron: string
  recipientIds: number[]
  createdByUserId: number
  createdAt: Date
  lastDueAt: Date | null
}

function fromRow(r: Record<string, unknown>): ReportScheduleRow {
  return {
    id: Number(r.id),
    kind: r.kind as ReportScheduleRow['kind'],
    practiceIds: (r.practice_ids as number[]).map(Number),
    periodRule: r.period_rule as ReportScheduleRow['periodRule'],
    cron: String(r.cron),
    recipientIds: (r.recipient_ids as number[]).map(Number),
    createdByUserId: Number(r.created_by_user_id),
    createdAt: new Date(r.created_at as string),
    lastDueAt: r.last_due_at ? new Date(r.last_due_at as string) : null,
  }
}

/** Schedules in force; with `withinPracticeIds`, only those whose practices are all among them. */
export async function listReportSchedules(db: Db, withinPracticeIds?: number[]): Promise<ReportScheduleRow[]> {
  const q = db('report_schedules').whereNull('deleted_at').orderBy('id')
  if (withinPracticeIds) q.whereRaw('practice_ids <@ ?::int[]', [withinPracticeIds])
  return (await q.select('*')).map(fromRow)
}

export async function addReportSchedule(db: Db, s: Omit<ReportScheduleRow, 'id' | 'createdAt' | 'lastDueAt'>): Promise<number> {
  const [row] = await db('report_schedules')
    .insert({
      kind: s.kind,
      practice_ids: s.practiceIds,
      period_rule: s.periodRule,
      cron: s.cron,
      recipient_ids: s.recipientIds,
      created_by_user_id: s.createdByUserId,
    })
    .returning('id')
  return Number(row.id)
}

/** Stops a schedule (kept, marked deleted, for the record of what was sent under it). */
export async function deleteReportSchedule(db: Db, id: number): Promise<void> {
  await db('report_schedules').where({ id }).whereNull('deleted_at').update({ deleted_at: db.fn.now() })
}

/** Moves the schedule's last due minute to `due` if nobody else has: true when this caller claimed it. */
export async function claimScheduleDue(db: Db, id: number, previous: Date | null, due: Date): Promise<boolean> {
  const n = await db('report_schedules')
    .where({ id })
    .whereNull('deleted_at')
    .whereRaw('last_due_at IS NOT DISTINCT FROM ?', [previous])
    .update({ last_due_at: due })
  return n === 1
}

export interface ScheduleCandidate {
  id: number
  email: string
  displayName: string
  role: Role
  /** All practices for an administrator. */
  practiceIds: number[]
}

/** Users who can sign in, with their practices (an administrator's are all), to choose recipients from and to check them again when sending. */
export async function listScheduleCandidates(db: Db, ids?: number[]): Promise<ScheduleCandidate[]> {
  const { rows } = await db.raw(
    `SELECT u.id, u.email, u.display_name, u.role,
            CASE WHEN u.role = 'admin' THEN (SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}') FROM practices p)
                 ELSE coalesce(array_agg(up.practice_id ORDER BY up.practice_id) FILTER (WHERE up.practice_id IS NOT NULL), '{}') END AS practice_ids
       FROM users u LEFT JOIN user_practices up ON up.user_id = u.id
      WHERE u.disabled_at IS NULL ${ids ? 'AND u.id = ANY(?)' : ''}
      GROUP BY u.id ORDER BY u.display_name, u.email`,
    ids ? [ids] : [],
  )
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    id: Number(r.id),
    email: String(r.email),
    displayName: String(r.display_name),
    role: r.role as Role,
    practiceIds: (r.practice_ids as number[]).map(Number),
  }))
}
