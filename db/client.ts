import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import knexFactory, { type Knex } from 'knex'
import ClientPgLite from 'knex-pglite'
import pg from 'pg'

export type Db = Knex

/**
 * `preparedReads` (PostgreSQL, default on): the reads marked by planOnce() run as named prepared
 * statements (prepareReads below). Off for a pooler that cannot keep them, such as PgBouncer in
 * transaction mode. 'every read' only for comparing plans (bench/plans.ts).
 */
export type DatabaseTarget = { kind: 'postgres'; url: string; preparedReads?: boolean | 'every read' } | { kind: 'embedded'; dir: string }

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
/** The query option planOnce() sets; knex passes a query's options on to pg with its text. */
const PLAN_ONCE = 'planOnce'

/**
 * Marks a read to be prepared once per connection and, after five runs, planned once (decision
 * 045): for the reads every page makes, each of which took longer to parse and plan than to
 * run. Only for reads whose best plan does not depend on their values, such as the roll-up
 * reads: a read of the raw disclosures over a period does not qualify (at 10M, its generic plan
 * took 14 s where planning it anew took 1.6 s). On PGlite it runs as any query.
 */
export function planOnce<Q extends { options(options: Readonly<Record<string, unknown>>): Q }>(query: Q): Q {
  return query.options({ [PLAN_ONCE]: true })
}

type QueryCallback = (err: (Error & { code?: string }) | null, result?: unknown) => void
type QueryConfig = { text: string; values?: unknown[]; [PLAN_ONCE]?: boolean }

/**
 * Runs each read marked by planOnce() on this connection as a named prepared statement:
 * PostgreSQL parses it once per connection and, after five runs, uses a generic plan where it
 * judges that no worse than planning anew (plan_cache_mode auto). The name is the text's hash,
 * so one name never means two statements. After a migration changes a table's columns, a
 * statement reading it fails once with PLAN_RESULT_CHANGED; it is then prepared again under a
 * new name, and re-run at once if no transaction was open (else the transaction fails as any
 * would). Unmarked statements, and calls not shaped like knex's (a config and a callback), pass
 * through untouched.
 */
function prepareReads(client: pg.Client, everyRead: boolean) {
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
    if (rest.length !== 1 || typeof callback !== 'function' || !isRead(config, everyRead)) return query(config, ...rest)
    const { [PLAN_ONCE]: _marked, ...plain } = config
    const name = nameFor(plain.text)
    if (name === undefined) return query(plain, callback)
    return query({ ...plain, name }, (err: (Error & { code?: string }) | null, result?: unknown) => {
      if (err?.code !== PLAN_RESULT_CHANGED) return callback(err, result)
      names.delete(plain.text)
      generation++
      if (client.getTransactionStatus() !== 'I') return callback(err)
      const renamed = nameFor(plain.text)
      query(renamed === undefined ? plain : { ...plain, name: renamed }, callback)
    })
  }
}

function isRead(config: unknown, everyRead: boolean): config is QueryConfig {
  if (typeof config !== 'object' || config === null || 'name' in config) return false
  const { text, [PLAN_ONCE]: marked } = config as Partial<QueryConfig>
  return (marked === true || everyRead) && typeof text === 'string' && text.length <= MAX_PREPARED_TEXT && /^\s*(select|with)\b/i.test(text)
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
          if (target.preparedReads !== false) prepareReads(client, target.preparedReads === 'every read')
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
