import type { Knex } from 'knex'

// Incremental compliance findings (docs/decisions/008-compliance-rules.md): one watermark row per
// rule says what that rule has already checked, and indexes on collected_at let a refresh find
// what arrived since without scanning millions of disclosures.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('findings_watermarks', (t) => {
    t.text('rule_id').primary()
    t.text('fingerprint')
      .notNullable()
      .comment('rule version, its settings and the reference codes it read: a change means a full re-evaluation')
    t.timestamp('collected_through', { useTz: true })
      .notNullable()
      .comment('records collected before this instant have been checked by the rule')
    t.timestamp('evaluated_at', { useTz: true }).notNullable().comment('the "now" of the last evaluation (rules that depend on elapsed time)')
    t.jsonb('state').notNullable().defaultTo('{}').comment('what else the rule remembers, e.g. a digest of each recipient’s agreements')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(`CREATE INDEX disclosures_collected_at ON disclosures (collected_at)`)
  await knex.raw(`CREATE INDEX patient_choices_collected_at ON patient_choices (collected_at)`)
  await knex.raw(`CREATE INDEX override_events_collected_at ON override_events (collected_at)`)
  await knex.raw(`CREATE INDEX findings_rule_status ON findings (rule_id, status)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX findings_rule_status')
  await knex.raw('DROP INDEX override_events_collected_at')
  await knex.raw('DROP INDEX patient_choices_collected_at')
  await knex.raw('DROP INDEX disclosures_collected_at')
  await knex.schema.dropTable('findings_watermarks')
}
