import type { Db } from './client.js'

// Opt-out roll-ups (docs/decisions/012-opt-out-rollups.md). "Opted out as of day D" is "the
// patient's latest NDOP (or Type 1) choice on or before D is an active deny": each active deny
// choice opens a span from its London day to the day of the patient's next choice of the same
// kind, and the count as of D is the number of spans with start_day <= D < end_day. So a span
// is +1 on its first day and -1 on its end day, and the count is a prefix sum of those changes.
//
//   opt_out_spans          the current deny spans, one row per patient, kind and span start
//   opt_out_day_changes    the net change per practice, kind and London day
//   opt_out_month_changes  the same per month: a year's series reads a few rows per practice
//
// A statement-level trigger on patient_choices recomputes the spans of every patient the
// statement touched (a late, older choice shortens the span before it) and moves the changes.
// Migration 20261205090000 holds a frozen copy of this SQL (decision 033): change it here and
// add a migration with the newly generated function.

export const OPT_OUT_KINDS = ['ndop', 'type1'] as const

const LONDON_DAY = (instant: string) => `(${instant} AT TIME ZONE 'Europe/London')::date`

/** The current deny spans of the patients in `keys` (practice_id, patient_pseudonym, kind), from patient_choices. */
function spansOf(keys: string | null): string {
  const join = keys === null ? '' : `JOIN (${keys}) k USING (practice_id, patient_pseudonym, kind)`
  return `SELECT practice_id, patient_pseudonym, kind, start_day, end_day FROM (
            SELECT c.practice_id, c.patient_pseudonym, c.kind, c.decision, c.status, ${LONDON_DAY('c.effective_at')} AS start_day,
                   ${LONDON_DAY('lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id)')} AS end_day
              FROM patient_choices c ${join}
             WHERE c.kind IN ('ndop', 'type1')
          ) s
          -- A span that starts and ends on the same day never covers a day's end: it is no span.
          WHERE decision = 'deny' AND status = 'active' AND (end_day IS NULL OR end_day > start_day)`
}

/**
 * Moves the day and month changes of the spans in CTE `spans` by `sign` (+1 adds them, -1
 * takes them away): one grouped upsert per table, in key order so writers lock rows alike.
 */
function applySpansSql(spans: string, sign: 1 | -1): string {
  const steps = `SELECT practice_id, kind, start_day AS day, ${sign} AS step FROM ${spans}
                 UNION ALL SELECT practice_id, kind, end_day, ${-sign} FROM ${spans} WHERE end_day IS NOT NULL`
  return `steps AS (${steps}),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;`
}

/** The trigger body for the patients of `keys`: take their old spans away, add their new ones. */
function recomputeSql(keys: string): string {
  return `
      -- Writers of the same practice take turns, so each recomputes from the other's committed rows.
      PERFORM pg_advisory_xact_lock(${OPT_OUT_LOCK}, practice_id) FROM (SELECT DISTINCT practice_id FROM (${keys}) k ORDER BY 1) p;
      WITH old_spans AS (
        DELETE FROM opt_out_spans s USING (${keys}) k
         WHERE s.practice_id = k.practice_id AND s.patient_pseudonym = k.patient_pseudonym AND s.kind = k.kind
        RETURNING s.practice_id, s.kind, s.start_day, s.end_day
      ),
      ${applySpansSql('old_spans', -1)}
      WITH new_spans AS (
        INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
        ${spansOf(keys)}
        RETURNING practice_id, kind, start_day, end_day
      ),
      ${applySpansSql('new_spans', 1)}`
}

/** The advisory-lock class of the opt-out roll-ups (the second key is the practice id). */
const OPT_OUT_LOCK = 7301

const keysOf = (...tables: string[]) =>
  tables.map((t) => `SELECT practice_id, patient_pseudonym, kind FROM ${t} WHERE kind IN ('ndop', 'type1')`).join(' UNION ')

export const optOutRollupsFunctionSql = `
  CREATE OR REPLACE FUNCTION opt_out_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN ${recomputeSql(keysOf('new_rows'))}
    ELSIF TG_OP = 'UPDATE' THEN ${recomputeSql(keysOf('new_rows', 'old_rows'))}
    ELSE ${recomputeSql(keysOf('old_rows'))}
    END IF;
    RETURN NULL;
  END $$`

/** Refills the opt-out roll-ups from patient_choices (a bulk load with triggers off, or a repair). */
export async function rebuildOptOutRollups(db: Db): Promise<Array<{ table: string; rows: number }>> {
  return db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE patient_choices IN SHARE MODE')
    await trx.raw('TRUNCATE opt_out_spans, opt_out_day_changes, opt_out_month_changes')
    await trx.raw(`WITH new_spans AS (
                     INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
                     ${spansOf(null)}
                     RETURNING practice_id, kind, start_day, end_day
                   ),
                   ${applySpansSql('new_spans', 1)}`)
    const counts: Array<{ table: string; rows: number }> = []
    for (const table of ['opt_out_spans', 'opt_out_day_changes', 'opt_out_month_changes']) {
      const { rows } = await trx.raw(`SELECT count(*)::int AS n FROM ${table}`)
      counts.push({ table, rows: rows[0].n })
    }
    return counts
  })
}
