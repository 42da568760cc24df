import type { Knex } from 'knex'

// Issue 12 (safety): sessions held server-side, so sign-out and disabling a user end them at
// once and idle/absolute expiry is enforced by the server, not by the cookie; sign-in
// throttling that slows attempts per address and per account instead of locking a named user
// out; and every access-log entry carries the practices it concerns, so a practice's readers
// see exactly its entries. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sessions (
      -- SHA-256 of the random id the cookie carries: a leaked table cannot be replayed as cookies.
      id_hash text PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users(id),
      csrf text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      idle_expires_at timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      ended_at timestamptz,
      ended_reason text
    )`)
  await knex.raw('CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL')

  await knex.raw(`
    CREATE TABLE sign_in_throttle (
      -- 'ip:<address>' or 'account:<lower-cased e-mail as typed>' (whether or not it exists).
      key text PRIMARY KEY,
      failures integer NOT NULL DEFAULT 0,
      last_failure_at timestamptz NOT NULL DEFAULT now(),
      next_attempt_at timestamptz NOT NULL DEFAULT now()
    )`)

  await knex.raw(`ALTER TABLE access_log ADD COLUMN practice_ids integer[] NOT NULL DEFAULT '{}'`)
  // The table is append-only by trigger; this one backfill of the new column is the exception.
  await knex.raw('ALTER TABLE access_log DISABLE TRIGGER access_log_append_only')
  await knex.raw('UPDATE access_log SET practice_ids = ARRAY[practice_id] WHERE practice_id IS NOT NULL')
  await knex.raw('ALTER TABLE access_log ENABLE TRIGGER access_log_append_only')
  await knex.raw('CREATE INDEX access_log_practice_ids ON access_log USING gin (practice_ids)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX access_log_practice_ids')
  await knex.raw('ALTER TABLE access_log DROP COLUMN practice_ids')
  await knex.raw('DROP TABLE sign_in_throttle')
  await knex.raw('DROP TABLE sessions')
}
