import type { Knex } from 'knex'

// Issue 15: the bytes of each report delivered from the web, so the "Reports produced" list can
// hand out the very file that was recorded (same SHA-256) instead of re-rendering a different
// one. Stored in 1 MiB chunks so writing and reading a 100,000-row pack stays within bounded
// memory on PostgreSQL and on the embedded database alike. Not append-only (unlike
// report_exports): files past their keeping period are deleted, the record stays.
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE report_files (
      report_id uuid NOT NULL REFERENCES report_exports(id),
      chunk integer NOT NULL,
      bytes bytea NOT NULL,
      PRIMARY KEY (report_id, chunk)
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE report_files')
}
