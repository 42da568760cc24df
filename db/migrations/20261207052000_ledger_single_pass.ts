import type { Knex } from 'knex'

// Issue 19 found it: the ledger's trigger functions (migration 20261207020000) walked a
// statement's rows once per chain, each time re-evaluating every row's chain expression (for
// finding_events a subquery on findings). A full evaluation opening 1.2M findings over 150
// practices spent 180M lookups in the trigger and ran for more than 13 minutes. The functions are
// replaced by one pass over the rows in (chain, key) order: the same entries, sequence numbers and
// hashes in the same order, each row's chain, key and hash computed once. Frozen: plain SQL, no
// imports; down() puts the previous bodies back.

function singlePassBody(src: string): string {
  return `
DECLARE
  chain_expr text := TG_ARGV_0;
  key_expr text := TG_ARGV_1;
  excluded text[] := TG_ARGV_2::text[];
  op text := OP_NAME;
  tbl text := TABLE_NAME;
  row_hash_sql text := CASE WHEN op = 'delete' THEN 'NULL::bytea'
    ELSE 'sha256(convert_to((jsonb_strip_nulls(to_jsonb(r)) - $1)::text, ''UTF8''))' END;
  c integer := NULL; s bigint; h bytea; p bytea; r record; j integer := 0;
  seqs bigint[] := '{}'; keys text[] := '{}'; rhs bytea[] := '{}'; prevs bytea[] := '{}'; hs bytea[] := '{}';
BEGIN
  IF op = 'update' THEN
    EXECUTE format('INSERT INTO ledger_versions (table_name, row_key, row_data)
                    SELECT %L, (%s)::text, jsonb_strip_nulls(to_jsonb(r)) - $1 FROM old_rows r', tbl, key_expr) USING excluded;
  END IF;
  -- One pass in (chain, key) order: each row's chain, key and hash computed once.
  FOR r IN EXECUTE format('SELECT coalesce(%s, 0)::int AS c, (%s)::text AS k, %s AS rh FROM ${src} r ORDER BY 1, (%s)',
                          chain_expr, key_expr, row_hash_sql, key_expr) USING excluded LOOP
    IF c IS DISTINCT FROM r.c THEN
      IF c IS NOT NULL THEN
        INSERT INTO ledger_entries (chain_key, seq, table_name, row_key, row_num, op, row_hash, prev_hash, hash)
          SELECT c, u.s, tbl, u.k, CASE WHEN u.k ~ '^[0-9]{1,18}$' THEN u.k::bigint END, op, u.rh, u.p, u.h
            FROM unnest(seqs, keys, rhs, prevs, hs) AS u(s, k, rh, p, h);
        UPDATE ledger_heads SET seq = s, hash = h, updated_at = now() WHERE chain_key = c;
        seqs := '{}'; keys := '{}'; rhs := '{}'; prevs := '{}'; hs := '{}'; j := 0;
      END IF;
      c := r.c;
      -- Heads are locked in ascending chain order, as before: two statements never wait in a cycle.
      INSERT INTO ledger_heads (chain_key, seq, hash)
        VALUES (c, 0, sha256(convert_to('sharing-ledger chain ' || c, 'UTF8')))
        ON CONFLICT (chain_key) DO NOTHING;
      SELECT l.seq, l.hash INTO s, h FROM ledger_heads l WHERE l.chain_key = c FOR UPDATE;
    END IF;
    s := s + 1;
    p := h;
    h := sha256(p || convert_to(s::text || ':' || tbl || ':' || r.k || ':' || op || ':' || coalesce(encode(r.rh, 'hex'), ''), 'UTF8'));
    j := j + 1;
    seqs[j] := s; keys[j] := r.k; rhs[j] := r.rh; prevs[j] := p; hs[j] := h;
    IF j >= 10000 THEN
      INSERT INTO ledger_entries (chain_key, seq, table_name, row_key, row_num, op, row_hash, prev_hash, hash)
        SELECT c, u.s, tbl, u.k, CASE WHEN u.k ~ '^[0-9]{1,18}$' THEN u.k::bigint END, op, u.rh, u.p, u.h
          FROM unnest(seqs, keys, rhs, prevs, hs) AS u(s, k, rh, p, h);
      seqs := '{}'; keys := '{}'; rhs := '{}'; prevs := '{}'; hs := '{}'; j := 0;
    END IF;
  END LOOP;
  IF c IS NOT NULL THEN
    INSERT INTO ledger_entries (chain_key, seq, table_name, row_key, row_num, op, row_hash, prev_hash, hash)
      SELECT c, u.s, tbl, u.k, CASE WHEN u.k ~ '^[0-9]{1,18}$' THEN u.k::bigint END, op, u.rh, u.p, u.h
        FROM unnest(seqs, keys, rhs, prevs, hs) AS u(s, k, rh, p, h);
    UPDATE ledger_heads SET seq = s, hash = h, updated_at = now() WHERE chain_key = c;
  END IF;
  RETURN NULL;
END`
}

/** The bodies this migration replaces, as migration 20261207020000 created them (for down()). */
function previousBody(src: string): string {
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

const FUNCTIONS = [
  ['ledger_append_insert', 'insert', 'new_rows'],
  ['ledger_append_update', 'update', 'new_rows'],
  ['ledger_append_delete', 'delete', 'old_rows'],
] as const

function fill(body: string, op: string): string {
  return body
    .replace('TG_ARGV_0', 'TG_ARGV[0]')
    .replace('TG_ARGV_1', 'TG_ARGV[1]')
    .replace('TG_ARGV_2', 'TG_ARGV[2]')
    .replace('OP_NAME', `'${op}'`)
    .replace('TABLE_NAME', 'TG_TABLE_NAME')
}

export async function up(knex: Knex): Promise<void> {
  for (const [name, op, src] of FUNCTIONS)
    await knex.raw(
      `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SET "TimeZone" = 'UTC' AS $fn$${fill(singlePassBody(src), op)}$fn$`,
    )
}

export async function down(knex: Knex): Promise<void> {
  for (const [name, op, src] of FUNCTIONS)
    await knex.raw(
      `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql SET "TimeZone" = 'UTC' AS $fn$${fill(previousBody(src), op)}$fn$`,
    )
}
