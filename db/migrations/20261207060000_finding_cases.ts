import type { Knex } from 'knex'

// Issue 19 (decision 036): findings grouped by cause, and counts that do not read the findings table.
// Each finding gets the case it belongs to (case_key: what there is to fix, e.g. recipient:12:research
// for a disclosure with no agreement) and when its subject happened (subject_at). Two roll-ups,
// finding_counts (practice, rule, severity, status) and finding_case_counts (the same and the case),
// are kept exactly equal to the findings by statement-level triggers with transition tables, as
// the disclosure roll-ups are (decision 004): one grouped upsert per statement, in key order.
// A finding of no practice (a national source) counts under practice 0.
// Frozen: plain SQL, no imports (db/finding-rollups.ts rebuilds and verifies them).

const COUNTS = `finding_counts`
const CASES = `finding_case_counts`

/** Adds the net change of one statement (rows of `src` with `sign`) to a roll-up, in key order. */
function applySql(table: string, keys: string[], parts: Array<[string, 1 | -1]>): string {
  const cols = keys.join(', ')
  const selects = parts.map(
    ([src, sign]) =>
      `SELECT coalesce(r.practice_id, 0) AS practice_id, ${keys
        .filter((k) => k !== 'practice_id')
        .map((k) => `r.${k}`)
        .join(', ')}, ${sign} AS n FROM ${src} r`,
  )
  return `INSERT INTO ${table} AS t (${cols}, findings)
        SELECT ${cols}, sum(n) FROM (${selects.join(' UNION ALL ')}) x
         GROUP BY ${cols} HAVING sum(n) <> 0 ORDER BY ${cols}
        ON CONFLICT (${cols}) DO UPDATE SET findings = t.findings + excluded.findings;`
}

const COUNT_KEYS = ['practice_id', 'rule_id', 'severity', 'status']
const CASE_KEYS = ['practice_id', 'rule_id', 'case_key', 'severity', 'status']

function pruneSql(table: string): string {
  return `DELETE FROM ${table} t USING (SELECT DISTINCT coalesce(practice_id, 0) AS practice_id, rule_id FROM old_rows) o
         WHERE t.practice_id = o.practice_id AND t.rule_id = o.rule_id AND t.findings = 0;`
}

const APPLY_FUNCTION = `
  CREATE FUNCTION finding_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ${applySql(COUNTS, COUNT_KEYS, [['new_rows', 1]])}
      ${applySql(CASES, CASE_KEYS, [['new_rows', 1]])}
    ELSIF TG_OP = 'UPDATE' THEN
      ${applySql(COUNTS, COUNT_KEYS, [
        ['old_rows', -1],
        ['new_rows', 1],
      ])}
      ${applySql(CASES, CASE_KEYS, [
        ['old_rows', -1],
        ['new_rows', 1],
      ])}
      ${pruneSql(COUNTS)}
      ${pruneSql(CASES)}
    ELSE
      ${applySql(COUNTS, COUNT_KEYS, [['old_rows', -1]])}
      ${applySql(CASES, CASE_KEYS, [['old_rows', -1]])}
      ${pruneSql(COUNTS)}
      ${pruneSql(CASES)}
    END IF;
    RETURN NULL;
  END $$`

/** The case of each existing finding, as the rules now compute it (core/findings/rules/). */
const BACKFILL = [
  `UPDATE findings f SET subject_at = d.occurred_at,
          case_key = CASE f.rule_id
            WHEN 'optout_disclosure' THEN 'patient:' || d.patient_pseudonym
            WHEN 'dissent_direct_care' THEN 'patient:' || d.patient_pseudonym
            WHEN 'recipient_unassured' THEN 'recipient:' || d.recipient_id
            WHEN 'excess_identifiable' THEN 'agreement:' || coalesce(
              (SELECT e->>'id' FROM jsonb_array_elements(f.evidence) e WHERE e->>'type' = 'agreement' LIMIT 1), 'none')
            ELSE 'recipient:' || d.recipient_id || ':' || d.purpose END
     FROM disclosures d
    WHERE d.id = CASE WHEN f.subject_key ~ '^disclosure:[0-9]{1,18}$' THEN split_part(f.subject_key, ':', 2)::bigint END`,
  `UPDATE findings f SET subject_at = o.occurred_at, case_key = f.subject_key
     FROM override_events o
    WHERE o.id = CASE WHEN f.subject_key ~ '^override:[0-9]{1,18}$' THEN split_part(f.subject_key, ':', 2)::bigint END`,
  `UPDATE findings f SET case_key = CASE WHEN f.rule_id = 'ndop_count_mismatch'
                                         THEN 'practice:' || split_part(f.subject_key, ':', 2) || ':ndop'
                                         ELSE f.subject_key END
    WHERE f.case_key IS NULL`,
]

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE findings ADD COLUMN case_key text, ADD COLUMN subject_at timestamptz`)
  for (const statement of BACKFILL) await knex.raw(statement)
  await knex.raw(`ALTER TABLE findings ALTER COLUMN case_key SET NOT NULL`)
  // A finding written without a case (by hand, by an older writer) is a case of its own.
  await knex.raw(`CREATE FUNCTION findings_default_case() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.case_key := NEW.subject_key; RETURN NEW; END $$`)
  await knex.raw(`CREATE TRIGGER findings_default_case BEFORE INSERT ON findings
      FOR EACH ROW WHEN (NEW.case_key IS NULL) EXECUTE FUNCTION findings_default_case()`)
  await knex.raw(`COMMENT ON COLUMN findings.case_key IS 'the cause it shares with other findings of its rule and practice (decision 036)'`)
  await knex.raw(`COMMENT ON COLUMN findings.subject_at IS 'when its subject happened (a disclosure or override event), else null'`)
  // A case's findings, its first and last dates, and its drill-down in date order, from one index.
  await knex.raw(`CREATE INDEX findings_case ON findings (rule_id, practice_id, case_key, status, subject_at)`)
  // New high-severity findings per practice, newest first (notifications).
  await knex.raw(`CREATE INDEX findings_open_high ON findings (practice_id, opened_at) WHERE status = 'open' AND severity = 'high'`)

  await knex.raw(`
    CREATE TABLE ${COUNTS} (
      practice_id integer NOT NULL,
      rule_id text NOT NULL,
      severity text NOT NULL,
      status text NOT NULL,
      findings integer NOT NULL,
      PRIMARY KEY (practice_id, rule_id, severity, status)
    )`)
  await knex.raw(`COMMENT ON TABLE ${COUNTS} IS 'findings per practice (0: none), rule, severity and status, kept by trigger'`)
  await knex.raw(`
    CREATE TABLE ${CASES} (
      practice_id integer NOT NULL,
      rule_id text NOT NULL,
      case_key text NOT NULL,
      severity text NOT NULL,
      status text NOT NULL,
      findings integer NOT NULL,
      PRIMARY KEY (practice_id, rule_id, case_key, severity, status)
    )`)
  await knex.raw(`COMMENT ON TABLE ${CASES} IS 'findings per practice (0: none), rule, case, severity and status, kept by trigger'`)
  await knex.raw(`CREATE INDEX finding_case_counts_status ON ${CASES} (status, practice_id)`)
  await knex.raw(`INSERT INTO ${COUNTS} SELECT coalesce(practice_id, 0), rule_id, severity, status, count(*) FROM findings GROUP BY 1, 2, 3, 4`)
  await knex.raw(
    `INSERT INTO ${CASES} SELECT coalesce(practice_id, 0), rule_id, case_key, severity, status, count(*) FROM findings GROUP BY 1, 2, 3, 4, 5`,
  )

  await knex.raw(APPLY_FUNCTION)
  await knex.raw(`CREATE TRIGGER finding_rollups_ins AFTER INSERT ON findings
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finding_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER finding_rollups_upd AFTER UPDATE ON findings
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finding_rollups_apply()`)
  await knex.raw(`CREATE TRIGGER finding_rollups_del AFTER DELETE ON findings
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finding_rollups_apply()`)
}

export async function down(knex: Knex): Promise<void> {
  for (const trigger of ['finding_rollups_del', 'finding_rollups_upd', 'finding_rollups_ins']) {
    await knex.raw(`DROP TRIGGER ${trigger} ON findings`)
  }
  await knex.raw('DROP FUNCTION finding_rollups_apply()')
  await knex.raw(`DROP TABLE ${CASES}`)
  await knex.raw(`DROP TABLE ${COUNTS}`)
  await knex.raw('DROP INDEX findings_open_high')
  await knex.raw('DROP INDEX findings_case')
  await knex.raw('DROP TRIGGER findings_default_case ON findings')
  await knex.raw('DROP FUNCTION findings_default_case()')
  await knex.raw('ALTER TABLE findings DROP COLUMN subject_at, DROP COLUMN case_key')
}
