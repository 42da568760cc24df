import type { Knex } from 'knex'
import { NARROW_ROLLUPS_V1, WEEKLY_ROLLUPS, addRowsSql, createRollupTable, recipientTypeFunctionSql, rollupsApplyFunctionSql } from '../rollups.js'

// Weekly copies of the monthly roll-ups (docs/decisions/011-narrow-rollups.md): a period that
// does not start and end on month boundaries reads its odd days as whole weeks plus at most six
// days at each end, instead of up to 60 days from the six-dimension daily cube.

export async function up(knex: Knex): Promise<void> {
  for (const rollup of WEEKLY_ROLLUPS) await createRollupTable(knex, rollup)
  await knex.raw(rollupsApplyFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS]))
  await knex.raw(recipientTypeFunctionSql([...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS]))
  for (const rollup of WEEKLY_ROLLUPS) await knex.raw(addRowsSql(rollup, 'disclosures', 1))
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(rollupsApplyFunctionSql(NARROW_ROLLUPS_V1))
  await knex.raw(recipientTypeFunctionSql(NARROW_ROLLUPS_V1))
  for (const rollup of [...WEEKLY_ROLLUPS].reverse()) await knex.schema.dropTable(rollup.table)
}
