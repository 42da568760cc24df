import type { Knex } from 'knex'

// Practice privacy notices as data (docs/decisions/018): each version is a new row, never an
// overwrite, so the notice in force on any past day can always be shown. The organisation
// register gains each recipient's Data Security and Protection Toolkit (DSPT) status with dates.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('privacy_notices', (t) => {
    t.increments('id')
    t.integer('practice_id').notNullable().references('practices.id')
    t.integer('version').notNullable().comment('1, 2, ... per practice, in the order recorded')
    t.text('title').notNullable()
    t.date('in_force_from').notNullable().comment('in force until the next version (by in_force_from, then version) begins')
    t.jsonb('purposes').comment('purpose codes the notice lists; null when it lists none')
    t.jsonb('recipient_types').comment('recipient type codes the notice lists; null when it lists none')
    t.jsonb('processors').comment('named data processors [{name, ods}]; null when it names none')
    t.text('source').comment('where the words come from: a file name or a URL')
    t.text('recorded_by').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['practice_id', 'version'])
    t.index(['practice_id', 'in_force_from'])
  })
  await knex.schema.createTable('notice_promises', (t) => {
    t.integer('notice_id').notNullable().references('privacy_notices.id')
    t.text('promise').notNullable().comment('a code of the catalogue in core/promises.ts')
    t.text('words').notNullable().comment("the notice's own words for it")
    t.integer('position').notNullable()
    t.primary(['notice_id', 'promise'])
  })
  // History is kept: a recorded version is never changed (forbid_change: governance schema).
  for (const table of ['privacy_notices', 'notice_promises']) {
    await knex.raw(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION forbid_change()`)
  }

  await knex.schema.createTable('organisation_dspt', (t) => {
    t.increments('id')
    t.integer('organisation_id').notNullable().references('organisations.id')
    t.text('status')
      .notNullable()
      .checkIn(['standards_exceeded', 'standards_met', 'approaching_standards', 'standards_not_met', 'not_published'])
    t.date('valid_from').notNullable()
    t.date('valid_to').comment('inclusive; null means until a later status is recorded')
    t.text('source').comment('e.g. the DSPT publication the status was read from')
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['organisation_id', 'valid_from'])
  })
  await knex.raw(`ALTER TABLE organisation_dspt ADD CONSTRAINT organisation_dspt_period CHECK (valid_to IS NULL OR valid_to >= valid_from)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('organisation_dspt')
  await knex.schema.dropTable('notice_promises')
  await knex.schema.dropTable('privacy_notices')
}
