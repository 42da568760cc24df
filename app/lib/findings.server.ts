import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { getFinding, listFindings } from '../../db/queries/findings.js'
import type { Role } from '../../db/queries/users.js'
import { setFindingStatus } from '../../core/findings/status.js'
import { refreshFindings } from '../../core/findings/refresh.js'
import { promiseEntry, promisesCheckedBy } from '../../core/promises.js'
import { RULE_IDS, getRule, type RuleId } from '../../core/findings/index.js'
import { caseHref } from '../../core/findings/cases.js'
import { notFound, requirePractice, type Access } from './access.server.js'
import { readFormWith, readQuery } from './request.server.js'
import { FINDING_REASON_LIMIT } from './limits.js'
import { csvExport } from './csv.server.js'
import { requireScope } from './scope.server.js'

const FilterSchema = z.object({
  status: z.enum(['open', 'accepted', 'resolved']).optional(),
  severity: z.enum(['high', 'medium', 'low']).optional(),
  rule: z.enum(RULE_IDS as [RuleId, ...RuleId[]]).optional(),
})

function readFilter(url: URL) {
  return readQuery(
    url,
    FilterSchema,
    ['status', 'severity', 'rule'],
    'Choose a status (open, accepted, resolved), a severity (high, medium, low) and a rule from the lists.',
  )
}

export async function getFindingsPage(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const filter = readFilter(new URL(args.request.url))
  const findings = await listFindings(access.db, scope, filter)
  // Rules by their titles, not their ids (issue 13): the id stays in the CSV and the filter's value.
  return {
    period: { from: scope.from, to: scope.to },
    filter,
    rules: RULE_IDS.map((id) => ({ id, title: getRule(id)?.title ?? id })),
    findings: findings.map((f) => ({ ...f, ruleTitle: getRule(f.ruleId)?.title ?? f.ruleId })),
  }
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
      { header: 'case', value: (r) => r.caseKey },
    ],
  })
}

const EVIDENCE_LINKS: Record<string, (id: number) => string> = {
  disclosure: (id) => `/disclosures/${id}`,
  override: (id) => `/overrides/${id}`,
  quarantine: (id) => `/jobs/quarantine/${id}`,
  source: (id) => `/jobs?source=${id}`,
  job_run: () => `/jobs`,
}

/** One finding: what was found, why it matters (the rule's explanation), the evidence, the history. */
export async function getFindingPage(args: { request: Request; context: AppLoadContext; params: { id?: string } }) {
  const { access } = await requireScope(args)
  const finding = await findingInScope(access, args.params.id)
  const rule = getRule(finding.ruleId)
  return {
    finding: {
      ...finding,
      evidence: finding.evidence.map((e) => ({ ...e, href: EVIDENCE_LINKS[e.type]?.(e.id) ?? null })),
      // The case it belongs to (decision 036), where a decision can be taken for all of its findings.
      caseHref: finding.practiceOds
        ? caseHref({ practiceOds: finding.practiceOds, ruleId: finding.ruleId, caseKey: finding.caseKey, status: finding.status })
        : null,
    },
    rule: rule ? { title: rule.title, explanation: rule.explanation } : null,
    // The catalogue promises this rule checks (core/promises.ts), for the link to /promises.
    promises: promisesCheckedBy(finding.ruleId).map((code) => promiseEntry(code)!.title),
    canDecide: DECIDERS.includes(access.viewer.role),
  }
}

/** Who may accept or resolve a finding: the people accountable for the practice's sharing. */
const DECIDERS: readonly Role[] = ['caldicott_guardian', 'practice_manager']

const DecisionSchema = z.object({
  status: z.enum(['accepted', 'resolved', 'open'], { message: 'Choose accept, resolve or reopen.' }),
  reason: z
    .string()
    .trim()
    .min(1, 'Write the reason for this decision.')
    .max(FINDING_REASON_LIMIT, 'The reason is longer than 4,000 characters: shorten it.'),
})

export async function decideFinding(args: { request: Request; context: AppLoadContext; params: { id?: string } }) {
  const { access } = await requireScope(args, { roles: DECIDERS })
  const finding = await findingInScope(access, args.params.id)
  const read = await readFormWith(args.request, DecisionSchema, { fields: ['status', 'reason'] })
  if (!read.ok) {
    // Each message goes beside its field and into the error summary; the typed reason comes back.
    return {
      ok: false as const,
      message: Object.values(read.errors)[0]!,
      errors: read.errors,
      values: read.values as { reason: string; status: string },
    }
  }
  const result = await setFindingStatus(access.db, finding.id, read.data.status, read.data.reason, access.viewer.id)
  await access.log('finding_status', {
    practiceId: finding.practiceId,
    target: `finding:${finding.id}`,
    detail: { from: result.from, to: result.to, changed: result.changed },
  })
  return { ok: true as const, message: result.changed ? `The finding is now ${result.to}.` : `The finding was already ${result.to}.` }
}

async function findingInScope(access: Access, rawId: string | undefined) {
  const id = Number(rawId)
  if (!Number.isSafeInteger(id) || id <= 0) throw notFound()
  const finding = await getFinding(access.db, id)
  if (!finding) throw notFound()
  requirePractice(access, finding.practiceId)
  return finding
}

/**
 * Brings the findings up to date straight after a change made on a page (an agreement added,
 * an override reviewed), so the guardian sees the consequence at once rather than after the
 * next collection. A failure here must not undo the change: it is logged, and the next
 * scheduled refresh catches up.
 */
export async function refreshFindingsAfterChange(access: Access): Promise<void> {
  try {
    await refreshFindings({ db: access.db, config: access.config })
  } catch (err) {
    console.error(`findings refresh after a change failed: ${(err as Error).message}`)
  }
}
