import type { Knex } from 'knex'

// Issue 16: several processes may run the scheduler (decision 001); a job that must run once per
// scheduled time (the nightly ledger check and checkpoint) claims that minute here first, and only
// the process whose insert succeeds runs it. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE scheduled_claims (
      job text NOT NULL,
      due_at timestamptz NOT NULL,
      claimed_by text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (job, due_at)
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE scheduled_claims`)
}
