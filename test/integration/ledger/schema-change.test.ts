import { describe, expect, it } from 'vitest'
import { verifyIntegrity } from '../../../db/ledger/index.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'

// Decision 040, on real PostgreSQL: a nullable column without a default added to a chained table
// leaves every old row's encoding (nulls stripped) as it was, so the ledger still verifies and new
// values are chained as updates; a column added with a default changes every old row, which is
// why test/unit/db/chained-columns.test.ts refuses such a migration.

const t = useTestDatabase()

async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Test Surgery' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const recipient = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'Hospital', recipientType: 'nhs_trust' })
  await upsertDisclosures(
    t.db,
    [1, 2, 3].map((i) => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `d${i}`,
      source_version: '1',
      occurred_at: '2026-03-01T10:00:00Z',
      patient_pseudonym: 'P-AAAA-BBBB-CCCC',
      recipient_id: recipient,
      purpose: 'direct_care',
      purpose_code: 'TREAT',
      legal_basis: null,
      data_level: 'identifiable',
      data_description: 'Summary care record',
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
}

describe('the schema of a chained table growing', () => {
  it('by a nullable column without a default keeps the ledger intact, and chains the values set later', async () => {
    await seed()
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
