import type { Db } from './client.js'

// The findings roll-ups (migration 20261207060000, decision 036): finding_counts and
// finding_case_counts, kept by statement-level triggers on findings. Rebuilt from the findings
// (after a bulk load with the triggers off, or to repair) and verified against a direct count.

const TABLES = [
  { table: 'finding_counts', keys: ['practice_id', 'rule_id', 'severity', 'status'] },
  { table: 'finding_case_counts', keys: ['practice_id', 'rule_id', 'case_key', 'severity', 'status'] },
] as const

/** The direct count a roll-up must equal: the same grouping over the findings themselves. */
function directSql(keys: readonly string[]): string {
  const cols = keys.map((k) => (k === 'practice_id' ? 'coalesce(practice_id, 0) AS practice_id' : k))
  return `SELECT ${cols.join(', ')}, count(*)::int AS findings FROM findings GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`
}

/** Refills both roll-ups from the findings; writers wait (SHARE lock) so nothing slips between. */
export async function rebuildFindingRollups(db: Db): Promise<Array<{ table: string; rows: number }>> {
  return db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE findings IN SHARE MODE')
    await trx.raw(`TRUNCATE ${TABLES.map((t) => t.table).join(', ')}`)
    const out: Array<{ table: string; rows: number }> = []
    for (const { table, keys } of TABLES) {
      const result = await trx.raw(`INSERT INTO ${table} (${keys.join(', ')}, findings) ${directSql(keys)}`)
      out.push({ table, rows: result.rowCount ?? 0 })
    }
    return out
  })
}

export interface RollupMismatch {
  table: string
  key: Record<string, string | number>
  rollup: number
  direct: number
}

/**
 * Compares both roll-ups with a direct count, in one snapshot (REPEATABLE READ, read only), and
 * returns every group where they differ (none when they are exact).
 */
export async function verifyFindingRollups(db: Db): Promise<{ groups: number; mismatches: RollupMismatch[] }> {
  return db.transaction(
    async (trx) => {
      let groups = 0
      const mismatches: RollupMismatch[] = []
      for (const { table, keys } of TABLES) {
        const on = keys.map((k) => `r.${k} = d.${k}`).join(' AND ')
        const { rows } = await trx.raw(
          `SELECT ${keys.map((k) => `coalesce(r.${k}, d.${k}) AS ${k}`).join(', ')},
                  coalesce(r.findings, 0)::int AS rollup, coalesce(d.findings, 0)::int AS direct,
                  count(*) OVER ()::int AS total
             FROM ${table} r FULL JOIN (${directSql(keys)}) d ON ${on}
            ORDER BY (coalesce(r.findings, 0) = coalesce(d.findings, 0)), 1, 2`,
        )
        groups += Number(rows[0]?.total ?? 0)
        for (const row of rows as Array<Record<string, string | number>>) {
          if (Number(row.rollup) === Number(row.direct)) break
          mismatches.push({
            table,
            key: Object.fromEntries(keys.map((k) => [k, row[k]!])),
            rollup: Number(row.rollup),
            direct: Number(row.direct),
          })
        }
      }
      return { groups, mismatches }
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  )
}
