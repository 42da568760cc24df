import type { AppLoadContext } from '@remix-run/node'
import type { Scope } from '../../db/queries/scope.js'
import { requireAccess, type Access, type AccessRules } from './access.server.js'
import { readPeriod } from './period.server.js'

/**
 * requireAccess plus the page's filters that every page keeps: ?practice= (already narrowed
 * to the viewer's practices by requireAccess) and ?from=&to=. The Scope it returns is what
 * every query takes, so no query can forget the practice limit.
 */
export async function requireScope(
  args: { request: Request; context: AppLoadContext },
  rules: AccessRules = {},
): Promise<{ access: Access; scope: Scope }> {
  const access = await requireAccess(args, rules)
  const period = readPeriod(new URL(args.request.url))
  return { access, scope: { practiceIds: access.practiceIds, ...period } }
}
