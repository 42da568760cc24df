import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { listFindings } from '../../db/queries/findings.js'
import { csvExport } from './csv.server.js'
import { requireScope } from './scope.server.js'

const FilterSchema = z.object({
  status: z.enum(['open', 'accepted', 'resolved']).optional(),
  severity: z.enum(['high', 'medium', 'low']).optional(),
})

function readFilter(url: URL) {
  const raw = { status: url.searchParams.get('status') || undefined, severity: url.searchParams.get('severity') || undefined }
  const parsed = FilterSchema.safeParse(raw)
  if (!parsed.success) throw new Response('Choose a status (open, accepted, resolved) and a severity (high, medium, low) from the lists.', { status: 400 })
  return parsed.data
}

export async function getFindingsPage(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const filter = readFilter(new URL(args.request.url))
  return { period: { from: scope.from, to: scope.to }, filter, findings: await listFindings(access.db, scope, filter) }
}

export async function exportFindings(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const rows = await listFindings(access.db, scope, readFilter(url))
  return csvExport(access, {
    name: 'findings',
    url,
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'rule', value: (r) => r.ruleId },
      { header: 'severity', value: (r) => r.severity },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'status', value: (r) => r.status },
      { header: 'opened_at', value: (r) => r.openedAt },
      { header: 'summary', value: (r) => r.summary },
    ],
  })
}
