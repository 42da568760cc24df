import type { Knex } from 'knex'

// Decision 037: a FHIR source may be read through FHIR Bulk Data $export for a backfill. The
// flag says the server offers it; the progress row says how far the current export has been
// read (its status URL, then its manifest, the file being read and the lines of it committed),
// written in the same transaction as each batch, so a killed backfill resumes where it stopped.
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE sources ADD COLUMN bulk_export boolean NOT NULL DEFAULT false`)
  await knex.raw(`COMMENT ON COLUMN sources.bulk_export IS 'the FHIR server offers Bulk Data $export: a backfill reads through it'`)
  await knex.raw(`
    CREATE TABLE bulk_export_progress (
      source_id integer PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
      since text NOT NULL,
      until text NOT NULL,
      status_url text NOT NULL,
      manifest jsonb,
      file_index integer NOT NULL DEFAULT 0 CHECK (file_index >= 0),
      line_offset bigint NOT NULL DEFAULT 0 CHECK (line_offset >= 0),
      run_id bigint REFERENCES job_runs(id),
      started_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw(`COMMENT ON TABLE bulk_export_progress IS 'how far the current $export backfill of a source has been committed (decision 037)'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE bulk_export_progress`)
  await knex.raw(`ALTER TABLE sources DROP COLUMN bulk_export`)
}
