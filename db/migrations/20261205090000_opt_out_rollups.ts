import type { Knex } from 'knex'
import { optOutRollupsFunctionSql, rebuildOptOutRollups } from '../opt-out-rollups.js'

// Opt-out roll-ups (docs/decisions/012-opt-out-rollups.md): the opt-outs page's monthly series
// for 150 practices read every patient choice (300-400 ms at 100,000 choices); these keep the
// deny spans and their day and month changes, so the series is a prefix sum over a few rows
// per practice and month, exactly equal to the count over the choices.

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
  await knex.raw(optOutRollupsFunctionSql)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_ins AFTER INSERT ON patient_choices
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_upd AFTER UPDATE ON patient_choices
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER opt_out_rollups_del AFTER DELETE ON patient_choices
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION opt_out_rollups_apply()`)
  // Databases that already hold choices: fill once from them.
  await rebuildOptOutRollups(knex)
}

export async function down(knex: Knex): Promise<void> {
  for (const trigger of ['opt_out_rollups_del', 'opt_out_rollups_upd', 'opt_out_rollups_ins']) {
    await knex.raw(`DROP TRIGGER ${trigger} ON patient_choices`)
  }
  await knex.raw('DROP FUNCTION opt_out_rollups_apply()')
  for (const table of ['opt_out_month_changes', 'opt_out_day_changes', 'opt_out_spans']) await knex.schema.dropTable(table)
}
