import type { Knex } from 'knex'
import type { Db } from '../../db/client.js'
import { Sql, sql, intArray } from '../../db/sql.js'
import type { RuleParams, RuleQuery } from './types.js'

/**
 * Applying one rule (docs/decisions/008-compliance-rules.md). Each rule is one set-based
 * statement: the violations among the records to check, upserted into `findings` on
 * (rule_id, subject_key), the open findings that are no longer violations resolved with the
 * reason why, and both written to `finding_events`, all in one INSERT ... SELECT ... ON CONFLICT
 * with data-modifying CTEs. Nothing loops over rows in JavaScript, so a full re-evaluation of
 * millions of disclosures is a handful of statements.
 */

export interface RuleCounts {
  /** New findings. */
  opened: number
  /** Findings the system had resolved whose cause came back. */
  reopened: number
  /** Open findings whose cause went away. */
  resolved: number
  /** Findings whose summary or evidence changed, new ones included. */
  written: number
  /** Records checked incrementally (the candidates, decision 042); null when the rule checked all in its scope. */
  checked: number | null
}

/** True when the finding's latest status change was the system's, not a person's. */
const LAST_CHANGE_BY_SYSTEM = `coalesce((SELECT e.by_user_id IS NULL FROM finding_events e WHERE e.finding_id = f.id ORDER BY e.id DESC LIMIT 1), true)`

/**
 * One statement: upsert the rule's violations, reopen what the system had resolved if its cause
 * is back (a person's resolution stands), resolve open findings in scope that are no longer
 * violations, and record every status change in finding_events with by_user_id null. Accepted
 * findings keep their status whatever happens.
 */
export async function applyRule(db: Db, query: RuleQuery, p: RuleParams, candidates?: Sql): Promise<RuleCounts> {
  // Only findings about records checked this time can be found gone: all of them in full (of the
  // practices asked for), the candidates (`checked`) when a disclosure rule runs incrementally.
  const closeScope =
    p.scope.kind === 'full' && p.scope.practiceIds
      ? sql`f.practice_id = ANY(${intArray(p.scope.practiceIds)}::int[])`
      : candidates
        ? sql`f.subject_key IN (SELECT subject_key FROM checked)`
        : sql`TRUE`
  const checked = candidates ? sql`checked AS MATERIALIZED (${candidates}),` : sql``
  const statement = sql`
    WITH ${checked} v AS MATERIALIZED (${query.violations(p)}),
    old AS (
      SELECT f.id, f.status FROM findings f JOIN v ON v.subject_key = f.subject_key WHERE f.rule_id = ${p.ruleId}
    ),
    up AS (
      INSERT INTO findings AS f (rule_id, severity, practice_id, subject_key, case_key, subject_at, summary, evidence, status, opened_at, updated_at)
      SELECT ${p.ruleId}, ${p.severity}, v.practice_id, v.subject_key, v.case_key, v.subject_at, v.summary, v.evidence, 'open', now(), now()
        FROM v
      ON CONFLICT (rule_id, subject_key) DO UPDATE SET
        severity = excluded.severity, practice_id = excluded.practice_id, summary = excluded.summary, evidence = excluded.evidence,
        case_key = excluded.case_key, subject_at = excluded.subject_at,
        status = CASE WHEN f.status = 'resolved' AND ${new Sql(LAST_CHANGE_BY_SYSTEM, [])} THEN 'open' ELSE f.status END,
        updated_at = excluded.updated_at
      WHERE (f.severity, f.practice_id, f.case_key, f.subject_at, f.summary, f.evidence)
            IS DISTINCT FROM (excluded.severity, excluded.practice_id, excluded.case_key, excluded.subject_at, excluded.summary, excluded.evidence)
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
           (SELECT count(*) FROM up)::int AS written,
           ${candidates ? sql`(SELECT count(*) FROM checked)::int` : sql`NULL::int`} AS checked`
  const { rows } = await db.raw(statement.text, statement.values as Knex.RawBinding[])
  const r = rows[0] as RuleCounts
  return {
    opened: Number(r.opened),
    reopened: Number(r.reopened),
    resolved: Number(r.resolved),
    written: Number(r.written),
    checked: r.checked === null ? null : Number(r.checked),
  }
}
