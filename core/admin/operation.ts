import type { Db } from '../../db/client.js'
import { writeAccessLog, type AccessLogEntry } from '../../db/queries/access-log.js'

/**
 * What every administrative operation needs from the door it was called through (a web form or
 * the CLI): the database, who acts, and how to bring the findings up to date afterwards (the
 * refresh lives with the jobs; the caller hands it in so core/ imports nothing above db/).
 */
export interface AdminContext {
  db: Db
  by: { userId: number | null; actor: string; ip?: string | null }
  /**
   * The access log names a change by its door: `admin_user_add` from the web pages, `user_add`
   * from the CLI, as each has since it was written (readers filter on these names).
   */
  door: 'web' | 'cli'
  refreshFindings?: () => Promise<FindingsChange | void>
}

export interface FindingsChange {
  opened: number
  resolved: number
}

/** Field name -> one sentence, the same words whichever door the input came through. */
export type FieldErrors = Record<string, string>

export type AdminResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors }

export const refused = (errors: FieldErrors): { ok: false; errors: FieldErrors } => ({ ok: false, errors })
export const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0

/**
 * A refusal found while writing (a reference taken meanwhile): thrown inside the transaction so
 * that everything written before it (a new organisation or practice) is rolled back with it.
 */
export class RefusedInTransaction extends Error {
  constructor(readonly errors: FieldErrors) {
    super(Object.values(errors).join(' '))
  }
}

/**
 * Runs the writes and the access-log entry in one transaction: a refusal or a failure leaves
 * nothing behind, and the log never records a change that did not happen.
 */
export async function writeOnce<T>(
  ctx: AdminContext,
  write: (trx: Db, log: (operation: string, entry: LogEntry) => Promise<void>) => Promise<T>,
): Promise<AdminResult<T>> {
  try {
    const value = await ctx.db.transaction(async (trx) =>
      write(trx, (operation, entry) =>
        writeAccessLog(trx, {
          ...entry,
          userId: ctx.by.userId,
          actor: ctx.by.actor,
          ip: ctx.by.ip ?? null,
          action: ctx.door === 'web' ? `admin_${operation}` : operation,
        }),
      ),
    )
    return { ok: true, value }
  } catch (err) {
    if (err instanceof RefusedInTransaction) return refused(err.errors)
    throw err
  }
}

type LogEntry = Omit<AccessLogEntry, 'userId' | 'actor' | 'action' | 'ip'>
