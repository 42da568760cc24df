import { Sql, sql } from '../../../db/sql.js'
import { GONE, practiceScope } from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

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

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'source:' || s.id AS subject_key, s.practice_id,
           'source:' || s.id AS case_key, NULL::timestamptz AS subject_at,
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

export const quarantineGrowing = defineRule({
  id: 'quarantine_growing',
  severity: 'low',
  title: 'Quarantine growing',
  explanation:
    'Records keep arriving from this practice system that the ledger cannot read (unknown purpose codes, missing or invalid patient identifiers, the wrong FHIR version), or too many are waiting. Each one is a disclosure or a patient’s choice missing from the record until an administrator maps or retries it, so the other rules cannot check it; the notice’s promise that staff handle information correctly, and Caldicott principle 5 (everyone understands their responsibilities), rest on a complete record.',
  subject: 'source',
  version: 1,
  incremental: false,
  dependsOn: { settings: ['quarantineMaxPending'] },
  query,
})
