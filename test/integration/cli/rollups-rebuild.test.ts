import { describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const t = useTestDatabase()
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY })

describe('ledger rollups rebuild', () => {
  it('refills the roll-ups of rows loaded with the triggers off', async () => {
    const practice = await ensurePractice(t.db, { odsCode: 'A81001' })
    const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
    const recipient = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'City Hospital', recipientType: 'nhs_trust' })
    // A bulk load as an operator would do it: triggers off, so the roll-ups miss these rows.
    await t.db.raw('ALTER TABLE disclosures DISABLE TRIGGER USER')
    await t.db.raw(
      `INSERT INTO disclosures (practice_id, source_id, source_record_id, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
       SELECT ?, ?, 'bulk-' || g, '2026-05-01T10:00:00Z'::timestamptz + g * interval '1 day', 'P-' || (g % 7), ?, 'direct_care', 'identifiable'
         FROM generate_series(1, 40) g`,
      [practice.id, source.id, recipient],
    )
    await t.db.raw('ALTER TABLE disclosures ENABLE TRIGGER USER')
    expect(await t.db('disclosure_month_purpose').sum('disclosures as n').first()).toEqual({ n: null })

    const rebuilt = await runLedger(['rollups', 'rebuild', '--json'], env())
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    const out = JSON.parse(rebuilt.stdout)
    expect(out.tables.find((r: { table: string }) => r.table === 'disclosure_daily').rows).toBe(40)
    expect(Number((await t.db('disclosure_month_purpose').sum('disclosures as n').first())!.n)).toBe(40)
    expect(Number((await t.db('disclosure_day_totals').sum('disclosures as n').first())!.n)).toBe(40)

    const wrong = await runLedger(['rollups', 'refresh'], env())
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(/use "rebuild" or "verify"/)
  })
})
