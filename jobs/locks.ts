import pg from 'pg'
import type { DatabaseTarget } from '../db/client.js'

/** Releases a held lock. */
export type Release = () => Promise<void>

/**
 * At most one run of a job per source at a time, across any number of runner processes.
 *
 * PostgreSQL: a session-level advisory lock held on a dedicated connection for the length of
 * the run. It cannot go through the knex pool (the unlock could land on another connection),
 * and it dies with the connection, so a SIGKILLed runner never leaves a stuck lock behind.
 *
 * Embedded (PGlite): one process owns the database (see db/client.ts), so an in-process set
 * is the whole truth.
 */
export interface JobLocks {
  tryAcquire(key: string): Promise<Release | null>
}

const LOCK_NAMESPACE = 'sharing-ledger:job'

export function createJobLocks(target: DatabaseTarget): JobLocks {
  return target.kind === 'postgres' ? advisoryLocks(target.url) : inProcessLocks()
}

function advisoryLocks(url: string): JobLocks {
  return {
    async tryAcquire(key) {
      const client = new pg.Client({ connectionString: url, application_name: `ledger-lock ${key}` })
      await client.connect()
      try {
        const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', [LOCK_NAMESPACE, key])
        if (!rows[0].locked) {
          await client.end()
          return null
        }
      } catch (err) {
        await client.end().catch(() => {})
        throw err
      }
      client.on('error', () => {}) // the run notices a lost database on its own connections
      return async () => {
        await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [LOCK_NAMESPACE, key]).catch(() => {})
        await client.end().catch(() => {})
      }
    },
  }
}

function inProcessLocks(): JobLocks {
  const held = new Set<string>()
  return {
    async tryAcquire(key) {
      if (held.has(key)) return null
      held.add(key)
      return async () => {
        held.delete(key)
      }
    },
  }
}
