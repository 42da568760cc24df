import type { Knex } from 'knex'

// Narrow roll-ups, one per chart (docs/decisions/011-narrow-rollups.md). The six-dimension
// disclosure_daily cube barely compresses (98% of the raw rows at 1M disclosures), so charts
// over many practices read these instead: a few dozen rows per practice-month whatever N is.
// One statement-level trigger keeps them all exactly equal to a direct count, from the same
// transition tables as disclosure_daily: one grouped upsert per table per statement.

// Frozen (docs/decisions/033-frozen-migrations.md): the SQL below is what db/rollups.ts generated
// when this migration shipped, pasted once. The live generator may change; this may not.

/** The roll-up tables this migration adds (NARROW_ROLLUPS_V1 in db/rollups.ts). */
const TABLES = [
  'disclosure_day_totals',
  'disclosure_month_purpose',
  'disclosure_month_recipient',
  'disclosure_month_purpose_recipient_type',
  'disclosure_month_legal_basis',
  'disclosure_month_data_level',
]

const CREATE_TABLES = [
  `create table "disclosure_day_totals" ("practice_id" integer not null, "day" date not null, "disclosures" integer not null, constraint "disclosure_day_totals_pkey" primary key ("practice_id", "day"))`,
  `comment on table "disclosure_day_totals" is 'disclosures per practice and London day: trends and totals'`,
  `create table "disclosure_month_purpose" ("practice_id" integer not null, "month" date not null, "purpose" text not null, "disclosures" integer not null, constraint "disclosure_month_purpose_pkey" primary key ("practice_id", "month", "purpose"))`,
  `comment on table "disclosure_month_purpose" is 'disclosures per practice, month and purpose'`,
  `create table "disclosure_month_recipient" ("practice_id" integer not null, "month" date not null, "recipient_id" integer not null, "disclosures" integer not null, constraint "disclosure_month_recipient_pkey" primary key ("practice_id", "month", "recipient_id"))`,
  `comment on table "disclosure_month_recipient" is 'disclosures per practice, month and recipient'`,
  `create table "disclosure_month_purpose_recipient_type" ("practice_id" integer not null, "month" date not null, "purpose" text not null, "recipient_type" text not null, "disclosures" integer not null, constraint "disclosure_month_purpose_recipient_type_pkey" primary key ("practice_id", "month", "purpose", "recipient_type"))`,
  `comment on table "disclosure_month_purpose_recipient_type" is 'disclosures per practice, month, purpose and recipient type (follows corrections of an organisation type)'`,
  `create table "disclosure_month_legal_basis" ("practice_id" integer not null, "month" date not null, "legal_basis" text not null, "disclosures" integer not null, constraint "disclosure_month_legal_basis_pkey" primary key ("practice_id", "month", "legal_basis"))`,
  `comment on table "disclosure_month_legal_basis" is 'disclosures per practice, month and legal basis ('' for none)'`,
  `create table "disclosure_month_data_level" ("practice_id" integer not null, "month" date not null, "data_level" text not null, "disclosures" integer not null, constraint "disclosure_month_data_level_pkey" primary key ("practice_id", "month", "data_level"))`,
  `comment on table "disclosure_month_data_level" is 'disclosures per practice, month and data level'`,
]

/** disclosure_rollups_apply() over the tables above; 20261123150000's down restores it. */
export const APPLY_FUNCTION_SQL = `
    CREATE OR REPLACE FUNCTION disclosure_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
INSERT INTO disclosure_day_totals AS t (practice_id, day, disclosures)
        SELECT r.practice_id, (r.occurred_at AT TIME ZONE 'Europe/London')::date, -count(*)
          FROM old_rows r  GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (practice_id, day) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_purpose AS t (practice_id, month, purpose, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_recipient AS t (practice_id, month, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_purpose_recipient_type AS t (practice_id, month, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, -count(*)
          FROM old_rows r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, month, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_legal_basis AS t (practice_id, month, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_data_level AS t (practice_id, month, data_level, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
INSERT INTO disclosure_day_totals AS t (practice_id, day, disclosures)
        SELECT r.practice_id, (r.occurred_at AT TIME ZONE 'Europe/London')::date, count(*)
          FROM new_rows r  GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (practice_id, day) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_purpose AS t (practice_id, month, purpose, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_recipient AS t (practice_id, month, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_purpose_recipient_type AS t (practice_id, month, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, count(*)
          FROM new_rows r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, month, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_legal_basis AS t (practice_id, month, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_data_level AS t (practice_id, month, data_level, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
DELETE FROM disclosure_day_totals t
         USING (SELECT DISTINCT r.practice_id, (r.occurred_at AT TIME ZONE 'Europe/London')::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.day = o.period AND t.disclosures = 0;
DELETE FROM disclosure_month_purpose t
         USING (SELECT DISTINCT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.month = o.period AND t.disclosures = 0;
DELETE FROM disclosure_month_recipient t
         USING (SELECT DISTINCT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.month = o.period AND t.disclosures = 0;
DELETE FROM disclosure_month_purpose_recipient_type t
         USING (SELECT DISTINCT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.month = o.period AND t.disclosures = 0;
DELETE FROM disclosure_month_legal_basis t
         USING (SELECT DISTINCT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.month = o.period AND t.disclosures = 0;
DELETE FROM disclosure_month_data_level t
         USING (SELECT DISTINCT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.month = o.period AND t.disclosures = 0;
END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
INSERT INTO disclosure_practice_versions AS v (practice_id, version)
        SELECT DISTINCT practice_id, 1 FROM new_rows ORDER BY 1
        ON CONFLICT (practice_id) DO UPDATE SET version = v.version + 1;
END IF;
      IF TG_OP IN ('DELETE') THEN
INSERT INTO disclosure_practice_versions AS v (practice_id, version)
        SELECT DISTINCT practice_id, 1 FROM old_rows ORDER BY 1
        ON CONFLICT (practice_id) DO UPDATE SET version = v.version + 1;
END IF;
      RETURN NULL;
    END $$`

export const RECIPIENT_TYPE_FUNCTION_SQL = `
    CREATE OR REPLACE FUNCTION disclosure_rollups_recipient_type() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO disclosure_month_purpose_recipient_type AS t (practice_id, month, purpose, recipient_type, disclosures)
        SELECT dd.practice_id, date_trunc('month', dd.day)::date, dd.purpose, OLD.recipient_type, -sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, month, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_month_purpose_recipient_type AS t (practice_id, month, purpose, recipient_type, disclosures)
        SELECT dd.practice_id, date_trunc('month', dd.day)::date, dd.purpose, NEW.recipient_type, sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, month, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
DELETE FROM disclosure_month_purpose_recipient_type WHERE recipient_type = OLD.recipient_type AND disclosures = 0;
      RETURN NULL;
    END $$`

const FILL_FROM_DISCLOSURES = [
  `INSERT INTO disclosure_day_totals AS t (practice_id, day, disclosures)
        SELECT r.practice_id, (r.occurred_at AT TIME ZONE 'Europe/London')::date, count(*)
          FROM disclosures r  GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (practice_id, day) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_month_purpose AS t (practice_id, month, purpose, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_month_recipient AS t (practice_id, month, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_month_purpose_recipient_type AS t (practice_id, month, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, count(*)
          FROM disclosures r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, month, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_month_legal_basis AS t (practice_id, month, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_month_data_level AS t (practice_id, month, data_level, disclosures)
        SELECT r.practice_id, date_trunc('month', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, month, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
]

export async function up(knex: Knex): Promise<void> {
  for (const sql of CREATE_TABLES) await knex.raw(sql)

  // Distinct patients are not additive, so no roll-up can answer them; a practice's version
  // (bumped by every statement that changes its disclosures) lets an exact count be kept until
  // one of its practices changes (db/queries/overview.ts countPatientsAffected).
  await knex.schema.createTable('disclosure_practice_versions', (t) => {
    t.integer('practice_id').primary()
    t.bigInteger('version').notNullable()
    t.comment('bumped whenever a statement changes the practice’s disclosures: the key of cached counts')
  })
  await knex.schema.createTable('patient_count_cache', (t) => {
    t.text('scope_key').primary().comment('practices and period the count is for')
    t.text('versions').notNullable().comment('the scope’s practice versions when it was counted')
    t.integer('patients').notNullable()
    t.timestamp('computed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(APPLY_FUNCTION_SQL)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_ins AFTER INSERT ON disclosures
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_upd AFTER UPDATE ON disclosures
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_del AFTER DELETE ON disclosures
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)

  // A roll-up keyed by recipient type must follow an organisation whose type is corrected.
  await knex.raw(RECIPIENT_TYPE_FUNCTION_SQL)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_recipient_type AFTER UPDATE OF recipient_type ON organisations
      FOR EACH ROW WHEN (OLD.recipient_type IS DISTINCT FROM NEW.recipient_type) EXECUTE FUNCTION disclosure_rollups_recipient_type()`)

  // The list's default order (newest first, id breaking ties) for a scope of many practices:
  // reading this index backwards finds the first page without sorting the whole period.
  await knex.raw('CREATE INDEX disclosures_time_id ON disclosures (occurred_at, id)')

  // Databases that already hold disclosures: fill the new roll-ups once from the raw rows.
  for (const sql of FILL_FROM_DISCLOSURES) await knex.raw(sql)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX disclosures_time_id')
  await knex.raw('DROP TRIGGER disclosure_rollups_recipient_type ON organisations')
  await knex.raw('DROP FUNCTION disclosure_rollups_recipient_type()')
  for (const trigger of ['disclosure_rollups_del', 'disclosure_rollups_upd', 'disclosure_rollups_ins']) {
    await knex.raw(`DROP TRIGGER ${trigger} ON disclosures`)
  }
  await knex.raw('DROP FUNCTION disclosure_rollups_apply()')
  await knex.schema.dropTable('patient_count_cache')
  await knex.schema.dropTable('disclosure_practice_versions')
  for (const table of [...TABLES].reverse()) await knex.schema.dropTable(table)
}
