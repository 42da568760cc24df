import type { Knex } from 'knex'

// Governance and security: people, reviews, agreements, findings, the access log and report
// exports. Signed reviews and the access log are append-only, enforced here rather than in code.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id')
    t.text('email').notNullable()
    t.text('display_name').notNullable()
    t.text('password_hash').notNullable()
    t.text('role').notNullable().checkIn(['caldicott_guardian', 'practice_manager', 'auditor', 'admin'])
    t.integer('failed_attempts').notNullable().defaultTo(0)
    t.timestamp('locked_until', { useTz: true })
    t.timestamp('disabled_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`)

  await knex.schema.createTable('user_practices', (t) => {
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE')
    t.integer('practice_id').notNullable().references('practices.id')
    t.primary(['user_id', 'practice_id'])
  })

  await knex.schema.createTable('override_reviews', (t) => {
    t.bigIncrements('id')
    t.bigInteger('override_event_id').notNullable().references('override_events.id')
    t.integer('reviewer_id').notNullable().references('users.id')
    t.text('verdict').notNullable().checkIn(['justified', 'not_justified', 'inconclusive'])
    t.text('reasons').notNullable()
    t.integer('second_signer_id').references('users.id')
    t.boolean('escalated').notNullable().defaultTo(false)
    t.bigInteger('supersedes_id').unique().references('override_reviews.id')
    t.timestamp('signed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['override_event_id', 'signed_at'])
  })
  await knex.raw(
    `ALTER TABLE override_reviews ADD CONSTRAINT override_reviews_reasons_given CHECK (length(btrim(reasons)) > 0)`,
  )

  await knex.schema.createTable('data_sharing_agreements', (t) => {
    t.increments('id')
    t.text('reference').notNullable().unique()
    t.integer('recipient_id').notNullable().references('organisations.id')
    t.text('data_level').notNullable().checkIn(['identifiable', 'pseudonymised', 'anonymised'])
    t.date('valid_from').notNullable()
    t.date('valid_to').comment('inclusive; null means open-ended')
    t.text('description')
    t.integer('created_by').references('users.id')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['recipient_id', 'valid_from'])
  })
  await knex.raw(
    `ALTER TABLE data_sharing_agreements ADD CONSTRAINT dsa_period CHECK (valid_to IS NULL OR valid_to >= valid_from)`,
  )
  await knex.schema.createTable('agreement_purposes', (t) => {
    t.integer('agreement_id').notNullable().references('data_sharing_agreements.id').onDelete('CASCADE')
    t.text('purpose').notNullable().references('purposes.code')
    t.primary(['agreement_id', 'purpose'])
  })
  await knex.schema.createTable('agreement_practices', (t) => {
    t.integer('agreement_id').notNullable().references('data_sharing_agreements.id').onDelete('CASCADE')
    t.integer('practice_id').notNullable().references('practices.id')
    t.primary(['agreement_id', 'practice_id'])
  })

  await knex.schema.createTable('findings', (t) => {
    t.bigIncrements('id')
    t.text('rule_id').notNullable()
    t.text('severity').notNullable().checkIn(['high', 'medium', 'low'])
    t.integer('practice_id').references('practices.id')
    t.text('subject_key').notNullable().comment('what the finding is about, e.g. disclosure:123; unique per rule')
    t.text('summary').notNullable()
    t.jsonb('evidence').notNullable().defaultTo('[]')
    t.text('status').notNullable().defaultTo('open').checkIn(['open', 'accepted', 'resolved'])
    t.timestamp('opened_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['rule_id', 'subject_key'])
    t.index(['practice_id', 'status', 'severity'])
  })
  await knex.schema.createTable('finding_events', (t) => {
    t.bigIncrements('id')
    t.bigInteger('finding_id').notNullable().references('findings.id')
    t.text('from_status')
    t.text('to_status').notNullable()
    t.text('reason').notNullable()
    t.integer('by_user_id').references('users.id').comment('null when the system closed it')
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['finding_id', 'at'])
  })

  await knex.schema.createTable('access_log', (t) => {
    t.bigIncrements('id')
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('user_id').references('users.id')
    t.text('actor').notNullable().comment('email as typed, or "system" / "cli:<os user>"')
    t.text('action').notNullable()
    t.text('outcome').notNullable().defaultTo('ok')
    t.integer('practice_id').references('practices.id')
    t.text('target')
    t.text('ip')
    t.jsonb('detail')
    t.index(['at'])
  })

  await knex.schema.createTable('report_exports', (t) => {
    t.uuid('id').primary()
    t.text('kind').notNullable().checkIn(['audit', 'commissioner', 'incident'])
    t.jsonb('params').notNullable()
    t.integer('generated_by_user_id').references('users.id')
    t.text('generated_by').notNullable()
    t.timestamp('generated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.jsonb('row_counts').notNullable().defaultTo('{}')
    t.jsonb('section_digests').notNullable().defaultTo('{}')
    t.text('pdf_sha256').unique()
  })

  // Append-only tables: an UPDATE, DELETE or TRUNCATE raises, whoever runs it.
  // One statement per call: the embedded database (PGlite) prepares each query on its own.
  await knex.raw(`
    CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: rows cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$`)
  for (const table of ['access_log', 'override_reviews']) {
    await knex.raw(
      `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    )
    await knex.raw(
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()`,
    )
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'report_exports',
    'access_log',
    'finding_events',
    'findings',
    'agreement_practices',
    'agreement_purposes',
    'data_sharing_agreements',
    'override_reviews',
    'user_practices',
    'users',
  ]) {
    await knex.schema.dropTable(table)
  }
  await knex.raw('DROP FUNCTION forbid_change()')
}
