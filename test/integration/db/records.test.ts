import { describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { quarantineRecords, resolveQuarantined, upsertDisclosures, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()

async function fixture() {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Test Surgery' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const recipient = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'Hospital', recipientType: 'nhs_trust' })
  const row = (id: string, version: string, purpose = 'direct_care'): DisclosureRecord => ({
    practice_id: practice.id,
    source_id: source.id,
    source_record_id: id,
    source_version: version,
    occurred_at: '2026-03-01T10:00:00Z',
    patient_pseudonym: 'P-AAAA-BBBB-CCCC',
    recipient_id: recipient,
    purpose,
    purpose_code: 'TREAT',
    legal_basis: null,
    data_level: 'identifiable',
    data_description: null,
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: null,
  })
  return { practice, source, recipient, row }
}

describe('record upserts', () => {
  it('inserts new records, skips unchanged ones, replaces corrected ones and keeps the roll-up exact', async () => {
    const { row, source } = await fixture()
    expect(await upsertDisclosures(t.db, [row('a', '1'), row('b', '1'), row('b', '1')])).toEqual({ inserted: 2, updated: 0, duplicates: 1 })
    expect(await upsertDisclosures(t.db, [row('a', '1'), row('b', '1')])).toEqual({ inserted: 0, updated: 0, duplicates: 2 })
    expect(await upsertDisclosures(t.db, [row('a', '2', 'research'), row('c', '1')])).toEqual({ inserted: 1, updated: 1, duplicates: 0 })
    const raw = await t
      .db('disclosures')
      .where({ source_id: source.id })
      .select('purpose')
      .count('* as n')
      .groupBy('purpose')
      .orderBy('purpose')
    const rolled = await t.db('disclosure_daily').select('purpose').sum('disclosures as n').groupBy('purpose').orderBy('purpose')
    expect(raw).toEqual([
      { purpose: 'direct_care', n: 2 },
      { purpose: 'research', n: 1 },
    ])
    expect(rolled.map((r) => ({ purpose: r.purpose, n: Number(r.n) }))).toEqual(raw)
  })

  it('quarantines a record once however often it is seen, and resolves it when it later loads', async () => {
    const source = (await t.db('sources').first())!
    const item = {
      sourceId: source.id,
      recordKey: 'bad-1',
      resourceType: 'AuditEvent',
      reason: 'no purpose',
      payload: { id: 'bad-1' },
      runId: null,
    }
    await quarantineRecords(t.db, [item])
    await quarantineRecords(t.db, [{ ...item, reason: 'still no purpose' }])
    const rows = await t.db('quarantine').where({ record_key: 'bad-1' })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ reason: 'still no purpose', status: 'pending' })
    expect(await resolveQuarantined(t.db, source.id, ['bad-1'], 'loaded in run 9')).toBe(1)
  })
})
