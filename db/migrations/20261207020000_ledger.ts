import type { Knex } from 'knex'

// Issue 16 (decision 024): a tamper-evident ledger. Every write to a table that must never
// change quietly appends, in the same transaction and from a statement-level trigger, one entry
// per row to a hash chain: one chain per practice, chain 0 for system-wide records. An entry's
// hash covers the previous entry's hash and the SHA-256 of the row's canonical encoding, so a
// row changed, deleted or added behind the triggers' back (a superuser, a restored dump) no
// longer matches its chain. The chain head row is locked FOR UPDATE while entries are appended:
// concurrent writers to one practice queue up and never fork its chain. A correction from the
// source (an UPDATE) is a new entry, and the version it replaces is kept in ledger_versions.
// Frozen: plain SQL, no imports (core/ledger/tables.ts mirrors the table list for the verifier).

/** table, chain key expression over row r, row key expression over r, columns left out of the hash. */
const CHAINED: Array<[string, string, string, string[]]> = [
  ['disclosures', 'r.practice_id', 'r.id', ['id']],
  ['patient_choices', 'r.practice_id', 'r.id', ['id']],
  ['override_events', 'r.practice_id', 'r.id', ['id']],
  ['override_reviews', '(SELECT e.practice_id FROM override_events e WHERE e.id = r.override_event_id)', 'r.id', ['id']],
  ['finding_events', '(SELECT f.practice_id FROM findings f WHERE f.id = r.finding_id)', 'r.id', ['id']],
  ['data_sharing_agreements', '0', 'r.id', ['id']],
  ['agreement_purposes', '0', "r.agreement_id || ':' || r.purpose", []],
  ['agreement_practices', '0', "r.agreement_id || ':' || r.practice_id", []],
  ['report_exports', '0', 'r.id', ['id']],
  ['access_log', '0', 'r.id', ['id']],
]

/**
 * The body that appends one statement's rows (relation `src`: a transition table, or the table
 * itself for the backfill) to their chains. Chains are locked in ascending order so two
 * statements never wait on each other's heads in a cycle. Entries are flushed every 10,000 rows
 * so a million-row statement does not hold them all in arrays.
 */
function appendBody(src: string): string {
  return `
DECLARE
  chain_expr text := TG_ARGV_0;
  key_expr text := TG_ARGV_1;
  excluded text[] := TG_ARGV_2::text[];
  op text := OP_NAME;
  tbl text := TABLE_NAME;
  row_hash_sql text := CASE WHEN op = 'delete' THEN 'NULL::bytea'
    ELSE 'sha256(convert_to((jsonb_strip_nulls(to_jsonb(r)) - $2)::text, ''UTF8''))' END;
  c integer; s bigint; h bytea; p bytea; r record; j integer;
  seqs bigint[]; keys text[]; rhs bytea[]; prevs bytea[]; hs bytea[];
BEGIN
  IF op = 'update' THEN
    EXECUTE format('INSERT INTO ledger_versions (table_name, row_key, row_data)
                    SELECT %L, (%s)::text, jsonb_strip_nulls(to_jsonb(r)) - $1 FROM old_rows r', tbl, key_expr) USING excluded;
  END IF;
  FOR c IN EXECUTE format('SELECT DISTINCT coalesce(%s, 0)::int FROM ${src} r ORDER BY 1', chain_expr) LOOP
    INSERT INTO ledger_heads (chain_key, seq, hash)
      VALUES (c, 0, sha256(convert_to('sharing-ledger chain ' || c, 'UTF8')))
      ON CONFLICT (chain_key) DO NOTHING;
    SELECT l.seq, l.hash INTO s, h FROM ledger_heads l WHERE l.chain_key = c FOR UPDATE;
    seqs := '{}'; keys := '{}'; rhs := '{}'; prevs := '{}'; hs := '{}'; j := 0;
    FOR r IN EXECUTE format('SELECT (%s)::text AS k, %s AS rh FROM ${src} r WHERE coalesce(%s, 0) = $1 ORDER BY (%s)',
                            key_expr, row_hash_sql, chain_expr, key_expr) USING c, excluded LOOP
      s := s + 1;
      p := h;
      h := sha256(p || convert_to(s::text || ':' || tbl || ':' || r.k || ':' || op || ':' || coalesce(encode(r.rh, 'hex'), ''), 'UTF8'));
      -- Element assignment extends the arrays in place; "arr := arr || x" would copy them each time.
      j := j + 1;
      seqs[j] := s; keys[j] := r.k; rhs[j] := r.rh; prevs[j] := p; hs[j] := h;
      IF j >= 10000 THEN
        INSERT INTO ledger_entries (chain_key, seq, table_name, row_key, row_num, op, row_hash, prev_hash, hash)
          SELECT c, u.s, tbl, u.k, CASE WHEN u.k ~ '^[0-9]{1,18}$' THEN u.k::bigint END, op, u.rh, u.p, u.h
            FROM unnest(seqs, keys, rhs, prevs, hs) AS u(s, k, rh, p, h);
        seqs := '{}'; keys := '{}'; rhs := '{}'; prevs := '{}'; hs := '{}'; j := 0;
      END IF;
    END LOOP;
    INSERT INTO ledger_entries (chain_key, seq, table_name, row_key, row_num, op, row_hash, prev_hash, hash)
      SELECT c, u.s, tbl, u.k, CASE WHEN u.k ~ '^[0-9]{1,18}$' THEN u.k::bigint END, op, u.rh, u.p, u.h
        FROM unnest(seqs, keys, rhs, prevs, hs) AS u(s, k, rh, p, h);
    UPDATE ledger_heads SET seq = s, hash = h, updated_at = now() WHERE chain_key = c;
  END LOOP;
  RETURN NULL;
END`
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ledger_heads (
      chain_key integer PRIMARY KEY,
      seq bigint NOT NULL,
      hash bytea NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw(`
    CREATE TABLE ledger_entries (
      chain_key integer NOT NULL,
      seq bigint NOT NULL,
      table_name text NOT NULL,
      row_key text NOT NULL,
      -- the row key as a number when it is one: the verifier walks tables by key range
      row_num bigint,
      op text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
      row_hash bytea,
      prev_hash bytea NOT NULL,
      hash bytea NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (chain_key, seq)
    )`)
  await knex.raw('CREATE INDEX ledger_entries_row_num ON ledger_entries (table_name, row_num) WHERE row_num IS NOT NULL')
  await knex.raw('CREATE INDEX ledger_entries_row_key ON ledger_entries (table_name, row_key) WHERE row_num IS NULL')
  await knex.raw(`
    CREATE TABLE ledger_versions (
      id bigserial PRIMARY KEY,
      table_name text NOT NULL,
      row_key text NOT NULL,
      -- the superseded version, as it was hashed (nulls stripped, key column left out)
      row_data jsonb NOT NULL,
      superseded_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX ledger_versions_row ON ledger_versions (table_name, row_key)')
  await knex.raw(`
    CREATE TABLE ledger_checkpoints (
      id bigserial PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL,
      -- the signed JSON document exactly as written to the file
      document jsonb NOT NULL,
      key_fingerprint text NOT NULL,
      development_key boolean NOT NULL
    )`)
  await knex.raw(`
    CREATE TABLE ledger_verifications (
      id bigserial PRIMARY KEY,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL DEFAULT now(),
      run_by text NOT NULL,
      scope text NOT NULL,
      intact boolean NOT NULL,
      entries bigint NOT NULL,
      rows_checked bigint NOT NULL,
      problems jsonb NOT NULL DEFAULT '[]',
      checkpoint_id bigint REFERENCES ledger_checkpoints(id)
    )`)
  for (const table of ['ledger_entries', 'ledger_versions', 'ledger_checkpoints', 'ledger_verifications']) {
    await knex.raw(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION forbid_change()`)
    await knex.raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()`)
  }

  // Three functions, one per operation, so each names its own transition table. The canonical
  // time zone is UTC: to_jsonb renders a timestamptz in the session's zone.
  for (const [name, op, src] of [
    ['ledger_append_insert', 'insert', 'new_rows'],
    ['ledger_append_update', 'update', 'new_rows'],
    ['ledger_append_delete', 'delete', 'old_rows'],
  ] as const) {
    const body = appendBody(src)
      .replace('TG_ARGV_0', 'TG_ARGV[0]')
      .replace('TG_ARGV_1', 'TG_ARGV[1]')
      .replace('TG_ARGV_2', 'TG_ARGV[2]')
      .replace('OP_NAME', `'${op}'`)
      .replace('TABLE_NAME', 'TG_TABLE_NAME')
    await knex.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SET "TimeZone" = 'UTC' AS $fn$${body}$fn$`)
  }

  for (const [table, chain, key, excluded] of CHAINED) {
    const args = [chain, key, `{${excluded.join(',')}}`].map((a) => `'${a.replaceAll("'", "''")}'`).join(', ')
    await knex.raw(`CREATE TRIGGER ${table}_ledger_ins AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_insert(${args})`)
    await knex.raw(`CREATE TRIGGER ${table}_ledger_upd AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_update(${args})`)
    await knex.raw(`CREATE TRIGGER ${table}_ledger_del AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_delete(${args})`)
  }

  // Rows written before the ledger existed open their chains, in key order, table by table.
  const backfill = appendBody('pg_temp.ledger_backfill_rows')
    .replace('TG_ARGV_0', 'chain_in')
    .replace('TG_ARGV_1', 'key_in')
    .replace('TG_ARGV_2', 'excluded_in')
    .replace('OP_NAME', "'insert'")
    .replace('TABLE_NAME', 'table_in')
    .replace('RETURN NULL;', '')
  await knex.raw(
    `CREATE FUNCTION pg_temp.ledger_backfill(table_in text, chain_in text, key_in text, excluded_in text) RETURNS void LANGUAGE plpgsql SET "TimeZone" = 'UTC' AS $fn$${backfill}$fn$`,
  )
  for (const [table, chain, key, excluded] of CHAINED) {
    const { rows } = await knex.raw(`SELECT EXISTS (SELECT 1 FROM ${table}) AS any`)
    if (!rows[0].any) continue
    await knex.raw(`CREATE TEMP VIEW ledger_backfill_rows AS SELECT * FROM ${table}`)
    await knex.raw('SELECT pg_temp.ledger_backfill(?, ?, ?, ?)', [table, chain, key, `{${excluded.join(',')}}`])
    await knex.raw('DROP VIEW pg_temp.ledger_backfill_rows')
  }
  await knex.raw('DROP FUNCTION pg_temp.ledger_backfill(text, text, text, text)')
}

export async function down(knex: Knex): Promise<void> {
  for (const [table] of CHAINED) {
    for (const t of ['ins', 'upd', 'del']) await knex.raw(`DROP TRIGGER ${table}_ledger_${t} ON ${table}`)
  }
  for (const f of ['ledger_append_insert', 'ledger_append_update', 'ledger_append_delete']) await knex.raw(`DROP FUNCTION ${f}()`)
  for (const t of ['ledger_verifications', 'ledger_checkpoints', 'ledger_versions', 'ledger_entries', 'ledger_heads']) await knex.raw(`DROP TABLE ${t}`)
}
