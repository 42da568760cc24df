import { describe, expect, it } from 'vitest'
import { verifyIntegrity } from '../../../db/ledger/index.js'
import { useTestDatabase } from '../../support/db.js'
import { seedChainedDisclosures } from '../../support/ledger-seed.js'

// Decision 040, on real PostgreSQL: a nullable column without a default added to a chained table
// leaves every old row's encoding (nulls stripped) as it was, so the ledger still verifies and new
// values are chained as updates; a column added with a default changes every old row, which is
// why test/unit/db/chained-columns.test.ts refuses such a migration.

const t = useTestDatabase()

describe('the schema of a chained table growing', () => {
  it('by a nullable column without a default keeps the ledger intact, and chains the values set later', async () => {
    await seedChainedDisclosures(t.db)
    expect((await verifyIntegrity(t.db, { runBy: 'test', record: false })).intact).toBe(true)
    await t.db.raw('ALTER TABLE disclosures ADD COLUMN reviewed_note text')
    expect((await verifyIntegrity(t.db, { runBy: 'test', record: false })).intact).toBe(true)
    const before = Number((await t.db('ledger_entries').count('* as n').first())!.n)
    await t.db('disclosures').where({ source_record_id: 'd2' }).update({ reviewed_note: 'checked' })
    expect(Number((await t.db('ledger_entries').count('* as n').first())!.n)).toBe(before + 1)
    expect((await verifyIntegrity(t.db, { runBy: 'test', record: false })).intact).toBe(true)
  })

  it('by a column with a default changes every old row, which verify reports', async () => {
    await t.db.raw('ALTER TABLE disclosures ADD COLUMN flagged boolean NOT NULL DEFAULT false')
    const r = await verifyIntegrity(t.db, { runBy: 'test', record: false })
    expect(r.intact).toBe(false)
    expect(r.problems.filter((p) => p.kind === 'changed')).toHaveLength(3)
  })
})
