import type { Knex } from 'knex'

// Daily roll-up of disclosures that the dashboard reads instead of scanning the raw table.
// Statement-level triggers with transition tables keep it exactly equal to a direct count:
// one grouped upsert per statement, so a 1,000-row batch costs one extra statement, not 1,000.
// An INSERT ... ON CONFLICT DO UPDATE fires both the insert and the update trigger, each with
// only the rows it touched. "day" is the calendar day in England (Europe/London).

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('disclosure_daily', (t) => {
    t.integer('practice_id').notNullable()
    t.date('day').notNullable()
    t.text('purpose').notNullable()
    t.integer('recipient_id').notNullable()
    t.text('legal_basis').notNullable().comment("'' when the source gave none")
    t.text('data_level').notNullable()
    t.integer('disclosures').notNullable()
    t.primary(['practice_id', 'day', 'purpose', 'recipient_id', 'legal_basis', 'data_level'])
  })
  await knex.raw(`CREATE INDEX disclosure_daily_day ON disclosure_daily (day, practice_id)`)

  await knex.raw(`
    CREATE FUNCTION disclosure_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO disclosure_daily AS d (practice_id, day, purpose, recipient_id, legal_basis, data_level, disclosures)
        SELECT practice_id, (occurred_at AT TIME ZONE 'Europe/London')::date, purpose, recipient_id,
               coalesce(legal_basis, ''), data_level, -count(*)
          FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (practice_id, day, purpose, recipient_id, legal_basis, data_level)
        DO UPDATE SET disclosures = d.disclosures + excluded.disclosures;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO disclosure_daily AS d (practice_id, day, purpose, recipient_id, legal_basis, data_level, disclosures)
        SELECT practice_id, (occurred_at AT TIME ZONE 'Europe/London')::date, purpose, recipient_id,
               coalesce(legal_basis, ''), data_level, count(*)
          FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (practice_id, day, purpose, recipient_id, legal_basis, data_level)
        DO UPDATE SET disclosures = d.disclosures + excluded.disclosures;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM disclosure_daily d
         USING (SELECT DISTINCT practice_id, (occurred_at AT TIME ZONE 'Europe/London')::date AS day FROM old_rows) o
         WHERE d.practice_id = o.practice_id AND d.day = o.day AND d.disclosures = 0;
      END IF;
      RETURN NULL;
    END $$`)
  await knex.raw(`CREATE TRIGGER disclosure_daily_ins AFTER INSERT ON disclosures
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_daily_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_daily_upd AFTER UPDATE ON disclosures
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_daily_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_daily_del AFTER DELETE ON disclosures
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_daily_apply()`)
}

export async function down(knex: Knex): Promise<void> {
  for (const trigger of ['disclosure_daily_del', 'disclosure_daily_upd', 'disclosure_daily_ins']) {
    await knex.raw(`DROP TRIGGER ${trigger} ON disclosures`)
  }
  await knex.raw('DROP FUNCTION disclosure_daily_apply()')
  await knex.schema.dropTable('disclosure_daily')
}
