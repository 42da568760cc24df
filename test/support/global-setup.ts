import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../db/client.js'
import { migrateLatest } from '../../db/migrate.js'
import { buildAppIfStale } from './browser.js'
import { TEST_SERVER_URL, databaseUrl } from './test-env.js'

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string
    /** The vitest main process id: names this run's databases so other runs leave them alone. */
    runPid: number
  }
}

/**
 * Migrates a template database once per test run; every test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds instead of a full migration. The
 * template's name is this run's own, so two runs on one server never trip over each other.
 */
export default async function setup(project: TestProject) {
  buildAppIfStale()
  const template = `ledger_tpl_${process.pid}`
  const admin = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
  try {
    await dropLeftovers(admin.db)
    await admin.db.raw(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)
    await admin.db.raw(`CREATE DATABASE ${template}`)
  } finally {
    await admin.close()
  }
  const handle = await openDatabase({ kind: 'postgres', url: databaseUrl(template) }, { poolMax: 1 })
  try {
    await migrateLatest(handle.db)
  } finally {
    await handle.close()
  }
  project.provide('templateDb', template)
  project.provide('runPid', process.pid)
  return async () => {
    const a = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
    try {
      await a.db.raw(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)
    } finally {
      await a.close()
    }
  }
}

/**
 * Databases of earlier runs that were killed before they could clean up. Each name carries the
 * pid of the run that made it (ledger_tpl_<pid>, ledger_t_<pid>_<random>); a run still alive,
 * even one started by someone else on this server, keeps its databases.
 */
async function dropLeftovers(db: import('knex').Knex) {
  const { rows } = await db.raw(`SELECT datname FROM pg_database WHERE datname ~ '^ledger_(tpl|t)_[0-9]+'`)
  for (const { datname } of rows as Array<{ datname: string }>) {
    const pid = Number(/^ledger_(?:tpl|t)_(\d+)/.exec(datname)![1])
    if (isAlive(pid)) continue
    await db.raw(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
