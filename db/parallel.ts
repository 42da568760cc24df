import type { Db } from './client.js'

/**
 * Runs independent reads together: in parallel on the pool (each takes its own connection), one
 * after another inside a transaction, whose single connection cannot run two queries at once (pg
 * queues them today with a deprecation warning, and pg 9 refuses). The reports read in one
 * REPEATABLE READ transaction; the pages read from the pool.
 */
export async function readTogether<T extends readonly unknown[]>(db: Db, reads: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if ((db as { isTransaction?: boolean }).isTransaction) {
    const out: unknown[] = []
    for (const read of reads) out.push(await read())
    return out as unknown as T
  }
  return (await Promise.all(reads.map((read) => read()))) as unknown as T
}
