import type { Knex } from 'knex'
import { NARROW_ROLLUPS_V1 as NARROW_ROLLUPS, addRowsSql, createRollupTable, recipientTypeFunctionSql, rollupsApplyFunctionSql } from '../rollups.js'

// Narrow roll-ups, one per chart (docs/decisions/011-narrow-rollups.md). The six-dimension
// disclosure_daily cube barely compresses (98% of the raw rows at 1M disclosures), so charts
// over many practices read these instead: a few dozen rows per practice-month whatever N is.
// One statement-level trigger keeps them all exactly equal to a direct count, from the same
// transition tables as disclosure_daily: one grouped upsert per table per statement.

export async function up(knex: Knex): Promise<void> {
  for (const rollup of NARROW_ROLLUPS) await createRollupTable(knex, rollup)

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
  await knex.raw(rollupsApplyFunctionSql(NARROW_ROLLUPS))
  await knex.raw(`CREATE TRIGGER disclosure_rollups_ins AFTER INSERT ON disclosures
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_upd AFTER UPDATE ON disclosures
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_del AFTER DELETE ON disclosures
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)

  // A roll-up keyed by recipient type must follow an organisation whose type is corrected.
  await knex.raw(recipientTypeFunctionSql(NARROW_ROLLUPS))
  await knex.raw(`CREATE TRIGGER disclosure_rollups_recipient_type AFTER UPDATE OF recipient_type ON organisations
      FOR EACH ROW WHEN (OLD.recipient_type IS DISTINCT FROM NEW.recipient_type) EXECUTE FUNCTION disclosure_rollups_recipient_type()`)

  // The list's default order (newest first, id breaking ties) for a scope of many practices:
  // reading this index backwards finds the first page without sorting the whole period.
  await knex.raw('CREATE INDEX disclosures_time_id ON disclosures (occurred_at, id)')

  // Databases that already hold disclosures: fill the new roll-ups once from the raw rows.
  for (const rollup of NARROW_ROLLUPS) await knex.raw(addRowsSql(rollup, 'disclosures', 1))
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
  for (const rollup of [...NARROW_ROLLUPS].reverse()) await knex.schema.dropTable(rollup.table)
}
