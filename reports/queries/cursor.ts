import type { Knex } from 'knex'
import type { Db } from '../../db/client.js'

/**
 * The rows of `query` in batches of `size`, from one cursor (in a subtransaction of the
 * report's read-only snapshot, or its own read-only transaction when called alone): the
 * query is planned, and its rows sorted, once (keyset pages re-read and re-sort what is left
 * on every page), and the log is one snapshot. The next batch is fetched while the caller
 * draws the current one (the database works on the other core).
 */
export async function* cursorBatches<Row = Record<string, unknown>>(db: Db, query: Knex.QueryBuilder, size: number): AsyncGenerator<Row[]> {
  const { sql, bindings } = query.toSQL()
  const trx = await db.transaction()
  type Rows = Row[]
  let pending: Promise<Rows> | undefined
  const fetch = () => {
    // .then() once: a knex query runs again each time it is awaited
    const p: Promise<Rows> = trx.raw(`FETCH ${size} FROM report_rows`).then((r: { rows: Rows }) => r.rows)
    p.catch(() => {}) // awaited below; not an unhandled rejection while the caller draws
    return p
  }
  try {
    await trx.raw('SET TRANSACTION READ ONLY')
    // Every row will be fetched: plan for the whole result (sort the scope's rows once), not for
    // the first few (walking the (occurred_at, id) index across every practice's rows).
    await trx.raw('SET LOCAL cursor_tuple_fraction = 1.0')
    await trx.raw(`DECLARE report_rows NO SCROLL CURSOR FOR ${sql}`, bindings as Knex.RawBinding[])
    pending = fetch()
    for (;;) {
      const rows: Rows = await pending
      pending = rows.length === size ? fetch() : undefined
      if (rows.length > 0) yield rows
      if (!pending) break
    }
  } finally {
    if (pending) await pending.catch(() => {})
    await trx.rollback().catch(() => {}) // read only: nothing to keep
  }
}
