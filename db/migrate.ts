import type { Knex } from 'knex'
import { migrationSource } from './migrations/index.js'

/** Brings the reporting schema to the latest version; returns the names of migrations applied. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]]
  return applied
}

export async function migrateRollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true)
}
