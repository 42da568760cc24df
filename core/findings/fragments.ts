import { Sql, sql, intArray, joinSql } from '../../db/sql.js'
import type { RuleParams, RuleScope } from './types.js'

/**
 * SQL fragments the rules share. Only constants of the rule files are ever spliced into the
 * text through these; every value comes in as a bound parameter through `sql` (db/sql.ts).
 */

export const LONDON_DAY = (col: string) => `(${col} AT TIME ZONE 'Europe/London')::date`
export const SAY_DAY = (col: string) => `to_char(${col} AT TIME ZONE 'Europe/London', 'FMDD Mon YYYY')`
export const SAY_TIME = (col: string) => `to_char(${col} AT TIME ZONE 'Europe/London', 'FMDD Mon YYYY HH24:MI')`
export const SAY_PURPOSE = (col: string) => `replace(${col}, '_', ' ')`
export const LEVEL_RANK = (col: string) => `array_position(ARRAY['anonymised', 'pseudonymised', 'identifiable'], ${col})`

/** A JSON array of evidence items, leaving out those whose id is null. */
export function evidence(...items: string[]): string {
  return `(SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
             FROM jsonb_array_elements(jsonb_build_array(${items.join(', ')})) WITH ORDINALITY AS x(e, n)
            WHERE e->>'id' IS NOT NULL)`
}
export const DISCLOSURE_EVIDENCE = `jsonb_build_object('type', 'disclosure', 'id', d.id, 'sourceRecordId', d.source_record_id)`
export const RECIPIENT_EVIDENCE = `jsonb_build_object('type', 'organisation', 'id', o.id, 'name', o.name)`

/** The latest choice of a kind for the disclosure's patient at its practice, dated on or before it. */
export function choiceInForce(alias: string, kind: string): string {
  return `LEFT JOIN LATERAL (
      SELECT c.id, c.decision, c.status, c.effective_at
        FROM patient_choices c
       WHERE c.practice_id = d.practice_id AND c.patient_pseudonym = d.patient_pseudonym
         AND c.kind = '${kind}' AND c.effective_at <= d.occurred_at
       ORDER BY c.effective_at DESC, c.id DESC
       LIMIT 1) ${alias} ON true`
}
export const IN_FORCE = (alias: string) => `(${alias}.decision = 'deny' AND ${alias}.status = 'active')`

/** The most permissive agreement in force on the disclosure's day covering its recipient, purpose and practice. */
export const COVERING_AGREEMENT = `LEFT JOIN LATERAL (
      SELECT a.id, a.reference, a.data_level
        FROM data_sharing_agreements a
        JOIN agreement_purposes ap ON ap.agreement_id = a.id AND ap.purpose = d.purpose
        JOIN agreement_practices apr ON apr.agreement_id = a.id AND apr.practice_id = d.practice_id
       WHERE a.recipient_id = d.recipient_id
         AND a.valid_from <= ${LONDON_DAY('d.occurred_at')}
         AND (a.valid_to IS NULL OR a.valid_to >= ${LONDON_DAY('d.occurred_at')})
       ORDER BY ${LEVEL_RANK('a.data_level')} DESC, a.valid_from DESC, a.id
       LIMIT 1) cover ON true`

/**
 * Every (recipient, purpose, practice) an agreement covers, with its dates and level: a few
 * thousand rows at most, hashed once, so checking millions of disclosures against it is a hash
 * (anti-)join rather than a look-up per disclosure.
 */
export const COVERAGE_CTE = `coverage AS MATERIALIZED (
      SELECT a.id, a.recipient_id, ap.purpose, apr.practice_id, a.valid_from, a.valid_to, ${LEVEL_RANK('a.data_level')} AS level_rank
        FROM data_sharing_agreements a
        JOIN agreement_purposes ap ON ap.agreement_id = a.id
        JOIN agreement_practices apr ON apr.agreement_id = a.id)`
/** An agreement covering the disclosure `d` on its day (in England) exists, with a level matching `levelTest`. */
export const COVERED = (levelTest: string) => `EXISTS (
      SELECT 1 FROM coverage cv
       WHERE cv.recipient_id = d.recipient_id AND cv.purpose = d.purpose AND cv.practice_id = d.practice_id
         AND cv.valid_from <= ${LONDON_DAY('d.occurred_at')}
         AND (cv.valid_to IS NULL OR cv.valid_to >= ${LONDON_DAY('d.occurred_at')})
         AND ${levelTest})`

/** The patient has some opt-out or dissent of these kinds on record at the practice: only then is the latest one worth looking up. */
export const HAS_DENIAL = (kinds: string) => `EXISTS (
      SELECT 1 FROM patient_choices c
       WHERE c.practice_id = d.practice_id AND c.patient_pseudonym = d.patient_pseudonym
         AND c.kind IN (${kinds}) AND c.decision = 'deny')`

/** The disclosure a finding is about, for resolution reasons. */
export const FINDING_DISCLOSURE = `FROM (SELECT 1) one
      LEFT JOIN disclosures d ON d.id = split_part(f.subject_key, ':', 2)::bigint
      LEFT JOIN organisations o ON o.id = d.recipient_id`
export const GONE = `'The record this finding was about is no longer in the ledger.'`

/**
 * Which disclosures to check: all (of some practices), or incrementally those in the `checked`
 * CTE that applyRule puts before the rule's statement (disclosureCandidates).
 */
export function disclosureScope(p: RuleParams): Sql {
  const s = p.scope
  if (s.kind === 'full') return s.practiceIds ? sql`d.practice_id = ANY(${intArray(s.practiceIds)}::int[])` : sql`TRUE`
  return sql`d.id IN (SELECT id FROM checked)`
}

/** What a disclosure rule reads besides the disclosure itself, its recipient and its practice (FindingRule.dependsOn). */
export interface DisclosureReads {
  choiceKinds?: readonly string[]
  overrides?: boolean
  agreements?: boolean
}

/**
 * SELECT id, subject_key: the disclosures whose answer may have changed since the rule's last
 * evaluation (decision 042). Those collected since (a source's correction restamps collected_at),
 * those of findings a person reopened since, those of patients whose choices or overrides of the kinds the rule reads were collected since,
 * and those of recipients whose agreements changed. Anything else a rule reads (notices, the
 * DSPT register, reference codes, settings) changes its fingerprint and so means a full
 * re-evaluation; organisations and practices are never retyped in place. So an open finding
 * outside this set still stands, and is not checked again: with a million open findings, an
 * incremental refresh costs what changed, not what is open.
 */
export function disclosureCandidates(ruleId: string, s: Extract<RuleScope, { kind: 'incremental' }>, reads: DisclosureReads): Sql {
  const parts: Sql[] = [
    sql`SELECT x.id FROM disclosures x WHERE x.collected_at >= ${s.since}::timestamptz`,
    // A finding a person reopened since: the system resolves it again if its cause is gone.
    sql`SELECT split_part(f.subject_key, ':', 2)::bigint FROM finding_events e JOIN findings f ON f.id = e.finding_id
         WHERE e.by_user_id IS NOT NULL AND e.at >= ${s.since}::timestamptz AND f.rule_id = ${ruleId} AND f.status = 'open'`,
  ]
  if (reads.choiceKinds) {
    const kinds = reads.choiceKinds.map((k) => `'${k}'`).join(', ')
    parts.push(sql`SELECT x.id FROM disclosures x
        JOIN (SELECT DISTINCT c.practice_id, c.patient_pseudonym FROM patient_choices c
               WHERE c.collected_at >= ${s.since}::timestamptz AND c.kind IN (${new Sql(kinds, [])})) c
          ON c.practice_id = x.practice_id AND c.patient_pseudonym = x.patient_pseudonym`)
  }
  if (reads.overrides) {
    parts.push(sql`SELECT x.id FROM disclosures x
        JOIN (SELECT DISTINCT o.practice_id, o.patient_pseudonym FROM override_events o
               WHERE o.collected_at >= ${s.since}::timestamptz) o
          ON o.practice_id = x.practice_id AND o.patient_pseudonym = x.patient_pseudonym`)
  }
  if (reads.agreements && s.recipients.length > 0) {
    parts.push(sql`SELECT x.id FROM disclosures x WHERE x.recipient_id = ANY(${intArray(s.recipients)}::int[])`)
  }
  return sql`SELECT id, 'disclosure:' || id AS subject_key FROM (${joinSql(parts, '\n UNION ')}) c`
}

/** For rules over sources and practices, which are few: always all of them (of some practices). */
export function practiceScope(p: RuleParams, column: string): Sql {
  const s = p.scope
  if (s.kind === 'full' && s.practiceIds) return sql`${new Sql(column, [])} = ANY(${intArray(s.practiceIds)}::int[])`
  return sql`TRUE`
}
