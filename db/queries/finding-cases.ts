import type { Knex } from 'knex'
import { planOnce, type Db } from '../client.js'
import type { Scope } from './scope.js'
import type { FindingStatus } from './findings.js'

// Findings grouped by cause (decision 036): a case is a rule, a practice and the thing to fix
// (findings.case_key). Counts come from the roll-ups kept by trigger (finding_counts,
// finding_case_counts; migration 20261207060000), never from a count over the findings.

const SEVERITY_RANK = `CASE c.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END`

/**
 * Open findings of the scope's practices, all dates, from the roll-up: in all and of high
 * severity (likely breaches, which the overview names first), in one query (decision 044).
 */
export async function openFindingTotals(db: Db, scope: Scope): Promise<{ open: number; high: number }> {
  const row = (await planOnce(
    db('finding_counts')
      .whereIn('practice_id', scope.practiceIds)
      .where({ status: 'open' })
      .select(db.raw('coalesce(sum(findings), 0) AS open'), db.raw(`coalesce(sum(findings) FILTER (WHERE severity = 'high'), 0) AS high`))
      .first(),
  )) as { open: string | number; high: string | number }
  return { open: Number(row.open), high: Number(row.high) }
}

export interface CaseFilter {
  status: FindingStatus
  severity?: 'high' | 'medium' | 'low'
  rule?: string
  /** Only this case's key (the case page). */
  caseKey?: string
}

export interface CaseRow {
  ruleId: string
  practiceId: number
  practiceOds: string
  caseKey: string
  severity: 'high' | 'medium' | 'low'
  status: FindingStatus
  findings: number
  /** When the first and last of its subjects happened (or, for sources and publications, when found). */
  firstAt: Date | null
  lastAt: Date | null
  recipientId: number | null
  recipientName: string | null
  recipientOds: string | null
  purpose: string | null
  purposeLabel: string | null
  agreementId: number | null
  agreementReference: string | null
  sourceId: number | null
  sourceName: string | null
  /** The patient's pseudonym for an opt-out or dissent case, the override event's id for an override. */
  pseudonym: string | null
  overrideId: number | null
}

/**
 * One page of cases, most severe first, then most findings. Without a period the cases and
 * their counts are read from finding_case_counts; with one (?from=&to=, when the findings were
 * opened, as on the list) they are grouped from the findings of the period.
 */
export async function listCases(
  db: Db,
  scope: Scope,
  filter: CaseFilter,
  page: { limit: number; offset: number },
): Promise<{ cases: CaseRow[]; total: number }> {
  const where: string[] = ['c.practice_id = ANY(?::int[])', 'c.status = ?']
  const params: Knex.RawBinding[] = [toIntArray(scope.practiceIds), filter.status]
  if (filter.severity) {
    where.push('c.severity = ?')
    params.push(filter.severity)
  }
  if (filter.rule) {
    where.push('c.rule_id = ?')
    params.push(filter.rule)
  }
  if (filter.caseKey) {
    where.push('c.case_key = ?')
    params.push(filter.caseKey)
  }
  let source = 'finding_case_counts'
  const sourceParams: Knex.RawBinding[] = []
  if (scope.from || scope.to) {
    const during: string[] = []
    if (scope.from) {
      during.push(`f.opened_at >= (?::date::timestamp AT TIME ZONE 'Europe/London')`)
      sourceParams.push(scope.from)
    }
    if (scope.to) {
      during.push(`f.opened_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`)
      sourceParams.push(scope.to)
    }
    source = `(SELECT coalesce(f.practice_id, 0) AS practice_id, f.rule_id, f.case_key, f.severity, f.status, count(*)::int AS findings
                 FROM findings f WHERE ${during.join(' AND ')} GROUP BY 1, 2, 3, 4, 5)`
  }
  const { rows } = await db.raw(
    `WITH c AS (
       SELECT c.practice_id, c.rule_id, c.case_key, c.severity, c.status, c.findings, count(*) OVER ()::int AS total
         FROM ${source} c
        WHERE ${where.join(' AND ')}
        ORDER BY ${SEVERITY_RANK}, c.findings DESC, c.rule_id, c.practice_id, c.case_key
        LIMIT ? OFFSET ?)
     ${ENRICH}
     ORDER BY ${SEVERITY_RANK}, c.findings DESC, c.rule_id, c.practice_id, c.case_key`,
    [...sourceParams, ...params, page.limit, page.offset],
  )
  const total = rows.length > 0 ? Number(rows[0].total) : page.offset > 0 ? await countCases(db, scope, filter) : 0
  return { cases: rows.map(toCase), total }
}

async function countCases(db: Db, scope: Scope, filter: CaseFilter): Promise<number> {
  const q = db('finding_case_counts').whereIn('practice_id', scope.practiceIds).where({ status: filter.status }).count('* as n')
  if (filter.severity) q.where({ severity: filter.severity })
  if (filter.rule) q.where({ rule_id: filter.rule })
  const row = (await q.first()) as { n: string | number } | undefined
  return Number(row?.n ?? 0)
}

/**
 * What the case is about, and the span of its subjects' dates, for each case `c` of a page. The
 * casts are inside CASE: SQL does not promise to test the pattern before casting otherwise.
 */
const ENRICH = `
     SELECT c.*, p.ods_code AS practice_ods,
            coalesce((SELECT min(f.subject_at) FROM findings f
                       WHERE f.rule_id = c.rule_id AND f.practice_id = c.practice_id AND f.case_key = c.case_key AND f.status = c.status),
                     (SELECT min(f.opened_at) FROM findings f
                       WHERE f.rule_id = c.rule_id AND f.practice_id = c.practice_id AND f.case_key = c.case_key AND f.status = c.status)) AS first_at,
            coalesce((SELECT max(f.subject_at) FROM findings f
                       WHERE f.rule_id = c.rule_id AND f.practice_id = c.practice_id AND f.case_key = c.case_key AND f.status = c.status),
                     (SELECT max(f.opened_at) FROM findings f
                       WHERE f.rule_id = c.rule_id AND f.practice_id = c.practice_id AND f.case_key = c.case_key AND f.status = c.status)) AS last_at,
            o.id AS recipient_id, o.name AS recipient_name, o.ods_code AS recipient_ods,
            pu.code AS purpose, pu.label AS purpose_label,
            a.id AS agreement_id, a.reference AS agreement_reference,
            s.id AS source_id, s.name AS source_name
       FROM c
       JOIN practices p ON p.id = c.practice_id
       LEFT JOIN organisations o ON o.id = CASE WHEN c.case_key ~ '^recipient:[0-9]{1,9}(:|$)' THEN split_part(c.case_key, ':', 2)::int END
       LEFT JOIN purposes pu ON c.case_key LIKE 'recipient:%:%' AND pu.code = split_part(c.case_key, ':', 3)
       LEFT JOIN data_sharing_agreements a ON a.id = CASE WHEN c.case_key ~ '^agreement:[0-9]{1,9}$' THEN split_part(c.case_key, ':', 2)::int END
       LEFT JOIN sources s ON s.id = CASE WHEN c.case_key ~ '^source:[0-9]{1,9}$' THEN split_part(c.case_key, ':', 2)::int END`

function toCase(r: Record<string, unknown>): CaseRow {
  const key = String(r.case_key)
  const [kind, id] = key.split(':')
  return {
    ruleId: String(r.rule_id),
    practiceId: Number(r.practice_id),
    practiceOds: String(r.practice_ods),
    caseKey: key,
    severity: r.severity as CaseRow['severity'],
    status: r.status as FindingStatus,
    findings: Number(r.findings),
    firstAt: (r.first_at as Date | null) ?? null,
    lastAt: (r.last_at as Date | null) ?? null,
    recipientId: r.recipient_id == null ? null : Number(r.recipient_id),
    recipientName: (r.recipient_name as string | null) ?? null,
    recipientOds: (r.recipient_ods as string | null) ?? null,
    purpose: (r.purpose as string | null) ?? null,
    purposeLabel: (r.purpose_label as string | null) ?? null,
    agreementId: r.agreement_id == null ? null : Number(r.agreement_id),
    agreementReference: (r.agreement_reference as string | null) ?? null,
    sourceId: r.source_id == null ? null : Number(r.source_id),
    sourceName: (r.source_name as string | null) ?? null,
    pseudonym: kind === 'patient' ? key.slice('patient:'.length) : null,
    overrideId: kind === 'override' && /^\d+$/.test(id ?? '') ? Number(id) : null,
  }
}

export interface CaseFindingItem {
  id: number
  summary: string
  status: FindingStatus
  subjectAt: Date | null
  openedAt: Date
}

/** The individual findings of one case, newest subject first (the drill-down), one page. */
export async function listCaseFindings(
  db: Db,
  c: { ruleId: string; practiceId: number; caseKey: string; status: FindingStatus },
  page: { limit: number; offset: number },
): Promise<CaseFindingItem[]> {
  return db('findings')
    .where({ rule_id: c.ruleId, practice_id: c.practiceId, case_key: c.caseKey, status: c.status })
    .orderByRaw('subject_at DESC NULLS LAST, id DESC')
    .limit(page.limit)
    .offset(page.offset)
    .select('id', 'summary', 'status', 'subject_at as subjectAt', 'opened_at as openedAt')
}

function toIntArray(ids: number[]): string {
  return `{${ids.map(Number).join(',')}}`
}

type SubjectField =
  | 'recipientId'
  | 'recipientName'
  | 'recipientOds'
  | 'purpose'
  | 'purposeLabel'
  | 'agreementId'
  | 'agreementReference'
  | 'sourceId'
  | 'sourceName'
  | 'pseudonym'
  | 'overrideId'
export type CaseSubjects = Map<string, Pick<CaseRow, SubjectField>>

const NO_SUBJECT: Pick<CaseRow, SubjectField> = {
  recipientId: null,
  recipientName: null,
  recipientOds: null,
  purpose: null,
  purposeLabel: null,
  agreementId: null,
  agreementReference: null,
  sourceId: null,
  sourceName: null,
  pseudonym: null,
  overrideId: null,
}

/** A case read outside the roll-up (the evidence pack, the decision register), with what its key names. */
export function caseWithSubject(base: Omit<CaseRow, SubjectField>, subjects: CaseSubjects): CaseRow {
  return { ...NO_SUBJECT, ...base, ...subjects.get(base.caseKey) }
}

/** What each case key names (recipient and purpose, agreement, source), for cases read outside the roll-up (caseWithSubject). */
export async function describeCaseKeys(db: Db, keys: string[]): Promise<CaseSubjects> {
  const out = new Map()
  if (keys.length === 0) return out
  const { rows } = await db.raw(
    `WITH c AS (SELECT DISTINCT k AS case_key FROM unnest(?::text[]) k)
     SELECT c.case_key, o.id AS recipient_id, o.name AS recipient_name, o.ods_code AS recipient_ods,
            pu.code AS purpose, pu.label AS purpose_label, a.id AS agreement_id, a.reference AS agreement_reference,
            s.id AS source_id, s.name AS source_name
       FROM c
       ${ENRICH.slice(ENRICH.indexOf('LEFT JOIN organisations'))}`,
    [keys],
  )
  for (const r of rows) {
    const full = toCase({ ...r, rule_id: '', practice_id: 0, practice_ods: '', severity: 'low', status: 'open', findings: 0 })
    out.set(String(r.case_key), {
      recipientId: full.recipientId,
      recipientName: full.recipientName,
      recipientOds: full.recipientOds,
      purpose: full.purpose,
      purposeLabel: full.purposeLabel,
      agreementId: full.agreementId,
      agreementReference: full.agreementReference,
      sourceId: full.sourceId,
      sourceName: full.sourceName,
      pseudonym: full.pseudonym,
      overrideId: full.overrideId,
    })
  }
  return out
}
