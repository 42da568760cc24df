import { beforeAll, describe, expect, it } from 'vitest'
import { recordDsptStatus, recordNotice, type NoticeInput } from '../../../db/queries/notices.js'
import { useTestDatabase } from '../../support/db.js'
import { eventsOf, findingOf, openRulesFor, practiceFixture, refresh, type PracticeFixture } from './fixtures.js'

// The rules behind the promises of a practice's own notice (issue 20): each fires on records
// made to break the promise, stays quiet on near misses, and only where the notice in force
// that day makes the promise.

const t = useTestDatabase()
const key = (id: number) => `disclosure:${id}`

const notice = (practiceId: number, n: Partial<NoticeInput> & Pick<NoticeInput, 'promises' | 'inForceFrom'>) =>
  recordNotice(t.db, practiceId, {
    title: 'Test notice',
    purposes: null,
    recipientTypes: null,
    processors: null,
    source: null,
    recordedBy: 'test',
    ...n,
  })

const ASK =
  'Whenever there is such a purpose and your data is not anonymised ... we will always first contact you to ask for your permission to share your data.'
const SAFE = 'Information is only shared with organisations that have the necessary safe an secure systems.'
const LISTED = 'The reasons why we may share your information could be for the following reasons'

describe('secondary_without_consent', () => {
  let p: PracticeFixture
  let university: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A20001')
    university = await p.org('City University', 'research_org', 'EE20')
    await notice(p.practice.id, { inForceFrom: '2026-01-01', promises: [{ promise: 'ask_before_identifiable_secondary', words: ASK }] })
  })

  it('flags identifiable research on implied consent or no basis, quoting the promise', async () => {
    const implied = await p.disclosure({
      occurred_at: '2026-03-02T10:00:00Z',
      recipient_id: university,
      purpose: 'research',
      legal_basis: 'implied_consent',
    })
    const none = await p.disclosure({ occurred_at: '2026-03-03T10:00:00Z', recipient_id: university, purpose: 'commissioning' })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'secondary_without_consent', key(implied)))!
    expect(f).toMatchObject({ status: 'open', severity: 'high', practice_id: p.practice.id })
    expect(f.summary).toMatch(
      /^Identifiable research data about patient P-TEST-\d{4}-0000 was disclosed to City University on 2 Mar 2026 on implied consent only/,
    )
    expect(f.summary).toContain(`The practice's privacy notice (version 1) promises: “${ASK}”`)
    expect(f.evidence.map((e) => e.type)).toEqual(['disclosure', 'organisation', 'notice'])
    expect((await findingOf(t.db, 'secondary_without_consent', key(none)))!.summary).toContain('with no legal basis recorded')
  })

  it('stays quiet for consent, s251, COPI, anonymised or pseudonymised data, direct care, and before the notice', async () => {
    const quiet = [
      await p.disclosure({
        occurred_at: '2026-03-04T10:00:00Z',
        recipient_id: university,
        purpose: 'research',
        legal_basis: 'explicit_consent',
      }),
      await p.disclosure({ occurred_at: '2026-03-04T11:00:00Z', recipient_id: university, purpose: 'research', legal_basis: 's251' }),
      await p.disclosure({ occurred_at: '2026-03-04T12:00:00Z', recipient_id: university, purpose: 'surveys', legal_basis: 'copi' }),
      await p.disclosure({ occurred_at: '2026-03-04T13:00:00Z', recipient_id: university, purpose: 'research', data_level: 'anonymised' }),
      await p.disclosure({
        occurred_at: '2026-03-04T14:00:00Z',
        recipient_id: university,
        purpose: 'research',
        data_level: 'pseudonymised',
      }),
      await p.disclosure({ occurred_at: '2026-03-04T15:00:00Z', recipient_id: university, purpose: 'direct_care' }),
      await p.disclosure({ occurred_at: '2025-12-31T12:00:00Z', recipient_id: university, purpose: 'research' }),
    ]
    await refresh(t.db)
    for (const d of quiet) expect(await openRulesFor(t.db, key(d))).not.toContain('secondary_without_consent')
  })

  it('never fires for a practice whose notice does not make the promise', async () => {
    const other = await practiceFixture(t.db, 'A20002')
    await notice(other.practice.id, { inForceFrom: '2026-01-01', promises: [{ promise: 'safe_systems', words: SAFE }] })
    await recordDsptStatus(t.db, { organisationId: university, status: 'standards_met', validFrom: '2020-01-01' })
    const d = await other.disclosure({ occurred_at: '2026-03-02T10:00:00Z', recipient_id: university, purpose: 'research' })
    await refresh(t.db)
    expect(await openRulesFor(t.db, key(d))).toEqual(['no_agreement'])
  })
})

describe('recipient_unassured', () => {
  let p: PracticeFixture
  let met: number
  let lapsed: number
  let unknown: number
  let patient: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A20011')
    met = await p.org('Assured Trust', 'nhs_trust', 'RA1')
    lapsed = await p.org('Lapsed Care Ltd', 'private_provider', 'NLX1')
    unknown = await p.org('Unknown Analytics Ltd', 'other')
    patient = await p.org('The patient', 'patient_representative')
    await notice(p.practice.id, { inForceFrom: '2026-01-01', promises: [{ promise: 'safe_systems', words: SAFE }] })
    await recordDsptStatus(t.db, { organisationId: met, status: 'standards_exceeded', validFrom: '2025-01-01' })
    await recordDsptStatus(t.db, { organisationId: lapsed, status: 'standards_met', validFrom: '2025-01-01' })
    await recordDsptStatus(t.db, {
      organisationId: lapsed,
      status: 'approaching_standards',
      validFrom: '2026-03-01',
      validTo: '2026-03-31',
    })
    await recordDsptStatus(t.db, { organisationId: lapsed, status: 'standards_met', validFrom: '2026-04-01' })
  })

  it('flags a recipient whose status that day was not standards met, or not recorded, quoting the promise', async () => {
    const afterLapse = await p.disclosure({ occurred_at: '2026-03-31T23:30:00Z', recipient_id: lapsed, purpose: 'direct_care' }) // 31 Mar in UTC, 1 Apr in England (BST)
    const lapseDay = await p.disclosure({ occurred_at: '2026-03-15T10:00:00Z', recipient_id: lapsed, purpose: 'direct_care' })
    const noStatus = await p.disclosure({ occurred_at: '2026-03-15T10:00:00Z', recipient_id: unknown, purpose: 'direct_care' })
    const quiet = [
      afterLapse,
      await p.disclosure({ occurred_at: '2026-02-27T10:00:00Z', recipient_id: lapsed, purpose: 'direct_care' }),
      await p.disclosure({ occurred_at: '2026-03-15T10:00:00Z', recipient_id: met, purpose: 'direct_care' }),
      await p.disclosure({ occurred_at: '2026-03-15T10:00:00Z', recipient_id: patient, purpose: 'subject_access' }),
      await p.disclosure({ occurred_at: '2025-12-15T10:00:00Z', recipient_id: unknown, purpose: 'direct_care' }),
    ]
    await refresh(t.db)
    const f = (await findingOf(t.db, 'recipient_unassured', key(lapseDay)))!
    expect(f.summary).toContain(
      'Lapsed Care Ltd on 15 Mar 2026, when its Data Security and Protection Toolkit status was “approaching standards” (recorded from 1 Mar 2026), not “standards met”',
    )
    expect(f.summary).toContain(`promises: “${SAFE}”`)
    expect(f.evidence.map((e) => e.type)).toEqual(['disclosure', 'organisation', 'dspt', 'notice'])
    expect((await findingOf(t.db, 'recipient_unassured', key(noStatus)))!.summary).toContain(
      'no Data Security and Protection Toolkit status was recorded for it that day',
    )
    for (const d of quiet) expect(await openRulesFor(t.db, key(d))).not.toContain('recipient_unassured')
  })

  it('resolves when the register records the recipient as assured for that day', async () => {
    await recordDsptStatus(t.db, { organisationId: unknown, status: 'standards_met', validFrom: '2026-01-01' })
    await refresh(t.db)
    const [f] = await t.db('findings').where({ rule_id: 'recipient_unassured' }).whereRaw(`summary LIKE '%Unknown Analytics%'`)
    expect(f.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).at(-1)!.reason).toBe(
      'The organisation register now records Unknown Analytics Ltd as “standards met” on 15 Mar 2026.',
    )
  })
})

describe('outside_notice', () => {
  let p: PracticeFixture
  let trust: number
  let school: number
  let csu: number
  let otherProcessor: number
  let police: number
  let patient: number
  beforeAll(async () => {
    p = await practiceFixture(t.db, 'A20021')
    trust = await p.org('County Hospital', 'nhs_trust', 'RC1')
    school = await p.org('Medical School', 'education')
    csu = await p.org('North CSU', 'data_processor')
    otherProcessor = await p.org('Quiet Processing Ltd', 'data_processor')
    police = await p.org('County Police', 'police_judicial')
    patient = await p.org('The patient', 'patient_representative')
    await notice(p.practice.id, {
      inForceFrom: '2026-01-01',
      purposes: ['direct_care', 'research', 'risk_stratification'],
      recipientTypes: ['nhs_trust', 'research_org', 'data_processor'],
      processors: [{ name: 'North CSU' }],
      promises: [{ promise: 'only_as_listed', words: LISTED }],
    })
  })

  it('flags a purpose, a kind of organisation or a processor the notice does not list, and nothing else', async () => {
    const purpose = await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: trust, purpose: 'commissioning' })
    const type = await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: school, purpose: 'research' })
    const processor = await p.disclosure({
      occurred_at: '2026-02-02T10:00:00Z',
      recipient_id: otherProcessor,
      purpose: 'risk_stratification',
    })
    const quiet = [
      await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: trust, purpose: 'emergency_care' }),
      await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: csu, purpose: 'risk_stratification' }),
      await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: police, purpose: 'legal' }),
      await p.disclosure({ occurred_at: '2026-02-02T10:00:00Z', recipient_id: patient, purpose: 'subject_access' }),
      await p.disclosure({ occurred_at: '2025-12-02T10:00:00Z', recipient_id: trust, purpose: 'commissioning' }),
    ]
    await refresh(t.db)
    const f = (await findingOf(t.db, 'outside_notice', key(purpose)))!
    expect(f.summary).toContain('to County Hospital on 2 Feb 2026 for commissioning, a purpose the notice in force that day does not list.')
    expect(f.summary).toContain(`The practice's privacy notice (version 1) promises: “${LISTED}”`)
    expect((await findingOf(t.db, 'outside_notice', key(type)))!.summary).toContain(
      'and Medical School is a kind of organisation (Education services) the notice in force that day does not list',
    )
    expect((await findingOf(t.db, 'outside_notice', key(processor)))!.summary).toContain(
      'Quiet Processing Ltd is a data processor the notice in force that day does not name',
    )
    for (const d of quiet) expect(await openRulesFor(t.db, key(d))).not.toContain('outside_notice')
  })

  it('a purpose removed by a new version counts only from that version’s first day', async () => {
    const before = await p.disclosure({ occurred_at: '2026-05-31T22:30:00Z', recipient_id: trust, purpose: 'research' }) // 31 May in England
    const after = await p.disclosure({ occurred_at: '2026-05-31T23:30:00Z', recipient_id: trust, purpose: 'research' }) // 1 Jun in England
    await refresh(t.db)
    expect(await openRulesFor(t.db, key(before))).not.toContain('outside_notice')
    expect(await openRulesFor(t.db, key(after))).not.toContain('outside_notice')

    const v2 = await notice(p.practice.id, {
      inForceFrom: '2026-06-01',
      purposes: ['direct_care', 'risk_stratification'],
      recipientTypes: ['nhs_trust', 'research_org', 'data_processor'],
      processors: [{ name: 'North CSU' }],
      promises: [{ promise: 'only_as_listed', words: LISTED }],
    })
    expect(v2.version).toBe(2)
    await refresh(t.db)
    expect(await openRulesFor(t.db, key(before))).not.toContain('outside_notice')
    const f = (await findingOf(t.db, 'outside_notice', key(after)))!
    expect(f.summary).toContain('on 1 Jun 2026 for research, a purpose the notice in force that day does not list')
    expect(f.summary).toContain('(version 2)')
    // Version 1 is kept as it was: history, not an overwrite.
    expect(await t.db('privacy_notices').where({ practice_id: p.practice.id }).orderBy('version').pluck('version')).toEqual([1, 2])
    await expect(t.db('privacy_notices').where({ id: v2.id }).update({ title: 'edited' })).rejects.toThrow(/append-only/)
  })
})
