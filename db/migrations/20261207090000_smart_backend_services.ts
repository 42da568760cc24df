import type { Knex } from 'knex'

// Decision 041: a FHIR source may authorise through SMART Backend Services (a signed JWT
// assertion for a short-lived access token) for its $export backfills. The database holds the
// client id, where the private key is read from (a file on the ledger's host) and its key id,
// never the key. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE sources
      ADD COLUMN smart_client_id text CHECK (length(smart_client_id) BETWEEN 1 AND 500),
      ADD COLUMN smart_key_file text CHECK (length(smart_key_file) BETWEEN 1 AND 1000),
      ADD COLUMN smart_key_id text CHECK (length(smart_key_id) BETWEEN 1 AND 500),
      ADD CONSTRAINT sources_smart_all_or_none CHECK (
        (smart_client_id IS NULL) = (smart_key_file IS NULL) AND (smart_client_id IS NULL) = (smart_key_id IS NULL)
      )`)
  await knex.raw(
    `COMMENT ON COLUMN sources.smart_client_id IS 'SMART Backend Services client id registered with the source (decision 041)'`,
  )
  await knex.raw(
    `COMMENT ON COLUMN sources.smart_key_file IS 'path of the private key (PEM or JWK) on the ledger host: the key itself is never stored'`,
  )
  await knex.raw(`COMMENT ON COLUMN sources.smart_key_id IS 'the kid of that key in the JWK set registered with the source'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE sources DROP CONSTRAINT sources_smart_all_or_none`)
  await knex.raw(`ALTER TABLE sources DROP COLUMN smart_client_id, DROP COLUMN smart_key_file, DROP COLUMN smart_key_id`)
}
