import { Sql, sql, intArray } from '../../../db/sql.js'
import { LONDON_DAY, SAY_DAY, SAY_TIME, evidence, GONE } from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

/** The first instant after the Nth calendar day (in England) following the override: a review before it is in time. */
const REVIEW_DEADLINE = (days: Sql) =>
  sql`(((ov.occurred_at AT TIME ZONE 'Europe/London')::date + ${days} + 1)::timestamp AT TIME ZONE 'Europe/London')`

const OVERRIDE_KIND_WORDS = `CASE ov.kind WHEN 'break_glass' THEN 'emergency (break-glass) access'
                                  WHEN 'consent_override' THEN 'override of consent' ELSE replace(ov.kind, '_', ' ') END`

const query: RuleQuery = {
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
           'override:' || ov.id AS case_key, ov.occurred_at AS subject_at,
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

export const unreviewedOverride = defineRule({
  id: 'unreviewed_override',
  severity: 'medium',
  title: 'Override not reviewed in time',
  explanation:
    'An override of a patient’s choice (emergency “break-glass” access, or sharing without consent under a legal basis) has not been reviewed by a Caldicott guardian within the days allowed. The guardian’s written review with reasons is what shows the override was justified (Caldicott principle 1: justify the purpose; principle 5: everyone understands their responsibilities). The finding is resolved when the review is signed; a review that names a second signer counts only once that person has countersigned it.',
  subject: 'override',
  version: 2,
  incremental: true,
  dependsOn: { settings: ['overrideReviewDays'] },
  query,
})
