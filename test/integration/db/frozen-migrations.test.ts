import { describe, expect, it } from 'vitest'
import { optOutRollupsFunctionSql } from '../../../db/opt-out-rollups.js'
import { DAILY_CUBE, NARROW_ROLLUPS, recipientTypeFunctionSql, rollupsApplyFunctionSql, rollupKeyColumns } from '../../../db/rollups.js'
import { useTestDatabase } from '../../support/db.js'

// The migrations hold frozen copies of the roll-up SQL (decision 033); the live generators in
// db/rollups.ts and db/opt-out-rollups.ts stay for `ledger rollups rebuild`. If one changes
// without a new migration, the rebuild and the triggers drift apart: these say so.

const t = useTestDatabase()

/** A function's body as PostgreSQL stores it (prosrc), trailing spaces aside. */
const body = (sql: string) => /\$\$([\s\S]*)\$\$/.exec(sql)![1]!.replace(/[ \t]+$/gm, '')

async function installedBody(name: string): Promise<string> {
  const { rows } = await t.db.raw('SELECT prosrc FROM pg_proc WHERE proname = ?', [name])
  expect(rows, name).toHaveLength(1)
  return (rows[0].prosrc as string).replace(/[ \t]+$/gm, '')
}

describe('the live roll-up generators match what the migrations installed', () => {
  it('keeps disclosure_rollups_apply() and disclosure_rollups_recipient_type()', async () => {
    expect(await installedBody('disclosure_rollups_apply')).toBe(body(rollupsApplyFunctionSql(NARROW_ROLLUPS)))
    expect(await installedBody('disclosure_rollups_recipient_type')).toBe(body(recipientTypeFunctionSql(NARROW_ROLLUPS)))
  })

  it('keeps opt_out_rollups_apply()', async () => {
    expect(await installedBody('opt_out_rollups_apply')).toBe(body(optOutRollupsFunctionSql))
  })

  it('has every roll-up table the catalogue names, keyed as it says', async () => {
    for (const rollup of [DAILY_CUBE, ...NARROW_ROLLUPS]) {
      const { rows } = await t.db.raw(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [rollup.table],
      )
      expect(
        rows.map((r: { attname: string }) => r.attname),
        rollup.table,
      ).toEqual(rollupKeyColumns(rollup))
    }
  })
})
