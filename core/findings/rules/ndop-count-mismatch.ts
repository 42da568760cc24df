import { Sql, sql } from '../../../db/sql.js'
import { GONE, practiceScope } from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

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

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'practice:' || pub.practice_id || ':ndop:' || to_char(pub.as_of, 'YYYY-MM-DD') AS subject_key, pub.practice_id,
           'practice:' || pub.practice_id || ':ndop' AS case_key, NULL::timestamptz AS subject_at,
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

export const ndopCountMismatch = defineRule({
  id: 'ndop_count_mismatch',
  severity: 'medium',
  title: 'Opt-out count differs from the NDOP publication',
  explanation:
    'The number of national data opt-outs the practice system records differs from NHS England’s published count for the practice by more than the margin allowed. That usually means opt-outs are coded wrongly in the practice system, so the practice cannot be sure it respects every patient’s choice as its notice promises (Caldicott principle 6: comply with the law).',
  subject: 'practice',
  version: 1,
  incremental: false,
  dependsOn: { settings: ['ndopMargin'] },
  query,
})
