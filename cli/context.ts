import { ConfigError, loadConfig, type Config } from '../config/env.js'
import { EmbeddedDatabaseBusyError, openDatabase, type DbHandle } from '../db/client.js'
import { migrateLatest } from '../db/migrate.js'
import os from 'node:os'
import type { AdminContext } from '../core/admin/index.js'
import { refreshFindings } from '../core/findings/refresh.js'
import type { RunnerDeps } from '../jobs/runner.js'

/** An error whose message is the whole story: printed as one line, no stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

export function readConfig(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message)
    throw err
  }
}

/**
 * Opens the configured database, brings the schema up to date, and hands out the runner's
 * dependencies. Stops the process cleanly on SIGINT/SIGTERM: jobs finish the batch in hand.
 */
export async function withLedger<T>(fn: (deps: RunnerDeps & { handle: DbHandle }) => Promise<T>): Promise<T> {
  const config = readConfig()
  if (config.usingDevelopmentSecrets) {
    process.stderr.write('WARNING: using the DEVELOPMENT pseudonym key (embedded demo database). Set PSEUDONYM_KEY for real data.\n')
  }
  let handle: DbHandle
  try {
    handle = await openDatabase(config.database)
  } catch (err) {
    if (err instanceof EmbeddedDatabaseBusyError) throw new UserError(err.message)
    throw err
  }
  const stop = new AbortController()
  const onSignal = () => {
    process.stderr.write('Stopping after the batch in hand...\n')
    stop.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await migrateLatest(handle.db)
    return await fn({
      db: handle.db,
      target: handle.target,
      config,
      signal: stop.signal,
      handle,
      log: (line) => process.stderr.write(`${line}\n`),
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await handle.close()
  }
}

/** The core administrative operations (core/admin/) acting as the operating-system user. */
export function adminContextOf(deps: RunnerDeps): AdminContext {
  return {
    db: deps.db,
    by: { userId: null, actor: `cli:${os.userInfo().username}` },
    door: 'cli',
    refreshFindings: () => refreshFindings(deps),
  }
}
