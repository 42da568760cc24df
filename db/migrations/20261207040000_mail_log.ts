import type { Knex } from 'knex'

// Decision 034: every mail the service sends is recorded before it goes, under a key that says
// what it was for (a digest: the day; a high-finding alert: the finding; a scheduled report: the
// report), so a re-run, a second scheduler process or a retry never sends the same mail twice.
// Addresses and subjects only: bodies are never stored (they carry nothing but counts and links).
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mail_log (
      id bigserial PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users(id),
      kind text NOT NULL CHECK (kind IN ('digest', 'high_finding', 'scheduled_report')),
      key text NOT NULL,
      recipient text NOT NULL,
      subject text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      message_id text,
      UNIQUE (user_id, kind, key)
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE mail_log`)
}
