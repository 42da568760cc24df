import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { PSEUDONYM_PATTERN } from '../../jobs/pseudonym.js'
import { ledgerStatusForPage } from '../../db/ledger/index.js'
import { countAuditLog, listAuditActions, listAuditLog, type AuditLogFilter } from '../../db/queries/audit-log.js'
import type { Scope } from '../../db/queries/scope.js'
import type { Role } from '../../db/queries/users.js'
import type { Access } from './access.server.js'
import { csvExport } from './csv.server.js'
import { readQuery } from './request.server.js'
import { requireScope } from './scope.server.js'

type Args = { request: Request; context: AppLoadContext }

/**
 * Who may read the access log: auditors and Caldicott guardians (entries concerning their
 * practices) and administrators (all, system-wide entries included).
 */
export const AUDIT_LOG_ROLES: readonly Role[] = ['auditor', 'caldicott_guardian', 'admin']
export const ENTRIES_PER_PAGE = 50
const CSV_MAX_ROWS = 100_000

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v)

const FilterSchema = z.object({
  action: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(64)
      .regex(/^[a-z0-9_:-]+$/, 'choose an action from the list')
      .optional(),
  ),
  actor: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.trim()) : blankToUndefined(v)),
    z.string().max(200, 'the user search is longer than 200 characters').optional(),
  ),
  outcome: z.preprocess(
    blankToUndefined,
    z.enum(['ok', 'denied', 'failed'], { message: 'the outcome must be ok, denied or failed' }).optional(),
  ),
  patient: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toUpperCase()) : blankToUndefined(v)),
    z.string().regex(PSEUDONYM_PATTERN, 'the patient is a pseudonym like P-7F3A-0001-XXXX (never an NHS number)').optional(),
  ),
  page: z.preprocess(blankToUndefined, z.coerce.number({ message: 'the page must be a number' }).int().min(1).max(1_000_000).default(1)),
})

function readFilter(url: URL) {
  return readQuery(url, FilterSchema, ['action', 'actor', 'outcome', 'patient', 'page'])
}

/**
 * The rows an access-log reader may see: entries concerning a practice in their scope; and, for
 * administrators who did not narrow the view with ?practice=, the system-wide entries.
 */
function logFilter(access: Access, url: URL, f: ReturnType<typeof readFilter>): AuditLogFilter {
  const includeUnattributed = access.viewer.role === 'admin' && !url.searchParams.getAll('practice').some(Boolean)
  return { action: f.action, actor: f.actor, outcome: f.outcome, patient: f.patient, includeUnattributed }
}

async function readAccess(args: Args): Promise<{ access: Access; scope: Scope; url: URL }> {
  const { access, scope } = await requireScope(args, { roles: AUDIT_LOG_ROLES })
  return { access, scope, url: new URL(args.request.url) }
}

export async function getAuditLogPage(args: Args) {
  const { access, scope, url } = await readAccess(args)
  const f = readFilter(url)
  const filter = logFilter(access, url, f)
  const [rows, total, actions, ledger] = await Promise.all([
    listAuditLog(access.db, scope, filter, { limit: ENTRIES_PER_PAGE, offset: (f.page - 1) * ENTRIES_PER_PAGE }),
    countAuditLog(access.db, scope, filter),
    listAuditActions(access.db, scope, filter.includeUnattributed),
    ledgerStatusForPage(access.db, access.viewer.role === 'admin'),
  ])
  return {
    period: { from: scope.from, to: scope.to },
    filter: { action: f.action ?? null, actor: f.actor ?? null, outcome: f.outcome ?? null, patient: f.patient ?? null },
    actions,
    ledger,
    entries: {
      rows: rows.map((r) => ({ ...r, detail: r.detail ? JSON.stringify(r.detail) : null })),
      total,
      page: f.page,
      pageSize: ENTRIES_PER_PAGE,
    },
  }
}

/** /audit-log.csv: the same filters, every page; the export is itself written to the log. */
export async function exportAuditLog(args: Args) {
  const { access, scope, url } = await readAccess(args)
  const filter = logFilter(access, url, readFilter(url))
  const rows = await listAuditLog(access.db, scope, filter, { limit: CSV_MAX_ROWS, offset: 0 })
  return csvExport(access, {
    name: 'access-log',
    url,
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'at', value: (r) => r.at },
      { header: 'user_id', value: (r) => r.userId },
      { header: 'actor', value: (r) => r.actor },
      { header: 'action', value: (r) => r.action },
      { header: 'outcome', value: (r) => r.outcome },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'target', value: (r) => r.target },
      { header: 'ip', value: (r) => r.ip },
      { header: 'detail', value: (r) => (r.detail ? JSON.stringify(r.detail) : null) },
    ],
  })
}
