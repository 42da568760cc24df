import { beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../support/db.js'
import { eventsOf, findingOf, openRulesFor, practiceFixture, refresh, reviewer, type PracticeFixture } from './fixtures.js'

// Each rule fires on a dataset made to break it and stays quiet on near misses made to look
// like a breach. Every describe block has its own practice, so their records do not meet.

const t = useTestDatabase()
const key = (id: number) => `disclosure:${id}`

describe('optout_disclosure', () => {
  let p: PracticeFixture
  let university: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A10001')
    university = await p.org('City University', 'research_org', 'EE1')
  })

  it('flags identifiable data disclosed for research while a national data opt-out was in force', async () => {
    await p.choice('P-OPT1-0000-0001', 'ndop', '2025-01-10T10:00:00Z')
    const d = await p.disclosure({
      patient_pseudonym: 'P-OPT1-0000-0001',
      occurred_at: '2026-10-05T02:00:00Z',
      recipient_id: university,
      purpose: 'research',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'optout_disclosure', key(d)))!
    expect(f).toMatchObject({ status: 'open', severity: 'high', practice_id: p.practice.id })
    expect(f.summary).toBe(
      'Identifiable research data about patient P-OPT1-0000-0001 was disclosed to City University on 5 Oct 2026 while their national data opt-out was in force; no legal basis was recorded that would set the opt-out aside.',
    )
    expect(f.evidence.map((e) => e.type)).toEqual(['disclosure', 'patient_choice', 'organisation'])
    expect(f.evidence[0]).toMatchObject({ type: 'disclosure', id: d })
    expect(await eventsOf(t.db, f.id)).toEqual([
      { from_status: null, to_status: 'open', reason: `Found by rule optout_disclosure: ${f.summary}`, by_user_id: null },
    ])
  })

  it('flags a Type 1 opt-out, and says a legal basis that does not set it aside (s251) does not', async () => {
    await p.choice('P-OPT2-0000-0001', 'type1', '2024-06-01T09:00:00Z')
    const d = await p.disclosure({
      patient_pseudonym: 'P-OPT2-0000-0001',
      occurred_at: '2026-09-20T11:00:00Z',
      recipient_id: university,
      purpose: 'surveys',
      legal_basis: 's251',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'optout_disclosure', key(d)))!
    expect(f.summary).toContain(
      'while their Type 1 opt-out was in force; its legal basis (s251 approval (CAG)) does not set the opt-out aside.',
    )
  })

  it('stays quiet on the near misses', async () => {
    const quiet: number[] = []
    // The opt-out began the day after the disclosure.
    await p.choice('P-NEAR-0000-0001', 'ndop', '2026-10-06T08:00:00Z')
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0001',
        occurred_at: '2026-10-05T02:00:00Z',
        recipient_id: university,
        purpose: 'research',
      }),
    )
    // An exempting legal basis (explicit consent), for a patient whose opt-out is in force.
    await p.choice('P-NEAR-0000-0002', 'ndop', '2025-01-01T00:00:00Z')
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0002',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
        legal_basis: 'explicit_consent',
      }),
    )
    // Anonymised and pseudonymised data.
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0002',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
        data_level: 'anonymised',
      }),
    )
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0002',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
        data_level: 'pseudonymised',
      }),
    )
    // A purpose the opt-outs do not cover (direct care, safeguarding).
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0002',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'direct_care',
      }),
    )
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0002',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'safeguarding',
      }),
    )
    // The opt-out was withdrawn before the disclosure (a later inactive record).
    await p.choice('P-NEAR-0000-0003', 'ndop', '2024-01-01T00:00:00Z')
    await p.choice('P-NEAR-0000-0003', 'ndop', '2026-03-01T00:00:00Z', { status: 'inactive' })
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0003',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
      }),
    )
    // ... or by a later permit.
    await p.choice('P-NEAR-0000-0004', 'type1', '2024-01-01T00:00:00Z')
    await p.choice('P-NEAR-0000-0004', 'type1', '2026-03-01T00:00:00Z', { decision: 'permit' })
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0004',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
      }),
    )
    // A record-sharing dissent is not an opt-out from research.
    await p.choice('P-NEAR-0000-0005', 'record_sharing', '2024-01-01T00:00:00Z')
    quiet.push(
      await p.disclosure({
        patient_pseudonym: 'P-NEAR-0000-0005',
        occurred_at: '2026-10-05T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
      }),
    )
    await refresh(t.db)
    for (const id of quiet) expect(await findingOf(t.db, 'optout_disclosure', key(id)), `disclosure ${id}`).toBeUndefined()
  })

  it('notices an opt-out recorded later but dated before an already checked disclosure, and resolves the finding when it is withdrawn from that date', async () => {
    const d = await p.disclosure({
      patient_pseudonym: 'P-LATE-0000-0001',
      occurred_at: '2026-08-01T10:00:00Z',
      recipient_id: university,
      purpose: 'benchmarking',
    })
    await refresh(t.db)
    expect(await findingOf(t.db, 'optout_disclosure', key(d))).toBeUndefined()
    const optOut = await p.choice('P-LATE-0000-0001', 'ndop', '2026-07-01T00:00:00Z')
    const [outcome] = await refresh(t.db, { rules: ['optout_disclosure'] })
    expect(outcome).toMatchObject({ mode: 'incremental', opened: 1 })
    const f = (await findingOf(t.db, 'optout_disclosure', key(d)))!
    expect(f.status).toBe('open')
    // The practice corrects the record: the opt-out was entered in error.
    await t.db('patient_choices').where({ id: optOut }).update({ status: 'inactive', source_version: '2', collected_at: t.db.fn.now() })
    await refresh(t.db)
    expect((await findingOf(t.db, 'optout_disclosure', key(d)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)).toEqual({
      from_status: 'open',
      to_status: 'resolved',
      reason: "The patient's opt-out records changed: no national data opt-out or Type 1 opt-out was in force on 1 Aug 2026.",
      by_user_id: null,
    })
  })
})

describe('prohibited_purpose', () => {
  it('flags marketing and insurance, and nothing else', async () => {
    const p = await practiceFixture(t.db, 'A10002')
    const broker = await p.org('Acme Marketing Ltd', 'private_provider')
    const insurer = await p.org('Safe Insurance plc', 'insurer')
    const marketing = await p.disclosure({
      patient_pseudonym: 'P-PROH-0000-0001',
      occurred_at: '2026-10-02T12:00:00Z',
      recipient_id: broker,
      purpose: 'marketing',
    })
    const insurance = await p.disclosure({ occurred_at: '2026-10-03T12:00:00Z', recipient_id: insurer, purpose: 'insurance' })
    const research = await p.disclosure({ occurred_at: '2026-10-03T12:00:00Z', recipient_id: broker, purpose: 'research' })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'prohibited_purpose', key(marketing)))!
    expect(f).toMatchObject({ severity: 'high', status: 'open' })
    expect(f.summary).toBe(
      'Data about patient P-PROH-0000-0001 was disclosed to Acme Marketing Ltd on 2 Oct 2026 for marketing, a purpose the practice promises never to share for.',
    )
    expect(await openRulesFor(t.db, key(insurance))).toContain('prohibited_purpose')
    expect(await findingOf(t.db, 'prohibited_purpose', key(research))).toBeUndefined()
  })
})

describe('no_agreement', () => {
  let p: PracticeFixture
  let other: PracticeFixture
  let lab: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A10003')
    other = await practiceFixture(t.db, 'A10004')
    lab = await p.org('Genome Labs Ltd', 'research_org')
  })

  it('flags a disclosure to a recipient without an agreement, and says why', async () => {
    const d = await p.disclosure({
      patient_pseudonym: 'P-NOAG-0000-0001',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: lab,
      purpose: 'research',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'no_agreement', key(d)))!
    expect(f).toMatchObject({ severity: 'medium', status: 'open' })
    expect(f.summary).toBe(
      'Data about patient P-NOAG-0000-0001 was disclosed to Genome Labs Ltd on 5 Oct 2026 for research, but the recipient has no data sharing agreement with the practice.',
    )
  })

  it('stays quiet when an agreement is valid that day, and flags agreements for another purpose, another practice or other dates', async () => {
    const trust = await p.org('County Hospital NHS Trust', 'nhs_trust', 'RX1')
    await p.agreement({ recipientId: trust, purposes: ['direct_care'], level: 'identifiable', from: '2026-10-05', to: '2026-10-05' })
    const sameDay = await p.disclosure({ occurred_at: '2026-10-05T22:30:00Z', recipient_id: trust, purpose: 'direct_care' }) // 23:30 in London
    const nextDay = await p.disclosure({ occurred_at: '2026-10-05T23:30:00Z', recipient_id: trust, purpose: 'direct_care' }) // 00:30 on the 6th in London
    const otherPurpose = await p.disclosure({ occurred_at: '2026-10-05T10:00:00Z', recipient_id: trust, purpose: 'clinical_audit' })
    const otherPractice = await other.disclosure({ occurred_at: '2026-10-05T10:00:00Z', recipient_id: trust, purpose: 'direct_care' })
    const patient = await p.org('The patient', 'patient_representative')
    const subjectAccess = await p.disclosure({ occurred_at: '2026-10-05T10:00:00Z', recipient_id: patient, purpose: 'subject_access' })
    await refresh(t.db)
    expect(await findingOf(t.db, 'no_agreement', key(sameDay))).toBeUndefined()
    expect(await findingOf(t.db, 'no_agreement', key(subjectAccess))).toBeUndefined()
    expect((await findingOf(t.db, 'no_agreement', key(nextDay)))!.summary).toMatch(
      /but agreement DSA-T-\d+ covering that purpose was not in force that day \(valid 5 Oct 2026 to 5 Oct 2026\)\.$/,
    )
    expect((await findingOf(t.db, 'no_agreement', key(otherPurpose)))!.summary).toMatch(
      /but none of the recipient's data sharing agreements covers clinical audit for this practice\.$/,
    )
    expect(await openRulesFor(t.db, key(otherPractice))).toContain('no_agreement')
  })

  it('resolves the finding when an agreement covering that date is added, with the reason, and re-running changes nothing', async () => {
    const d = await p.disclosure({ occurred_at: '2026-09-15T10:00:00Z', recipient_id: lab, purpose: 'commissioning' })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'no_agreement', key(d)))!
    expect(f.status).toBe('open')
    const agreement = await p.agreement({ recipientId: lab, purposes: ['commissioning'], level: 'identifiable', from: '2026-09-01' })
    const reference = (await t.db('data_sharing_agreements').where({ id: agreement }).first('reference')).reference
    const [outcome] = await refresh(t.db, { rules: ['no_agreement'] })
    expect(outcome).toMatchObject({ mode: 'incremental', resolved: 1, opened: 0 })
    expect((await findingOf(t.db, 'no_agreement', key(d)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)).toEqual({
      from_status: 'open',
      to_status: 'resolved',
      reason: `Agreement ${reference} now covers commissioning disclosures to Genome Labs Ltd on 15 Sep 2026.`,
      by_user_id: null,
    })
    const findings = await t.db('findings').count('* as n').first()
    const events = await t.db('finding_events').count('* as n').first()
    for (const mode of ['incremental', 'full'] as const) {
      const again = await refresh(t.db, { mode })
      expect(again.filter((r) => r.opened || r.reopened || r.resolved || r.written)).toEqual([])
    }
    expect(await t.db('findings').count('* as n').first()).toEqual(findings)
    expect(await t.db('finding_events').count('* as n').first()).toEqual(events)

    // The agreement is withdrawn after all: the system's resolution is undone.
    await t.db('data_sharing_agreements').where({ id: agreement }).delete()
    await refresh(t.db)
    expect((await findingOf(t.db, 'no_agreement', key(d)))!.status).toBe('open')
    expect((await eventsOf(t.db, f.id)).at(-1)).toMatchObject({
      from_status: 'resolved',
      to_status: 'open',
      reason: expect.stringMatching(/^Found again by rule no_agreement: /),
    })
  })
})

describe('excess_identifiable', () => {
  it('flags identifiable data where the agreement allows pseudonymised data only, and resolves it when the agreement changes', async () => {
    const p = await practiceFixture(t.db, 'A10005')
    const icb = await p.org('NHS Example ICB', 'icb', 'QXX')
    const agreement = await p.agreement({ recipientId: icb, purposes: ['commissioning'], level: 'pseudonymised', from: '2025-04-01' })
    const identifiable = await p.disclosure({
      patient_pseudonym: 'P-EXCS-0000-0001',
      occurred_at: '2026-10-01T02:00:00Z',
      recipient_id: icb,
      purpose: 'commissioning',
    })
    const pseudonymised = await p.disclosure({
      occurred_at: '2026-10-01T02:00:00Z',
      recipient_id: icb,
      purpose: 'commissioning',
      data_level: 'pseudonymised',
    })
    const anonymised = await p.disclosure({
      occurred_at: '2026-10-01T02:00:00Z',
      recipient_id: icb,
      purpose: 'commissioning',
      data_level: 'anonymised',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'excess_identifiable', key(identifiable)))!
    expect(f).toMatchObject({ severity: 'medium', status: 'open' })
    expect(f.summary).toMatch(
      /^Identifiable data about patient P-EXCS-0000-0001 was disclosed to NHS Example ICB on 1 Oct 2026 for commissioning, but agreement DSA-T-\d+ allows only pseudonymised data\.$/,
    )
    expect(await openRulesFor(t.db, key(identifiable))).toEqual(['excess_identifiable'])
    expect(await openRulesFor(t.db, key(pseudonymised))).toEqual([])
    expect(await openRulesFor(t.db, key(anonymised))).toEqual([])

    await t.db('data_sharing_agreements').where({ id: agreement }).update({ data_level: 'identifiable' })
    await refresh(t.db)
    expect((await findingOf(t.db, 'excess_identifiable', key(identifiable)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toMatch(/^Agreement DSA-T-\d+ now allows identifiable data for this disclosure\.$/)
  })

  it('stays quiet when another agreement in force allows identifiable data', async () => {
    const p = await practiceFixture(t.db, 'A10006')
    const icb = await p.org('NHS Other ICB', 'icb', 'QYY')
    await p.agreement({ recipientId: icb, purposes: ['commissioning'], level: 'pseudonymised', from: '2025-04-01' })
    await p.agreement({
      recipientId: icb,
      purposes: ['commissioning', 'research'],
      level: 'identifiable',
      from: '2026-01-01',
      to: '2026-12-31',
    })
    const d = await p.disclosure({ occurred_at: '2026-10-01T02:00:00Z', recipient_id: icb, purpose: 'commissioning' })
    await refresh(t.db)
    expect(await openRulesFor(t.db, key(d))).toEqual([])
  })
})

describe('dissent_direct_care', () => {
  let p: PracticeFixture
  let trust: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A10007')
    trust = await p.org('Riverside Hospital', 'nhs_trust', 'RZ1')
    await p.agreement({ recipientId: trust, purposes: ['direct_care'], level: 'identifiable', from: '2020-01-01' })
  })

  it('flags sharing out for direct care while the patient dissents, without an override', async () => {
    await p.choice('P-DISS-0000-0001', 'record_sharing', '2025-02-03T10:00:00Z')
    const d = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0001',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: trust,
      purpose: 'direct_care',
    })
    // An override 30 hours before is too long ago to cover it.
    await p.override('P-DISS-0000-0001', '2026-10-04T04:00:00Z')
    await refresh(t.db)
    const f = (await findingOf(t.db, 'dissent_direct_care', key(d)))!
    expect(f).toMatchObject({ severity: 'high', status: 'open' })
    expect(f.summary).toBe(
      "Patient P-DISS-0000-0001's record was shared with Riverside Hospital for direct care on 5 Oct 2026 while their dissent from record sharing (recorded 3 Feb 2025) was in force, and no override was recorded.",
    )
    expect(await openRulesFor(t.db, key(d))).toEqual(['dissent_direct_care'])
  })

  it('stays quiet with an override shortly before or on the disclosure itself, after the dissent was withdrawn, or within the practice', async () => {
    await p.choice('P-DISS-0000-0002', 'record_sharing', '2025-02-03T10:00:00Z')
    await p.override('P-DISS-0000-0002', '2026-10-05T07:00:00Z')
    const afterOverride = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0002',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: trust,
      purpose: 'direct_care',
    })
    await p.choice('P-DISS-0000-0003', 'record_sharing', '2025-02-03T10:00:00Z')
    const linked = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0003',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: trust,
      purpose: 'direct_care',
      source_record_id: 'ae-linked-1',
    })
    await p.override('P-DISS-0000-0003', '2026-10-05T10:00:00Z', { kind: 'consent_override', sourceRecordId: 'ae-linked-1#override' })
    await p.choice('P-DISS-0000-0004', 'record_sharing', '2024-02-03T10:00:00Z')
    await p.choice('P-DISS-0000-0004', 'record_sharing', '2025-02-03T10:00:00Z', { decision: 'permit' })
    const withdrawn = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0004',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: trust,
      purpose: 'direct_care',
    })
    const itself = await p.org('Practice A10007 itself', 'gp_practice', 'A10007')
    await p.choice('P-DISS-0000-0005', 'record_sharing', '2025-02-03T10:00:00Z')
    const internal = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0005',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: itself,
      purpose: 'direct_care',
    })
    const emergency = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0005',
      occurred_at: '2026-10-05T10:00:00Z',
      recipient_id: trust,
      purpose: 'emergency_care',
    })
    await refresh(t.db)
    for (const d of [afterOverride, linked, withdrawn, internal, emergency]) {
      expect(await findingOf(t.db, 'dissent_direct_care', key(d)), `disclosure ${d}`).toBeUndefined()
    }
  })

  it('resolves the finding when an override recorded within the window is collected later', async () => {
    await p.choice('P-DISS-0000-0006', 'record_sharing', '2025-02-03T10:00:00Z')
    const d = await p.disclosure({
      patient_pseudonym: 'P-DISS-0000-0006',
      occurred_at: '2026-10-06T10:00:00Z',
      recipient_id: trust,
      purpose: 'direct_care',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'dissent_direct_care', key(d)))!
    expect(f.status).toBe('open')
    await p.override('P-DISS-0000-0006', '2026-10-06T09:40:00Z')
    await refresh(t.db)
    expect((await findingOf(t.db, 'dissent_direct_care', key(d)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toBe(
      'An override event for this patient is now recorded (break glass, 6 Oct 2026 10:40).',
    )
  })
})

describe('unreviewed_override', () => {
  let p: PracticeFixture
  let guardian: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A10008', 'Hillside Surgery')
    guardian = await reviewer(t.db)
  })
  const review = (overrideId: number, signedAt: string) =>
    t.db('override_reviews').insert({
      override_event_id: overrideId,
      reviewer_id: guardian,
      verdict: 'justified',
      reasons: 'Serious concern for welfare.',
      signed_at: signedAt,
    })
  const okey = (id: number) => `override:${id}`

  it('flags an override with no review once the 7 days are over, not before', async () => {
    const o = await p.override('P-OVRD-0000-0001', '2026-10-01T10:00:00Z', { reason: 'OVRPJ' })
    await refresh(t.db, { now: new Date('2026-10-08T22:59:00Z') }) // 23:59 on day 7 in London
    expect(await findingOf(t.db, 'unreviewed_override', okey(o))).toBeUndefined()
    await refresh(t.db, { now: new Date('2026-10-08T23:00:00Z') }) // midnight: day 8 has begun
    const f = (await findingOf(t.db, 'unreviewed_override', okey(o)))!
    expect(f).toMatchObject({ severity: 'medium', status: 'open', practice_id: p.practice.id })
    expect(f.summary).toBe(
      "The emergency (break-glass) access for patient P-OVRD-0000-0001 at Hillside Surgery on 1 Oct 2026 11:00 (reason OVRPJ) has not been reviewed: a Caldicott guardian's review was due by the end of 8 Oct 2026 (7 days).",
    )
    expect(f.evidence).toEqual([{ type: 'override', id: o, sourceRecordId: expect.any(String) }])
  })

  it('stays quiet for a review on day 7, an override 6 days old and the end of an override', async () => {
    const reviewedOnDay7 = await p.override('P-OVRD-0000-0002', '2026-10-01T10:00:00Z')
    await review(reviewedOnDay7, '2026-10-08T16:00:00Z')
    const young = await p.override('P-OVRD-0000-0003', '2026-10-14T10:00:00Z')
    const stopped = await p.override('P-OVRD-0000-0004', '2026-10-01T10:00:00Z', { kind: 'override_stopped' })
    await refresh(t.db, { now: new Date('2026-10-20T12:00:00Z') })
    for (const o of [reviewedOnDay7, young, stopped])
      expect(await findingOf(t.db, 'unreviewed_override', okey(o)), `override ${o}`).toBeUndefined()
    // The young one falls due with time, found by an incremental refresh.
    const [outcome] = await refresh(t.db, { now: new Date('2026-10-23T12:00:00Z'), rules: ['unreviewed_override'] })
    expect(outcome!.mode).toBe('incremental')
    expect((await findingOf(t.db, 'unreviewed_override', okey(young)))!.status).toBe('open')
  })

  it('resolves the finding when a review is signed, saying it was late', async () => {
    const o = await p.override('P-OVRD-0000-0005', '2026-10-02T10:00:00Z')
    await refresh(t.db, { now: new Date('2026-10-11T12:00:00Z') })
    const f = (await findingOf(t.db, 'unreviewed_override', okey(o)))!
    expect(f.status).toBe('open')
    await review(o, '2026-10-12T09:00:00Z')
    await refresh(t.db, { now: new Date('2026-10-12T12:00:00Z') })
    expect((await findingOf(t.db, 'unreviewed_override', okey(o)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)).toEqual({
      from_status: 'open',
      to_status: 'resolved',
      reason:
        'Reviewed by Dr Test Guardian on 12 Oct 2026 (verdict: justified), 10 days after the override, later than the 7 days allowed.',
      by_user_id: null,
    })
  })

  it('counts a review naming a second signer only once that person countersigns it (issue 16)', async () => {
    const second = await reviewer(t.db)
    const o = await p.override('P-OVRD-0000-0007', '2026-10-03T10:00:00Z')
    const [r] = await t
      .db('override_reviews')
      .insert({
        override_event_id: o,
        reviewer_id: guardian,
        verdict: 'justified',
        reasons: 'Emergency care.',
        second_signer_id: second,
        signed_at: '2026-10-05T09:00:00Z',
      })
      .returning('id')
    await refresh(t.db, { now: new Date('2026-10-12T12:00:00Z') })
    const f = (await findingOf(t.db, 'unreviewed_override', okey(o)))!
    expect(f.status).toBe('open')
    expect(f.summary).toMatch(/has a review still awaiting its second signer's countersignature: a Caldicott guardian's review was due/)
    // Declined: still no complete review.
    const declined = await p.override('P-OVRD-0000-0008', '2026-10-03T10:00:00Z')
    const [r2] = await t
      .db('override_reviews')
      .insert({
        override_event_id: declined,
        reviewer_id: guardian,
        verdict: 'justified',
        reasons: 'Emergency care.',
        second_signer_id: second,
        signed_at: '2026-10-05T09:00:00Z',
      })
      .returning('id')
    await t
      .db('override_countersignatures')
      .insert({ review_id: r2.id, signer_id: second, decision: 'declined', reason: 'The notes do not show an emergency.' })
    await t.db('override_countersignatures').insert({ review_id: r.id, signer_id: second, decision: 'countersigned' })
    await refresh(t.db, { now: new Date('2026-10-13T12:00:00Z') })
    expect((await findingOf(t.db, 'unreviewed_override', okey(o)))!.status).toBe('resolved')
    const d = (await findingOf(t.db, 'unreviewed_override', okey(declined)))!
    expect(d.status).toBe('open')
    expect(d.summary).toMatch(/has no complete review: its second signer declined to countersign/)
  })

  it('follows the configured number of days', async () => {
    const o = await p.override('P-OVRD-0000-0006', '2026-11-01T10:00:00Z')
    await refresh(t.db, { now: new Date('2026-11-05T12:00:00Z'), settings: { overrideReviewDays: 7 } })
    expect(await findingOf(t.db, 'unreviewed_override', okey(o))).toBeUndefined()
    const [outcome] = await refresh(t.db, {
      now: new Date('2026-11-05T12:00:00Z'),
      settings: { overrideReviewDays: 3 },
      rules: ['unreviewed_override'],
    })
    expect(outcome!.mode).toBe('full')
    expect((await findingOf(t.db, 'unreviewed_override', okey(o)))!.summary).toContain('due by the end of 4 Nov 2026 (3 days)')
  })
})

describe('silent_source', () => {
  it('flags an enabled source silent for longer than its interval, and resolves it when it delivers again', async () => {
    const p = await practiceFixture(t.db, 'A10009')
    await t.db('sources').where({ id: p.source.id }).update({ expected_interval_minutes: 60, name: 'Brook Lane system' })
    const created: Date = (await t.db('sources').where({ id: p.source.id }).first('created_at')).created_at
    const at = (minutes: number) => new Date(created.getTime() + minutes * 60_000)
    const skey = `source:${p.source.id}`
    await refresh(t.db, { now: at(59), rules: ['silent_source'] })
    expect(await findingOf(t.db, 'silent_source', skey)).toBeUndefined()
    await refresh(t.db, { now: at(61), rules: ['silent_source'] })
    const f = (await findingOf(t.db, 'silent_source', skey))!
    expect(f).toMatchObject({ severity: 'medium', status: 'open' })
    expect(f.summary).toMatch(
      /^Source "Brook Lane system" \(practice A10009\) has not delivered since it was added on .+, longer than its expected interval of 1 hour\.$/,
    )

    // A failed run does not count as delivering; the summary says why it failed.
    await t.db('job_runs').insert({
      job_name: 'collect',
      source_id: p.source.id,
      trigger: 'schedule',
      status: 'failed',
      started_at: at(70),
      finished_at: at(71),
      error: 'HTTP 503 after 5 attempts',
    })
    await refresh(t.db, { now: at(72), rules: ['silent_source'] })
    expect((await findingOf(t.db, 'silent_source', skey))!.summary).toMatch(/; its latest run failed: HTTP 503 after 5 attempts$/)

    const [run] = await t
      .db('job_runs')
      .insert({
        job_name: 'collect',
        source_id: p.source.id,
        trigger: 'schedule',
        status: 'completed',
        started_at: at(80),
        finished_at: at(81),
      })
      .returning('id')
    await refresh(t.db, { now: at(90), rules: ['silent_source'] })
    expect((await findingOf(t.db, 'silent_source', skey))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toMatch(new RegExp(`^The source delivered again: run ${run.id} completed on `))

    // Silent again later; disabled, it is no longer expected to deliver.
    await refresh(t.db, { now: at(200), rules: ['silent_source'] })
    expect((await findingOf(t.db, 'silent_source', skey))!.status).toBe('open')
    await t.db('sources').where({ id: p.source.id }).update({ enabled: false })
    await refresh(t.db, { now: at(210), rules: ['silent_source'] })
    expect((await findingOf(t.db, 'silent_source', skey))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toBe('The source was disabled.')
  })
})

describe('quarantine_growing', () => {
  it('leaves the initial load alone, flags records that keep arriving after it, and many waiting', async () => {
    const p = await practiceFixture(t.db, 'A10010')
    const skey = `source:${p.source.id}`
    const run = async (status: string, finishedAt: string) =>
      (
        await t
          .db('job_runs')
          .insert({
            job_name: 'collect',
            source_id: p.source.id,
            trigger: 'manual',
            status,
            started_at: finishedAt,
            finished_at: finishedAt,
          })
          .returning('id')
      )[0].id
    const quarantine = (key: string, seenAt: string, runId: number) =>
      t.db('quarantine').insert({
        source_id: p.source.id,
        record_key: key,
        reason: 'unknown purpose',
        payload: '{}',
        first_run_id: runId,
        last_run_id: runId,
        first_seen_at: seenAt,
        last_seen_at: seenAt,
      })
    const first = await run('completed', '2026-11-01T10:05:00Z')
    for (let i = 0; i < 5; i++) await quarantine(`initial-${i}`, '2026-11-01T10:01:00Z', first)
    await refresh(t.db, { rules: ['quarantine_growing'] })
    expect(await findingOf(t.db, 'quarantine_growing', skey)).toBeUndefined()

    const second = await run('completed', '2026-11-02T10:05:00Z')
    await quarantine('later-1', '2026-11-02T10:02:00Z', second)
    await refresh(t.db, { rules: ['quarantine_growing'] })
    const f = (await findingOf(t.db, 'quarantine_growing', skey))!
    expect(f).toMatchObject({ severity: 'low', status: 'open' })
    expect(f.summary).toBe(
      'The quarantine of source "A10010 FHIR" (practice A10010) is growing: 1 record arrived after its first collection and could not be read (6 waiting in all).',
    )
    expect(f.evidence[0]).toEqual({ type: 'source', id: p.source.id })
    expect(f.evidence).toHaveLength(7)

    await t.db('quarantine').where({ source_id: p.source.id, record_key: 'later-1' }).update({ status: 'resolved', resolution: 'retried' })
    await refresh(t.db, { rules: ['quarantine_growing'] })
    expect((await findingOf(t.db, 'quarantine_growing', skey))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toBe(
      'The records that arrived after the first collection were retried or resolved (5 from the first collection still wait).',
    )

    for (let i = 5; i < 60; i++) await quarantine(`initial-${i}`, '2026-11-01T10:01:00Z', first)
    await refresh(t.db, { rules: ['quarantine_growing'] })
    expect((await findingOf(t.db, 'quarantine_growing', skey))!.summary).toBe(
      'Source "A10010 FHIR" (practice A10010) has 60 records waiting in quarantine, more than the 50 allowed.',
    )
  })
})

describe('ndop_count_mismatch', () => {
  it('compares the practice system’s opt-outs on the publication date with the publication, beyond a 10% margin', async () => {
    const p = await practiceFixture(t.db, 'A10011', 'Mill Road Surgery')
    for (let i = 0; i < 20; i++) await p.choice(`P-NDOP-0000-${String(i).padStart(4, '0')}`, 'ndop', '2025-06-01T10:00:00Z')
    await p.choice('P-NDOP-0000-0000', 'ndop', '2026-02-01T10:00:00Z', { status: 'inactive' }) // withdrawn: 19 in force
    await p.choice('P-NDOP-0001-0000', 'ndop', '2026-11-02T09:00:00Z') // after the publication date
    await p.choice('P-NDOP-0001-0001', 'type1', '2025-06-01T10:00:00Z') // another kind
    const publish = (asOf: string, optOuts: number) =>
      t
        .db('practice_optout_counts')
        .insert({ practice_id: p.practice.id, kind: 'ndop', origin: 'ndop_publication', as_of: asOf, opt_outs: optOuts, list_size: 9000 })
        .onConflict(['practice_id', 'kind', 'origin', 'as_of'])
        .merge()
    const pkey = `practice:${p.practice.id}:ndop:2026-11-01`
    await publish('2026-11-01', 23)
    // No completed collection from the practice system yet: nothing to compare.
    await refresh(t.db, { rules: ['ndop_count_mismatch'] })
    expect(await findingOf(t.db, 'ndop_count_mismatch', pkey)).toBeUndefined()

    await t
      .db('job_runs')
      .insert({ job_name: 'collect', source_id: p.source.id, trigger: 'manual', status: 'completed', finished_at: t.db.fn.now() })
    await refresh(t.db, { rules: ['ndop_count_mismatch'] })
    const f = (await findingOf(t.db, 'ndop_count_mismatch', pkey))!
    expect(f).toMatchObject({ severity: 'medium', status: 'open', practice_id: p.practice.id })
    expect(f.summary).toBe(
      "NHS England's national data opt-out publication for 1 Nov 2026 counts 23 opt-outs at Mill Road Surgery (A10011), but the practice system records 19 in force on that date: 17% apart, more than the 10% allowed. The practice system may be recording opt-outs wrongly.",
    )
    expect(f.evidence[0]).toMatchObject({ type: 'optout_count', published: 23, practiceSystem: 19 })

    await publish('2026-11-01', 21) // 2 of 21: within 10%
    await refresh(t.db, { rules: ['ndop_count_mismatch'] })
    expect((await findingOf(t.db, 'ndop_count_mismatch', pkey))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toBe(
      'The figures now agree within 10%: the publication counts 21 opt-outs and the practice system 19.',
    )

    await refresh(t.db, { rules: ['ndop_count_mismatch'], settings: { ndopMargin: 0.05 } })
    expect((await findingOf(t.db, 'ndop_count_mismatch', pkey))!.status).toBe('open')
  })
})

describe('incremental evaluation', () => {
  it('re-checks only what was collected since the watermark; a full re-evaluation checks everything', async () => {
    const p = await practiceFixture(t.db, 'A10012')
    const broker = await p.org('Quiet Marketing Ltd', 'other')
    await refresh(t.db)
    // A record written behind the rules' back, stamped as collected long ago: incremental does not see it.
    const d = await p.disclosure({ occurred_at: '2026-10-02T12:00:00Z', recipient_id: broker, purpose: 'marketing' })
    await t.db('disclosures').where({ id: d }).update({ collected_at: '2020-01-01T00:00:00Z' })
    const [incremental] = await refresh(t.db, { rules: ['prohibited_purpose'] })
    expect(incremental).toMatchObject({ mode: 'incremental', opened: 0 })
    expect(await findingOf(t.db, 'prohibited_purpose', key(d))).toBeUndefined()
    const [full] = await refresh(t.db, { rules: ['prohibited_purpose'], mode: 'full' })
    expect(full).toMatchObject({ mode: 'full', opened: 1 })
  })

  it('does not miss a batch whose transaction began before a refresh and committed after it', async () => {
    const p = await practiceFixture(t.db, 'A10013')
    const broker = await p.org('Slow Batch Marketing Ltd', 'other')
    let inFlight = 0
    const trx = await t.db.transaction()
    try {
      // A collector batch: its rows are stamped with its transaction's start (collected_at = now()).
      await trx.raw('SELECT pg_sleep(0.05)')
      const [row] = await trx('disclosures')
        .insert({
          practice_id: p.practice.id,
          source_id: p.source.id,
          source_record_id: 'slow-1',
          occurred_at: '2026-10-02T12:00:00Z',
          patient_pseudonym: 'P-SLOW-0000-0001',
          recipient_id: broker,
          purpose: 'marketing',
          data_level: 'identifiable',
        })
        .returning('id')
      inFlight = row.id
      await refresh(t.db, { rules: ['prohibited_purpose'] }) // cannot see the uncommitted row
      await trx.commit()
    } catch (err) {
      await trx.rollback()
      throw err
    }
    expect(await findingOf(t.db, 'prohibited_purpose', key(inFlight))).toBeUndefined()
    const [next] = await refresh(t.db, { rules: ['prohibited_purpose'] })
    expect(next).toMatchObject({ mode: 'incremental', opened: 1 })
    expect((await findingOf(t.db, 'prohibited_purpose', key(inFlight)))!.status).toBe('open')
  })
})
