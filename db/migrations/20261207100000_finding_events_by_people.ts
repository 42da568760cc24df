import type { Knex } from 'knex'

// Decision 042: an incremental refresh re-checks an open finding only when something it depends
// on changed, and a person reopening a finding is one such change. People's status changes are a
// tiny share of finding_events (the system writes one per finding opened or resolved), so a
// partial index finds those since the last evaluation without reading the rest. Frozen: plain
// SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX finding_events_by_people_at ON finding_events (at) WHERE by_user_id IS NOT NULL`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX finding_events_by_people_at`)
}
