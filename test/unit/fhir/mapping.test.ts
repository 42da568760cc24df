import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { indexCodeTables, type MapContext } from '../../../jobs/fhir/codes.js'
import { mapAuditEvent, recipientTypeFromOds } from '../../../jobs/fhir/map-audit-event.js'
import { mapConsent } from '../../../jobs/fhir/map-consent.js'
import { mapPage, recordKey } from '../../../jobs/fhir/page.js'
import { toUtcIso } from '../../../jobs/fhir/schemas.js'
import { pseudonymiseLocalReference, pseudonymiseNhsNumber } from '../../../jobs/pseudonym.js'

/** Fixtures as untyped JSON: the tests reshape them freely to make each failure. */
type Json = any
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/fhir/${name}.json`, import.meta.url), 'utf8'))

const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
const SNOMED = 'http://snomed.info/sct'
const READ2 = 'http://read.info/readv2'
const KEY = 'unit-test-pseudonym-key-0123456789abcdef'
const SOURCE_ID = 7

// A slice of the seeded code tables, as plain data: the mappers never touch the database.
const ctx: MapContext = {
  maxTextChars: 1000,
  maxDepth: 64,
  sourceId: SOURCE_ID,
  practiceId: 3,
  pseudonymKey: KEY,
  codes: indexCodeTables({
    purposeCodes: [
      ...(
        [
          ['TREAT', 'direct_care'],
          ['ETREAT', 'emergency_care'],
          ['BTG', 'emergency_care'],
          ['HRESCH', 'research'],
          ['PATRQT', 'subject_access'],
          ['THREAT', 'safeguarding'],
          ['HMARKT', 'marketing'],
        ] as const
      ).map(([code, purpose]) => ({ system: V3, code, purpose })),
      { system: 'urn:sharing-ledger:purpose', code: 'research', purpose: 'research' },
    ],
    choiceCodes: [
      { system: SNOMED, code: '370856009', kind: 'ndop', decision: 'deny' },
      { system: SNOMED, code: '827241000000103', kind: 'type1', decision: 'deny' },
      { system: READ2, code: '9Nd1', kind: 'record_sharing', decision: 'deny' },
      { system: READ2, code: '9Nd7', kind: 'record_sharing', decision: 'permit' },
    ],
    legalBases: ['implied_consent', 'safeguarding_duty', 'vital_interests', 'legal_obligation'],
    recipientTypes: ['nhs_trust', 'gp_practice', 'icb', 'nhs_england', 'police_judicial', 'insurer', 'other', 'patient_representative'],
  }),
}

function mapped(resource: Json) {
  const result = mapAuditEvent(resource, ctx)
  if (!('disclosure' in result)) throw new Error(`expected records, got ${JSON.stringify(result)}`)
  return result
}
function quarantineReason(resource: Json): string {
  const result = mapAuditEvent(resource, ctx)
  if (!('error' in result)) throw new Error(`expected a quarantine reason, got ${JSON.stringify(result)}`)
  return result.error
}
function choice(resource: Json) {
  const result = mapConsent(resource, ctx)
  if (!('choice' in result)) throw new Error(`expected a choice, got ${JSON.stringify(result)}`)
  return result.choice
}
function consentReason(resource: Json): string {
  const result = mapConsent(resource, ctx)
  if (!('error' in result)) throw new Error(`expected a quarantine reason, got ${JSON.stringify(result)}`)
  return result.error
}

describe('mapAuditEvent: the shapes that must load', () => {
  it("maps HL7's R4 example-disclosure, marketing purpose and all (a compliance rule flags it later)", () => {
    const { disclosure, override } = mapped(fixture('auditevent-example-disclosure'))
    expect(override).toBeNull()
    expect(disclosure).toEqual({
      practice_id: 3,
      source_id: SOURCE_ID,
      source_record_id: 'example-disclosure',
      source_version: null,
      occurred_at: '2013-09-22T00:08:00.000Z',
      patient_pseudonym: pseudonymiseLocalReference(KEY, SOURCE_ID, 'Patient/example'),
      recipient: { odsCode: null, name: 'Where', recipientType: 'other' },
      purpose: 'marketing',
      purpose_code: 'HMARKT',
      legal_basis: null,
      data_level: 'identifiable',
      data_description: 'data about Everthing important',
      disclosed_by_role: null,
      disclosed_by: 'SomeIdiot@nowhere',
    })
  })

  it('maps the IHE BALP PrivacyDisclosure.Source example, crediting the source agent rather than the patient who asked', () => {
    const { disclosure } = mapped(fixture('auditevent-balp-privacy-disclosure-source'))
    expect(disclosure).toMatchObject({
      source_record_id: 'ex-auditPrivacyDisclosure-source',
      occurred_at: '2020-04-29T09:49:00.000Z',
      recipient: { odsCode: null, name: 'myMachine.example.org', recipientType: 'other' },
      purpose: 'subject_access',
      purpose_code: 'PATRQT',
      patient_pseudonym: pseudonymiseLocalReference(KEY, SOURCE_ID, 'Patient/ex-patient'),
      disclosed_by: 'model number ABC, serial number 1234',
      data_description: null,
    })
  })

  it('maps the IHE BALP PrivacyDisclosure.Recipient example, naming a recipient known only by reference after its network address', () => {
    const { disclosure } = mapped(fixture('auditevent-balp-privacy-disclosure-recipient'))
    expect(disclosure).toMatchObject({
      recipient: { odsCode: null, name: 'http://server.example.com/fhir', recipientType: 'other' },
      disclosed_by: 'myMachine.example.org',
      purpose: 'subject_access',
    })
  })

  it('maps an NHS disclosure: ODS recipient, legal basis, staff role, and a pseudonym in place of the NHS number and name', () => {
    const { disclosure } = mapped(fixture('auditevent-nhs-disclosure'))
    expect(disclosure).toMatchObject({
      source_version: '1',
      occurred_at: '2026-03-02T09:10:00.000Z', // period.start, not recorded
      patient_pseudonym: pseudonymiseNhsNumber(KEY, '9434765919'),
      recipient: { odsCode: 'RR8', name: 'Leeds Teaching Hospitals NHS Trust', recipientType: 'nhs_trust' },
      purpose: 'direct_care',
      purpose_code: 'TREAT',
      legal_basis: 'implied_consent',
      disclosed_by: '555123456789',
      disclosed_by_role: 'Medical Secretary',
      data_description: 'Referral letter with a summary of recent consultations',
    })
    const stored = JSON.stringify(disclosure)
    for (const identifying of ['9434765919', 'MILLER', 'Alice']) expect(stored).not.toContain(identifying)
  })

  it('infers the recipient type from the ODS code when the source does not say', () => {
    const event = fixture('auditevent-nhs-disclosure')
    delete event.agent[2].role
    event.agent[2].who.identifier.value = 'qwo'
    expect(mapped(event).disclosure?.recipient).toEqual({
      odsCode: 'QWO',
      name: 'Leeds Teaching Hospitals NHS Trust',
      recipientType: 'icb',
    })
    expect(['A81001', 'Q12', 'X26', 'RR8', 'RR801', 'RX1', '8JK12', undefined].map(recipientTypeFromOds)).toEqual([
      'gp_practice',
      'icb',
      'nhs_england',
      'nhs_trust',
      'nhs_trust',
      'nhs_trust',
      'other',
      'other',
    ])
  })

  it('reads the data level from meta.security (PSEUDED, ANONYED)', () => {
    const event = fixture('auditevent-nhs-disclosure')
    const OBS = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue'
    event.meta.security = [{ system: OBS, code: 'PSEUDED' }]
    expect(mapped(event).disclosure?.data_level).toBe('pseudonymised')
    event.meta.security = [
      { system: OBS, code: 'PSEUDED' },
      { system: OBS, code: 'ANONYED' },
    ]
    expect(mapped(event).disclosure?.data_level).toBe('anonymised')
  })

  it('stores a disclosure made by overriding consent, and the override beside it for a Caldicott review', () => {
    const { disclosure, override } = mapped(fixture('auditevent-override-disclosure'))
    const police = { odsCode: null, name: 'West Yorkshire Police', recipientType: 'police_judicial' }
    expect(disclosure).toMatchObject({
      source_record_id: 'disclosure-a81001-0002',
      purpose: 'safeguarding',
      legal_basis: 'safeguarding_duty',
      recipient: police,
    })
    expect(override).toMatchObject({
      source_record_id: 'disclosure-a81001-0002#override',
      kind: 'consent_override',
      reason_code: 'OVRTPS',
      purpose_code: 'THREAT',
      legal_basis: 'safeguarding_duty',
      recipient: police,
      actor: '555000111222',
      actor_role: 'GP Partner, Caldicott Guardian',
      patient_pseudonym: pseudonymiseNhsNumber(KEY, '9434765935'),
      occurred_at: '2026-03-04T16:02:00.000Z',
    })
  })

  it('maps a break-glass Security Alert (DCM 110113 / 110127) to an override event only', () => {
    const { disclosure, override } = mapped(fixture('auditevent-break-glass'))
    expect(disclosure).toBeNull()
    expect(override).toEqual({
      practice_id: 3,
      source_id: SOURCE_ID,
      source_record_id: 'break-glass-a81001-0001',
      source_version: '1',
      occurred_at: '2026-03-03T22:41:00.000Z',
      patient_pseudonym: pseudonymiseNhsNumber(KEY, '9434765927'),
      kind: 'break_glass',
      reason_code: null,
      purpose_code: 'BTG',
      legal_basis: 'vital_interests',
      actor_role: 'Out-of-hours GP',
      actor: '555987654321',
      recipient: null,
      description: 'Security Alert: Emergency Override Started',
    })
  })

  it('maps Emergency Override Stopped (DCM 110128) to override_stopped', () => {
    const event = fixture('auditevent-break-glass')
    event.subtype = [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110128', display: 'Emergency Override Stopped' }]
    expect(mapped(event).override?.kind).toBe('override_stopped')
  })

  it('ignores a plain read by a clinician, though BALP gives it a destination agent', () => {
    expect(mapAuditEvent(fixture('auditevent-clinician-read'), ctx)).toEqual({ skip: 'neither a disclosure nor an override' })
  })

  it('records a read made with purpose BTG as a break-glass override', () => {
    const event = fixture('auditevent-clinician-read')
    event.purposeOfEvent = [{ coding: [{ system: V3, code: 'BTG' }] }]
    const { disclosure, override } = mapped(event)
    expect(disclosure).toBeNull()
    expect(override).toMatchObject({
      kind: 'break_glass',
      source_record_id: 'read-a81001-0001',
      actor: '555123000999',
      purpose_code: 'BTG',
    })
  })
})

describe('mapAuditEvent: quarantine reasons', () => {
  it('rejects an R5 AuditEvent, naming the R5 elements', () => {
    expect(quarantineReason(fixture('auditevent-r5'))).toBe(
      'resource looks like FHIR R5 (AuditEvent.category/code/occurredDateTime/authorization/patient/outcome.code/agent.networkString/agent.networkUri present); this collector reads FHIR R4',
    )
    const r4WithR5Type = fixture('auditevent-nhs-disclosure')
    r4WithR5Type.type = { coding: [r4WithR5Type.type] }
    expect(quarantineReason(r4WithR5Type)).toBe(
      'resource looks like FHIR R5 (AuditEvent.type.coding present); this collector reads FHIR R4',
    )
  })

  it('never guesses an unknown purpose code', () => {
    const event = fixture('auditevent-nhs-disclosure')
    event.purposeOfEvent[0].coding = [{ system: V3, code: 'XYZ' }]
    expect(quarantineReason(event)).toBe('AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZ)')
    event.purposeOfEvent = []
    expect(quarantineReason(event)).toBe('AuditEvent has no purposeOfEvent code that maps to a known purpose (it has none)')
  })

  it('accepts our local purpose codes', () => {
    const event = fixture('auditevent-nhs-disclosure')
    event.purposeOfEvent[0].coding = [{ system: 'urn:sharing-ledger:purpose', code: 'research' }]
    expect(mapped(event).disclosure).toMatchObject({ purpose: 'research', purpose_code: 'research' })
  })

  it('rejects an NHS number that fails the check digit, without repeating the number', () => {
    const event = fixture('auditevent-nhs-disclosure')
    event.entity[0].what.identifier.value = '9434765918'
    expect(quarantineReason(event)).toBe('patient NHS number ending 918 fails the modulus-11 check')
    event.entity[0].what.identifier.value = '94347'
    expect(quarantineReason(event)).toBe('patient NHS number is not 10 digits')
  })

  it('rejects an event with no patient, a disclosure or an override alike', () => {
    const disclosure = fixture('auditevent-nhs-disclosure')
    disclosure.entity = [disclosure.entity[1]]
    expect(quarantineReason(disclosure)).toMatch(/^AuditEvent names no patient/)
    const breakGlass = fixture('auditevent-break-glass')
    delete breakGlass.entity
    expect(quarantineReason(breakGlass)).toMatch(/^AuditEvent names no patient/)
  })

  it('rejects a recipient nobody could identify, and unknown recipient types and legal bases', () => {
    const anonymous = fixture('auditevent-nhs-disclosure')
    anonymous.agent[2].who = { reference: 'Organization/77' }
    delete anonymous.agent[2].network
    expect(quarantineReason(anonymous)).toBe(
      'recipient agent has no identifier, display name or network address, so there is no saying who received the data',
    )
    const badType = fixture('auditevent-nhs-disclosure')
    badType.agent[2].role[0].coding[0].code = 'hospital'
    expect(quarantineReason(badType)).toBe('recipient type "hospital" is not a known recipient type (urn:sharing-ledger:recipient-type)')
    const badOds = fixture('auditevent-nhs-disclosure')
    badOds.agent[2].who.identifier.value = 'RR 8!'
    expect(quarantineReason(badOds)).toBe('recipient ODS code "RR 8!" is not a valid ODS code')
    const badBasis = fixture('auditevent-nhs-disclosure')
    badBasis.purposeOfEvent[1].coding[0].code = 'because'
    expect(quarantineReason(badBasis)).toBe('legal basis "because" is not a known legal basis (urn:sharing-ledger:legal-basis)')
  })

  it('rejects a disclosure with no recipient agent', () => {
    const event = fixture('auditevent-nhs-disclosure')
    event.agent = event.agent.slice(0, 2)
    expect(quarantineReason(event)).toBe('disclosure has no recipient agent (agent.type DCM#110152 "Destination Role ID")')
  })

  it('names the R4 element that is missing or malformed', () => {
    const noRequestor = fixture('auditevent-nhs-disclosure')
    delete noRequestor.agent[1].requestor
    expect(quarantineReason(noRequestor)).toBe('AuditEvent.agent[1].requestor is missing')
    const noRecorded = fixture('auditevent-nhs-disclosure')
    delete noRecorded.recorded
    expect(quarantineReason(noRecorded)).toBe('AuditEvent.recorded is missing')
    const typeList = fixture('auditevent-nhs-disclosure')
    typeList.type = [typeList.type]
    expect(quarantineReason(typeList)).toBe('AuditEvent.type should be object but is array')
    const badDate = fixture('auditevent-nhs-disclosure')
    badDate.recorded = '2026-03-02'
    expect(quarantineReason(badDate)).toBe('AuditEvent.recorded is not a FHIR instant (date, time and time zone)')
  })
})

describe('mapConsent', () => {
  it('maps consent-example-Out: policyRule OPTOUT with no provision.type is a record-sharing dissent', () => {
    expect(choice(fixture('consent-example-Out'))).toEqual({
      practice_id: 3,
      source_id: SOURCE_ID,
      source_record_id: 'consent-example-Out',
      source_version: null,
      patient_pseudonym: pseudonymiseLocalReference(KEY, SOURCE_ID, 'Patient/f001'),
      kind: 'record_sharing',
      decision: 'deny',
      effective_at: '2015-11-18T00:00:00.000Z',
      code_system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'OPTOUT',
      status: 'active',
    })
  })

  it('maps consent-example-notOrg: an explicit provision.type deny outweighs the OPTIN base policy', () => {
    expect(choice(fixture('consent-example-notOrg'))).toMatchObject({
      kind: 'record_sharing',
      decision: 'deny',
      code_system: 'http://hl7.org/fhir/consent-provision-type',
      code: 'deny',
    })
  })

  it('maps consent-example-Emergency (deny all but emergency treatment) as a dissent', () => {
    expect(choice(fixture('consent-example-Emergency'))).toMatchObject({ kind: 'record_sharing', decision: 'deny', code: 'OPTOUT' })
  })

  it('maps a Type 1 opt-out by its SNOMED code, keeping neither NHS number nor name', () => {
    const stored = choice(fixture('consent-type1-optout'))
    expect(stored).toMatchObject({
      kind: 'type1',
      decision: 'deny',
      code_system: SNOMED,
      code: '827241000000103',
      patient_pseudonym: pseudonymiseNhsNumber(KEY, '9434765943'),
      effective_at: '2026-02-10T10:58:00.000Z',
      source_version: '1',
    })
    for (const identifying of ['9434765943', 'GREEN', 'Tom']) expect(JSON.stringify(stored)).not.toContain(identifying)
  })

  it('finds choice codes in category, provision.purpose and nested provisions too', () => {
    const ndop = fixture('consent-example-Out')
    ndop.category = [{ coding: [{ system: SNOMED, code: '370856009' }] }]
    expect(choice(ndop)).toMatchObject({ kind: 'ndop', decision: 'deny', code: '370856009' })
    const sharing = fixture('consent-example-Emergency')
    sharing.provision.provision[0].code = [{ coding: [{ system: READ2, code: '9Nd1' }] }]
    expect(choice(sharing)).toMatchObject({ kind: 'record_sharing', decision: 'deny', code: '9Nd1', code_system: READ2 })
  })

  it('stores a withdrawn or rejected choice as inactive, skips one entered in error, and quarantines one not yet in force', () => {
    const consent = fixture('consent-type1-optout')
    consent.status = 'inactive'
    expect(choice(consent).status).toBe('inactive')
    consent.status = 'rejected'
    expect(choice(consent).status).toBe('inactive')
    consent.status = 'entered-in-error'
    expect(mapConsent(consent, ctx)).toEqual({ skip: 'entered in error' })
    consent.status = 'draft'
    expect(consentReason(consent)).toBe('Consent is draft: not yet in force')
    consent.status = 'proposed'
    expect(consentReason(consent)).toBe('Consent is proposed: not yet in force')
    consent.status = 'maybe'
    expect(consentReason(consent)).toBe(
      'Consent.status "maybe" is not one of draft, proposed, active, rejected, inactive, entered-in-error',
    )
  })

  it('quarantines a code that provision.type contradicts, and codes that disagree', () => {
    const contradictory = fixture('consent-type1-optout')
    contradictory.provision.code = [{ coding: [{ system: READ2, code: '9Nd7' }] }]
    expect(consentReason(contradictory)).toBe(
      'Consent contradicts itself: readv2#9Nd7 means record_sharing permit but provision.type is deny',
    )
    const disagreeing = fixture('consent-type1-optout')
    disagreeing.provision.code.push({ coding: [{ system: READ2, code: '9Nd7' }] })
    expect(consentReason(disagreeing)).toBe(
      'Consent codes disagree: sct#827241000000103 means type1 deny, readv2#9Nd7 means record_sharing permit',
    )
  })

  it('quarantines a Consent that says neither which choice nor deny or permit', () => {
    const consent = fixture('consent-example-Out')
    delete consent.policyRule
    expect(consentReason(consent)).toBe(
      'Consent has no code that says which choice it records (got loinc.org#59284-0) and no policyRule OPTOUT/OPTIN or provision.type to say deny or permit',
    )
  })

  it('takes effect from dateTime, else provision.period.start, else meta.lastUpdated, else is quarantined', () => {
    const consent = fixture('consent-example-Out')
    delete consent.dateTime
    consent.meta.lastUpdated = '2026-01-05T12:00:00+01:00'
    expect(choice(consent).effective_at).toBe('2026-01-05T11:00:00.000Z')
    consent.provision.period = { start: '2025-12-01' }
    expect(choice(consent).effective_at).toBe('2025-12-01T00:00:00.000Z')
    delete consent.provision.period
    delete consent.meta.lastUpdated
    expect(consentReason(consent)).toBe('Consent has no date to take effect from (dateTime, provision.period.start or meta.lastUpdated)')
  })

  it('quarantines a Consent with no patient or an invalid NHS number', () => {
    const noPatient = fixture('consent-example-Out')
    delete noPatient.patient
    expect(consentReason(noPatient)).toBe('Consent names no patient (patient.identifier or a Patient reference)')
    const badNumber = fixture('consent-type1-optout')
    badNumber.patient.identifier.value = '9434765940'
    expect(consentReason(badNumber)).toBe('patient NHS number ending 940 fails the modulus-11 check')
  })

  it('rejects an R5 Consent, naming the R5 elements', () => {
    expect(consentReason(fixture('consent-r5'))).toBe(
      'resource looks like FHIR R5 (Consent.decision/date/controller/regulatoryBasis/subject/provision[] present); this collector reads FHIR R4',
    )
  })
})

describe('mapPage', () => {
  const bundle = (entry: Json[]) => ({ resourceType: 'Bundle' as const, entry })

  it('sorts a page into records, quarantine and resolved keys, and takes the newest lastUpdated in UTC as the cursor', () => {
    const disclosure = fixture('auditevent-nhs-disclosure')
    disclosure.meta.lastUpdated = '2026-03-02T10:30:00+01:00' // 09:30 UTC: the largest string on the page, not the latest time
    const breakGlass = fixture('auditevent-break-glass')
    breakGlass.meta.lastUpdated = '2026-03-02T09:45:00Z'
    const bad = fixture('auditevent-r5')
    bad.meta.lastUpdated = '2026-03-02T09:40:00Z'
    const read = fixture('auditevent-clinician-read')
    const page = mapPage(
      bundle([
        { resource: disclosure },
        { resource: breakGlass },
        { resource: bad },
        { resource: read },
        { resource: { resourceType: 'OperationOutcome', issue: [] }, search: { mode: 'outcome' } },
      ]),
      'AuditEvent',
      ctx,
    )
    expect(page.read).toBe(4)
    expect(page.disclosures.map((d) => d.source_record_id)).toEqual(['disclosure-a81001-0001'])
    expect(page.overrides.map((o) => o.source_record_id)).toEqual(['break-glass-a81001-0001'])
    expect(page.quarantine).toEqual([
      { recordKey: 'example-disclosure-r5', resourceType: 'AuditEvent', reason: expect.stringMatching(/FHIR R5/), payload: bad },
    ])
    expect(page.loadedKeys).toEqual(['disclosure-a81001-0001', 'break-glass-a81001-0001', 'read-a81001-0001'])
    expect(page.highWaterMark).toBe('2026-03-02T09:45:00.000Z')
  })

  it('quarantines a resource of the wrong type or an entry without one, keyed by a digest when there is no id', () => {
    const stray = { resourceType: 'Patient', name: [{ family: 'Miller' }] }
    const page = mapPage(bundle([{ resource: stray }, {}]), 'Consent', ctx)
    expect(page.quarantine.map((q) => [q.recordKey, q.reason])).toEqual([
      [recordKey(stray, ctx), 'the Consent search returned a resource of type Patient'],
      [recordKey(undefined, ctx), 'the Consent search returned an entry without a resource'],
    ])
    expect(recordKey(stray, ctx)).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(recordKey(stray, ctx)).toBe(recordKey(JSON.parse(JSON.stringify(stray)), ctx))
    expect(page.highWaterMark).toBeNull()
  })
})

describe('toUtcIso', () => {
  it('turns full and partial FHIR dateTimes into UTC instants, and refuses impossible ones', () => {
    expect(['2015', '2015-11', '2015-11-18', '2020-04-29T09:49:00.000+01:00', '2013-09-22T00:08:00Z'].map(toUtcIso)).toEqual([
      '2015-01-01T00:00:00.000Z',
      '2015-11-01T00:00:00.000Z',
      '2015-11-18T00:00:00.000Z',
      '2020-04-29T08:49:00.000Z',
      '2013-09-22T00:08:00.000Z',
    ])
    // No time zone, a day past the month's end, a month 13: none of these is a FHIR dateTime.
    expect(['2015-11-18T10:00:00', '2015-02-29', '2015-13', 'yesterday'].map(toUtcIso)).toEqual([null, null, null, null])
    expect(toUtcIso('2016-02-29')).toBe('2016-02-29T00:00:00.000Z')
  })
})

describe('identifiers in collected text (decision 016)', () => {
  const NHS = '9434766044'
  const hostile = (edit: (e: Json) => void): Json => {
    const e = fixture('auditevent-nhs-disclosure')
    edit(e)
    return e
  }
  const recipient = (e: Json) => e.agent[2]
  const disclosureOf = (e: Json) => {
    const result = mapAuditEvent(e, ctx)
    if (!('disclosure' in result) || !result.disclosure) throw new Error(`expected a disclosure, got ${JSON.stringify(result)}`)
    return result.disclosure
  }

  it('stores a patient or relative named as the recipient by type, never by name', () => {
    const cases: Array<(e: Json) => void> = [
      (e) => (recipient(e).who = { reference: 'Patient/123', display: 'John Doe' }),
      (e) => (recipient(e).who = { reference: 'RelatedPerson/9', display: 'Jane Doe' }),
      (e) => (recipient(e).who = { display: 'Mrs Jane Doe (mother of patient)' }),
      (e) => (recipient(e).who = { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }, display: 'John Doe' }),
      (e) => (recipient(e).role = [{ coding: [{ system: 'urn:sharing-ledger:recipient-type', code: 'patient_representative' }] }]),
    ]
    for (const edit of cases) {
      const d = disclosureOf(hostile(edit))
      expect(d.recipient).toEqual({ odsCode: null, name: 'The patient or their representative', recipientType: 'patient_representative' })
    }
  })

  it('quarantines a bare personal name with no ODS code, and an NHS number in the ODS code, without quoting either', () => {
    const bare = mapAuditEvent(
      hostile((e) => ((recipient(e).who = { display: 'John Doe' }), (recipient(e).role = []))),
      ctx,
    )
    expect(bare).toEqual({ error: expect.stringContaining('recipient is named like a person (name not shown)') })
    for (const value of [NHS, '943 476 6044']) {
      const ods = mapAuditEvent(
        hostile((e) => (recipient(e).who.identifier.value = value)),
        ctx,
      )
      expect(ods).toEqual({ error: 'recipient ODS code holds ten digits that could be an NHS number (not shown)' })
    }
    const purpose = mapAuditEvent(
      hostile((e) => (e.purposeOfEvent[0].coding[0].code = `X${NHS}`)),
      ctx,
    )
    expect(JSON.stringify(purpose)).toContain('[NHS number removed]')
    expect(JSON.stringify(bare) + JSON.stringify(purpose)).not.toMatch(/John|Doe|\d{4}/)
  })

  it('masks NHS numbers in names, descriptions, actors, roles and ids, and caps long text', () => {
    const e = hostile((e) => {
      e.id = `ae-${NHS}`
      recipient(e).who.display = `Leeds Hospital re 943.476.6044`
      e.entity[1].description = `Letter about 943  476  6044 ${'x'.repeat(5000)}`
      e.agent[0].who.identifier.value = '94347-66044'
      e.agent[0].role[0].text = `Secretary ${NHS}`
    })
    const d = disclosureOf(e)
    expect(d.source_record_id).toMatch(/^id:[0-9a-f]{32}$/)
    expect(d.source_record_id).toBe(disclosureOf(JSON.parse(JSON.stringify(e))).source_record_id)
    expect(d.recipient.name).toBe('Leeds Hospital re [NHS number removed]')
    expect(d.data_description).toMatch(/^Letter about \[NHS number removed\] x+… \[cut at 1,000 characters\]$/)
    expect(d.disclosed_by).toBe('[NHS number removed]')
    expect(d.disclosed_by_role).toBe('Secretary [NHS number removed]')
    expect(recordKey(e, ctx)).toBe(d.source_record_id)
  })
})

describe('deeperThan', () => {
  it('measures nesting of objects and arrays, and stops at the limit however deep the value', async () => {
    const { deeperThan } = await import('../../../jobs/fhir/page.js')
    expect(deeperThan({ a: { b: [1] } }, 3)).toBe(false)
    expect(deeperThan({ a: { b: [{}] } }, 3)).toBe(true)
    expect(deeperThan('text', 0)).toBe(false)
    let deep: unknown = {}
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(deeperThan(deep, 64)).toBe(true)
  })
})
