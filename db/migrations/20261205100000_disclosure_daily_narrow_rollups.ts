import type { Knex } from 'knex'
import { DAILY_NARROW_ROLLUPS, NARROW_ROLLUPS_V1, WEEKLY_ROLLUPS, addRowsSql, createRollupTable, recipientTypeFunctionSql, rollupsApplyFunctionSql } from '../rollups.js'

// Daily purpose, legal basis and data level roll-ups (docs/decisions/011-narrow-rollups.md): a
// period that starts or ends mid-week read its odd days from the six-dimension cube, about 90
// rows per practice-day at 10M disclosures; these hold a few. The same trigger keeps them.

export async function up(knex: Knex): Promise<void> {
  for (const rollup of DAILY_NARROW_ROLLUPS) await createRollupTable(knex, rollup)
  await knex.raw(rollupsApplyFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS, ...DAILY_NARROW_ROLLUPS]))
  await knex.raw(recipientTypeFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS, ...DAILY_NARROW_ROLLUPS]))
  for (const rollup of DAILY_NARROW_ROLLUPS) await knex.raw(addRowsSql(rollup, 'disclosures', 1))
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(rollupsApplyFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS]))
  await knex.raw(recipientTypeFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS]))
  for (const rollup of [...DAILY_NARROW_ROLLUPS].reverse()) await knex.schema.dropTable(rollup.table)
}
