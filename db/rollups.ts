import type { Knex } from 'knex'
import type { Db } from './client.js'
import { rebuildOptOutRollups } from './opt-out-rollups.js'

// The catalogue of disclosure roll-ups: which table holds which dimensions at which time grain,
// and the SQL that adds rows to them. Migrations create and maintain the tables (20261123090300
// the daily cube, 20261123130000 the narrow ones), each from a frozen copy of this SQL
// (decision 033); db/queries/rollup-source.ts picks the smallest table that can answer a query.
// Changing a roll-up here needs a new migration holding the newly generated SQL;
// test/integration/db/frozen-migrations.test.ts fails until it exists.

export type RollupDimension = 'purpose' | 'recipient_id' | 'recipient_type' | 'legal_basis' | 'data_level'

export interface RollupColumn {
  column: RollupDimension
  type: 'text' | 'integer'
  /** How the trigger computes it from a disclosures row `r` (and its recipient `o`). */
  expr: string
}

export interface RollupTable {
  table: string
  grain: 'day' | 'week' | 'month'
  dims: RollupColumn[]
  comment: string
}

const PURPOSE: RollupColumn = { column: 'purpose', type: 'text', expr: 'r.purpose' }
const RECIPIENT: RollupColumn = { column: 'recipient_id', type: 'integer', expr: 'r.recipient_id' }
const RECIPIENT_TYPE: RollupColumn = { column: 'recipient_type', type: 'text', expr: 'o.recipient_type' }
const LEGAL_BASIS: RollupColumn = { column: 'legal_basis', type: 'text', expr: "coalesce(r.legal_basis, '')" }
const DATA_LEVEL: RollupColumn = { column: 'data_level', type: 'text', expr: 'r.data_level' }

export type NarrowRollup = RollupTable

/** The first narrow roll-ups (migration 20261123130000): daily totals and one monthly per chart. */
export const NARROW_ROLLUPS_V1: NarrowRollup[] = [
  { table: 'disclosure_day_totals', grain: 'day', dims: [], comment: 'disclosures per practice and London day: trends and totals' },
  { table: 'disclosure_month_purpose', grain: 'month', dims: [PURPOSE], comment: 'disclosures per practice, month and purpose' },
  { table: 'disclosure_month_recipient', grain: 'month', dims: [RECIPIENT], comment: 'disclosures per practice, month and recipient' },
  {
    table: 'disclosure_month_purpose_recipient_type',
    grain: 'month',
    dims: [PURPOSE, RECIPIENT_TYPE],
    comment: 'disclosures per practice, month, purpose and recipient type (follows corrections of an organisation type)',
  },
  {
    table: 'disclosure_month_legal_basis',
    grain: 'month',
    dims: [LEGAL_BASIS],
    comment: "disclosures per practice, month and legal basis ('' for none)",
  },
  { table: 'disclosure_month_data_level', grain: 'month', dims: [DATA_LEVEL], comment: 'disclosures per practice, month and data level' },
]

/**
 * Weekly copies of the monthly ones (migration 20261123150000; weeks start on Monday): the odd
 * days around a period's whole months become whole weeks plus at most six days at each end.
 */
export const WEEKLY_ROLLUPS: NarrowRollup[] = NARROW_ROLLUPS_V1.filter((r) => r.grain === 'month').map((r) => ({
  ...r,
  table: r.table.replace('disclosure_month_', 'disclosure_week_'),
  grain: 'week',
  comment: r.comment.replace('month', 'week (Monday to Sunday)'),
}))

/**
 * Daily copies of the one-dimension monthly roll-ups with few values (migration 20261205100000):
 * the at most six odd days at each end of a period read a few rows per practice-day from these
 * instead of the six-dimension cube (about 90 per practice-day at 10M). Recipients, with about
 * as many values per day as disclosures, would not shrink, so they stay with the cube.
 */
export const DAILY_NARROW_ROLLUPS: NarrowRollup[] = [
  'disclosure_month_purpose',
  'disclosure_month_legal_basis',
  'disclosure_month_data_level',
].map((name) => {
  const monthly = NARROW_ROLLUPS_V1.find((r) => r.table === name)!
  return {
    ...monthly,
    table: name.replace('disclosure_month_', 'disclosure_day_'),
    grain: 'day',
    comment: monthly.comment.replace('month', 'London day'),
  }
})

/** Kept by disclosure_rollups_apply(); a few rows per practice and day, week or month. */
export const NARROW_ROLLUPS: NarrowRollup[] = [...NARROW_ROLLUPS_V1, ...WEEKLY_ROLLUPS, ...DAILY_NARROW_ROLLUPS]

/** The six-dimension daily cube (disclosure_daily_apply()): answers anything, at any day range. */
export const DAILY_CUBE: RollupTable = {
  table: 'disclosure_daily',
  grain: 'day',
  dims: [PURPOSE, RECIPIENT, LEGAL_BASIS, DATA_LEVEL],
  comment: 'disclosures per practice, day, purpose, recipient, legal basis and data level',
}

const LONDON_DAY = `(r.occurred_at AT TIME ZONE 'Europe/London')::date`

export function periodExpr(rollup: RollupTable): string {
  return rollup.grain === 'day' ? LONDON_DAY : `date_trunc('${rollup.grain}', ${LONDON_DAY})::date`
}

export function rollupKeyColumns(rollup: RollupTable): string[] {
  return ['practice_id', rollup.grain, ...rollup.dims.map((d) => d.column)]
}

/**
 * Adds (sign +1) or removes (sign -1) disclosures rows `r` of a transition table (or of the
 * disclosures table itself, for a rebuild) to one roll-up: one grouped upsert, in key order so
 * concurrent writers lock roll-up rows in the same order.
 */
export function addRowsSql(rollup: RollupTable, rows: 'new_rows' | 'old_rows' | 'disclosures', sign: 1 | -1): string {
  const keys = rollupKeyColumns(rollup)
  const select = ['r.practice_id', periodExpr(rollup), ...rollup.dims.map((d) => d.expr)]
  const ordinals = select.map((_, i) => i + 1).join(', ')
  const join = rollup.dims.some((d) => d.expr.startsWith('o.')) ? 'JOIN organisations o ON o.id = r.recipient_id' : ''
  return `INSERT INTO ${rollup.table} AS t (${keys.join(', ')}, disclosures)
        SELECT ${select.join(', ')}, ${sign === 1 ? '' : '-'}count(*)
          FROM ${rows} r ${join} GROUP BY ${ordinals} ORDER BY ${ordinals}
        ON CONFLICT (${keys.join(', ')}) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`
}

/**
 * Refills every roll-up from the raw rows (the opt-out ones too), for a bulk load made with the
 * triggers off or a repair. Writers wait (SHARE locks) so nothing slips between the two.
 */
export async function rebuildRollups(db: Db): Promise<Array<{ table: string; rows: number }>> {
  return db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE disclosures IN SHARE MODE')
    const tables = [DAILY_CUBE, ...NARROW_ROLLUPS]
    await trx.raw(`TRUNCATE ${tables.map((t) => t.table).join(', ')}, patient_count_cache`)
    const counts: Array<{ table: string; rows: number }> = []
    for (const rollup of tables) {
      const result = await trx.raw(addRowsSql(rollup, 'disclosures', 1))
      counts.push({ table: rollup.table, rows: result.rowCount ?? 0 })
    }
    await trx.raw(`INSERT INTO disclosure_practice_versions AS v (practice_id, version)
                   SELECT id, 1 FROM practices ORDER BY id
                   ON CONFLICT (practice_id) DO UPDATE SET version = v.version + 1`)
    counts.push(...(await rebuildOptOutRollups(trx)))
    return counts
  })
}

function pruneSql(rollup: RollupTable): string {
  return `DELETE FROM ${rollup.table} t
         USING (SELECT DISTINCT r.practice_id, ${periodExpr(rollup)} AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.${rollup.grain} = o.period AND t.disclosures = 0;`
}

/** Creates one narrow roll-up table, keyed by practice, period and its dimensions. */
export async function createRollupTable(knex: Knex, rollup: RollupTable): Promise<void> {
  await knex.schema.createTable(rollup.table, (t) => {
    t.integer('practice_id').notNullable()
    t.date(rollup.grain).notNullable()
    for (const d of rollup.dims) {
      if (d.type === 'integer') t.integer(d.column).notNullable()
      else t.text(d.column).notNullable()
    }
    t.integer('disclosures').notNullable()
    t.primary(rollupKeyColumns(rollup))
    t.comment(rollup.comment)
  })
}

/**
 * The statement-level trigger function that keeps `rollups` (and the practice versions) equal
 * to the raw rows: subtract old rows, add new ones, prune empty groups, bump versions.
 */
export function rollupsApplyFunctionSql(rollups: RollupTable[]): string {
  const bumpVersions = (rows: 'new_rows' | 'old_rows') => `INSERT INTO disclosure_practice_versions AS v (practice_id, version)
        SELECT DISTINCT practice_id, 1 FROM ${rows} ORDER BY 1
        ON CONFLICT (practice_id) DO UPDATE SET version = v.version + 1;`
  const body = (op: string, parts: string[]) => `IF TG_OP IN (${op}) THEN\n${parts.join('\n')}\nEND IF;`
  return `
    CREATE OR REPLACE FUNCTION disclosure_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${body(
        "'UPDATE', 'DELETE'",
        rollups.map((r) => addRowsSql(r, 'old_rows', -1)),
      )}
      ${body(
        "'INSERT', 'UPDATE'",
        rollups.map((r) => addRowsSql(r, 'new_rows', 1)),
      )}
      ${body("'UPDATE', 'DELETE'", rollups.map(pruneSql))}
      ${body("'INSERT', 'UPDATE'", [bumpVersions('new_rows')])}
      ${body("'DELETE'", [bumpVersions('old_rows')])}
      RETURN NULL;
    END $$`
}

/**
 * The row trigger function on organisations: a roll-up keyed by recipient type follows an
 * organisation whose type is corrected, moving that recipient's counts (read from the exact
 * daily cube) from the old type to the new.
 */
export function recipientTypeFunctionSql(rollups: RollupTable[]): string {
  const byType = rollups.filter((r) => r.dims.some((d) => d.column === 'recipient_type'))
  const move = (rollup: RollupTable, type: 'NEW' | 'OLD', sign: '' | '-') => {
    const keys = rollupKeyColumns(rollup)
    const cols = rollup.dims.map((d) => (d.column === 'recipient_type' ? `${type}.recipient_type` : `dd.${d.column}`))
    const period = rollup.grain === 'day' ? 'dd.day' : `date_trunc('${rollup.grain}', dd.day)::date`
    const select = ['dd.practice_id', period, ...cols]
    const ordinals = select.map((_, i) => i + 1).join(', ')
    return `INSERT INTO ${rollup.table} AS t (${keys.join(', ')}, disclosures)
        SELECT ${select.join(', ')}, ${sign}sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY ${ordinals} ORDER BY ${ordinals}
        ON CONFLICT (${keys.join(', ')}) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`
  }
  return `
    CREATE OR REPLACE FUNCTION disclosure_rollups_recipient_type() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${byType.map((r) => [move(r, 'OLD', '-'), move(r, 'NEW', ''), `DELETE FROM ${r.table} WHERE recipient_type = OLD.recipient_type AND disclosures = 0;`].join('\n')).join('\n')}
      RETURN NULL;
    END $$`
}
