import type { Db } from '../../db/client.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, upsertPatientChoices, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { TEST_PASSWORD } from './app.js'
import { refreshFindings } from '../../core/findings/refresh.js'
import { setFindingStatus } from '../../core/findings/status.js'

// A practice's financial year 2025-26 for the annual Caldicott report tests (issue 17): sharing
// every month, 44 emergency-access events with known reviews and countersignatures, opt-outs,
// agreements recorded in and out of the year, and findings. A second practice, and records just
// outside the year, must never reach the report.

export const YEAR = { from: '2025-04-01', to: '2026-03-31' }
export const PRACTICE = 'A81001'
export const OTHER_PRACTICE = 'A81002'
export const GUARDIAN = { email: 'annual.guardian@example.nhs.uk', name: 'Dr Grace Guardian' }
export const MANAGER = { email: 'annual.manager@example.nhs.uk', name: 'Pat Manager' }

const MONTHS = [
  '2025-04',
  '2025-05',
  '2025-06',
  '2025-07',
  '2025-08',
  '2025-09',
  '2025-10',
  '2025-11',
  '2025-12',
  '2026-01',
  '2026-02',
  '2026-03',
]

export interface AnnualDataset {
  practiceId: number
  otherPracticeId: number
  guardianId: number
  managerId: number
}

export async function seedAnnualData(db: Db): Promise<AnnualDataset> {
  const practice = await ensurePractice(db, { odsCode: PRACTICE, name: 'Annual Surgery' })
  const other = await ensurePractice(db, { odsCode: OTHER_PRACTICE, name: 'Elsewhere Surgery' })
  await db('practices').whereIn('id', [practice.id, other.id]).update({ list_size: 9000 })
  const source = await addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'Annual FHIR', baseUrl: 'http://127.0.0.1:1/a/fhir' })
  const otherSource = await addSource(db, { practiceId: other.id, kind: 'fhir', name: 'Other FHIR', baseUrl: 'http://127.0.0.1:1/b/fhir' })
  const trust = await ensureOrganisation(db, { odsCode: 'RXX', name: 'Royal Hospital NHS Trust', recipientType: 'nhs_trust' })
  const university = await ensureOrganisation(db, { odsCode: null, name: 'University Research Unit', recipientType: 'research_org' })
  const icb = await ensureOrganisation(db, { odsCode: 'QAA', name: 'North ICB', recipientType: 'icb' })

  const guardian = await createUser(db, {
    email: GUARDIAN.email,
    displayName: GUARDIAN.name,
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
  })
  const manager = await createUser(db, {
    email: MANAGER.email,
    displayName: MANAGER.name,
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
  })

  let n = 0
  const disclosure = (practiceId: number, sourceId: number, at: string, recipientId: number, purpose: string): DisclosureRecord =>
    ({
      practice_id: practiceId,
      source_id: sourceId,
      source_record_id: `an-${++n}`,
      source_version: '1',
      occurred_at: at,
      patient_pseudonym: `PSN-AN-${String(n % 211).padStart(4, '0')}`,
      recipient_id: recipientId,
      purpose,
      purpose_code: null,
      legal_basis: purpose === 'direct_care' ? 'implied_consent' : purpose === 'research' ? 'explicit_consent' : 'legal_obligation',
      data_level: purpose === 'research' ? 'pseudonymised' : 'identifiable',
      data_description: 'Summary care record extract',
      disclosed_by_role: 'GP',
      disclosed_by: 'staff-1',
      run_id: null,
    }) as DisclosureRecord
  const records: DisclosureRecord[] = []
  MONTHS.forEach((m, i) => {
    for (let k = 0; k < 24; k++)
      records.push(disclosure(practice.id, source.id, `${m}-${String(1 + k).padStart(2, '0')}T10:00:00Z`, trust, 'direct_care'))
    if (i < 10) for (let k = 0; k < 3; k++) records.push(disclosure(practice.id, source.id, `${m}-1${k}T11:00:00Z`, university, 'research'))
    // The other practice shares too: never in this practice's report.
    for (let k = 0; k < 5; k++) records.push(disclosure(other.id, otherSource.id, `${m}-0${1 + k}T09:00:00Z`, trust, 'direct_care'))
  })
  for (let k = 0; k < 13; k++)
    records.push(disclosure(practice.id, source.id, `2025-11-${String(1 + k).padStart(2, '0')}T12:00:00Z`, icb, 'commissioning'))
  // Just outside the year, either side, in England's time: 00:30 BST on 1 April 2026, and 23:30 BST on 31 March 2025.
  records.push(disclosure(practice.id, source.id, '2026-03-31T23:30:00Z', trust, 'direct_care'))
  records.push(disclosure(practice.id, source.id, '2025-03-31T22:30:00Z', trust, 'direct_care'))
  await upsertDisclosures(db, records)

  // Emergency access: 23 justified (10 naming a second signer: 8 countersigned, 2 awaiting), 12 not
  // justified (6 signed on time, 6 late), 9 never reviewed (overdue), 3 "access ended" (no review).
  const events = []
  for (let k = 0; k < 47; k++) {
    events.push({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `an-ov-${k}`,
      source_version: '1',
      occurred_at: `${MONTHS[k % 12]}-${String(1 + (k % 20)).padStart(2, '0')}T08:00:00Z`,
      patient_pseudonym: `PSN-AN-OV-${k}`,
      kind: k >= 44 ? ('override_stopped' as const) : ('break_glass' as const),
      reason_code: 'OVRER',
      purpose_code: 'BTG',
      legal_basis: 'vital_interests',
      actor_role: 'GP',
      actor: 'staff-7',
      recipient_id: null,
      description: 'Emergency access',
      run_id: null,
    })
  }
  events.push({ ...events[0]!, practice_id: other.id, source_id: otherSource.id, source_record_id: 'other-ov' })
  await upsertOverrideEvents(db, events)
  const ev = await db('override_events')
    .where({ practice_id: practice.id })
    .whereNot({ kind: 'override_stopped' })
    .orderBy('source_record_id')
    .select('id', 'occurred_at')
  const days = (at: Date, d: number) => new Date(new Date(at).getTime() + d * 86_400_000)
  for (const [i, e] of ev.entries()) {
    if (i >= 35) continue // 9 never reviewed
    const justified = i < 23
    const late = !justified && i >= 29
    const [review] = await db('override_reviews')
      .insert({
        override_event_id: e.id,
        reviewer_id: guardian.id,
        verdict: justified ? 'justified' : 'not_justified',
        reasons: justified ? 'Clinically necessary.' : 'No clinical need recorded.',
        second_signer_id: justified && i < 10 ? manager.id : null,
        signed_at: days(e.occurred_at, late ? 10 : 2),
      })
      .returning('id')
    if (justified && i < 8)
      await db('override_countersignatures').insert({
        review_id: review.id,
        signer_id: manager.id,
        decision: 'countersigned',
        signed_at: days(e.occurred_at, 3),
      })
  }

  // Opt-outs: 30 National Data Opt-outs by the year's end (10 before it, 20 during), 5 Type 1.
  const choices = []
  for (let k = 0; k < 35; k++) {
    choices.push({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `an-cn-${k}`,
      source_version: '1',
      patient_pseudonym: `PSN-AN-OPT-${k}`,
      kind: k < 30 ? ('ndop' as const) : ('type1' as const),
      decision: 'deny' as const,
      effective_at: k < 10 ? '2025-01-15T00:00:00Z' : `${MONTHS[k % 12]}-15T00:00:00Z`,
      code_system: null,
      code: null,
      status: 'active' as const,
      run_id: null,
    })
  }
  await upsertPatientChoices(db, choices)

  // Agreements: one recorded during the year (direct care), one recorded before it that ends a month after it.
  const insertAgreement = async (
    reference: string,
    recipientId: number,
    purposes: string[],
    from: string,
    to: string | null,
    created: string,
  ) => {
    const [a] = await db('data_sharing_agreements')
      .insert({ reference, recipient_id: recipientId, data_level: 'identifiable', valid_from: from, valid_to: to, created_at: created })
      .returning('id')
    await db('agreement_purposes').insert(purposes.map((purpose) => ({ agreement_id: a.id, purpose })))
    await db('agreement_practices').insert({ agreement_id: a.id, practice_id: practice.id })
  }
  await insertAgreement('DSA-TRUST-2025', trust, ['direct_care'], '2025-04-01', null, '2025-06-10T09:00:00Z')
  await insertAgreement('DSA-ICB-2024', icb, ['commissioning'], '2024-04-01', '2026-04-30', '2024-03-20T09:00:00Z')
  await insertAgreement('DSA-OLD', icb, ['commissioning'], '2020-04-01', '2023-03-31', '2020-03-20T09:00:00Z')

  await refreshFindings({ db, config: { overrideReviewDays: 7 } }, { mode: 'full' })
  // The guardian accepts two research findings with a reason.
  const research = await db('findings').where({ practice_id: practice.id }).orderBy('id').limit(2).select('id')
  for (const f of research) await setFindingStatus(db, Number(f.id), 'accepted', 'Covered by the university ethics approval.', guardian.id)
  return { practiceId: practice.id, otherPracticeId: other.id, guardianId: guardian.id, managerId: manager.id }
}
