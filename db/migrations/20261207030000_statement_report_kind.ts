import type { Knex } from 'knex'

// Issue 17: a patient's disclosure statement is recorded like any report (its id, who, when,
// the patient's pseudonym in params; never the NHS number). knex's checkIn made an unnamed-by-us
// constraint "report_exports_kind_check"; it is replaced with the fourth kind.
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE report_exports DROP CONSTRAINT report_exports_kind_check`)
  await knex.raw(`ALTER TABLE report_exports ADD CONSTRAINT report_exports_kind_check CHECK (kind IN ('audit', 'commissioner', 'incident', 'statement'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE report_exports DROP CONSTRAINT report_exports_kind_check`)
  await knex.raw(`ALTER TABLE report_exports ADD CONSTRAINT report_exports_kind_check CHECK (kind IN ('audit', 'commissioner', 'incident'))`)
}
