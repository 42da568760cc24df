import knexFactory from 'knex'
import type { Db } from '../../db/client.js'

/**
 * Holds a request inside a server process (decision 044's gate tests): ACCESS EXCLUSIVE locks
 * on tables a page reads, taken on a connection of its own, keep that page's query waiting.
 */
export function tableLocker(databaseUrl: string) {
  const locker = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } })
  return {
    /** Locks `tables` until the returned function is called. */
    async lock(tables: string[]): Promise<() => Promise<void>> {
      const trx = await locker.transaction()
      for (const table of tables) await trx.raw(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`)
      return () => trx.rollback().then(() => undefined)
    },
    close: () => locker.destroy(),
  }
}

/** Until a query of `db`'s database waits on a lock (so a request is surely held inside the server). */
export async function untilAQueryWaitsOnALock(db: Db): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const { rows } = await db.raw(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
    if (rows[0].n > 0) return
    if (Date.now() > deadline) throw new Error('no server query came to wait on the lock')
    await new Promise((r) => setTimeout(r, 50))
  }
}
