import type { AppLoadContext } from '@remix-run/node'
import { DSPT_ITEMS } from '../../core/dspt.js'
import { latestReportsByKind } from '../../db/queries/dspt.js'
import { requireScope } from './scope.server.js'

/**
 * /dspt: the DSPT evidence index (core/dspt.ts, decision 035) for the viewer's practices, with when
 * each report it cites was last produced for them. Every signed-in role may read it: it names
 * pages and reports, never a record.
 */
export async function getDsptPage(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const latest = await latestReportsByKind(access.db, scope.practiceIds)
  return {
    practices: access.viewer.practices.filter((p) => scope.practiceIds.includes(p.id)).map((p) => `${p.name} (${p.odsCode})`),
    items: DSPT_ITEMS.map((item) => ({
      ...item,
      evidence: item.evidence.map((e) => ({ ...e, lastProduced: e.report ? (latest.get(e.report.kind)?.toISOString() ?? null) : null })),
    })),
  }
}
