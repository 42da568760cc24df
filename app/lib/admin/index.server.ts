import { adminCounts } from '../../../db/queries/admin.js'
import { requireAdmin, type Args } from './shared.server.js'

export async function getAdminIndex(args: Args) {
  const { access, scope } = await requireAdmin(args)
  return { counts: await adminCounts(access.db, scope) }
}
