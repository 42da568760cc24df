import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { DECISION_KIND_LABELS, FINDING_STATUS_LABELS, OVERRIDE_KIND_LABELS, USER_ROLE_LABELS, VERDICT_LABELS } from '../../core/labels.js'
import { DECISION_KINDS, listDecisions, type DecisionRow } from '../../db/queries/decision-register.js'
import { caseWithSubject, describeCaseKeys, type CaseRow } from '../../db/queries/finding-cases.js'
import type { FindingStatus } from '../../db/queries/findings.js'
import type { Db } from '../../db/client.js'
import { caseHref, describeCase } from '../../core/findings/cases.js'
import { getRule } from '../../core/findings/index.js'
import type { Role } from '../../db/queries/users.js'
import { csvExport } from './csv.server.js'
import { readQuery } from './request.server.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { requireScope } from './scope.server.js'

type Args = { request: Request; context: AppLoadContext }

/** Who reads the register: the guardian whose record it is, and those who check it. */
export const REGISTER_ROLES: readonly Role[] = ['caldicott_guardian', 'auditor', 'practice_manager']
export const DECISIONS_PER_PAGE = 50
const CSV_MAX_ROWS = 100_000

/** The filter's options: plural, and saying what each holds. */
export const KIND_OPTIONS = [
  { value: 'review', label: 'Override reviews' },
  { value: 'countersignature', label: 'Countersignatures and declines' },
  { value: 'accepted_risk', label: 'Accepted risks (findings accepted)' },
  { value: 'finding', label: 'Findings resolved or reopened' },
] as const

const FilterSchema = z.object({
  kind: z.enum(DECISION_KINDS, { message: 'choose a kind of decision from the list' }).optional(),
  page: z.coerce
    .number({ message: 'the page must be a number' })
    .int('the page must be a whole number')
    .min(1, 'pages start at 1')
    .max(1_000_000, 'there are not that many pages')
    .default(1),
})

function readFilter(url: URL) {
  return readQuery(url, FilterSchema, ['kind', 'page'])
}

const statusWord = (s: string | null) => (s ? (FINDING_STATUS_LABELS[s as keyof typeof FINDING_STATUS_LABELS] ?? s).toLowerCase() : 'none')
const verdictWord = (v: string | null) => (v ? (VERDICT_LABELS[v as keyof typeof VERDICT_LABELS] ?? v) : '')

/** The cases among the rows, as CaseRows with what their keys name: a case decision is described as the case is on /findings. */
async function casesOf(db: Db, rows: DecisionRow[]): Promise<Map<string, CaseRow>> {
  const decided = rows.filter((r) => r.subjectType === 'case')
  const subjects = await describeCaseKeys(db, [...new Set(decided.map((r) => r.caseKey!))])
  const cases = new Map<string, CaseRow>()
  for (const r of decided) {
    const base = { ruleId: r.ruleId!, practiceId: 0, practiceOds: r.practiceOds, caseKey: r.caseKey!, severity: 'low' as const }
    cases.set(
      r.key,
      caseWithSubject({ ...base, status: r.decision as FindingStatus, findings: r.findings!, firstAt: null, lastAt: null }, subjects),
    )
  }
  return cases
}

/** A row in words, the same on the page and in the CSV. Patients appear only as pseudonyms. */
export function describeDecision(r: DecisionRow, cases: Map<string, CaseRow>) {
  const c = cases.get(r.key)
  const about =
    r.subjectType === 'override'
      ? `Override ${r.subjectId}: ${OVERRIDE_KIND_LABELS[r.overrideKind ?? ''] ?? r.overrideKind}, patient ${r.patientPseudonym}, ${formatDateTime(r.occurredAt!)}`
      : c
        ? `${formatCount(c.findings)} findings of a case: ${getRule(c.ruleId)?.title ?? c.ruleId}, ${c.practiceOds} ${describeCase(c).subject}`
        : `Finding ${r.subjectId}: ${r.findingSummary}`
  let decision: string
  if (r.kind === 'review') {
    decision = [verdictWord(r.decision), r.escalated ? 'escalated' : null, r.standing ? 'standing' : 'superseded by a later review']
      .filter(Boolean)
      .join('; ')
  } else if (r.kind === 'countersignature') {
    decision = `${r.decision === 'countersigned' ? 'Countersigned' : 'Declined to countersign'} (review: ${verdictWord(r.previous)})`
  } else {
    const verb =
      r.decision === 'accepted' ? 'Accepted' : r.decision === 'resolved' ? 'Resolved' : r.decision === 'open' ? 'Reopened' : r.decision
    decision = `${verb} (was ${statusWord(r.previous)})`
  }
  return {
    key: r.key,
    kind: r.kind,
    kindLabel: DECISION_KIND_LABELS[r.kind],
    at: r.at,
    practiceOds: r.practiceOds,
    practiceName: r.practiceName,
    about,
    // A case's findings are now in the decision's status: the link opens the case there.
    href: r.subjectType === 'override' ? `/overrides/${r.subjectId}` : c ? caseHref(c) : `/findings/${r.subjectId}`,
    patientPseudonym: r.patientPseudonym,
    decision,
    reasons: r.reasons,
    by: r.byName,
    byRole: USER_ROLE_LABELS[r.byRole as Role] ?? r.byRole,
  }
}

export async function getDecisionRegisterPage(args: Args) {
  const { access, scope } = await requireScope(args, { roles: REGISTER_ROLES })
  const f = readFilter(new URL(args.request.url))
  const { total, rows } = await listDecisions(
    access.db,
    scope,
    { kind: f.kind },
    { limit: DECISIONS_PER_PAGE, offset: (f.page - 1) * DECISIONS_PER_PAGE },
  )
  // The register names patients (override events) by pseudonym: looking is recorded, as for the disclosure list.
  const patients = [...new Set(rows.map((r) => r.patientPseudonym).filter((p): p is string => p !== null))]
  if (patients.length > 0) {
    await access.log('view_decision_register', {
      practiceIds: scope.practiceIds,
      target: `register:page-${f.page}`,
      detail: { patients, rows: rows.length, kind: f.kind ?? null, from: scope.from ?? null, to: scope.to ?? null },
    })
  }
  const cases = await casesOf(access.db, rows)
  return {
    period: { from: scope.from, to: scope.to },
    filter: { kind: f.kind ?? null },
    kinds: KIND_OPTIONS,
    decisions: { rows: rows.map((r) => describeDecision(r, cases)), total, page: f.page, pageSize: DECISIONS_PER_PAGE },
  }
}

/** /register.csv: the same filters, every page; csvExport logs the export. */
export async function exportDecisionRegister(args: Args) {
  const { access, scope } = await requireScope(args, { roles: REGISTER_ROLES })
  const url = new URL(args.request.url)
  const f = readFilter(url)
  const { rows } = await listDecisions(access.db, scope, { kind: f.kind }, { limit: CSV_MAX_ROWS, offset: 0 })
  const cases = await casesOf(access.db, rows)
  return csvExport(access, {
    name: 'decisions',
    url,
    rows: rows.map((r) => describeDecision(r, cases)),
    columns: [
      { header: 'decided_at', value: (r) => r.at },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'kind', value: (r) => r.kindLabel },
      { header: 'about', value: (r) => r.about },
      { header: 'about_page', value: (r) => r.href },
      { header: 'decision', value: (r) => r.decision },
      { header: 'reasons', value: (r) => r.reasons },
      { header: 'by', value: (r) => r.by },
      { header: 'by_role', value: (r) => r.byRole },
    ],
  })
}
