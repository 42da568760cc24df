import type { Knex } from 'knex'
import type { Db } from '../client.js'
import type { Scope } from './scope.js'

// The quarantine as the dashboard reads it. The raw payload may hold an NHS number, so list
// queries never select it; only getQuarantineEntry with { withPayload: true } does, and the
// page asks for that for administrators only.

export interface QuarantineItem {
  id: number
  sourceId: number
  sourceName: string
  practiceOds: string | null
  recordKey: string
  resourceType: string | null
  reason: string
  firstRunId: number | null
  lastRunId: number | null
  firstSeenAt: Date
  lastSeenAt: Date
}

export interface QuarantineEntry extends QuarantineItem {
  practiceId: number | null
  status: 'pending' | 'resolved'
  resolution: string | null
  payload?: unknown
}

const COLUMNS = [
  'q.id',
  'q.source_id as sourceId',
  's.name as sourceName',
  'p.ods_code as practiceOds',
  'q.record_key as recordKey',
  'q.resource_type as resourceType',
  'q.reason',
  'q.first_run_id as firstRunId',
  'q.last_run_id as lastRunId',
  'q.first_seen_at as firstSeenAt',
  'q.last_seen_at as lastSeenAt',
]

/** Quarantine rows of the viewer's sources (their practices' and national ones). */
function scoped(db: Db, scope: Scope): Knex.QueryBuilder {
  return db('quarantine as q')
    .join('sources as s', 's.id', 'q.source_id')
    .leftJoin('practices as p', 'p.id', 's.practice_id')
    .where((w) => w.whereIn('s.practice_id', scope.practiceIds).orWhereNull('s.practice_id'))
}

/** Records waiting in quarantine, most recently seen first. */
export async function listPendingQuarantine(
  db: Db,
  scope: Scope,
  page: { limit: number; offset: number; sourceId?: number },
): Promise<QuarantineItem[]> {
  const q = scoped(db, scope)
    .where('q.status', 'pending')
    .select(COLUMNS)
    .orderBy([
      { column: 'q.last_seen_at', order: 'desc' },
      { column: 'q.id', order: 'desc' },
    ])
  if (page.sourceId !== undefined) q.where('q.source_id', page.sourceId)
  return q.limit(page.limit).offset(page.offset)
}

export async function countPendingQuarantine(db: Db, scope: Scope, filter: { sourceId?: number } = {}): Promise<number> {
  const q = scoped(db, scope).where('q.status', 'pending').count('* as n')
  if (filter.sourceId !== undefined) q.where('q.source_id', filter.sourceId)
  const row = await q.first()
  return Number(row?.n ?? 0)
}

/** One quarantine entry (pending or resolved) if it is in scope; the payload only when asked for. */
export async function getQuarantineEntry(
  db: Db,
  scope: Scope,
  id: number,
  options: { withPayload: boolean },
): Promise<QuarantineEntry | undefined> {
  const columns = [...COLUMNS, 's.practice_id as practiceId', 'q.status', 'q.resolution']
  if (options.withPayload) columns.push('q.payload')
  return scoped(db, scope).where('q.id', id).first(columns)
}
