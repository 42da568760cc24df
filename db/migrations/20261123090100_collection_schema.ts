import type { Knex } from 'knex'

// The "data in" half: who, where from, what was collected, and the run that collected it.
// Natural keys (source_id, source_record_id) make every re-collection an idempotent upsert.

const DATA_LEVELS = ['identifiable', 'pseudonymised', 'anonymised']

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('practices', (t) => {
    t.increments('id')
    t.text('ods_code').notNullable().unique()
    t.text('name').notNullable()
    t.text('icb_code').comment('ODS code of the parent ICB (Q..), or the sub-ICB location when that is all the source gives')
    t.text('icb_name')
    t.integer('list_size').comment('registered patients, latest known')
    t.date('list_size_as_of')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(`ALTER TABLE practices ADD CONSTRAINT practices_ods_format CHECK (ods_code ~ '^[A-Z][0-9]{5}$')`)

  await knex.schema.createTable('organisations', (t) => {
    t.increments('id')
    t.text('ods_code').unique().comment('null when the recipient has no ODS code (a solicitor, an insurer)')
    t.text('name').notNullable()
    t.text('recipient_type').notNullable().references('recipient_types.code')
    t.text('parent_icb')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  // Without an ODS code, an organisation is known by its name and type.
  await knex.raw(
    `CREATE UNIQUE INDEX organisations_no_ods_key ON organisations (lower(name), recipient_type) WHERE ods_code IS NULL`,
  )

  await knex.schema.createTable('sources', (t) => {
    t.increments('id')
    t.integer('practice_id').references('practices.id').comment('null for national sources such as the NDOP publication')
    t.text('kind').notNullable().checkIn(['fhir', 'ndop_csv', 'register_csv'])
    t.text('name').notNullable()
    t.text('base_url')
    t.text('token').comment('bearer token for the practice system; never shown on a page')
    t.integer('expected_interval_minutes').notNullable().defaultTo(1440)
    t.boolean('enabled').notNullable().defaultTo(true)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  // One FHIR source per practice and URL; one file source of each kind per practice, and one
  // national one (NULLs never collide in a plain unique key, hence the partial indexes).
  await knex.raw(`CREATE UNIQUE INDEX sources_fhir_key ON sources (practice_id, base_url) WHERE kind = 'fhir'`)
  await knex.raw(`CREATE UNIQUE INDEX sources_file_key ON sources (kind, practice_id) WHERE kind <> 'fhir' AND practice_id IS NOT NULL`)
  await knex.raw(`CREATE UNIQUE INDEX sources_national_key ON sources (kind) WHERE kind <> 'fhir' AND practice_id IS NULL`)
  await knex.raw(`ALTER TABLE sources ADD CONSTRAINT sources_fhir_url CHECK (kind <> 'fhir' OR base_url IS NOT NULL)`)

  await knex.schema.createTable('job_runs', (t) => {
    t.bigIncrements('id')
    t.text('job_name').notNullable()
    t.integer('source_id').references('sources.id')
    t.text('trigger').notNullable().checkIn(['schedule', 'manual', 'backfill'])
    t.text('status').notNullable().checkIn(['active', 'completed', 'failed', 'cancelled'])
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finished_at', { useTz: true })
    t.integer('read_count').notNullable().defaultTo(0)
    t.integer('inserted_count').notNullable().defaultTo(0)
    t.integer('updated_count').notNullable().defaultTo(0)
    t.integer('duplicate_count').notNullable().defaultTo(0)
    t.integer('quarantined_count').notNullable().defaultTo(0)
    t.text('error')
    t.text('locked_by').comment('host:pid of the runner process')
    t.jsonb('params').comment('backfill range and other run parameters')
    t.index(['job_name', 'source_id', 'started_at'])
    t.index(['source_id', 'status', 'finished_at'])
  })

  await knex.schema.createTable('source_cursors', (t) => {
    t.integer('source_id').notNullable().references('sources.id').onDelete('CASCADE')
    t.text('stream').notNullable().comment('AuditEvent, Consent, ...')
    t.text('cursor').notNullable().comment('the source-side high-water mark, e.g. the newest meta.lastUpdated committed')
    t.bigInteger('run_id').references('job_runs.id')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['source_id', 'stream'])
  })

  await knex.schema.createTable('quarantine', (t) => {
    t.bigIncrements('id')
    t.integer('source_id').notNullable().references('sources.id')
    t.text('record_key').notNullable().comment('source record id, or a digest of the payload when it has none')
    t.text('resource_type')
    t.text('reason').notNullable()
    t.jsonb('payload').notNullable().comment('the raw record as received: may identify a patient, admins only')
    t.bigInteger('first_run_id').references('job_runs.id')
    t.bigInteger('last_run_id').references('job_runs.id')
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.text('status').notNullable().defaultTo('pending').checkIn(['pending', 'resolved'])
    t.text('resolution')
    t.unique(['source_id', 'record_key'])
    t.index(['status', 'source_id'])
  })

  await knex.schema.createTable('disclosures', (t) => {
    t.bigIncrements('id')
    t.integer('practice_id').notNullable().references('practices.id')
    t.integer('source_id').notNullable().references('sources.id')
    t.text('source_record_id').notNullable()
    t.text('source_version').comment('meta.versionId / lastUpdated: a change means the source corrected the record')
    t.timestamp('occurred_at', { useTz: true }).notNullable()
    t.text('patient_pseudonym').notNullable().comment('keyed HMAC of the NHS number; never the number itself')
    t.integer('recipient_id').notNullable().references('organisations.id')
    t.text('purpose').notNullable().references('purposes.code')
    t.text('purpose_code').comment('the code as the source sent it')
    t.text('legal_basis').references('legal_bases.code')
    t.text('data_level').notNullable().checkIn(DATA_LEVELS)
    t.text('data_description')
    t.text('disclosed_by_role')
    t.text('disclosed_by').comment('staff identifier in the practice system')
    t.integer('agreement_id').comment('data sharing agreement the source says it relied on')
    t.bigInteger('run_id').references('job_runs.id')
    t.timestamp('collected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['source_id', 'source_record_id'])
  })
  // The dashboard filters by practice and period first, then purpose or recipient.
  await knex.raw(`CREATE INDEX disclosures_practice_time ON disclosures (practice_id, occurred_at)`)
  await knex.raw(`CREATE INDEX disclosures_practice_purpose_time ON disclosures (practice_id, purpose, occurred_at)`)
  await knex.raw(`CREATE INDEX disclosures_recipient_time ON disclosures (recipient_id, occurred_at)`)
  await knex.raw(`CREATE INDEX disclosures_patient_time ON disclosures (patient_pseudonym, occurred_at)`)

  await knex.schema.createTable('patient_choices', (t) => {
    t.bigIncrements('id')
    t.integer('practice_id').notNullable().references('practices.id')
    t.integer('source_id').notNullable().references('sources.id')
    t.text('source_record_id').notNullable()
    t.text('source_version')
    t.text('patient_pseudonym').notNullable()
    t.text('kind').notNullable().checkIn(['ndop', 'type1', 'record_sharing', 'scr'])
    t.text('decision').notNullable().checkIn(['deny', 'permit'])
    t.timestamp('effective_at', { useTz: true }).notNullable().comment('when the choice took effect; the latest per patient and kind wins')
    t.text('code_system')
    t.text('code')
    t.text('status').notNullable().defaultTo('active').checkIn(['active', 'inactive'])
    t.bigInteger('run_id').references('job_runs.id')
    t.timestamp('collected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['source_id', 'source_record_id'])
  })
  await knex.raw(
    `CREATE INDEX patient_choices_in_force ON patient_choices (practice_id, patient_pseudonym, kind, effective_at DESC)`,
  )

  await knex.schema.createTable('practice_optout_counts', (t) => {
    t.bigIncrements('id')
    t.integer('practice_id').notNullable().references('practices.id')
    t.text('kind').notNullable().checkIn(['ndop', 'type1'])
    t.text('origin').notNullable().checkIn(['ndop_publication', 'practice_system'])
    t.date('as_of').notNullable()
    t.integer('opt_outs').notNullable()
    t.integer('list_size').notNullable()
    t.integer('source_id').references('sources.id')
    t.bigInteger('run_id').references('job_runs.id')
    t.unique(['practice_id', 'kind', 'origin', 'as_of'])
  })
  await knex.raw(
    `ALTER TABLE practice_optout_counts ADD CONSTRAINT optout_counts_sane CHECK (opt_outs >= 0 AND list_size >= 0)`,
  )

  await knex.schema.createTable('override_events', (t) => {
    t.bigIncrements('id')
    t.integer('practice_id').notNullable().references('practices.id')
    t.integer('source_id').notNullable().references('sources.id')
    t.text('source_record_id').notNullable()
    t.text('source_version')
    t.timestamp('occurred_at', { useTz: true }).notNullable()
    t.text('patient_pseudonym').notNullable()
    t.text('kind').notNullable().checkIn(['break_glass', 'consent_override', 'override_stopped'])
    t.text('reason_code').comment('OVRER, OVRPJ, OVRPS, OVRTPS')
    t.text('purpose_code').comment('ETREAT, BTG, ...')
    t.text('legal_basis').references('legal_bases.code')
    t.text('actor_role')
    t.text('actor')
    t.integer('recipient_id').references('organisations.id')
    t.text('description')
    t.bigInteger('run_id').references('job_runs.id')
    t.timestamp('collected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['source_id', 'source_record_id'])
  })
  await knex.raw(`CREATE INDEX override_events_practice_time ON override_events (practice_id, occurred_at)`)
  await knex.raw(`CREATE INDEX override_events_patient_time ON override_events (patient_pseudonym, occurred_at)`)
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'override_events',
    'practice_optout_counts',
    'patient_choices',
    'disclosures',
    'quarantine',
    'source_cursors',
    'job_runs',
    'sources',
    'organisations',
    'practices',
  ]) {
    await knex.schema.dropTable(table)
  }
}
