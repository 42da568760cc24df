import type { AppLoadContext } from '@remix-run/node'
import type { Scope } from '../../db/queries/scope.js'
import { requireAccess, type Access, type AccessRules } from './access.server.js'
import { readPeriod, requirePeriod } from './period.server.js'

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
  const url = new URL(args.request.url)
  // A page shows a bad period at the field (the root loader reads the same error for the filter
  // bar) and its data for every date meanwhile; a CSV file cannot show it, so it is refused.
  const period = url.pathname.endsWith('.csv') ? requirePeriod(url) : readPeriod(url).period
  return { access, scope: { practiceIds: access.practiceIds, ...period } }
}
