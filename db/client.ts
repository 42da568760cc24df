import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import knexFactory, { type Knex } from 'knex'
import ClientPgLite from 'knex-pglite'
import pg from 'pg'

export type Db = Knex

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string }

export interface DbHandle {
  db: Db
  target: DatabaseTarget
  close(): Promise<void>
}

// One number type for every driver: pg returns int8 (count(), bigserial ids) as strings and
// PGlite as numbers. Our counts and ids stay far below 2^53. Dates stay 'YYYY-MM-DD' strings
// so a calendar day never shifts with the process's time zone.
const INT8 = 20
const DATE = 1082
pg.types.setTypeParser(INT8, (v) => Number(v))
pg.types.setTypeParser(DATE, (v) => v)

export class EmbeddedDatabaseBusyError extends Error {}

/**
 * Opens the reporting database. With a postgres URL: a normal pool. Without: the embedded
 * PGlite database in `dir`, which only one process may open at a time (two processes on the
 * same folder silently lose data), so a lock file with our pid guards it.
 */
export async function openDatabase(target: DatabaseTarget, options: { poolMax?: number } = {}): Promise<DbHandle> {
  if (target.kind === 'postgres') {
    const db = knexFactory({
      client: 'pg',
      // JIT off: PostgreSQL compiles any plan costed above jit_above_cost, and the dashboard's
      // roll-up reads over 150 practices cross it at 10M disclosures; compiling took ~100 ms of a
      // 415 ms query and saved less (docs/decisions/010-performance.md). Nothing here runs long
      // enough to win it back.
      connection: { connectionString: target.url, options: '-c jit=off' },
      pool: { min: 0, max: options.poolMax ?? 10 },
    })
    return { db, target, close: () => db.destroy() }
  }
  const releaseLock = acquireEmbeddedLock(target.dir)
  try {
    fs.mkdirSync(target.dir, { recursive: true })
    const pglite = new PGlite(target.dir, {
      parsers: { [INT8]: (v: string) => Number(v), [DATE]: (v: string) => v },
    })
    await pglite.waitReady
    const db = knexFactory({
      client: ClientPgLite as unknown as typeof Knex.Client,
      dialect: 'postgres',
      connection: () => ({ pglite }) as object,
    } as Knex.Config)
    return {
      db,
      target,
      close: async () => {
        await db.destroy()
        releaseLock()
      },
    }
  } catch (err) {
    releaseLock()
    throw err
  }
}

function acquireEmbeddedLock(dir: string): () => void {
  const lockFile = `${dir}.lock`
  fs.mkdirSync(path.dirname(lockFile), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' })
      let released = false
      const release = () => {
        if (released) return
        released = true
        fs.rmSync(lockFile, { force: true })
      }
      process.once('exit', release)
      return release
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number(fs.readFileSync(lockFile, 'utf8'))
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new EmbeddedDatabaseBusyError(
          `The embedded database in ${dir} is already open in process ${holder}; stop that process first, or set DATABASE_URL to use PostgreSQL, which many processes can share.`,
        )
      }
      fs.rmSync(lockFile, { force: true }) // left behind by a process that died
    }
  }
  throw new EmbeddedDatabaseBusyError(`Could not lock the embedded database in ${dir}.`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs a read as a named prepared statement on PostgreSQL, so each pooled connection parses and
 * plans it once rather than on every request (the header's notification count spent two thirds
 * of its time planning). The name is the SQL's hash, so one name never means two statements.
 * PGlite (the embedded demo database) runs it as an ordinary query. Given a transaction, knex
 * hands back the transaction's own connection, so it sees the transaction's writes.
 */
export async function preparedRows<T>(db: Db, sql: string, bindings: unknown[]): Promise<T[]> {
  if (db.client.config.client !== 'pg') return (await db.raw(sql, bindings as never[])).rows as T[]
  const native = db
    .raw(sql, bindings as never[])
    .toSQL()
    .toNative()
  const name = `prepared_${crypto.createHash('sha256').update(native.sql).digest('hex').slice(0, 24)}`
  const connection = (await db.client.acquireConnection()) as pg.PoolClient
  try {
    return (await connection.query({ name, text: native.sql, values: native.bindings as unknown[] })).rows as T[]
  } finally {
    await db.client.releaseConnection(connection)
  }
}
