import type { Knex } from 'knex'

// Opt-out roll-ups (docs/decisions/012-opt-out-rollups.md): the opt-outs page's monthly series
// for 150 practices read every patient choice (300-400 ms at 100,000 choices); these keep the
// deny spans and their day and month changes, so the series is a prefix sum over a few rows
// per practice and month, exactly equal to the count over the choices.

// Frozen (docs/decisions/033-frozen-migrations.md): the SQL below is what db/opt-out-rollups.ts
// generated when this migration shipped, pasted once. The live generator may change; this may not.

/** opt_out_rollups_apply(): recompute the spans of every patient a statement touched. */
const APPLY_FUNCTION_SQL = `
  CREATE OR REPLACE FUNCTION opt_out_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      -- Writers of the same practice take turns, so each recomputes from the other's committed rows.
      PERFORM pg_advisory_xact_lock(7301, practice_id) FROM (SELECT DISTINCT practice_id FROM (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1')) k ORDER BY 1) p;
      WITH old_spans AS (
        DELETE FROM opt_out_spans s USING (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1')) k
         WHERE s.practice_id = k.practice_id AND s.patient_pseudonym = k.patient_pseudonym AND s.kind = k.kind
        RETURNING s.practice_id, s.kind, s.start_day, s.end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, -1 AS step FROM old_spans
                 UNION ALL SELECT practice_id, kind, end_day, 1 FROM old_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
      WITH new_spans AS (
        INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
        SELECT practice_id, patient_pseudonym, kind, start_day, end_day FROM (
            SELECT c.practice_id, c.patient_pseudonym, c.kind, c.decision, c.status, (c.effective_at AT TIME ZONE 'Europe/London')::date AS start_day,
                   (lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id) AT TIME ZONE 'Europe/London')::date AS end_day
              FROM patient_choices c JOIN (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1')) k USING (practice_id, patient_pseudonym, kind)
             WHERE c.kind IN ('ndop', 'type1')
          ) s
          -- A span that starts and ends on the same day never covers a day's end: it is no span.
          WHERE decision = 'deny' AND status = 'active' AND (end_day IS NULL OR end_day > start_day)
        RETURNING practice_id, kind, start_day, end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, 1 AS step FROM new_spans
                 UNION ALL SELECT practice_id, kind, end_day, -1 FROM new_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
    ELSIF TG_OP = 'UPDATE' THEN
      -- Writers of the same practice take turns, so each recomputes from the other's committed rows.
      PERFORM pg_advisory_xact_lock(7301, practice_id) FROM (SELECT DISTINCT practice_id FROM (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1') UNION SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k ORDER BY 1) p;
      WITH old_spans AS (
        DELETE FROM opt_out_spans s USING (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1') UNION SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k
         WHERE s.practice_id = k.practice_id AND s.patient_pseudonym = k.patient_pseudonym AND s.kind = k.kind
        RETURNING s.practice_id, s.kind, s.start_day, s.end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, -1 AS step FROM old_spans
                 UNION ALL SELECT practice_id, kind, end_day, 1 FROM old_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
      WITH new_spans AS (
        INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
        SELECT practice_id, patient_pseudonym, kind, start_day, end_day FROM (
            SELECT c.practice_id, c.patient_pseudonym, c.kind, c.decision, c.status, (c.effective_at AT TIME ZONE 'Europe/London')::date AS start_day,
                   (lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id) AT TIME ZONE 'Europe/London')::date AS end_day
              FROM patient_choices c JOIN (SELECT practice_id, patient_pseudonym, kind FROM new_rows WHERE kind IN ('ndop', 'type1') UNION SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k USING (practice_id, patient_pseudonym, kind)
             WHERE c.kind IN ('ndop', 'type1')
          ) s
          -- A span that starts and ends on the same day never covers a day's end: it is no span.
          WHERE decision = 'deny' AND status = 'active' AND (end_day IS NULL OR end_day > start_day)
        RETURNING practice_id, kind, start_day, end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, 1 AS step FROM new_spans
                 UNION ALL SELECT practice_id, kind, end_day, -1 FROM new_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
    ELSE
      -- Writers of the same practice take turns, so each recomputes from the other's committed rows.
      PERFORM pg_advisory_xact_lock(7301, practice_id) FROM (SELECT DISTINCT practice_id FROM (SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k ORDER BY 1) p;
      WITH old_spans AS (
        DELETE FROM opt_out_spans s USING (SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k
         WHERE s.practice_id = k.practice_id AND s.patient_pseudonym = k.patient_pseudonym AND s.kind = k.kind
        RETURNING s.practice_id, s.kind, s.start_day, s.end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, -1 AS step FROM old_spans
                 UNION ALL SELECT practice_id, kind, end_day, 1 FROM old_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
      WITH new_spans AS (
        INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
        SELECT practice_id, patient_pseudonym, kind, start_day, end_day FROM (
            SELECT c.practice_id, c.patient_pseudonym, c.kind, c.decision, c.status, (c.effective_at AT TIME ZONE 'Europe/London')::date AS start_day,
                   (lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id) AT TIME ZONE 'Europe/London')::date AS end_day
              FROM patient_choices c JOIN (SELECT practice_id, patient_pseudonym, kind FROM old_rows WHERE kind IN ('ndop', 'type1')) k USING (practice_id, patient_pseudonym, kind)
             WHERE c.kind IN ('ndop', 'type1')
          ) s
          -- A span that starts and ends on the same day never covers a day's end: it is no span.
          WHERE decision = 'deny' AND status = 'active' AND (end_day IS NULL OR end_day > start_day)
        RETURNING practice_id, kind, start_day, end_day
      ),
      steps AS (SELECT practice_id, kind, start_day AS day, 1 AS step FROM new_spans
                 UNION ALL SELECT practice_id, kind, end_day, -1 FROM new_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;
    END IF;
    RETURN NULL;
  END $$`

/** Fills the new tables from the choices already held (what rebuildOptOutRollups ran). */
const FILL_FROM_CHOICES = `WITH new_spans AS (
                     INSERT INTO opt_out_spans (practice_id, patient_pseudonym, kind, start_day, end_day)
                     SELECT practice_id, patient_pseudonym, kind, start_day, end_day FROM (
            SELECT c.practice_id, c.patient_pseudonym, c.kind, c.decision, c.status, (c.effective_at AT TIME ZONE 'Europe/London')::date AS start_day,
                   (lead(c.effective_at) OVER (PARTITION BY c.practice_id, c.patient_pseudonym, c.kind ORDER BY c.effective_at, c.id) AT TIME ZONE 'Europe/London')::date AS end_day
              FROM patient_choices c
             WHERE c.kind IN ('ndop', 'type1')
          ) s
          -- A span that starts and ends on the same day never covers a day's end: it is no span.
          WHERE decision = 'deny' AND status = 'active' AND (end_day IS NULL OR end_day > start_day)
                     RETURNING practice_id, kind, start_day, end_day
                   ),
                   steps AS (SELECT practice_id, kind, start_day AS day, 1 AS step FROM new_spans
                 UNION ALL SELECT practice_id, kind, end_day, -1 FROM new_spans WHERE end_day IS NOT NULL),
     days AS (
       INSERT INTO opt_out_day_changes AS t (practice_id, kind, day, change)
       SELECT practice_id, kind, day, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
       ON CONFLICT (practice_id, kind, day) DO UPDATE SET change = t.change + excluded.change
     )
     INSERT INTO opt_out_month_changes AS t (practice_id, kind, month, change)
     SELECT practice_id, kind, date_trunc('month', day)::date, sum(step) FROM steps GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (practice_id, kind, month) DO UPDATE SET change = t.change + excluded.change;`

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('opt_out_spans', (t) => {
    t.integer('practice_id').notNullable()
    t.text('patient_pseudonym').notNullable()
    t.text('kind').notNullable()
    t.date('start_day').notNullable().comment('London day of an active deny choice')
    t.date('end_day').comment('London day of the same patient’s next choice of the kind; null while in force')
    t.primary(['practice_id', 'patient_pseudonym', 'kind', 'start_day'])
    t.comment('the deny spans of NDOP and Type 1 choices: opted out on day D when start_day <= D < end_day')
  })
  for (const grain of ['day', 'month']) {
    await knex.schema.createTable(`opt_out_${grain}_changes`, (t) => {
      t.integer('practice_id').notNullable()
      t.text('kind').notNullable()
      t.date(grain).notNullable()
      t.integer('change').notNullable()
      t.primary(['practice_id', 'kind', grain])
      t.comment(`spans starting minus spans ending per practice, kind and ${grain}: the opt-out count is their running sum`)
    })
  }
  await knex.raw(APPLY_FUNCTION_SQL)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_ins AFTER INSERT ON patient_choices
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_upd AFTER UPDATE ON patient_choices
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_del AFTER DELETE ON patient_choices
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  // Databases that already hold choices: fill once from them, writers waiting.
  await knex.raw('LOCK TABLE patient_choices IN SHARE MODE')
  await knex.raw(FILL_FROM_CHOICES)
}

export async function down(knex: Knex): Promise<void> {
  for (const trigger of ['opt_out_rollups_del', 'opt_out_rollups_upd', 'opt_out_rollups_ins']) {
    await knex.raw(`DROP TRIGGER ${trigger} ON patient_choices`)
  }
  await knex.raw('DROP FUNCTION opt_out_rollups_apply()')
  for (const table of ['opt_out_month_changes', 'opt_out_day_changes', 'opt_out_spans']) await knex.schema.dropTable(table)
}
