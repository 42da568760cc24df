import type { Knex } from 'knex'
import { APPLY_FUNCTION_SQL as NARROW_APPLY_FUNCTION_SQL, RECIPIENT_TYPE_FUNCTION_SQL as NARROW_RECIPIENT_TYPE_FUNCTION_SQL } from './20261123130000_disclosure_narrow_rollups.js'

// Weekly copies of the monthly roll-ups (docs/decisions/011-narrow-rollups.md): a period that
// does not start and end on month boundaries reads its odd days as whole weeks plus at most six
// days at each end, instead of up to 60 days from the six-dimension daily cube.

// Frozen (docs/decisions/033-frozen-migrations.md): the SQL below is what db/rollups.ts generated
// when this migration shipped, pasted once. The live generator may change; this may not.
// The down restores the functions of the migration before, from its own frozen SQL.

/** The roll-up tables this migration adds (WEEKLY_ROLLUPS in db/rollups.ts). */
const TABLES = [
  'disclosure_week_purpose',
  'disclosure_week_recipient',
  'disclosure_week_purpose_recipient_type',
  'disclosure_week_legal_basis',
  'disclosure_week_data_level',
]

const CREATE_TABLES = [
  `create table "disclosure_week_purpose" ("practice_id" integer not null, "week" date not null, "purpose" text not null, "disclosures" integer not null, constraint "disclosure_week_purpose_pkey" primary key ("practice_id", "week", "purpose"))`,
  `comment on table "disclosure_week_purpose" is 'disclosures per practice, week (Monday to Sunday) and purpose'`,
  `create table "disclosure_week_recipient" ("practice_id" integer not null, "week" date not null, "recipient_id" integer not null, "disclosures" integer not null, constraint "disclosure_week_recipient_pkey" primary key ("practice_id", "week", "recipient_id"))`,
  `comment on table "disclosure_week_recipient" is 'disclosures per practice, week (Monday to Sunday) and recipient'`,
  `create table "disclosure_week_purpose_recipient_type" ("practice_id" integer not null, "week" date not null, "purpose" text not null, "recipient_type" text not null, "disclosures" integer not null, constraint "disclosure_week_purpose_recipient_type_pkey" primary key ("practice_id", "week", "purpose", "recipient_type"))`,
  `comment on table "disclosure_week_purpose_recipient_type" is 'disclosures per practice, week (Monday to Sunday), purpose and recipient type (follows corrections of an organisation type)'`,
  `create table "disclosure_week_legal_basis" ("practice_id" integer not null, "week" date not null, "legal_basis" text not null, "disclosures" integer not null, constraint "disclosure_week_legal_basis_pkey" primary key ("practice_id", "week", "legal_basis"))`,
  `comment on table "disclosure_week_legal_basis" is 'disclosures per practice, week (Monday to Sunday) and legal basis ('' for none)'`,
  `create table "disclosure_week_data_level" ("practice_id" integer not null, "week" date not null, "data_level" text not null, "disclosures" integer not null, constraint "disclosure_week_data_level_pkey" primary key ("practice_id", "week", "data_level"))`,
  `comment on table "disclosure_week_data_level" is 'disclosures per practice, week (Monday to Sunday) and data level'`,
]

/** disclosure_rollups_apply() over every narrow roll-up so far. */
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
INSERT INTO disclosure_week_purpose AS t (practice_id, week, purpose, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_recipient AS t (practice_id, week, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_purpose_recipient_type AS t (practice_id, week, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, -count(*)
          FROM old_rows r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, week, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_legal_basis AS t (practice_id, week, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_data_level AS t (practice_id, week, data_level, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, -count(*)
          FROM old_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
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
INSERT INTO disclosure_week_purpose AS t (practice_id, week, purpose, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_recipient AS t (practice_id, week, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_purpose_recipient_type AS t (practice_id, week, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, count(*)
          FROM new_rows r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, week, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_legal_basis AS t (practice_id, week, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_data_level AS t (practice_id, week, data_level, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, count(*)
          FROM new_rows r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
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
DELETE FROM disclosure_week_purpose t
         USING (SELECT DISTINCT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.week = o.period AND t.disclosures = 0;
DELETE FROM disclosure_week_recipient t
         USING (SELECT DISTINCT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.week = o.period AND t.disclosures = 0;
DELETE FROM disclosure_week_purpose_recipient_type t
         USING (SELECT DISTINCT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.week = o.period AND t.disclosures = 0;
DELETE FROM disclosure_week_legal_basis t
         USING (SELECT DISTINCT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.week = o.period AND t.disclosures = 0;
DELETE FROM disclosure_week_data_level t
         USING (SELECT DISTINCT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.week = o.period AND t.disclosures = 0;
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
INSERT INTO disclosure_week_purpose_recipient_type AS t (practice_id, week, purpose, recipient_type, disclosures)
        SELECT dd.practice_id, date_trunc('week', dd.day)::date, dd.purpose, OLD.recipient_type, -sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, week, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
INSERT INTO disclosure_week_purpose_recipient_type AS t (practice_id, week, purpose, recipient_type, disclosures)
        SELECT dd.practice_id, date_trunc('week', dd.day)::date, dd.purpose, NEW.recipient_type, sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, week, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;
DELETE FROM disclosure_week_purpose_recipient_type WHERE recipient_type = OLD.recipient_type AND disclosures = 0;
      RETURN NULL;
    END $$`

const FILL_FROM_DISCLOSURES = [
  `INSERT INTO disclosure_week_purpose AS t (practice_id, week, purpose, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, purpose) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_week_recipient AS t (practice_id, week, recipient_id, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.recipient_id, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, recipient_id) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_week_purpose_recipient_type AS t (practice_id, week, purpose, recipient_type, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.purpose, o.recipient_type, count(*)
          FROM disclosures r JOIN organisations o ON o.id = r.recipient_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (practice_id, week, purpose, recipient_type) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_week_legal_basis AS t (practice_id, week, legal_basis, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, coalesce(r.legal_basis, ''), count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, legal_basis) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
  `INSERT INTO disclosure_week_data_level AS t (practice_id, week, data_level, disclosures)
        SELECT r.practice_id, date_trunc('week', (r.occurred_at AT TIME ZONE 'Europe/London')::date)::date, r.data_level, count(*)
          FROM disclosures r  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (practice_id, week, data_level) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`,
]

export async function up(knex: Knex): Promise<void> {
  for (const sql of CREATE_TABLES) await knex.raw(sql)
  await knex.raw(APPLY_FUNCTION_SQL)
  await knex.raw(RECIPIENT_TYPE_FUNCTION_SQL)
  for (const sql of FILL_FROM_DISCLOSURES) await knex.raw(sql)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(NARROW_APPLY_FUNCTION_SQL)
  await knex.raw(NARROW_RECIPIENT_TYPE_FUNCTION_SQL)
  for (const table of [...TABLES].reverse()) await knex.schema.dropTable(table)
}
