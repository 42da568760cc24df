import crypto from 'node:crypto'
import { afterAll, beforeAll, inject } from 'vitest'
import { openDatabase, type Db, type DbHandle } from '../../db/client.js'
import { TEST_SERVER_URL, databaseUrl } from './test-env.js'

export interface TestDatabase {
  /** The knex instance; valid inside tests (after beforeAll). */
  readonly db: Db
  /** Connection string of this file's database, for child processes. */
  readonly url: string
  readonly name: string
}

/** Creates a throwaway database, cloned from the migrated template, for one test file. */
export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const name = `ledger_t_${inject('runPid')}_${crypto.randomBytes(5).toString('hex')}`
  const admin = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
  try {
    await admin.db.raw(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`)
  } finally {
    await admin.close()
  }
  const url = databaseUrl(name)
  const handle: DbHandle = await openDatabase({ kind: 'postgres', url })
  return {
    db: handle.db,
    url,
    name,
    async drop() {
      await handle.close()
      const a = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
      try {
        await a.db.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await a.close()
      }
    },
  }
}

/** Registers beforeAll/afterAll hooks that give this test file its own database. */
export function useTestDatabase(): TestDatabase {
  let current: Awaited<ReturnType<typeof createTestDatabase>> | undefined
  beforeAll(async () => {
    current = await createTestDatabase()
  })
  afterAll(async () => {
    await current?.drop()
  })
  const need = () => {
    if (!current) throw new Error('useTestDatabase(): the database is only ready inside tests')
    return current
  }
  return {
    get db() {
      return need().db
    },
    get url() {
      return need().url
    },
    get name() {
      return need().name
    },
  }
}
