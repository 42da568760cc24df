import type { Knex } from 'knex'
import type { Db } from '../client.js'

/**
 * The SQL of the compliance rules (docs/decisions/008-compliance-rules.md). Each rule is one
 * set-based statement: the violations among the records to check, upserted into `findings` on
 * (rule_id, subject_key), the open findings that are no longer violations resolved with the
 * reason why, and both written to `finding_events`, all in one INSERT ... SELECT ... ON CONFLICT
 * with data-modifying CTEs. Nothing loops over rows in JavaScript, so a full re-evaluation of
 * millions of disclosures is a handful of statements.
 *
 * Every value comes in as a bound parameter through the `sql` template below; only constants of
 * this file are ever spliced into the text.
 */

// ---- A small parameterised SQL builder --------------------------------------------------------

export class Sql {
  constructor(
    readonly text: string,
    readonly values: unknown[],
  ) {}
}

type SqlValue = string | number | boolean | null

/** `sql\`... ${value} ...\``: a value becomes a `?` binding; an Sql fragment is spliced in with its bindings. */
export function sql(strings: TemplateStringsArray, ...parts: Array<Sql | SqlValue>): Sql {
  let text = strings[0]!
  const values: unknown[] = []
  parts.forEach((part, i) => {
    if (part instanceof Sql) {
      text += part.text
      values.push(...part.values)
    } else {
      text += '?'
      values.push(part)
    }
    text += strings[i + 1]!
  })
  return new Sql(text, values)
}

function joinSql(parts: Sql[], separator: string): Sql {
  return new Sql(parts.map((p) => p.text).join(separator), parts.flatMap((p) => p.values))
}

/** A PostgreSQL array literal of whole numbers, bound as one text parameter (works on pg and PGlite alike). */
function intArray(ids: readonly number[]): string {
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new TypeError(`not a whole number: ${id}`)
  return `{${ids.join(',')}}`
}

// ---- What a rule checks this time ---------------------------------------------------------------

export type FindingSeverity = 'high' | 'medium' | 'low'

/**
 * Full: every record (of some practices). Incremental: what was collected since `since`, the
 * records that changed choices, overrides or agreements affect, what became due since
 * `previousNow`, and the rule's open findings (so a cause that went away is always noticed).
 */
export type RuleScope =
  | { kind: 'full'; practiceIds: number[] | null }
  | { kind: 'incremental'; since: string; previousNow: string; recipients: number[] }

export interface FindingSettings {
  /** Days a Caldicott guardian has to review an override (config.overrideReviewDays). */
  overrideReviewDays: number
  /** How long before a direct-care disclosure an override still covers it. */
  dissentOverrideWindowHours: number
  /** Allowed relative difference between the NDOP publication and the practice system's count. */
  ndopMargin: number
  /** Pending quarantine records a source may have before that alone is a finding. */
  quarantineMaxPending: number
}

export interface RuleParams {
  ruleId: string
  severity: FindingSeverity
  /** ISO instant: the evaluation's "now" (overdue reviews, silent sources). */
  now: string
  scope: RuleScope
  settings: FindingSettings
}

export interface RuleQuery {
  /** SELECT subject_key, practice_id, summary, evidence: the violations among the records in scope. */
  violations(p: RuleParams): Sql
  /** SELECT reason, for an open finding `f` (subject_key, evidence) that is no longer a violation. */
  resolution(p: RuleParams): Sql
}

// ---- Shared fragments ----------------------------------------------------------------------------

const LONDON_DAY = (col: string) => `(${col} AT TIME ZONE 'Europe/London')::date`
const SAY_DAY = (col: string) => `to_char(${col} AT TIME ZONE 'Europe/London', 'FMDD Mon YYYY')`
const SAY_TIME = (col: string) => `to_char(${col} AT TIME ZONE 'Europe/London', 'FMDD Mon YYYY HH24:MI')`
const SAY_PURPOSE = (col: string) => `replace(${col}, '_', ' ')`
const LEVEL_RANK = (col: string) => `array_position(ARRAY['anonymised', 'pseudonymised', 'identifiable'], ${col})`

/** A JSON array of evidence items, leaving out those whose id is null. */
function evidence(...items: string[]): string {
  return `(SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
             FROM jsonb_array_elements(jsonb_build_array(${items.join(', ')})) WITH ORDINALITY AS x(e, n)
            WHERE e->>'id' IS NOT NULL)`
}
const DISCLOSURE_EVIDENCE = `jsonb_build_object('type', 'disclosure', 'id', d.id, 'sourceRecordId', d.source_record_id)`
const RECIPIENT_EVIDENCE = `jsonb_build_object('type', 'organisation', 'id', o.id, 'name', o.name)`

/** The latest choice of a kind for the disclosure's patient at its practice, dated on or before it. */
function choiceInForce(alias: string, kind: string): string {
  return `LEFT JOIN LATERAL (
      SELECT c.id, c.decision, c.status, c.effective_at
        FROM patient_choices c
       WHERE c.practice_id = d.practice_id AND c.patient_pseudonym = d.patient_pseudonym
         AND c.kind = '${kind}' AND c.effective_at <= d.occurred_at
       ORDER BY c.effective_at DESC, c.id DESC
       LIMIT 1) ${alias} ON true`
}
const IN_FORCE = (alias: string) => `(${alias}.decision = 'deny' AND ${alias}.status = 'active')`

/** The most permissive agreement in force on the disclosure's day covering its recipient, purpose and practice. */
const COVERING_AGREEMENT = `LEFT JOIN LATERAL (
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
const COVERAGE_CTE = `coverage AS MATERIALIZED (
      SELECT a.id, a.recipient_id, ap.purpose, apr.practice_id, a.valid_from, a.valid_to, ${LEVEL_RANK('a.data_level')} AS level_rank
        FROM data_sharing_agreements a
        JOIN agreement_purposes ap ON ap.agreement_id = a.id
        JOIN agreement_practices apr ON apr.agreement_id = a.id)`
/** An agreement covering the disclosure `d` on its day (in England) exists, with a level matching `levelTest`. */
const COVERED = (levelTest: string) => `EXISTS (
      SELECT 1 FROM coverage cv
       WHERE cv.recipient_id = d.recipient_id AND cv.purpose = d.purpose AND cv.practice_id = d.practice_id
         AND cv.valid_from <= ${LONDON_DAY('d.occurred_at')}
         AND (cv.valid_to IS NULL OR cv.valid_to >= ${LONDON_DAY('d.occurred_at')})
         AND ${levelTest})`

/** The patient has some opt-out or dissent of these kinds on record at the practice: only then is the latest one worth looking up. */
const HAS_DENIAL = (kinds: string) => `EXISTS (
      SELECT 1 FROM patient_choices c
       WHERE c.practice_id = d.practice_id AND c.patient_pseudonym = d.patient_pseudonym
         AND c.kind IN (${kinds}) AND c.decision = 'deny')`

/** The disclosure a finding is about, for resolution reasons. */
const FINDING_DISCLOSURE = `FROM (SELECT 1) one
      LEFT JOIN disclosures d ON d.id = split_part(f.subject_key, ':', 2)::bigint
      LEFT JOIN organisations o ON o.id = d.recipient_id`
const GONE = `'The record this finding was about is no longer in the ledger.'`

/** Which disclosures to check: all (of some practices), or the incremental candidates. */
function disclosureScope(p: RuleParams, affectedBy: { choiceKinds?: string[]; overrides?: boolean; agreements?: boolean }): Sql {
  const s = p.scope
  if (s.kind === 'full') return s.practiceIds ? sql`d.practice_id = ANY(${intArray(s.practiceIds)}::int[])` : sql`TRUE`
  const parts: Sql[] = [
    sql`SELECT x.id FROM disclosures x WHERE x.collected_at >= ${s.since}::timestamptz`,
    sql`SELECT split_part(f.subject_key, ':', 2)::bigint FROM findings f WHERE f.rule_id = ${p.ruleId} AND f.status = 'open'`,
  ]
  if (affectedBy.choiceKinds) {
    const kinds = affectedBy.choiceKinds.map((k) => `'${k}'`).join(', ')
    parts.push(sql`SELECT x.id FROM disclosures x
        JOIN (SELECT DISTINCT c.practice_id, c.patient_pseudonym FROM patient_choices c
               WHERE c.collected_at >= ${s.since}::timestamptz AND c.kind IN (${new Sql(kinds, [])})) c
          ON c.practice_id = x.practice_id AND c.patient_pseudonym = x.patient_pseudonym`)
  }
  if (affectedBy.overrides) {
    parts.push(sql`SELECT x.id FROM disclosures x
        JOIN (SELECT DISTINCT o.practice_id, o.patient_pseudonym FROM override_events o
               WHERE o.collected_at >= ${s.since}::timestamptz) o
          ON o.practice_id = x.practice_id AND o.patient_pseudonym = x.patient_pseudonym`)
  }
  if (affectedBy.agreements && s.recipients.length > 0) {
    parts.push(sql`SELECT x.id FROM disclosures x WHERE x.recipient_id = ANY(${intArray(s.recipients)}::int[])`)
  }
  return sql`d.id IN (${joinSql(parts, '\n UNION ')})`
}

/** For rules over sources and practices, which are few: always all of them (of some practices). */
function practiceScope(p: RuleParams, column: string): Sql {
  const s = p.scope
  if (s.kind === 'full' && s.practiceIds) return sql`${new Sql(column, [])} = ANY(${intArray(s.practiceIds)}::int[])`
  return sql`TRUE`
}

// ---- The rules -----------------------------------------------------------------------------------

const optoutDisclosure: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Identifiable %s data about patient %s was disclosed to %s on %s while their %s was in force; %s',
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN ${new Sql(IN_FORCE('nd'), [])} AND ${new Sql(IN_FORCE('t1'), [])} THEN 'national data opt-out and Type 1 opt-out'
                       WHEN ${new Sql(IN_FORCE('nd'), [])} THEN 'national data opt-out' ELSE 'Type 1 opt-out' END,
                  CASE WHEN lb.code IS NULL THEN 'no legal basis was recorded that would set the opt-out aside.'
                       ELSE format('its legal basis (%s) does not set the opt-out aside.', lb.label) END) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               `CASE WHEN ${IN_FORCE('nd')} THEN jsonb_build_object('type', 'patient_choice', 'id', nd.id, 'kind', 'ndop') END`,
               `CASE WHEN ${IN_FORCE('t1')} THEN jsonb_build_object('type', 'patient_choice', 'id', t1.id, 'kind', 'type1') END`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM disclosures d
      JOIN purposes pu ON pu.code = d.purpose AND pu.opt_out_applies
      JOIN organisations o ON o.id = d.recipient_id
      LEFT JOIN legal_bases lb ON lb.code = d.legal_basis
      ${new Sql(choiceInForce('nd', 'ndop'), [])}
      ${new Sql(choiceInForce('t1', 'type1'), [])}
     WHERE d.data_level = 'identifiable'
       AND NOT coalesce(lb.exempts_opt_out, false)
       AND ${new Sql(HAS_DENIAL(`'ndop', 'type1'`), [])}
       AND (${new Sql(IN_FORCE('nd'), [])} OR ${new Sql(IN_FORCE('t1'), [])})
       AND ${disclosureScope(p, { choiceKinds: ['ndop', 'type1'] })}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN d.data_level <> 'identifiable' THEN format('The source corrected the disclosure: the data was %s, which the opt-outs do not cover.', d.data_level)
          WHEN NOT pu.opt_out_applies THEN format('The source corrected the disclosure: its purpose is %s, which the opt-outs do not cover.', ${SAY_PURPOSE('d.purpose')})
          WHEN lb.exempts_opt_out THEN format('The source corrected the disclosure: its legal basis (%s) sets the opt-out aside.', lb.label)
          ELSE format('The patient''s opt-out records changed: no national data opt-out or Type 1 opt-out was in force on %s.', ${SAY_DAY('d.occurred_at')})
        END AS reason
        ${FINDING_DISCLOSURE}
        LEFT JOIN purposes pu ON pu.code = d.purpose
        LEFT JOIN legal_bases lb ON lb.code = d.legal_basis`,
      [],
    ),
}

const prohibitedPurpose: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Data about patient %s was disclosed to %s on %s for %s, a purpose the practice promises never to share for.',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE), [])} AS evidence
      FROM disclosures d
      JOIN purposes pu ON pu.code = d.purpose AND pu.prohibited
      JOIN organisations o ON o.id = d.recipient_id
     WHERE ${disclosureScope(p, {})}`,
  resolution: () =>
    new Sql(
      `SELECT CASE WHEN d.id IS NULL THEN ${GONE}
                   ELSE format('The source corrected the disclosure: its purpose is now %s.', ${SAY_PURPOSE('d.purpose')}) END AS reason
        ${FINDING_DISCLOSURE}`,
      [],
    ),
}

const noAgreement: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Data about patient %s was disclosed to %s on %s for %s, but %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])},
                  CASE WHEN near.id IS NOT NULL THEN
                         format('agreement %s covering that purpose was not in force that day (valid %s to %s).',
                                near.reference, to_char(near.valid_from, 'FMDD Mon YYYY'),
                                coalesce(to_char(near.valid_to, 'FMDD Mon YYYY'), 'no end date'))
                       WHEN any_agreement.id IS NOT NULL THEN
                         format('none of the recipient''s data sharing agreements covers %s for this practice.', ${new Sql(SAY_PURPOSE('d.purpose'), [])})
                       ELSE 'the recipient has no data sharing agreement with the practice.' END) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               RECIPIENT_EVIDENCE,
               `CASE WHEN near.id IS NOT NULL THEN jsonb_build_object('type', 'agreement', 'id', near.id, 'reference', near.reference) END`,
             ),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(COVERAGE_CTE, [])}
            SELECT d.* FROM disclosures d
             WHERE NOT ${new Sql(COVERED('TRUE'), [])} AND ${disclosureScope(p, { agreements: true })}) d
      JOIN organisations o ON o.id = d.recipient_id
      LEFT JOIN LATERAL (
        SELECT a.id, a.reference, a.valid_from, a.valid_to
          FROM data_sharing_agreements a
          JOIN agreement_purposes ap ON ap.agreement_id = a.id AND ap.purpose = d.purpose
          JOIN agreement_practices apr ON apr.agreement_id = a.id AND apr.practice_id = d.practice_id
         WHERE a.recipient_id = d.recipient_id
         ORDER BY least(abs(a.valid_from - ${new Sql(LONDON_DAY('d.occurred_at'), [])}),
                        abs(coalesce(a.valid_to, a.valid_from) - ${new Sql(LONDON_DAY('d.occurred_at'), [])})), a.id
         LIMIT 1) near ON true
      LEFT JOIN LATERAL (SELECT a.id FROM data_sharing_agreements a WHERE a.recipient_id = d.recipient_id LIMIT 1) any_agreement ON true
     WHERE o.recipient_type <> 'patient_representative'`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN cover.id IS NOT NULL THEN format('Agreement %s now covers %s disclosures to %s on %s.', cover.reference, ${SAY_PURPOSE('d.purpose')}, o.name, ${SAY_DAY('d.occurred_at')})
          ELSE 'The recipient is now recorded as the patient or their representative, who needs no data sharing agreement.'
        END AS reason
        ${FINDING_DISCLOSURE}
        ${COVERING_AGREEMENT}`,
      [],
    ),
}

const excessIdentifiable: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('%s data about patient %s was disclosed to %s on %s for %s, but agreement %s allows only %s data.',
                  initcap(d.data_level), d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, cover.reference, cover.data_level) AS summary,
           ${new Sql(
             evidence(
               `jsonb_build_object('type', 'disclosure', 'id', d.id, 'sourceRecordId', d.source_record_id, 'dataLevel', d.data_level)`,
               `jsonb_build_object('type', 'agreement', 'id', cover.id, 'reference', cover.reference, 'dataLevel', cover.data_level)`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(COVERAGE_CTE, [])}
            SELECT d.* FROM disclosures d
             WHERE d.data_level <> 'anonymised'
               AND ${new Sql(COVERED(`cv.level_rank < ${LEVEL_RANK('d.data_level')}`), [])}
               AND NOT ${new Sql(COVERED(`cv.level_rank >= ${LEVEL_RANK('d.data_level')}`), [])}
               AND ${disclosureScope(p, { agreements: true })}) d
      ${new Sql(COVERING_AGREEMENT, [])}
      JOIN organisations o ON o.id = d.recipient_id`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN cover.id IS NULL THEN 'No agreement in force covers this disclosure any more (see the no_agreement finding for it).'
          WHEN d.data_level <> coalesce(f.evidence -> 0 ->> 'dataLevel', d.data_level)
            THEN format('The source corrected the disclosure: the data was %s, which agreement %s allows.', d.data_level, cover.reference)
          ELSE format('Agreement %s now allows %s data for this disclosure.', cover.reference, cover.data_level)
        END AS reason
        ${FINDING_DISCLOSURE}
        ${COVERING_AGREEMENT}`,
      [],
    ),
}

const dissentDirectCare: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Patient %s''s record was shared with %s for direct care on %s while their dissent from record sharing (recorded %s) was in force, and no override was recorded.',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_DAY('rs.effective_at'), [])}) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               `jsonb_build_object('type', 'patient_choice', 'id', rs.id, 'kind', 'record_sharing')`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM disclosures d
      JOIN practices pr ON pr.id = d.practice_id
      JOIN organisations o ON o.id = d.recipient_id
      ${new Sql(choiceInForce('rs', 'record_sharing'), [])}
     WHERE d.purpose = 'direct_care'
       AND ${new Sql(HAS_DENIAL(`'record_sharing'`), [])}
       AND ${new Sql(IN_FORCE('rs'), [])}
       AND o.recipient_type <> 'patient_representative'
       AND o.ods_code IS DISTINCT FROM pr.ods_code
       AND NOT EXISTS (
             SELECT 1 FROM override_events ov
              WHERE ov.practice_id = d.practice_id AND ov.patient_pseudonym = d.patient_pseudonym
                AND ov.kind <> 'override_stopped'
                AND ov.occurred_at BETWEEN d.occurred_at - ${p.settings.dissentOverrideWindowHours}::int * interval '1 hour' AND d.occurred_at)
       AND NOT EXISTS (
             SELECT 1 FROM override_events ov
              WHERE ov.source_id = d.source_id AND ov.source_record_id = d.source_record_id || '#override')
       AND ${disclosureScope(p, { choiceKinds: ['record_sharing'], overrides: true })}`,
  resolution: (p) => sql`
      SELECT CASE
          WHEN d.id IS NULL THEN ${new Sql(GONE, [])}
          WHEN ov.id IS NOT NULL THEN format('An override event for this patient is now recorded (%s, %s).', replace(ov.kind, '_', ' '), ${new Sql(SAY_TIME('ov.occurred_at'), [])})
          WHEN d.purpose <> 'direct_care' THEN format('The source corrected the disclosure: its purpose is now %s.', ${new Sql(SAY_PURPOSE('d.purpose'), [])})
          WHEN NOT coalesce(${new Sql(IN_FORCE('rs'), [])}, false) THEN format('The patient''s record-sharing choices changed: no dissent was in force on %s.', ${new Sql(SAY_DAY('d.occurred_at'), [])})
          ELSE 'The recipient is now recorded as the practice itself or the patient, which is not sharing out.'
        END AS reason
        ${new Sql(FINDING_DISCLOSURE, [])}
        ${new Sql(choiceInForce('rs', 'record_sharing'), [])}
        LEFT JOIN LATERAL (
          SELECT ov.id, ov.kind, ov.occurred_at FROM override_events ov
           WHERE ov.kind <> 'override_stopped'
             AND ((ov.practice_id = d.practice_id AND ov.patient_pseudonym = d.patient_pseudonym
                   AND ov.occurred_at BETWEEN d.occurred_at - ${p.settings.dissentOverrideWindowHours}::int * interval '1 hour' AND d.occurred_at)
               OR (ov.source_id = d.source_id AND ov.source_record_id = d.source_record_id || '#override'))
           ORDER BY ov.occurred_at DESC LIMIT 1) ov ON true`,
}

/** The first instant after the Nth calendar day (in England) following the override: a review before it is in time. */
const REVIEW_DEADLINE = (days: Sql) =>
  sql`(((ov.occurred_at AT TIME ZONE 'Europe/London')::date + ${days} + 1)::timestamp AT TIME ZONE 'Europe/London')`

const OVERRIDE_KIND_WORDS = `CASE ov.kind WHEN 'break_glass' THEN 'emergency (break-glass) access'
                                  WHEN 'consent_override' THEN 'override of consent' ELSE replace(ov.kind, '_', ' ') END`

const unreviewedOverride: RuleQuery = {
  violations: (p) => {
    const days = sql`${p.settings.overrideReviewDays}::int`
    const deadline = REVIEW_DEADLINE(days)
    const s = p.scope
    const scope =
      s.kind === 'full'
        ? s.practiceIds
          ? sql`ov.practice_id = ANY(${intArray(s.practiceIds)}::int[])`
          : sql`TRUE`
        : sql`(ov.collected_at >= ${s.since}::timestamptz
               OR (${deadline} > ${s.previousNow}::timestamptz)
               OR ov.id IN (SELECT split_part(f.subject_key, ':', 2)::bigint FROM findings f WHERE f.rule_id = ${p.ruleId} AND f.status = 'open'))`
    return sql`
    SELECT 'override:' || ov.id AS subject_key, ov.practice_id,
           format('The %s for patient %s at %s on %s%s %s: a Caldicott guardian''s review was due by the end of %s (%s days).',
                  ${new Sql(OVERRIDE_KIND_WORDS, [])}, ov.patient_pseudonym, pr.name, ${new Sql(SAY_TIME('ov.occurred_at'), [])},
                  CASE WHEN ov.reason_code IS NOT NULL THEN format(' (reason %s)', ov.reason_code) ELSE '' END,
                  CASE WHEN EXISTS (SELECT 1 FROM override_reviews r WHERE r.override_event_id = ov.id AND r.second_signer_id IS NOT NULL
                                       AND NOT EXISTS (SELECT 1 FROM override_countersignatures c WHERE c.review_id = r.id))
                       THEN 'has a review still awaiting its second signer''s countersignature'
                       WHEN EXISTS (SELECT 1 FROM override_reviews r WHERE r.override_event_id = ov.id)
                       THEN 'has no complete review: its second signer declined to countersign'
                       ELSE 'has not been reviewed' END,
                  to_char(${deadline} AT TIME ZONE 'Europe/London' - interval '1 day', 'FMDD Mon YYYY'), ${days}) AS summary,
           ${new Sql(
             evidence(
               `jsonb_build_object('type', 'override', 'id', ov.id, 'sourceRecordId', ov.source_record_id)`,
               `CASE WHEN dl.id IS NOT NULL THEN jsonb_build_object('type', 'disclosure', 'id', dl.id, 'sourceRecordId', dl.source_record_id) END`,
             ),
             [],
           )} AS evidence
      FROM override_events ov
      JOIN practices pr ON pr.id = ov.practice_id
      LEFT JOIN disclosures dl ON ov.source_record_id LIKE '%#override'
                              AND dl.source_id = ov.source_id AND dl.source_record_id = left(ov.source_record_id, -9)
     WHERE ov.kind <> 'override_stopped'
       AND ${deadline} <= ${p.now}::timestamptz
       -- A review is complete when it names no second signer, or that signer countersigned it (issue 16).
       AND NOT EXISTS (SELECT 1 FROM override_reviews r LEFT JOIN override_countersignatures c ON c.review_id = r.id
                        WHERE r.override_event_id = ov.id AND (r.second_signer_id IS NULL OR c.decision = 'countersigned'))
       AND ${scope}`
  },
  resolution: (p) => {
    const days = sql`${p.settings.overrideReviewDays}::int`
    return sql`
      SELECT CASE
          WHEN ov.id IS NULL THEN ${new Sql(GONE, [])}
          WHEN r.id IS NOT NULL THEN
            format('Reviewed by %s on %s (verdict: %s), %s.', u.display_name, ${new Sql(SAY_DAY('r.signed_at'), [])}, replace(r.verdict, '_', ' '),
                   CASE WHEN r.signed_at < ${REVIEW_DEADLINE(days)} THEN 'in time'
                        ELSE format('%s days after the override, later than the %s days allowed',
                                    ${new Sql(LONDON_DAY('r.signed_at'), [])} - ${new Sql(LONDON_DAY('ov.occurred_at'), [])}, ${days}) END)
          WHEN ov.kind = 'override_stopped' THEN 'The source corrected the event: it records the end of an override, which needs no review.'
          ELSE 'The review is no longer overdue.'
        END AS reason
        FROM (SELECT 1) one
        LEFT JOIN override_events ov ON ov.id = split_part(f.subject_key, ':', 2)::bigint
        LEFT JOIN LATERAL (SELECT r.* FROM override_reviews r WHERE r.override_event_id = ov.id ORDER BY r.signed_at, r.id LIMIT 1) r ON true
        LEFT JOIN users u ON u.id = r.reviewer_id`
  },
}

/** A number of minutes as people say it: "24 hours", "2 days", "90 minutes". */
const SAY_MINUTES = (col: string) => `CASE WHEN ${col} % 1440 = 0 THEN (${col} / 1440) || CASE WHEN ${col} = 1440 THEN ' day' ELSE ' days' END
                                          WHEN ${col} % 60 = 0 THEN (${col} / 60) || CASE WHEN ${col} = 60 THEN ' hour' ELSE ' hours' END
                                          ELSE ${col} || ' minutes' END`

const silentSource: RuleQuery = {
  violations: (p) => sql`
    SELECT 'source:' || s.id AS subject_key, s.practice_id,
           format('Source "%s"%s has not delivered %s, longer than its expected interval of %s%s',
                  s.name, CASE WHEN pr.ods_code IS NOT NULL THEN format(' (practice %s)', pr.ods_code) ELSE '' END,
                  CASE WHEN done.id IS NULL THEN format('since it was added on %s', ${new Sql(SAY_TIME('s.created_at'), [])})
                       ELSE format('since %s', ${new Sql(SAY_TIME('done.finished_at'), [])}) END,
                  ${new Sql(SAY_MINUTES('s.expected_interval_minutes'), [])},
                  CASE WHEN latest.status = 'failed' THEN format('; its latest run failed: %s', coalesce(latest.error, 'no reason recorded'))
                       ELSE '.' END) AS summary,
           ${new Sql(
             evidence(
               `jsonb_build_object('type', 'source', 'id', s.id)`,
               `CASE WHEN done.id IS NOT NULL THEN jsonb_build_object('type', 'job_run', 'id', done.id) END`,
               `CASE WHEN latest.id IS DISTINCT FROM done.id THEN jsonb_build_object('type', 'job_run', 'id', latest.id) END`,
             ),
             [],
           )} AS evidence
      FROM sources s
      LEFT JOIN practices pr ON pr.id = s.practice_id
      LEFT JOIN LATERAL (
        SELECT r.id, r.finished_at FROM job_runs r
         WHERE r.source_id = s.id AND r.status = 'completed'
         ORDER BY r.finished_at DESC NULLS LAST, r.id DESC LIMIT 1) done ON true
      LEFT JOIN LATERAL (
        SELECT r.id, r.status, r.error FROM job_runs r
         WHERE r.source_id = s.id AND r.status <> 'active'
         ORDER BY r.id DESC LIMIT 1) latest ON true
     WHERE s.kind = 'fhir' AND s.enabled
       AND coalesce(done.finished_at, s.created_at) + s.expected_interval_minutes * interval '1 minute' < ${p.now}::timestamptz
       AND ${practiceScope(p, 's.practice_id')}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN s.id IS NULL THEN ${GONE}
          WHEN NOT s.enabled THEN 'The source was disabled.'
          WHEN done.id IS NOT NULL THEN format('The source delivered again: run %s completed on %s.', done.id, ${SAY_TIME('done.finished_at')})
          ELSE 'The source is no longer overdue (its expected interval changed).'
        END AS reason
        FROM (SELECT 1) one
        LEFT JOIN sources s ON s.id = split_part(f.subject_key, ':', 2)::int
        LEFT JOIN LATERAL (
          SELECT r.id, r.finished_at FROM job_runs r
           WHERE r.source_id = s.id AND r.status = 'completed'
           ORDER BY r.finished_at DESC NULLS LAST, r.id DESC LIMIT 1) done ON true`,
      [],
    ),
}

/**
 * Pending quarantine per source: how many records wait in all, and how many arrived after the
 * source's first completed run (its initial load). Records that keep arriving after the initial
 * load mean the practice system is still sending what the ledger cannot read.
 */
const QUARANTINE_STATE = `LEFT JOIN LATERAL (
        SELECT min(r.finished_at) AS at FROM job_runs r WHERE r.source_id = s.id AND r.status = 'completed') first_done ON true
      LEFT JOIN LATERAL (
        SELECT count(*)::int AS pending,
               (count(*) FILTER (WHERE first_done.at IS NOT NULL AND q.first_seen_at > first_done.at))::int AS since_first,
               (array_agg(q.id ORDER BY q.id DESC))[1:20] AS ids
          FROM quarantine q WHERE q.source_id = s.id AND q.status = 'pending') qs ON true`

const quarantineGrowing: RuleQuery = {
  violations: (p) => sql`
    SELECT 'source:' || s.id AS subject_key, s.practice_id,
           CASE WHEN qs.since_first > 0 THEN
                  format('The quarantine of source "%s" (practice %s) is growing: %s %s arrived after its first collection and could not be read (%s waiting in all).',
                         s.name, pr.ods_code, qs.since_first, CASE WHEN qs.since_first = 1 THEN 'record' ELSE 'records' END, qs.pending)
                ELSE format('Source "%s" (practice %s) has %s records waiting in quarantine, more than the %s allowed.',
                            s.name, pr.ods_code, qs.pending, ${p.settings.quarantineMaxPending}::int) END AS summary,
           jsonb_build_array(jsonb_build_object('type', 'source', 'id', s.id))
             || coalesce((SELECT jsonb_agg(jsonb_build_object('type', 'quarantine', 'id', qid) ORDER BY qid DESC) FROM unnest(qs.ids) AS qid), '[]'::jsonb)
             AS evidence
      FROM sources s
      JOIN practices pr ON pr.id = s.practice_id
      ${new Sql(QUARANTINE_STATE, [])}
     WHERE (qs.since_first > 0 OR qs.pending > ${p.settings.quarantineMaxPending}::int)
       AND ${practiceScope(p, 's.practice_id')}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN s.id IS NULL THEN ${GONE}
          WHEN qs.pending = 0 THEN 'Every quarantined record of the source was retried or resolved.'
          ELSE format('The records that arrived after the first collection were retried or resolved (%s from the first collection still wait).', qs.pending)
        END AS reason
        FROM (SELECT 1) one
        LEFT JOIN sources s ON s.id = split_part(f.subject_key, ':', 2)::int
        ${QUARANTINE_STATE}`,
      [],
    ),
}

/**
 * The practice system's count of national data opt-outs in force at the end of the publication's
 * achievement date (in England): patients whose latest NDOP choice by then is an active deny.
 */
const PRACTICE_SYSTEM_NDOP = `LEFT JOIN LATERAL (
        SELECT count(*)::int AS n FROM (
          SELECT DISTINCT ON (c.patient_pseudonym) c.decision, c.status
            FROM patient_choices c
           WHERE c.practice_id = pub.practice_id AND c.kind = 'ndop'
             AND c.effective_at < ((pub.as_of + 1)::timestamp AT TIME ZONE 'Europe/London')
           ORDER BY c.patient_pseudonym, c.effective_at DESC, c.id DESC) latest
         WHERE latest.decision = 'deny' AND latest.status = 'active') sys ON true`

const ndopCountMismatch: RuleQuery = {
  violations: (p) => sql`
    SELECT 'practice:' || pub.practice_id || ':ndop:' || to_char(pub.as_of, 'YYYY-MM-DD') AS subject_key, pub.practice_id,
           format('NHS England''s national data opt-out publication for %s counts %s opt-outs at %s (%s), but the practice system records %s in force on that date: %s%% apart, more than the %s%% allowed. The practice system may be recording opt-outs wrongly.',
                  to_char(pub.as_of, 'FMDD Mon YYYY'), pub.opt_outs, pr.name, pr.ods_code, sys.n,
                  round(100.0 * abs(sys.n - pub.opt_outs) / greatest(pub.opt_outs, 1)), round(100 * ${p.settings.ndopMargin}::numeric, 1)::float8) AS summary,
           jsonb_build_array(jsonb_build_object('type', 'optout_count', 'id', pub.id, 'published', pub.opt_outs, 'practiceSystem', sys.n),
                             jsonb_build_object('type', 'practice', 'id', pr.id)) AS evidence
      FROM practice_optout_counts pub
      JOIN practices pr ON pr.id = pub.practice_id
      ${new Sql(PRACTICE_SYSTEM_NDOP, [])}
     WHERE pub.kind = 'ndop' AND pub.origin = 'ndop_publication'
       AND EXISTS (SELECT 1 FROM sources s JOIN job_runs r ON r.source_id = s.id AND r.status = 'completed'
                    WHERE s.practice_id = pub.practice_id AND s.kind = 'fhir')
       AND abs(sys.n - pub.opt_outs) > ${p.settings.ndopMargin}::numeric * pub.opt_outs
       AND ${practiceScope(p, 'pub.practice_id')}`,
  resolution: (p) => sql`
      SELECT CASE
          WHEN pub.id IS NULL THEN ${new Sql(GONE, [])}
          ELSE format('The figures now agree within %s%%: the publication counts %s opt-outs and the practice system %s.',
                      round(100 * ${p.settings.ndopMargin}::numeric, 1)::float8, pub.opt_outs, sys.n)
        END AS reason
        FROM (SELECT 1) one
        LEFT JOIN practice_optout_counts pub
               ON pub.practice_id = split_part(f.subject_key, ':', 2)::int AND pub.kind = 'ndop'
              AND pub.origin = 'ndop_publication' AND pub.as_of = split_part(f.subject_key, ':', 4)::date
        ${new Sql(PRACTICE_SYSTEM_NDOP, [])}`,
}

// ---- Rules for the promises of the practice's own notice (issue 20, docs/decisions/018) -------

/**
 * Each notice version with the first day of the next one (`until`, exclusive): a handful of
 * rows, hashed once. Two versions from the same day: the later version wins (the earlier one's
 * span is empty).
 */
const NOTICE_SPANS_CTE = `notice_spans AS MATERIALIZED (
      SELECT n.id, n.practice_id, n.version, n.in_force_from, n.purposes, n.recipient_types, n.processors,
             lead(n.in_force_from) OVER (PARTITION BY n.practice_id ORDER BY n.in_force_from, n.version) AS until
        FROM privacy_notices n)`
/** The notice in force on the disclosure's day (in England), joined as `n`. */
const NOTICE_IN_FORCE = `JOIN notice_spans n ON n.practice_id = d.practice_id
       AND n.in_force_from <= ${LONDON_DAY('d.occurred_at')}
       AND (n.until IS NULL OR n.until > ${LONDON_DAY('d.occurred_at')})`
/** ...and the promise `code` it makes, joined as `np` (the code is a constant of this file). */
const MAKES_PROMISE = (code: string) => `JOIN notice_promises np ON np.notice_id = n.id AND np.promise = '${code}'`
const NOTICE_EVIDENCE = `jsonb_build_object('type', 'notice', 'id', n.id, 'version', n.version, 'promise', np.promise)`
const QUOTE = `format('The practice''s privacy notice (version %s) promises: “%s”', n.version, np.words)`
/** In the resolution: the notice now in force that day, and whether it still makes the promise. */
const NOTICE_NOW = (code: string) => `LEFT JOIN LATERAL (
          SELECT n.id, n.version, EXISTS (SELECT 1 FROM notice_promises np WHERE np.notice_id = n.id AND np.promise = '${code}') AS promised
            FROM privacy_notices n
           WHERE n.practice_id = d.practice_id AND n.in_force_from <= ${LONDON_DAY('d.occurred_at')}
           ORDER BY n.in_force_from DESC, n.version DESC LIMIT 1) nn ON true`
const NO_LONGER_PROMISED = `format('The practice''s notice in force on %s (%s) does not make this promise.', ${SAY_DAY('d.occurred_at')},
                   CASE WHEN nn.id IS NULL THEN 'none recorded' ELSE 'version ' || nn.version END)`

const CONSENT_ANSWERED = `ARRAY['explicit_consent', 's251', 'copi', 'legal_obligation', 'public_interest', 'vital_interests', 'mental_health_act', 'safeguarding_duty']`

const secondaryWithoutConsent: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Identifiable %s data about patient %s was disclosed to %s on %s %s. %s',
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN d.legal_basis IS NULL THEN 'with no legal basis recorded: no explicit consent, no s251 support, no COPI notice'
                       ELSE 'on implied consent only: no explicit consent, no s251 support, no COPI notice' END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE, NOTICE_EVIDENCE), [])} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id, n.version AS notice_version FROM disclosures d
              JOIN purposes pu ON pu.code = d.purpose AND pu.opt_out_applies
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('ask_before_identifiable_secondary'), [])}
             WHERE d.data_level = 'identifiable'
               AND (d.legal_basis IS NULL OR NOT d.legal_basis = ANY(${new Sql(CONSENT_ANSWERED, [])}))
               AND ${disclosureScope(p, {})}) d
      JOIN organisations o ON o.id = d.recipient_id
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('ask_before_identifiable_secondary'), [])}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN d.data_level <> 'identifiable' THEN format('The source corrected the disclosure: the data was %s.', d.data_level)
          WHEN d.legal_basis = ANY(${CONSENT_ANSWERED}) THEN format('The source corrected the disclosure: its legal basis is %s.', lb.label)
          WHEN NOT pu.opt_out_applies THEN format('The source corrected the disclosure: its purpose is %s, which is not a secondary use.', ${SAY_PURPOSE('d.purpose')})
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        LEFT JOIN purposes pu ON pu.code = d.purpose
        LEFT JOIN legal_bases lb ON lb.code = d.legal_basis
        ${NOTICE_NOW('ask_before_identifiable_secondary')}`,
      [],
    ),
}

const DSPT_WORDS = (col: string) => `replace(${col}, '_', ' ')`
/** The recipient's DSPT status on the disclosure's day: the latest-starting record covering it. */
const DSPT_ON_DAY = `LEFT JOIN LATERAL (
        SELECT s.id, s.status, s.valid_from FROM organisation_dspt s
         WHERE s.organisation_id = d.recipient_id AND s.valid_from <= ${LONDON_DAY('d.occurred_at')}
           AND (s.valid_to IS NULL OR s.valid_to >= ${LONDON_DAY('d.occurred_at')})
         ORDER BY s.valid_from DESC, s.id DESC LIMIT 1) ds ON true`
const DSPT_ASSURED = `ARRAY['standards_met', 'standards_exceeded']`

const recipientUnassured: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Data about patient %s was disclosed to %s on %s, when %s. %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN ds.id IS NULL THEN 'no Data Security and Protection Toolkit status was recorded for it that day'
                       ELSE format('its Data Security and Protection Toolkit status was “%s” (recorded from %s), not “standards met”',
                                   ${new Sql(DSPT_WORDS('ds.status'), [])}, to_char(ds.valid_from, 'FMDD Mon YYYY')) END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(
             evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE, `CASE WHEN ds.id IS NOT NULL THEN jsonb_build_object('type', 'dspt', 'id', ds.id, 'status', ds.status) END`, NOTICE_EVIDENCE),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id FROM disclosures d
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('safe_systems'), [])}
             WHERE ${disclosureScope(p, {})}) d
      JOIN organisations o ON o.id = d.recipient_id AND o.recipient_type <> 'patient_representative'
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('safe_systems'), [])}
      ${new Sql(DSPT_ON_DAY, [])}
     WHERE ds.id IS NULL OR NOT ds.status = ANY(${new Sql(DSPT_ASSURED, [])})`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN ds.status = ANY(${DSPT_ASSURED}) THEN format('The organisation register now records %s as “%s” on %s.', o.name, ${DSPT_WORDS('ds.status')}, ${SAY_DAY('d.occurred_at')})
          WHEN o.recipient_type = 'patient_representative' THEN 'The recipient is now recorded as the patient or their representative.'
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        ${DSPT_ON_DAY}
        ${NOTICE_NOW('safe_systems')}`,
      [],
    ),
}

const REQUIRED = `ARRAY['legal', 'safeguarding', 'public_health', 'subject_access']`
/** Why `d` (with recipient `o`) is outside notice `n`: 'purpose', 'recipient_type', 'processor' or null. Mirrors outsideNotice in core/promises.ts. */
const OUTSIDE = `CASE
      WHEN d.purpose = ANY(${REQUIRED}) THEN NULL
      WHEN n.purposes IS NOT NULL AND NOT n.purposes @> to_jsonb(d.purpose)
           AND NOT (d.purpose = 'emergency_care' AND n.purposes @> '"direct_care"'::jsonb) THEN 'purpose'
      WHEN o.recipient_type = 'patient_representative' THEN NULL
      WHEN n.recipient_types IS NOT NULL AND NOT n.recipient_types @> to_jsonb(o.recipient_type) THEN 'recipient_type'
      WHEN o.recipient_type = 'data_processor' AND n.processors IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(n.processors) e
                            WHERE upper(e->>'ods') = o.ods_code OR lower(e->>'name') = lower(o.name)) THEN 'processor'
    END`

const outsideNotice: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           format('Data about patient %s was disclosed to %s on %s for %s, %s. %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])},
                  CASE d.why WHEN 'purpose' THEN format('a purpose the notice in force that day does not list')
                             WHEN 'recipient_type' THEN format('and %s is a kind of organisation (%s) the notice in force that day does not list', o.name, rt.label)
                             ELSE format('and %s is a data processor the notice in force that day does not name', o.name) END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE, NOTICE_EVIDENCE), [])} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id, ${new Sql(OUTSIDE, [])} AS why
              FROM disclosures d
              JOIN organisations o ON o.id = d.recipient_id
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('only_as_listed'), [])}
             WHERE ${disclosureScope(p, {})}) d
      JOIN organisations o ON o.id = d.recipient_id
      JOIN recipient_types rt ON rt.code = o.recipient_type
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('only_as_listed'), [])}
     WHERE d.why IS NOT NULL`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN nn.id IS NOT NULL AND nn.promised THEN format('The notice in force on %s (version %s) covers this disclosure.', ${SAY_DAY('d.occurred_at')}, nn.version)
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        ${NOTICE_NOW('only_as_listed')}`,
      [],
    ),
}

export const RULE_QUERIES = {
  optout_disclosure: optoutDisclosure,
  prohibited_purpose: prohibitedPurpose,
  no_agreement: noAgreement,
  excess_identifiable: excessIdentifiable,
  dissent_direct_care: dissentDirectCare,
  unreviewed_override: unreviewedOverride,
  silent_source: silentSource,
  quarantine_growing: quarantineGrowing,
  ndop_count_mismatch: ndopCountMismatch,
  secondary_without_consent: secondaryWithoutConsent,
  recipient_unassured: recipientUnassured,
  outside_notice: outsideNotice,
} satisfies Record<string, RuleQuery>

export type RuleId = keyof typeof RULE_QUERIES

// ---- Applying one rule -----------------------------------------------------------------------

export interface RuleCounts {
  /** New findings. */
  opened: number
  /** Findings the system had resolved whose cause came back. */
  reopened: number
  /** Open findings whose cause went away. */
  resolved: number
  /** Findings whose summary or evidence changed, new ones included. */
  written: number
}

/** True when the finding's latest status change was the system's, not a person's. */
const LAST_CHANGE_BY_SYSTEM = `coalesce((SELECT e.by_user_id IS NULL FROM finding_events e WHERE e.finding_id = f.id ORDER BY e.id DESC LIMIT 1), true)`

/**
 * One statement: upsert the rule's violations, reopen what the system had resolved if its cause
 * is back (a person's resolution stands), resolve open findings in scope that are no longer
 * violations, and record every status change in finding_events with by_user_id null. Accepted
 * findings keep their status whatever happens.
 */
export async function applyRule(db: Db, query: RuleQuery, p: RuleParams): Promise<RuleCounts> {
  const closeScope =
    p.scope.kind === 'full' && p.scope.practiceIds ? sql`f.practice_id = ANY(${intArray(p.scope.practiceIds)}::int[])` : sql`TRUE`
  const statement = sql`
    WITH v AS MATERIALIZED (${query.violations(p)}),
    old AS (
      SELECT f.id, f.status FROM findings f JOIN v ON v.subject_key = f.subject_key WHERE f.rule_id = ${p.ruleId}
    ),
    up AS (
      INSERT INTO findings AS f (rule_id, severity, practice_id, subject_key, summary, evidence, status, opened_at, updated_at)
      SELECT ${p.ruleId}, ${p.severity}, v.practice_id, v.subject_key, v.summary, v.evidence, 'open', now(), now()
        FROM v
      ON CONFLICT (rule_id, subject_key) DO UPDATE SET
        severity = excluded.severity, practice_id = excluded.practice_id, summary = excluded.summary, evidence = excluded.evidence,
        status = CASE WHEN f.status = 'resolved' AND ${new Sql(LAST_CHANGE_BY_SYSTEM, [])} THEN 'open' ELSE f.status END,
        updated_at = excluded.updated_at
      WHERE (f.severity, f.practice_id, f.summary, f.evidence) IS DISTINCT FROM (excluded.severity, excluded.practice_id, excluded.summary, excluded.evidence)
         OR (f.status = 'resolved' AND ${new Sql(LAST_CHANGE_BY_SYSTEM, [])})
      RETURNING f.id, f.status, f.summary
    ),
    gone AS (
      UPDATE findings f SET status = 'resolved', updated_at = now()
       WHERE f.rule_id = ${p.ruleId} AND f.status = 'open' AND ${closeScope}
         AND NOT EXISTS (SELECT 1 FROM v WHERE v.subject_key = f.subject_key)
      RETURNING f.id, f.subject_key, f.evidence
    ),
    opened_events AS (
      INSERT INTO finding_events (finding_id, from_status, to_status, reason, by_user_id, at)
      SELECT up.id, old.status, 'open',
             CASE WHEN old.id IS NULL THEN 'Found by rule ' ELSE 'Found again by rule ' END || ${p.ruleId} || ': ' || up.summary,
             NULL, now()
        FROM up LEFT JOIN old ON old.id = up.id
       WHERE up.status = 'open' AND (old.id IS NULL OR old.status = 'resolved')
      RETURNING from_status
    ),
    closed_events AS (
      INSERT INTO finding_events (finding_id, from_status, to_status, reason, by_user_id, at)
      SELECT f.id, 'open', 'resolved', coalesce(r.reason, 'The cause of this finding is no longer present.'), NULL, now()
        FROM gone f LEFT JOIN LATERAL (${query.resolution(p)}) r ON true
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM opened_events WHERE from_status IS NULL)::int AS opened,
           (SELECT count(*) FROM opened_events WHERE from_status IS NOT NULL)::int AS reopened,
           (SELECT count(*) FROM closed_events)::int AS resolved,
           (SELECT count(*) FROM up)::int AS written`
  const { rows } = await db.raw(statement.text, statement.values as Knex.RawBinding[])
  const r = rows[0] as RuleCounts
  return { opened: Number(r.opened), reopened: Number(r.reopened), resolved: Number(r.resolved), written: Number(r.written) }
}

// ---- What changed since the last evaluation ---------------------------------------------------

/**
 * The instant up to which every record is either visible now or will be stamped later: the
 * start of the oldest other transaction still open in this database, if it began before now.
 * A record's collected_at is its transaction's start (now()), so a batch committing after this
 * evaluation still has collected_at >= the watermark and is checked next time.
 */
export async function collectedThrough(db: Db): Promise<string> {
  const { rows } = await db.raw(
    `SELECT least(now(), (SELECT min(xact_start) FROM pg_stat_activity
                            WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL)) AS t`,
  )
  return new Date(rows[0].t).toISOString()
}

export async function databaseNow(db: Db): Promise<string> {
  const { rows } = await db.raw(`SELECT now() AS t`)
  return new Date(rows[0].t).toISOString()
}

/** A digest of each recipient's agreements (dates, level, purposes, practices): a changed digest means its disclosures need checking again. */
export async function agreementDigests(db: Db): Promise<Record<string, string>> {
  const { rows } = await db.raw(`
    SELECT a.recipient_id,
           md5(string_agg(concat_ws('|', a.id, a.data_level, a.valid_from, a.valid_to, pu.list, pr.list), ';' ORDER BY a.id)) AS digest
      FROM data_sharing_agreements a
      LEFT JOIN LATERAL (SELECT string_agg(purpose, ',' ORDER BY purpose) AS list FROM agreement_purposes WHERE agreement_id = a.id) pu ON true
      LEFT JOIN LATERAL (SELECT string_agg(practice_id::text, ',' ORDER BY practice_id) AS list FROM agreement_practices WHERE agreement_id = a.id) pr ON true
     GROUP BY a.recipient_id`)
  return Object.fromEntries((rows as Array<{ recipient_id: number; digest: string }>).map((r) => [String(r.recipient_id), r.digest]))
}

/** A digest of the reference codes the rules read: a change (an opt-out now applying to a purpose) means a full re-evaluation. */
export async function referenceDigest(db: Db): Promise<string> {
  const { rows } = await db.raw(`
    SELECT md5(coalesce((SELECT string_agg(concat_ws('|', code, opt_out_applies, prohibited), ';' ORDER BY code) FROM purposes), '')
               || '#' || coalesce((SELECT string_agg(concat_ws('|', code, exempts_opt_out), ';' ORDER BY code) FROM legal_bases), '')) AS digest`)
  return rows[0].digest
}

export interface WatermarkRow {
  rule_id: string
  fingerprint: string
  collected_through: Date
  evaluated_at: Date
  state: { agreements?: Record<string, string> }
}

export async function getWatermark(db: Db, ruleId: string): Promise<WatermarkRow | undefined> {
  return db('findings_watermarks').where({ rule_id: ruleId }).first()
}

export async function saveWatermark(
  db: Db,
  w: { ruleId: string; fingerprint: string; collectedThrough: string; evaluatedAt: string; state: WatermarkRow['state'] },
): Promise<void> {
  await db('findings_watermarks')
    .insert({
      rule_id: w.ruleId,
      fingerprint: w.fingerprint,
      collected_through: w.collectedThrough,
      evaluated_at: w.evaluatedAt,
      state: JSON.stringify(w.state),
      updated_at: db.fn.now(),
    })
    .onConflict('rule_id')
    .merge()
}

/** Serialises evaluations of one rule across processes; released when the transaction ends. */
export async function lockRule(trx: Db, ruleId: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', ['sharing-ledger:findings', ruleId])
}
