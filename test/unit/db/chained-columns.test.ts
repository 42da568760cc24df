import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAINED_TABLES } from '../../../db/ledger/tables.js'

// Decision 040: a chained row's hash is its jsonb with nulls stripped, so the schema of a chained
// table may grow only by columns that are NULL for every existing row (nullable, no default):
// then no old row's encoding changes and the ledger stays verifiable without re-chaining. A
// default, NOT NULL, a dropped, renamed or retyped column would change old rows' encoding. Every
// migration after the ledger's is read here; one that does any of these to a chained table fails.

const DIR = path.resolve('db/migrations')
const LEDGER = '20261207020000_ledger.ts'
const chained = CHAINED_TABLES.map((t) => t.table)

/** The ALTER TABLE statements of a migration's up(), as "table: clause" strings that change old rows' encoding. */
export function encodingChanges(source: string): string[] {
  const up = source.slice(source.indexOf('async function up'), source.indexOf('async function down'))
  const found: string[] = []
  for (const m of up.matchAll(/ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+([^;`]+)/gi)) {
    const table = m[1]!.toLowerCase()
    if (!chained.includes(table)) continue
    for (const clause of m[2]!.split(/,(?![^()]*\))/)) {
      const c = clause.trim()
      const add = /^ADD\s+(?:COLUMN\s+)?(?!CONSTRAINT)/i.test(c)
      if (
        (add && /\b(DEFAULT|NOT\s+NULL|GENERATED|PRIMARY\s+KEY|SERIAL|BIGSERIAL)\b/i.test(c)) ||
        /^(DROP\s+COLUMN|RENAME\s+COLUMN|ALTER\s+(COLUMN\s+)?\w+\s+(SET\s+DATA\s+)?TYPE)\b/i.test(c)
      )
        found.push(`${table}: ${c.replace(/\s+/g, ' ')}`)
    }
  }
  return found
}

describe('migrations after the ledger', () => {
  it('never change how an existing row of a chained table is encoded', () => {
    const later = fs
      .readdirSync(DIR)
      .filter((f) => /^\d{14}_.*\.ts$/.test(f) && f > LEDGER)
      .sort()
    expect(later.length).toBeGreaterThan(0)
    const offending = later.flatMap((f) => encodingChanges(fs.readFileSync(path.join(DIR, f), 'utf8')).map((c) => `${f}: ${c}`))
    expect(offending).toEqual([])
  })

  it('would catch a column added with a default, NOT NULL, dropped or retyped, and allow a nullable one or a constraint', () => {
    const m = (sql: string) => `export async function up(knex) { await knex.raw(\`${sql}\`) }\nexport async function down() {}`
    expect(encodingChanges(m('ALTER TABLE disclosures ADD COLUMN flagged boolean NOT NULL DEFAULT false'))).toHaveLength(1)
    expect(encodingChanges(m("ALTER TABLE finding_events ADD COLUMN case_key text DEFAULT 'x'"))).toHaveLength(1)
    expect(encodingChanges(m('ALTER TABLE access_log DROP COLUMN detail'))).toHaveLength(1)
    expect(encodingChanges(m('ALTER TABLE override_reviews ALTER COLUMN reasons TYPE varchar(500)'))).toHaveLength(1)
    expect(encodingChanges(m('ALTER TABLE disclosures ADD COLUMN bulk_file text'))).toEqual([])
    expect(encodingChanges(m("ALTER TABLE report_exports ADD CONSTRAINT report_exports_kind_check CHECK (kind IN ('a'))"))).toEqual([])
    expect(encodingChanges(m('ALTER TABLE sources ADD COLUMN bulk boolean NOT NULL DEFAULT false'))).toEqual([]) // not chained
  })
})
