import type { Db } from '../client.js'

export interface AccessLogEntry {
  userId: number | null
  actor: string
  action: string
  outcome?: 'ok' | 'denied' | 'failed'
  /**
   * The practices the entry concerns (an export's scope, a changed user's practices...). Readers
   * see an entry when it concerns one of their practices; an entry about none is system-wide,
   * for administrators only.
   */
  practiceIds?: number[]
  /** Shorthand for one practice. */
  practiceId?: number | null
  target?: string | null
  ip?: string | null
  detail?: Record<string, unknown> | null
}

/** Appends to the access log. The table refuses UPDATE, DELETE and TRUNCATE (migration trigger). */
export async function writeAccessLog(db: Db, e: AccessLogEntry): Promise<void> {
  await db('access_log').insert({
    user_id: e.userId,
    actor: storable(e.actor),
    action: e.action,
    outcome: e.outcome ?? 'ok',
    practice_id: e.practiceId ?? (e.practiceIds?.length === 1 ? e.practiceIds[0] : null),
    practice_ids: e.practiceIds ?? (e.practiceId ? [e.practiceId] : []),
    target: e.target == null ? null : storable(e.target),
    ip: e.ip ?? null,
    detail: e.detail ? JSON.stringify(e.detail, (_key, value) => (typeof value === 'string' ? storable(value) : value)) : null,
  })
}

// What a visitor typed reaches the log (filters, targets, e-mail addresses as typed). PostgreSQL
// text and jsonb cannot hold U+0000: it is dropped, and each value capped, so logging never fails.
const storable = (text: string) => text.replaceAll('\u0000', '').slice(0, 2000)
