import type { Db } from '../client.js'
import type { Scope } from './scope.js'

// The Caldicott decision register (issue 17, part 3): every decision a person took with its
// reasons, read straight from the append-only tables that hold them (override_reviews,
// override_countersignatures, finding_events by a person). Nothing is copied, so the register
// cannot disagree with the override and finding pages. The page and its CSV both call this.

/** review: an override review; countersignature: a second signer's countersignature or decline; accepted_risk: a finding (or a case) accepted; finding: a finding (or a case) resolved or reopened. */
export const DECISION_KINDS = ['review', 'countersignature', 'accepted_risk', 'finding'] as const
export type DecisionKind = (typeof DECISION_KINDS)[number]

export interface DecisionRow {
  /** Unique across kinds: "review:12", "countersignature:3", "finding_event:40". */
  key: string
  kind: DecisionKind
  at: Date
  practiceOds: string
  practiceName: string
  /** A case: several findings of one case decided together (decision 036), one row; subjectId is the first of them. */
  subjectType: 'override' | 'finding' | 'case'
  subjectId: number
  /** Cases: how many findings the decision moved, their rule and case key. */
  findings: number | null
  ruleId: string | null
  caseKey: string | null
  /** Override events: the patient's pseudonym, the event's kind and time. Findings: the summary. */
  patientPseudonym: string | null
  overrideKind: string | null
  occurredAt: Date | null
  findingSummary: string | null
  /** review: justified | not_justified | inconclusive; countersignature: countersigned | declined; finding: the new status. */
  decision: string
  /** review: the verdict countersigned; finding: the status before. */
  previous: string | null
  escalated: boolean | null
  /** Reviews: false once a later review of the same event superseded it. */
  standing: boolean | null
  reasons: string | null
  byName: string
  byRole: string
}

export interface DecisionFilter {
  kind?: DecisionKind
}

const BOUNDS = `(SELECT CASE WHEN ?::date IS NULL THEN NULL ELSE (?::date::timestamp AT TIME ZONE 'Europe/London') END) `

/**
 * The decisions of the scope's practices taken in the period (by when they were taken),
 * newest first. Parameterised: practice ids as an int[] and the days as dates.
 */
function registerSql(scope: Scope, filter: DecisionFilter): { sql: string; bindings: Array<string | number | null> } {
  const kinds = filter.kind ? [filter.kind] : [...DECISION_KINDS]
  const parts: string[] = []
  if (kinds.includes('review')) {
    parts.push(`
      SELECT 'review:' || r.id AS key, 'review' AS kind, r.signed_at AS at, o.practice_id, 'override' AS subject_type, o.id AS subject_id,
             o.patient_pseudonym, o.kind AS override_kind, o.occurred_at, NULL::text AS finding_summary,
             r.verdict AS decision, NULL::text AS previous, r.escalated,
             NOT EXISTS (SELECT 1 FROM override_reviews s WHERE s.supersedes_id = r.id) AS standing,
             r.reasons, r.reviewer_id AS by_user_id, 0 AS kind_order, r.id AS row_id,
             NULL::int AS findings, NULL::text AS rule_id, NULL::text AS case_key
        FROM override_reviews r JOIN override_events o ON o.id = r.override_event_id`)
  }
  if (kinds.includes('countersignature')) {
    parts.push(`
      SELECT 'countersignature:' || c.id, 'countersignature', c.signed_at, o.practice_id, 'override', o.id,
             o.patient_pseudonym, o.kind, o.occurred_at, NULL::text,
             c.decision, r.verdict, NULL::boolean, NULL::boolean,
             c.reason, c.signer_id, 1, c.id, NULL::int, NULL::text, NULL::text
        FROM override_countersignatures c
        JOIN override_reviews r ON r.id = c.review_id
        JOIN override_events o ON o.id = r.override_event_id`)
  }
  const findingKinds = kinds.filter((k) => k === 'accepted_risk' || k === 'finding')
  if (findingKinds.length > 0) {
    // Only what a person decided: the rules engine's own opening and closing (by_user_id null) is not a decision.
    const which =
      findingKinds.length === 2
        ? ''
        : findingKinds[0] === 'accepted_risk'
          ? `AND e.to_status = 'accepted'`
          : `AND e.to_status <> 'accepted'`
    // A decision for a whole case writes one event per finding in one statement (same person,
    // instant, change and reason): one row of the register, not one per finding.
    parts.push(`
      SELECT 'finding_event:' || min(e.id), CASE WHEN e.to_status = 'accepted' THEN 'accepted_risk' ELSE 'finding' END, e.at, f.practice_id,
             CASE WHEN count(*) = 1 THEN 'finding' ELSE 'case' END, min(f.id),
             NULL::text, NULL::text, NULL::timestamptz, CASE WHEN count(*) = 1 THEN min(f.summary) END,
             e.to_status, e.from_status, NULL::boolean, NULL::boolean,
             e.reason, e.by_user_id, 2, min(e.id), count(*)::int, f.rule_id, f.case_key
        FROM finding_events e JOIN findings f ON f.id = e.finding_id
       WHERE e.by_user_id IS NOT NULL ${which}
       GROUP BY e.at, e.by_user_id, e.to_status, e.from_status, e.reason, f.practice_id, f.rule_id, f.case_key`)
  }
  const sql = `
    WITH b AS (SELECT ?::int[] AS practice_ids, ${BOUNDS}AS start_at,
                      (SELECT CASE WHEN ?::date IS NULL THEN NULL ELSE ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London') END) AS end_at),
         -- Named here, since a filtered register may start with any of the branches.
         d (key, kind, at, practice_id, subject_type, subject_id, patient_pseudonym, override_kind, occurred_at, finding_summary,
            decision, previous, escalated, standing, reasons, by_user_id, kind_order, row_id, findings, rule_id, case_key)
           AS (${parts.join('\n UNION ALL ')})
    SELECT d.key, d.kind, d.at, p.ods_code AS "practiceOds", p.name AS "practiceName",
           d.subject_type AS "subjectType", d.subject_id AS "subjectId", d.patient_pseudonym AS "patientPseudonym",
           d.override_kind AS "overrideKind", d.occurred_at AS "occurredAt", d.finding_summary AS "findingSummary",
           d.decision, d.previous, d.escalated, d.standing, d.reasons,
           u.display_name AS "byName", u.role AS "byRole", d.findings, d.rule_id AS "ruleId", d.case_key AS "caseKey"
      FROM d CROSS JOIN b
      JOIN practices p ON p.id = d.practice_id
      JOIN users u ON u.id = d.by_user_id
     WHERE d.practice_id = ANY(b.practice_ids)
       AND (b.start_at IS NULL OR d.at >= b.start_at)
       AND (b.end_at IS NULL OR d.at < b.end_at)`
  const from = scope.from ?? null
  const to = scope.to ?? null
  return { sql, bindings: [`{${scope.practiceIds.map(Number).join(',')}}`, from, from, to, to] }
}

/** One page of the register, newest first, and how many rows there are in all. */
export async function listDecisions(
  db: Db,
  scope: Scope,
  filter: DecisionFilter,
  page: { limit: number; offset: number },
): Promise<{ total: number; rows: DecisionRow[] }> {
  if (scope.practiceIds.length === 0) return { total: 0, rows: [] }
  const { sql, bindings } = registerSql(scope, filter)
  const [count, list] = await Promise.all([
    db.raw(`SELECT count(*) AS n FROM (${sql}) x`, bindings),
    // Same instant: reviews before their countersignatures read wrong newest first, so the later kind leads.
    db.raw(`${sql} ORDER BY d.at DESC, d.kind_order DESC, d.row_id DESC LIMIT ? OFFSET ?`, [...bindings, page.limit, page.offset]),
  ])
  return {
    total: Number(count.rows[0]?.n ?? 0),
    rows: (list.rows as DecisionRow[]).map((r) => ({ ...r, subjectId: Number(r.subjectId) })),
  }
}
