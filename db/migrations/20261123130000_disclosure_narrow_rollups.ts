import type { Knex } from 'knex'
import { NARROW_ROLLUPS, addRowsSql as applySql, periodExpr, rollupKeyColumns as keyColumns, type NarrowRollup } from '../rollups.js'

// Narrow roll-ups, one per chart (docs/decisions/011-narrow-rollups.md). The six-dimension
// disclosure_daily cube barely compresses (98% of the raw rows at 1M disclosures), so charts
// over many practices read these instead: a few dozen rows per practice-month whatever N is.
// One statement-level trigger keeps them all exactly equal to a direct count, from the same
// transition tables as disclosure_daily: one grouped upsert per table per statement.

function pruneSql(rollup: NarrowRollup): string {
  return `DELETE FROM ${rollup.table} t
         USING (SELECT DISTINCT r.practice_id, ${periodExpr(rollup)} AS period FROM old_rows r) o
         WHERE t.practice_id = o.practice_id AND t.${rollup.grain} = o.period AND t.disclosures = 0;`
}

export async function up(knex: Knex): Promise<void> {
  for (const rollup of NARROW_ROLLUPS) {
    await knex.schema.createTable(rollup.table, (t) => {
      t.integer('practice_id').notNullable()
      t.date(rollup.grain).notNullable()
      for (const d of rollup.dims) {
        if (d.type === 'integer') t.integer(d.column).notNullable()
        else t.text(d.column).notNullable()
      }
      t.integer('disclosures').notNullable()
      t.primary(keyColumns(rollup))
      t.comment(rollup.comment)
    })
  }

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
  const bumpVersions = (rows: 'new_rows' | 'old_rows') => `INSERT INTO disclosure_practice_versions AS v (practice_id, version)
        SELECT DISTINCT practice_id, 1 FROM ${rows} ORDER BY 1
        ON CONFLICT (practice_id) DO UPDATE SET version = v.version + 1;`

  const body = (op: string, parts: string[]) => `IF TG_OP IN (${op}) THEN\n${parts.join('\n')}\nEND IF;`
  await knex.raw(`
    CREATE FUNCTION disclosure_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${body("'UPDATE', 'DELETE'", NARROW_ROLLUPS.map((r) => applySql(r, 'old_rows', -1)))}
      ${body("'INSERT', 'UPDATE'", NARROW_ROLLUPS.map((r) => applySql(r, 'new_rows', 1)))}
      ${body("'UPDATE', 'DELETE'", NARROW_ROLLUPS.map(pruneSql))}
      ${body("'INSERT', 'UPDATE'", [bumpVersions('new_rows')])}
      ${body("'DELETE'", [bumpVersions('old_rows')])}
      RETURN NULL;
    END $$`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_ins AFTER INSERT ON disclosures
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_upd AFTER UPDATE ON disclosures
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_del AFTER DELETE ON disclosures
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION disclosure_rollups_apply()`)

  // A roll-up keyed by recipient type must follow an organisation whose type is corrected: move
  // that recipient's counts from the old type to the new, reading the exact daily cube.
  const byType = NARROW_ROLLUPS.filter((r) => r.dims.some((d) => d.column === 'recipient_type'))
  const move = (rollup: NarrowRollup, type: 'NEW' | 'OLD', sign: '' | '-') => {
    const keys = keyColumns(rollup)
    const cols = rollup.dims.map((d) => (d.column === 'recipient_type' ? `${type}.recipient_type` : `dd.${d.column}`))
    const period = rollup.grain === 'month' ? `date_trunc('month', dd.day)::date` : 'dd.day'
    const select = ['dd.practice_id', period, ...cols]
    const ordinals = select.map((_, i) => i + 1).join(', ')
    return `INSERT INTO ${rollup.table} AS t (${keys.join(', ')}, disclosures)
        SELECT ${select.join(', ')}, ${sign}sum(dd.disclosures) FROM disclosure_daily dd WHERE dd.recipient_id = NEW.id
         GROUP BY ${ordinals} ORDER BY ${ordinals}
        ON CONFLICT (${keys.join(', ')}) DO UPDATE SET disclosures = t.disclosures + excluded.disclosures;`
  }
  await knex.raw(`
    CREATE FUNCTION disclosure_rollups_recipient_type() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${byType.map((r) => [move(r, 'OLD', '-'), move(r, 'NEW', ''), `DELETE FROM ${r.table} WHERE recipient_type = OLD.recipient_type AND disclosures = 0;`].join('\n')).join('\n')}
      RETURN NULL;
    END $$`)
  await knex.raw(`CREATE TRIGGER disclosure_rollups_recipient_type AFTER UPDATE OF recipient_type ON organisations
      FOR EACH ROW WHEN (OLD.recipient_type IS DISTINCT FROM NEW.recipient_type) EXECUTE FUNCTION disclosure_rollups_recipient_type()`)

  // The list's default order (newest first, id breaking ties) for a scope of many practices:
  // reading this index backwards finds the first page without sorting the whole period.
  await knex.raw('CREATE INDEX disclosures_time_id ON disclosures (occurred_at, id)')

  // Databases that already hold disclosures: fill the new roll-ups once from the raw rows.
  for (const rollup of NARROW_ROLLUPS) await knex.raw(applySql(rollup, 'disclosures', 1))
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
