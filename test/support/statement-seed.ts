import type { Db } from '../../db/client.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, upsertPatientChoices, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { pseudonymiseNhsNumber } from '../../jobs/pseudonym.js'
import { TEST_PSEUDONYM_KEY } from './test-env.js'

// A patient with disclosures at two practices, another patient, an NDOP opt-out a year before a
// research disclosure, and an emergency access with a review: what a disclosure statement
// must list, and what it must leave out. Shared by the CLI and browser tests.

export const PATIENT_NHS = '9434765919'
export const OTHER_NHS = '9434765927'
export const PATIENT = pseudonymiseNhsNumber(TEST_PSEUDONYM_KEY, PATIENT_NHS)
export const OTHER = pseudonymiseNhsNumber(TEST_PSEUDONYM_KEY, OTHER_NHS)

export interface StatementSeed {
  practiceId: number
  otherPracticeId: number
  eventId: number
}

export async function seedStatementData(db: Db, ods = 'S10001', otherOds = 'S10002'): Promise<StatementSeed> {
  const practice = await ensurePractice(db, { odsCode: ods, name: 'Harbour Surgery' })
  const other = await ensurePractice(db, { odsCode: otherOds, name: 'Hill Surgery' })
  const source = await addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'Harbour FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const otherSource = await addSource(db, { practiceId: other.id, kind: 'fhir', name: 'Hill FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const university = await ensureOrganisation(db, {
    odsCode: 'EE1',
    name: 'Northern University Research Unit',
    recipientType: 'research_org',
  })
  const welsh = await ensureOrganisation(db, { odsCode: 'W7A', name: 'Ysbyty Gwynedd', recipientType: 'nhs_trust' })
  const elsewhere = await ensureOrganisation(db, { odsCode: 'RY9', name: 'Faraway Clinic', recipientType: 'nhs_trust' })
  const row = (
    practiceId: number,
    sourceId: number,
    id: string,
    at: string,
    patient: string,
    recipient: number,
    purpose: string,
    legal: string | null,
    level: DisclosureRecord['data_level'],
  ): DisclosureRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: id,
    source_version: '1',
    occurred_at: at,
    patient_pseudonym: patient,
    recipient_id: recipient,
    purpose,
    purpose_code: null,
    legal_basis: legal,
    data_level: level,
    data_description: purpose === 'research' ? 'Blood test results 2024' : null,
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: null,
  })
  await upsertDisclosures(db, [
    row(practice.id, source.id, 'st-1', '2025-02-03T10:00:00Z', PATIENT, hospital, 'direct_care', null, 'identifiable'),
    row(practice.id, source.id, 'st-2', '2025-09-10T11:30:00Z', PATIENT, university, 'research', null, 'pseudonymised'),
    row(practice.id, source.id, 'st-3', '2026-01-15T09:00:00Z', PATIENT, welsh, 'direct_care', 'implied_consent', 'identifiable'),
    row(practice.id, source.id, 'st-4', '2026-03-01T08:00:00Z', PATIENT, university, 'research', 'explicit_consent', 'identifiable'),
    // the other patient at the same practice, and the same patient at another practice: never in the statement
    row(practice.id, source.id, 'st-5', '2026-01-20T09:00:00Z', OTHER, elsewhere, 'direct_care', null, 'identifiable'),
    row(other.id, otherSource.id, 'st-6', '2026-01-21T09:00:00Z', PATIENT, elsewhere, 'direct_care', null, 'identifiable'),
    // before a six-year span ending in 2026
    row(practice.id, source.id, 'st-7', '2019-06-01T09:00:00Z', PATIENT, hospital, 'direct_care', null, 'identifiable'),
  ])
  await upsertPatientChoices(db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'c-1',
      source_version: '1',
      patient_pseudonym: PATIENT,
      kind: 'ndop',
      decision: 'deny',
      effective_at: '2024-08-01T00:00:00Z',
      code_system: null,
      code: null,
      status: 'active',
      run_id: null,
    },
  ])
  await upsertOverrideEvents(db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'bg-1',
      source_version: '1',
      occurred_at: '2026-01-15T08:00:00Z',
      patient_pseudonym: PATIENT,
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: 'vital_interests',
      actor_role: 'A&E registrar',
      actor: 'dr.patel',
      recipient_id: welsh,
      description: 'Emergency access',
      run_id: null,
    },
  ])
  const eventId = Number((await db('override_events').where({ source_record_id: 'bg-1' }).first('id')).id)
  return { practiceId: practice.id, otherPracticeId: other.id, eventId }
}

/** Every table row, as text, that holds `needle` (the NHS number must be nowhere). */
export async function rowsContaining(db: Db, needle: string): Promise<string[]> {
  const tables: string[] = (
    await db.raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
  ).rows.map((r: { table_name: string }) => r.table_name)
  const found: string[] = []
  for (const table of tables) {
    const { rows } = await db.raw(`SELECT count(*)::int AS n FROM ?? AS t WHERE t::text LIKE ?`, [table, `%${needle}%`])
    if (rows[0].n > 0) found.push(table)
  }
  return found
}
