import type { AppLoadContext } from '@remix-run/node'
import { listPromiseEvidence } from '../../db/queries/promises.js'
import { requireScope } from './scope.server.js'

/** The promises page: every signed-in role may read it, for the practices in their scope (as /findings). */
export async function getPromisesPage(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  return { period: { from: scope.from, to: scope.to }, practices: await listPromiseEvidence(access.db, scope) }
}
