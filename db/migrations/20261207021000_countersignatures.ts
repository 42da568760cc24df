import type { Knex } from 'knex'

// Issue 16: a second signer who really signs. A review that names a second signer is complete
// only when that user, signed in as themselves, countersigns it; they may instead decline with
// a reason. One decision per review; append-only like the reviews, and chained in the ledger
// (the practice's chain, through the review's event). Frozen: plain SQL, no imports.

const CHAIN = '(SELECT e.practice_id FROM override_reviews v JOIN override_events e ON e.id = v.override_event_id WHERE v.id = r.review_id)'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE override_countersignatures (
      id bigserial PRIMARY KEY,
      review_id bigint NOT NULL UNIQUE REFERENCES override_reviews(id),
      signer_id integer NOT NULL REFERENCES users(id),
      decision text NOT NULL CHECK (decision IN ('countersigned', 'declined')),
      reason text,
      signed_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT countersignature_decline_reason CHECK (decision = 'countersigned' OR length(btrim(coalesce(reason, ''))) > 0)
    )`)
  await knex.raw('CREATE INDEX override_countersignatures_signer ON override_countersignatures (signer_id)')
  // The reviews awaiting a named person: looked up on every /overrides page they open.
  await knex.raw('CREATE INDEX override_reviews_second_signer ON override_reviews (second_signer_id) WHERE second_signer_id IS NOT NULL')
  await knex.raw(`CREATE TRIGGER override_countersignatures_append_only BEFORE UPDATE OR DELETE ON override_countersignatures FOR EACH ROW EXECUTE FUNCTION forbid_change()`)
  await knex.raw(`CREATE TRIGGER override_countersignatures_no_truncate BEFORE TRUNCATE ON override_countersignatures FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()`)
  const args = [CHAIN, 'r.id', '{id}'].map((a) => `'${a.replaceAll("'", "''")}'`).join(', ')
  await knex.raw(`CREATE TRIGGER override_countersignatures_ledger_ins AFTER INSERT ON override_countersignatures REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_insert(${args})`)
  await knex.raw(`CREATE TRIGGER override_countersignatures_ledger_upd AFTER UPDATE ON override_countersignatures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_update(${args})`)
  await knex.raw(`CREATE TRIGGER override_countersignatures_ledger_del AFTER DELETE ON override_countersignatures REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_delete(${args})`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX override_reviews_second_signer')
  await knex.raw('DROP TABLE override_countersignatures')
}
