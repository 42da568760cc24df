import type { AppLoadContext } from '@remix-run/node'
import type { Db } from '../../db/client.js'

/**
 * The database of this process. server.ts opens it once and hands it to every request as load
 * context, so the app never opens a connection of its own (the embedded database allows one).
 */
export function getDb(context: AppLoadContext): Db {
  if (!context.db) {
    throw new Error('No database in the load context: start the app with `npm start` (server.ts), not remix-serve.')
  }
  return context.db
}
