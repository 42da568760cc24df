import { openDatabase } from '../../db/client.js'
import { migrateLatest } from '../../db/migrate.js'
import { TEMPLATE_DB, TEST_SERVER_URL, databaseUrl } from './test-env.js'

/**
 * Migrates a template database once per test run; every test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds instead of a full migration.
 */
export default async function setup() {
  const admin = await openDatabase({ kind: 'postgres', url: TEST_SERVER_URL }, { poolMax: 1 })
  try {
    await dropLeftovers(admin.db)
    await admin.db.raw(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await admin.db.raw(`CREATE DATABASE ${TEMPLATE_DB}`)
  } finally {
    await admin.close()
  }
  const template = await openDatabase({ kind: 'postgres', url: databaseUrl(TEMPLATE_DB) }, { poolMax: 1 })
  try {
    await migrateLatest(template.db)
  } finally {
    await template.close()
  }
}

/** Databases of earlier runs that were killed before they could clean up. */
async function dropLeftovers(db: import('knex').Knex) {
  const { rows } = await db.raw(
    `SELECT datname FROM pg_database WHERE datname LIKE 'ledger_t_%' AND datname <> ?`,
    [TEMPLATE_DB],
  )
  for (const { datname } of rows as Array<{ datname: string }>) {
    await db.raw(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  }
}
