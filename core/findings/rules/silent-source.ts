import { Sql, sql } from '../../../db/sql.js'
import { SAY_TIME, evidence, GONE, practiceScope } from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

/** A number of minutes as people say it: "24 hours", "2 days", "90 minutes". */
const SAY_MINUTES = (
  col: string,
) => `CASE WHEN ${col} % 1440 = 0 THEN (${col} / 1440) || CASE WHEN ${col} = 1440 THEN ' day' ELSE ' days' END
                                          WHEN ${col} % 60 = 0 THEN (${col} / 60) || CASE WHEN ${col} = 60 THEN ' hour' ELSE ' hours' END
                                          ELSE ${col} || ' minutes' END`

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'source:' || s.id AS subject_key, s.practice_id,
           'source:' || s.id AS case_key, NULL::timestamptz AS subject_at,
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

export const silentSource = defineRule({
  id: 'silent_source',
  severity: 'medium',
  title: 'Practice system not delivering',
  explanation:
    'A practice system has not delivered its audit records for longer than its expected interval. While it is silent the ledger cannot show who the practice shared with, so none of the other rules can be checked for that time: the accountability the Caldicott principles ask for (everyone understands their responsibilities) depends on a complete record.',
  subject: 'source',
  version: 1,
  incremental: false,
  query,
})
