import type { Db } from '../../db/client.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertOverrideEvents, type OverrideEventRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { TEST_PASSWORD } from './app.js'

/**
 * Decisions of every kind at Riverside (A81001) and some at Hillside (B82002), which the
 * Riverside guardian must never see: reviews (one superseded, one escalated), a countersignature
 * and a decline, findings accepted, resolved and reopened by people, and the rules engine's own
 * status changes (not decisions). Times are fixed, in 2026, for the period filter.
 */
export async function seedDecisions(db: Db) {
  const a = await ensurePractice(db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(db, { odsCode: 'B82002', name: 'Hillside Practice' })
  const sourceA = await addSource(db, { practiceId: a.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceB = await addSource(db, { practiceId: b.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  const hospital = await ensureOrganisation(db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const event = (practiceId: number, sourceId: number, id: string, occurredAt: string): OverrideEventRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: id,
    source_version: '1',
    occurred_at: occurredAt,
    patient_pseudonym: `P-DEC-${id.toUpperCase()}`,
    kind: 'break_glass',
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr.jones',
    recipient_id: hospital,
    description: 'Opened the shared record in A&E',
    run_id: null,
  })
  await upsertOverrideEvents(db, [
    event(a.id, sourceA.id, 'a1', '2026-03-01T10:00:00Z'),
    event(a.id, sourceA.id, 'a2', '2026-04-01T10:00:00Z'),
    event(b.id, sourceB.id, 'b1', '2026-03-05T10:00:00Z'),
  ])
  const eventId = async (key: string) => Number((await db('override_events').where({ source_record_id: key }).first('id')).id)
  const [a1, a2, b1] = [await eventId('a1'), await eventId('a2'), await eventId('b1')]

  const user = (
    email: string,
    role: 'caldicott_guardian' | 'practice_manager' | 'auditor' | 'admin',
    displayName: string,
    practiceIds: number[],
  ) => createUser(db, { email, password: TEST_PASSWORD, role, practiceIds, displayName })
  const guardian = await user('guardian@riverside.nhs.uk', 'caldicott_guardian', 'Dr Rivers', [a.id])
  const manager = await user('manager@riverside.nhs.uk', 'practice_manager', 'Morag Manager', [a.id])
  const auditor = await user('auditor@riverside.nhs.uk', 'auditor', 'Audrey Auditor', [a.id])
  const admin = await user('admin@ledger.nhs.uk', 'admin', 'Adam Admin', [])
  const guardianB = await user('guardian@hillside.nhs.uk', 'caldicott_guardian', 'Dr Hills', [b.id])
  const managerB = await user('manager@hillside.nhs.uk', 'practice_manager', 'Hilda Manager', [b.id])

  const review = async (row: Record<string, unknown>) => Number((await db('override_reviews').insert(row).returning('id'))[0].id)
  const r1 = await review({
    override_event_id: a1,
    reviewer_id: guardian.id,
    verdict: 'inconclusive',
    reasons: 'Need the A&E notes first.',
    signed_at: '2026-03-03T09:00:00Z',
  })
  const r2 = await review({
    override_event_id: a1,
    reviewer_id: guardian.id,
    verdict: 'justified',
    reasons: 'A&E notes confirm an unconscious patient.',
    supersedes_id: r1,
    second_signer_id: manager.id,
    signed_at: '2026-03-10T09:00:00Z',
  })
  await db('override_countersignatures').insert({
    review_id: r2,
    signer_id: manager.id,
    decision: 'countersigned',
    signed_at: '2026-03-11T09:00:00Z',
  })
  const r3 = await review({
    override_event_id: a2,
    reviewer_id: guardian.id,
    verdict: 'not_justified',
    reasons: 'No emergency: the patient was seen routinely.',
    escalated: true,
    second_signer_id: manager.id,
    signed_at: '2026-04-03T09:00:00Z',
  })
  await db('override_countersignatures').insert({
    review_id: r3,
    signer_id: manager.id,
    decision: 'declined',
    reason: 'The verdict should wait for the clinician’s account.',
    signed_at: '2026-04-04T09:00:00Z',
  })
  const rb = await review({
    override_event_id: b1,
    reviewer_id: guardianB.id,
    verdict: 'justified',
    reasons: 'Hillside: proportionate.',
    second_signer_id: managerB.id,
    signed_at: '2026-03-06T09:00:00Z',
  })
  await db('override_countersignatures').insert({
    review_id: rb,
    signer_id: managerB.id,
    decision: 'countersigned',
    signed_at: '2026-03-07T09:00:00Z',
  })

  const finding = async (practiceId: number, key: string, summary: string, status = 'open') =>
    Number(
      (
        await db('findings')
          .insert({
            rule_id: 'prohibited_purpose',
            severity: 'high',
            practice_id: practiceId,
            subject_key: key,
            summary,
            status,
            opened_at: '2026-02-01T10:00:00Z',
          })
          .returning('id')
      )[0].id,
    )
  const f1 = await finding(a.id, 'disclosure:901', 'Marketing disclosure to Acme Leaflets', 'accepted')
  const f2 = await finding(a.id, 'disclosure:902', 'Insurance disclosure to Shield Assurance', 'open')
  const f3 = await finding(a.id, 'disclosure:903', 'Closed by the system', 'resolved')
  const fb = await finding(b.id, 'disclosure:909', 'Hillside marketing disclosure', 'accepted')
  await db('finding_events').insert([
    {
      finding_id: f1,
      from_status: null,
      to_status: 'open',
      reason: 'Detected by rule prohibited_purpose',
      by_user_id: null,
      at: '2026-02-01T10:00:00Z',
    },
    {
      finding_id: f1,
      from_status: 'open',
      to_status: 'accepted',
      reason: 'Explicit written consent on file; risk accepted.',
      by_user_id: guardian.id,
      at: '2026-02-10T12:00:00Z',
    },
    {
      finding_id: f2,
      from_status: 'open',
      to_status: 'resolved',
      reason: 'Recipient corrected to the NHS trust.',
      by_user_id: manager.id,
      at: '2026-02-12T12:00:00Z',
    },
    {
      finding_id: f2,
      from_status: 'resolved',
      to_status: 'open',
      reason: 'The correction was not applied after all.',
      by_user_id: guardian.id,
      at: '2026-02-20T12:00:00Z',
    },
    {
      finding_id: f3,
      from_status: 'open',
      to_status: 'resolved',
      reason: 'The records changed',
      by_user_id: null,
      at: '2026-02-15T12:00:00Z',
    },
    {
      finding_id: fb,
      from_status: 'open',
      to_status: 'accepted',
      reason: 'Hillside accepted this.',
      by_user_id: guardianB.id,
      at: '2026-02-11T12:00:00Z',
    },
  ])
  return {
    practiceA: a,
    practiceB: b,
    events: { a1, a2, b1 },
    findings: { f1, f2, f3, fb },
    users: { guardian, manager, auditor, admin, guardianB },
  }
}
