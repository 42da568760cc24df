import type { Knex } from 'knex'
import type { Db } from '../client.js'
import type { Scope } from './scope.js'

// Reading the access log (writing it is access-log.ts). The table is append-only by trigger;
// nothing here or anywhere else updates or deletes it.

export interface AuditLogFilter {
  action?: string
  /** Part of the actor (the e-mail address as typed, or "system" / "cli:<user>"), any case. */
  actor?: string
  outcome?: 'ok' | 'denied' | 'failed'
  /** A patient's pseudonym: the entries that showed or produced that patient's records. */
  patient?: string
  /**
   * When true, system-wide entries (those concerning no practice: an administrator's own
   * sign-in, code mappings) are included alongside the practices in the scope. Only
   * administrators are given them, and not when they narrowed the view to particular practices.
   */
  includeUnattributed: boolean
}

export interface AuditLogRow {
  id: number
  at: Date
  userId: number | null
  actor: string
  action: string
  outcome: 'ok' | 'denied' | 'failed'
  practiceOds: string | null
  target: string | null
  ip: string | null
  detail: Record<string, unknown> | null
}

/** LIKE treats % and _ as wildcards: a search for "a_b" must find "a_b" only. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

function scoped(db: Db, scope: Scope, filter: AuditLogFilter): Knex.QueryBuilder {
  // An entry is readable when it concerns at least one practice in the scope (&&: overlap).
  const q = db('access_log as l').where((w) => {
    w.whereRaw('l.practice_ids && ?::integer[]', [scope.practiceIds])
    if (filter.includeUnattributed) w.orWhereRaw(`l.practice_ids = '{}'`)
  })
  if (filter.action) q.where('l.action', filter.action)
  if (filter.outcome) q.where('l.outcome', filter.outcome)
  if (filter.actor) q.whereRaw(`l.actor ILIKE ? ESCAPE '\\'`, [likeContains(filter.actor)])
  if (filter.patient) {
    const patient = filter.patient
    q.where((w) =>
      w.whereRaw(`l.detail->>'patient' = ?`, [patient]).orWhereRaw(`l.detail->'patients' @> jsonb_build_array(?::text)`, [patient]),
    )
  }
  if (scope.from) q.whereRaw(`l.at >= (?::date::timestamp AT TIME ZONE 'Europe/London')`, [scope.from])
  if (scope.to) q.whereRaw(`l.at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`, [scope.to])
  return q
}

/** Entries newest first, one page at a time. */
export async function listAuditLog(
  db: Db,
  scope: Scope,
  filter: AuditLogFilter,
  page: { limit: number; offset: number },
): Promise<AuditLogRow[]> {
  return scoped(db, scope, filter)
    .select('l.id', 'l.at', 'l.user_id as userId', 'l.actor', 'l.action', 'l.outcome', 'l.target', 'l.ip', 'l.detail')
    .select(
      db.raw(`(SELECT string_agg(p.ods_code, ' ' ORDER BY p.ods_code) FROM practices p WHERE p.id = ANY(l.practice_ids)) AS "practiceOds"`),
    )
    .orderBy('l.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
}

export async function countAuditLog(db: Db, scope: Scope, filter: AuditLogFilter): Promise<number> {
  const row = await scoped(db, scope, filter).count('* as n').first()
  return Number(row?.n ?? 0)
}

/** The actions recorded among the entries the viewer may read, for the filter list. */
export async function listAuditActions(db: Db, scope: Scope, includeUnattributed: boolean): Promise<string[]> {
  const rows = await scoped(db, { practiceIds: scope.practiceIds }, { includeUnattributed }).distinct('l.action').orderBy('l.action')
  return rows.map((r: { action: string }) => r.action)
}
