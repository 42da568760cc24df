/**
 * The chained tables, as the verifier knows them. Mirrors the lists frozen in migrations
 * 20261207020000_ledger and 20261207021000_countersignatures (the triggers' arguments): the verifier trusts this code, not what the
 * database says about its own triggers. `chain` and `key` are SQL over the row alias r;
 * `excluded` columns are left out of the row's hash (the key, so a row's content moved to
 * another key is recognised as reordered rather than merely changed).
 */
export interface ChainedTable {
  table: string
  chain: string
  key: string
  excluded: string[]
  /** The key is an integer column: the verifier walks the table in key ranges. */
  numericKey: boolean
}

export const CHAINED_TABLES: ChainedTable[] = [
  { table: 'disclosures', chain: 'r.practice_id', key: 'r.id', excluded: ['id'], numericKey: true },
  { table: 'patient_choices', chain: 'r.practice_id', key: 'r.id', excluded: ['id'], numericKey: true },
  { table: 'override_events', chain: 'r.practice_id', key: 'r.id', excluded: ['id'], numericKey: true },
  {
    table: 'override_reviews',
    chain: '(SELECT e.practice_id FROM override_events e WHERE e.id = r.override_event_id)',
    key: 'r.id',
    excluded: ['id'],
    numericKey: true,
  },
  {
    table: 'override_countersignatures',
    chain: '(SELECT e.practice_id FROM override_reviews v JOIN override_events e ON e.id = v.override_event_id WHERE v.id = r.review_id)',
    key: 'r.id',
    excluded: ['id'],
    numericKey: true,
  },
  {
    table: 'finding_events',
    chain: '(SELECT f.practice_id FROM findings f WHERE f.id = r.finding_id)',
    key: 'r.id',
    excluded: ['id'],
    numericKey: true,
  },
  { table: 'data_sharing_agreements', chain: '0', key: 'r.id', excluded: ['id'], numericKey: true },
  { table: 'agreement_purposes', chain: '0', key: "r.agreement_id || ':' || r.purpose", excluded: [], numericKey: false },
  { table: 'agreement_practices', chain: '0', key: "r.agreement_id || ':' || r.practice_id", excluded: [], numericKey: false },
  { table: 'report_exports', chain: '0', key: 'r.id', excluded: ['id'], numericKey: false },
  { table: 'access_log', chain: '0', key: 'r.id', excluded: ['id'], numericKey: true },
]

/** The SQL that hashes row r canonically: its jsonb (keys sorted by jsonb itself), nulls stripped, excluded keys removed, as UTF-8. */
export const ROW_HASH_SQL = `sha256(convert_to((jsonb_strip_nulls(to_jsonb(r)) - ?::text[])::text, 'UTF8'))`
