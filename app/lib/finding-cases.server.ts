import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { listCaseFindings, listCases, type CaseRow } from '../../db/queries/finding-cases.js'
import type { Role } from '../../db/queries/users.js'
import { setCaseStatus } from '../../core/findings/status.js'
import { caseHref, describeCase } from '../../core/findings/cases.js'
import { RULE_IDS, getRule, type RuleId } from '../../core/findings/index.js'
import { FINDING_STATUS_LABELS } from '../../core/labels.js'
import { notFound } from './access.server.js'
import { readFormWith, readQuery } from './request.server.js'
import { FINDING_REASON_LIMIT } from './limits.js'
import { csvExport } from './csv.server.js'
import { requireScope } from './scope.server.js'

// Findings grouped by cause (decision 036): /findings lists the cases, /findings/case shows one
// with its findings, and a decision there is taken for the whole case at once.

export const CASES_PER_PAGE = 25
export const CASE_FINDINGS_PER_PAGE = 100
/** The CSV lists every case; far more than an ICB's practices have, and it keeps the export bounded. */
const CSV_CASE_LIMIT = 100_000

/** Who may accept or resolve findings: the people accountable for the practice's sharing (as for one finding). */
const DECIDERS: readonly Role[] = ['caldicott_guardian', 'practice_manager']

const Status = z.enum(['open', 'accepted', 'resolved'])
const Page = z.coerce.number().int().min(1).max(1_000_000).default(1)
const FilterSchema = z.object({
  status: Status.default('open'),
  severity: z.enum(['high', 'medium', 'low']).optional(),
  rule: z.enum(RULE_IDS as [RuleId, ...RuleId[]]).optional(),
  page: Page,
})
const CaseSchema = z.object({
  status: Status.default('open'),
  rule: z.enum(RULE_IDS as [RuleId, ...RuleId[]]),
  key: z.string().min(3).max(300),
  page: Page,
})

function view(c: CaseRow) {
  const d = describeCase(c)
  return { ...c, ruleTitle: getRule(c.ruleId)?.title ?? c.ruleId, subject: d.subject, action: d.action, href: caseHref(c) }
}

/** /findings: one page of cases, most severe first, then those with most findings. */
export async function getCasesPage(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readQuery(
    url,
    FilterSchema,
    ['status', 'severity', 'rule', 'page'],
    'Choose a status (open, accepted, resolved), a severity (high, medium, low), a rule from the lists and a page number.',
  )
  const { cases, total } = await listCases(access.db, scope, filter, {
    limit: CASES_PER_PAGE,
    offset: (filter.page - 1) * CASES_PER_PAGE,
  })
  return {
    period: { from: scope.from, to: scope.to },
    filter,
    rules: RULE_IDS.map((id) => ({ id, title: getRule(id)?.title ?? id })),
    cases: cases.map(view),
    total,
    pages: Math.max(1, Math.ceil(total / CASES_PER_PAGE)),
    pageSize: CASES_PER_PAGE,
    isAdmin: access.viewer.role === 'admin',
  }
}

/** The case a request names; a case of another practice, or none, is a 404. */
async function caseOf(args: { request: Request; context: AppLoadContext }, rules: { roles?: readonly Role[] } = {}) {
  const { access, scope } = await requireScope(args, rules)
  const url = new URL(args.request.url)
  const q = readQuery(url, CaseSchema, ['status', 'rule', 'key', 'page'], 'Open a case from the list of findings.')
  // The practice picker names the case's practice: exactly one.
  if (scope.practiceIds.length !== 1) throw notFound()
  const { cases } = await listCases(
    access.db,
    { practiceIds: scope.practiceIds },
    { status: q.status, rule: q.rule, caseKey: q.key },
    { limit: 1, offset: 0 },
  )
  if (cases.length === 0) throw notFound()
  return { access, query: q, found: cases[0]! }
}

/** /findings/case: one case, what resolves it, and its findings (paged), newest first. */
export async function getCasePage(args: { request: Request; context: AppLoadContext }) {
  const { access, query, found } = await caseOf(args)
  const findings = await listCaseFindings(access.db, found, {
    limit: CASE_FINDINGS_PER_PAGE,
    offset: (query.page - 1) * CASE_FINDINGS_PER_PAGE,
  })
  const rule = getRule(found.ruleId)
  return {
    case: view(found),
    explanation: rule?.explanation ?? null,
    findings,
    page: query.page,
    pages: Math.max(1, Math.ceil(found.findings / CASE_FINDINGS_PER_PAGE)),
    pageSize: CASE_FINDINGS_PER_PAGE,
    canDecide: DECIDERS.includes(access.viewer.role),
    isAdmin: access.viewer.role === 'admin',
  }
}

const DecisionSchema = z.object({
  status: z.enum(['accepted', 'resolved', 'open'], { message: 'Choose accept, resolve or reopen.' }),
  reason: z
    .string()
    .trim()
    .min(1, 'Write the reason for this decision.')
    .max(FINDING_REASON_LIMIT, 'The reason is longer than 4,000 characters: shorten it.'),
})

/** A decision for the whole case: every finding of it in the case's status, in one statement. */
export async function decideCase(args: { request: Request; context: AppLoadContext }) {
  const { access, found } = await caseOf(args, { roles: DECIDERS })
  const read = await readFormWith(args.request, DecisionSchema, { fields: ['status', 'reason'] })
  if (!read.ok) {
    return {
      ok: false as const,
      message: Object.values(read.errors)[0]!,
      errors: read.errors,
      values: read.values as { reason: string; status: string },
    }
  }
  const result = await setCaseStatus(
    access.db,
    { ruleId: found.ruleId, practiceId: found.practiceId, caseKey: found.caseKey, from: found.status },
    read.data.status,
    read.data.reason,
    access.viewer.id,
  )
  await access.log('finding_status', {
    practiceId: found.practiceId,
    target: `case:${found.ruleId}:${found.caseKey}`,
    detail: { from: result.from, to: result.to, findings: result.changed },
  })
  const to = FINDING_STATUS_LABELS[result.to].toLowerCase()
  return {
    ok: true as const,
    changed: result.changed,
    message:
      result.changed === 0
        ? 'No finding of this case was left to change.'
        : `${result.changed} finding${result.changed === 1 ? ' is' : 's are'} now ${to}.`,
    next: caseHref({ ...found, status: result.to }),
  }
}

/** findings.csv: one row per case, as on the page, every case of the filters. */
export async function exportCases(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readQuery(
    url,
    FilterSchema,
    ['status', 'severity', 'rule', 'page'],
    'Choose a status, a severity and a rule from the lists.',
  )
  const { cases } = await listCases(access.db, scope, filter, { limit: CSV_CASE_LIMIT, offset: 0 })
  return csvExport(access, {
    name: 'finding-cases',
    url,
    rows: cases.map(view),
    columns: [
      { header: 'rule', value: (r) => r.ruleId },
      { header: 'severity', value: (r) => r.severity },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'status', value: (r) => r.status },
      { header: 'case', value: (r) => r.caseKey },
      { header: 'about', value: (r) => r.subject },
      { header: 'findings', value: (r) => r.findings },
      { header: 'first', value: (r) => r.firstAt },
      { header: 'last', value: (r) => r.lastAt },
      { header: 'to_resolve', value: (r) => r.action.text },
    ],
  })
}
