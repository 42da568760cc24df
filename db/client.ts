import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import knexFactory, { type Knex } from 'knex'
import ClientPgLite from 'knex-pglite'
import pg from 'pg'

export type Db = Knex

/**
 * `preparedReads` (PostgreSQL, default on): reads run as named prepared statements (prepareReads
 * below). Off for a pooler that cannot keep them, such as PgBouncer in transaction mode.
 */
export type DatabaseTarget = { kind: 'postgres'; url: string; preparedReads?: boolean } | { kind: 'embedded'; dir: string }

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

/** Distinct reads one connection keeps prepared: a generic plan holds backend memory. */
export const MAX_PREPARED_READS = 200
/** Longer texts (an IN list of thousands) are rarely repeated; they run unnamed. */
const MAX_PREPARED_TEXT = 16_000
/** PostgreSQL: "cached plan must not change result type" (a table's columns changed under it). */
const PLAN_RESULT_CHANGED = '0A000'

type QueryCallback = (err: (Error & { code?: string }) | null, result?: unknown) => void

/**
 * Runs every read (SELECT or WITH) on this connection as a named prepared statement, so
 * PostgreSQL parses it once per connection and, after five runs, plans it once (a generic plan,
 * where PostgreSQL judges it no worse than planning anew). A page's dozen roll-up reads each
 * spent more time being parsed and planned than executed (decision 045). The name is the text's
 * hash, so one name never means two statements. After a migration changes a table's columns, a
 * statement reading it fails once with PLAN_RESULT_CHANGED; it is then prepared again under a new
 * name, and re-run at once if no transaction was open (else the transaction fails as any would).
 * Only knex's call shape (a config object and a callback) is touched; streams pass through.
 */
function prepareReads(client: pg.Client) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const names = new Map<string, string>()
  let generation = 0
  const nameFor = (text: string) => {
    let name = names.get(text)
    if (name === undefined && names.size < MAX_PREPARED_READS) {
      name = `read_${generation}_${crypto.createHash('sha256').update(text).digest('hex').slice(0, 24)}`
      names.set(text, name)
    }
    return name
  }
  ;(client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
    const callback = rest[0] as QueryCallback | undefined
    if (rest.length !== 1 || typeof callback !== 'function' || !isPlainRead(config)) return query(config, ...rest)
    const name = nameFor(config.text)
    if (name === undefined) return query(config, ...rest)
    return query({ ...config, name }, (err: (Error & { code?: string }) | null, result?: unknown) => {
      if (err?.code !== PLAN_RESULT_CHANGED) return callback(err, result)
      names.delete(config.text)
      generation++
      if (client.getTransactionStatus() !== 'I') return callback(err)
      const renamed = nameFor(config.text)
      query(renamed === undefined ? config : { ...config, name: renamed }, callback)
    })
  }
}

function isPlainRead(config: unknown): config is { text: string; values?: unknown[] } {
  if (typeof config !== 'object' || config === null || 'name' in config || 'submit' in config) return false
  const text = (config as { text?: unknown }).text
  return typeof text === 'string' && text.length <= MAX_PREPARED_TEXT && /^\s*(select|with)\b/i.test(text)
}

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
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        afterCreate(client: pg.Client, done: (err: Error | null, client: pg.Client) => void) {
          if (target.preparedReads !== false) prepareReads(client)
          done(null, client)
        },
      },
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
