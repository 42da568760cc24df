import type { Knex } from 'knex'

// Decision 034: reports an administrator or practice manager has scheduled. `last_due_at` is
// the cron minute last produced: a process claims a due minute by moving it forward with a
// compare-and-set, so each minute's report is produced once however many schedulers run.
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE report_schedules (
      id serial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('audit', 'commissioner')),
      practice_ids integer[] NOT NULL CHECK (cardinality(practice_ids) > 0),
      period_rule text NOT NULL CHECK (period_rule IN ('last-month', 'last-quarter', 'last-12-months')),
      cron text NOT NULL,
      recipient_ids integer[] NOT NULL CHECK (cardinality(recipient_ids) > 0),
      created_by_user_id integer NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      last_due_at timestamptz,
      deleted_at timestamptz
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE report_schedules`)
}
