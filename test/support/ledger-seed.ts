import type { Db } from '../../db/client.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'

/** A practice with a source and `n` chained disclosures (d1..dn): the smallest ledger worth verifying. */
export async function seedChainedDisclosures(db: Db, n = 3): Promise<{ practiceId: number; sourceId: number }> {
  return seedDisclosures(
    db,
    Array.from({ length: n }, () => ({ occurredAt: '2026-03-01T10:00:00Z', pseudonym: 'P-AAAA-BBBB-CCCC' })),
  )
}

/**
 * Practice A81001 ("Test Surgery") with a FHIR source and one disclosure to "Hospital" (RX1,
 * direct care) per entry of `rows` (d1..dn), at its instant and for its patient.
 */
export async function seedDisclosures(
  db: Db,
  rows: Array<{ occurredAt: string; pseudonym: string }>,
): Promise<{ practiceId: number; sourceId: number }> {
  const practice = await ensurePractice(db, { odsCode: 'A81001', name: 'Test Surgery' })
  const source = await addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const recipient = await ensureOrganisation(db, { odsCode: 'RX1', name: 'Hospital', recipientType: 'nhs_trust' })
  await upsertDisclosures(
    db,
    rows.map((row, i) => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `d${i + 1}`,
      source_version: '1',
      occurred_at: row.occurredAt,
      patient_pseudonym: row.pseudonym,
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
  return { practiceId: practice.id, sourceId: source.id }
}
