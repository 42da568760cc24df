import type { AuditEvent, AuditEventAgent, AuditEventEntity, CodeableConcept, Coding, Consent, Reference } from 'fhir/r4'
import type { DataLevel, LegalBasis, Purpose, Recipient, StaffRole } from './catalogue/codes.js'

/**
 * FHIR R4 resources as a GP practice system would send them (the shapes decision 006 maps).
 * Parts that repeat across records (codings, agents, the source) are built once and frozen:
 * millions of records share them, which keeps a large dataset small in memory.
 */

export const SYSTEMS = {
  dcm: 'http://dicom.nema.org/resources/ontology/DCM',
  iso21089Lifecycle: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle',
  auditLifecycle: 'http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle',
  auditEntityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  auditEventOutcome: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  securityRoleType: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
  securitySourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
  v3ActReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  v3ActCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  v3ObservationValue: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  snomed: 'http://snomed.info/sct',
  readV2: 'http://read.info/readv2',
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  localPurpose: 'urn:sharing-ledger:purpose',
  legalBasis: 'urn:sharing-ledger:legal-basis',
  recipientType: 'urn:sharing-ledger:recipient-type',
  staffRole: 'urn:sharing-ledger:staff-role',
  staffId: 'urn:sharing-ledger:staff-id',
} as const

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** One frozen value per key: the first call builds it, later calls share it. */
function memo<T>(build: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>()
  return (key) => {
    let value = cache.get(key)
    if (value === undefined) {
      value = deepFreeze(build(key))
      cache.set(key, value)
    }
    return value
  }
}

const dcm = (code: string, display: string): Coding => ({ system: SYSTEMS.dcm, code, display })

const EXPORT = deepFreeze(dcm('110106', 'Export'))
const DISCLOSE = deepFreeze([{ system: SYSTEMS.iso21089Lifecycle, code: 'disclose', display: 'Disclose Record Lifecycle Event' }])
const SECURITY_ALERT = deepFreeze(dcm('110113', 'Security Alert'))
const OVERRIDE_STARTED = deepFreeze([dcm('110127', 'Emergency Override Started')])
const SOURCE_ROLE: CodeableConcept = deepFreeze({ coding: [dcm('110153', 'Source Role ID')] })
const HUMAN_USER: CodeableConcept = deepFreeze({ coding: [{ system: SYSTEMS.securityRoleType, code: 'humanuser', display: 'human user' }] })
const PERSON = deepFreeze({ system: SYSTEMS.auditEntityType, code: '1', display: 'Person' })
const PATIENT_ROLE = deepFreeze({ system: SYSTEMS.objectRole, code: '1', display: 'Patient' })
const SYSTEM_OBJECT = deepFreeze({ system: SYSTEMS.auditEntityType, code: '2', display: 'System Object' })
const DOMAIN_RESOURCE = deepFreeze({ system: SYSTEMS.objectRole, code: '4', display: 'Domain Resource' })
const DISCLOSURE_LIFECYCLE = deepFreeze({ system: SYSTEMS.auditLifecycle, code: '11', display: 'Disclosure' })
const APPLICATION_SERVER = deepFreeze([{ system: SYSTEMS.securitySourceType, code: '4', display: 'Application Server' }])
const DATA_LEVEL_LABELS: Record<DataLevel, Coding[] | undefined> = deepFreeze({
  identifiable: undefined,
  pseudonymised: [{ system: SYSTEMS.v3ObservationValue, code: 'PSEUDED', display: 'pseudonymized' }],
  anonymised: [{ system: SYSTEMS.v3ObservationValue, code: 'ANONYED', display: 'anonymized' }],
})

const actReason = memo((code): CodeableConcept => ({ coding: [{ system: SYSTEMS.v3ActReason, code }] }))
const legalBasisConcept = memo((code): CodeableConcept => ({ coding: [{ system: SYSTEMS.legalBasis, code }] }))
const dataEntity = memo((description): AuditEventEntity => ({
  type: SYSTEM_OBJECT,
  role: DOMAIN_RESOURCE,
  lifecycle: DISCLOSURE_LIFECYCLE,
  description,
}))
/** The purpose first (our local code ahead of the v3 one, so its precise meaning is read first), then any override reason, then the legal basis. */
const purposeOfEvent = memo((key): CodeableConcept[] => {
  const [localPurpose, purposeCode, overrideReason, legalBasis] = key.split('|')
  const purpose: Coding[] = [{ system: SYSTEMS.v3ActReason, code: purposeCode }]
  if (localPurpose) purpose.unshift({ system: SYSTEMS.localPurpose, code: localPurpose })
  return [
    { coding: purpose },
    ...(overrideReason ? [actReason(overrideReason)] : []),
    ...(legalBasis ? [legalBasisConcept(legalBasis)] : []),
  ]
})

const iso = (ms: number) => new Date(ms).toISOString()
const odsIdentifier = (value: string) => ({ system: SYSTEMS.ods, value })
const patientIdentifier = (value: string): Reference => ({ identifier: { system: SYSTEMS.nhsNumber, value } })

export interface StaffMember {
  id: string
  role: StaffRole
}

/** When a record happened and when the practice system last changed it. */
export interface RecordTimes {
  id: string
  /** period.start (AuditEvent) or dateTime (Consent), ms since the epoch. */
  at: number
  /** AuditEvent.recorded: when the audit record was written. */
  recorded: number
  lastUpdated: number
  versionId: string
}

export interface DisclosureInput {
  shape: 'disclosure' | 'r5_disclosure'
  /** A v3 PurposeOfUse code, or deliberately an unknown one. */
  purposeCode: string
  localPurpose: Purpose | null
  overrideReason: string | null
  legalBasis: LegalBasis | null
  recipient: Recipient
  dataLevel: DataLevel
  description: string
  staff: StaffMember
  /** Null leaves the patient entity out (a malformed record). */
  nhsNumber: string | null
  action: 'R' | 'E'
}

export interface OverrideInput {
  shape: 'override'
  purposeCode: 'BTG' | 'ETREAT'
  overrideReason: string | null
  legalBasis: LegalBasis | null
  description: string
  staff: StaffMember
  nhsNumber: string
}

export type AuditEventInput = DisclosureInput | OverrideInput

export type ChoiceKind = 'ndop' | 'type1' | 'record_sharing'

export interface ConsentInput {
  kind: ChoiceKind
  /**
   * opt_out: an NDOP or Type 1 opt-out (or a record-sharing dissent, 9Nd1); withdrawal: a later,
   * inactive record of the same kind that ends it; sharing_consent: consent to record sharing (9Nd7).
   */
  entry: 'opt_out' | 'withdrawal' | 'sharing_consent'
  /** Type 1 opt-outs are coded in SNOMED CT or, by older systems, Read v2 9Nu0. */
  readCoded: boolean
  status: 'active' | 'inactive' | 'proposed'
  nhsNumber: string
}

const CONSENT_SCOPE = deepFreeze({ coding: [{ system: SYSTEMS.consentScope, code: 'patient-privacy', display: 'Privacy Consent' }] })
const policyRule = memo((code): CodeableConcept => ({ coding: [{ system: SYSTEMS.v3ActCode, code }] }))
const provision = memo((type) => ({ type: type as 'deny' | 'permit' }))
const category = memo((key): CodeableConcept[] => {
  const [system, code, text] = key.split('|') as [string, string, string]
  return [{ coding: [{ system, code }], text }]
})

function consentCategory(input: ConsentInput): CodeableConcept[] {
  switch (input.kind) {
    case 'ndop':
      return category(`${SYSTEMS.snomed}|370856009|National data opt-out`)
    case 'type1':
      return input.readCoded
        ? category(`${SYSTEMS.readV2}|9Nu0|Type 1 opt-out: dissent from secondary use of GP patient identifiable data`)
        : category(`${SYSTEMS.snomed}|827241000000103|Type 1 opt-out: dissent from secondary use of GP patient identifiable data`)
    case 'record_sharing':
      return input.entry === 'sharing_consent'
        ? category(`${SYSTEMS.readV2}|9Nd7|Consent given for electronic record sharing`)
        : category(`${SYSTEMS.readV2}|9Nd1|No consent for electronic record sharing`)
  }
}

/** Builds the resources of one practice; agents and the source are shared by all its records. */
export function practiceResourceBuilder(practice: { odsCode: string; name: string }) {
  const organisation: Reference = deepFreeze({ identifier: odsIdentifier(practice.odsCode), display: practice.name })
  const sourceAgent: AuditEventAgent = deepFreeze({ type: SOURCE_ROLE, who: organisation, requestor: false })
  const source = deepFreeze({
    site: practice.odsCode,
    observer: { identifier: odsIdentifier(practice.odsCode), display: `${practice.name} clinical system` },
    type: APPLICATION_SERVER,
  })
  const consentOrganisation = deepFreeze([organisation])
  const staffAgents = new Map<StaffMember, AuditEventAgent>()
  const recipientAgents = new Map<Recipient, AuditEventAgent>()

  const staffAgent = (staff: StaffMember): AuditEventAgent => {
    let agent = staffAgents.get(staff)
    if (!agent) {
      agent = deepFreeze({
        type: HUMAN_USER,
        role: [{ coding: [{ system: SYSTEMS.staffRole, code: staff.role.code, display: staff.role.display }], text: staff.role.display }],
        who: { identifier: { system: SYSTEMS.staffId, value: staff.id } },
        requestor: true,
      })
      staffAgents.set(staff, agent)
    }
    return agent
  }
  const recipientAgent = (recipient: Recipient): AuditEventAgent => {
    let agent = recipientAgents.get(recipient)
    if (!agent) {
      agent = deepFreeze({
        type: { coding: [dcm('110152', 'Destination Role ID'), { system: SYSTEMS.recipientType, code: recipient.type }] },
        who: recipient.ods ? { identifier: odsIdentifier(recipient.ods), display: recipient.name } : { display: recipient.name },
        requestor: false,
      })
      recipientAgents.set(recipient, agent)
    }
    return agent
  }
  const meta = (t: RecordTimes, security?: Coding[]) => ({
    versionId: t.versionId,
    lastUpdated: iso(t.lastUpdated),
    ...(security ? { security } : {}),
  })
  const patientEntity = (nhsNumber: string): AuditEventEntity => ({ what: patientIdentifier(nhsNumber), type: PERSON, role: PATIENT_ROLE })
  const purposes = (localPurpose: string | null, code: string, overrideReason: string | null, legalBasis: string | null) =>
    purposeOfEvent(`${localPurpose ?? ''}|${code}|${overrideReason ?? ''}|${legalBasis ?? ''}`)

  function disclosure(t: RecordTimes, d: DisclosureInput): AuditEvent {
    return {
      resourceType: 'AuditEvent',
      id: t.id,
      meta: meta(t, DATA_LEVEL_LABELS[d.dataLevel]),
      type: EXPORT,
      subtype: DISCLOSE,
      action: d.action,
      period: { start: iso(t.at) },
      recorded: iso(t.recorded),
      outcome: '0',
      purposeOfEvent: purposes(d.localPurpose, d.purposeCode, d.overrideReason, d.legalBasis),
      agent: [sourceAgent, staffAgent(d.staff), recipientAgent(d.recipient)],
      source,
      entity: d.nhsNumber ? [patientEntity(d.nhsNumber), dataEntity(d.description)] : [dataEntity(d.description)],
    }
  }

  /** The same disclosure as FHIR R5 writes it (category/code/occurredDateTime/authorization): a collector of R4 must refuse it. */
  function r5Disclosure(t: RecordTimes, d: DisclosureInput): AuditEvent {
    const r5 = {
      resourceType: 'AuditEvent',
      id: t.id,
      meta: meta(t),
      category: [{ coding: [EXPORT] }],
      code: { coding: DISCLOSE },
      action: d.action,
      occurredDateTime: iso(t.at),
      recorded: iso(t.recorded),
      outcome: { code: { system: SYSTEMS.auditEventOutcome, code: '0', display: 'Success' } },
      authorization: [actReason(d.purposeCode)],
      ...(d.nhsNumber ? { patient: patientIdentifier(d.nhsNumber) } : {}),
      agent: [
        { type: SOURCE_ROLE, who: organisation },
        { type: HUMAN_USER, who: { identifier: { system: SYSTEMS.staffId, value: d.staff.id } } },
        { type: recipientAgent(d.recipient).type, who: recipientAgent(d.recipient).who },
      ],
      source: { observer: source.observer },
      entity: [{ what: { display: d.description }, role: { coding: [DOMAIN_RESOURCE] } }],
    }
    return r5 as unknown as AuditEvent
  }

  function override(t: RecordTimes, o: OverrideInput): AuditEvent {
    return {
      resourceType: 'AuditEvent',
      id: t.id,
      meta: meta(t),
      type: SECURITY_ALERT,
      subtype: OVERRIDE_STARTED,
      action: 'E',
      period: { start: iso(t.at) },
      recorded: iso(t.recorded),
      outcome: '0',
      purposeOfEvent: purposes(null, o.purposeCode, o.overrideReason, o.legalBasis),
      agent: [staffAgent(o.staff), sourceAgent],
      source,
      entity: [patientEntity(o.nhsNumber), dataEntity(o.description)],
    }
  }

  return {
    auditEvent(t: RecordTimes, input: AuditEventInput): AuditEvent {
      if (input.shape === 'override') return override(t, input)
      return input.shape === 'r5_disclosure' ? r5Disclosure(t, input) : disclosure(t, input)
    },

    consent(t: RecordTimes, c: ConsentInput): Consent {
      const optIn = c.entry !== 'opt_out'
      return {
        resourceType: 'Consent',
        id: t.id,
        meta: meta(t),
        status: c.status,
        scope: CONSENT_SCOPE,
        category: consentCategory(c),
        patient: patientIdentifier(c.nhsNumber),
        dateTime: iso(t.at),
        organization: consentOrganisation,
        policyRule: policyRule(optIn ? 'OPTIN' : 'OPTOUT'),
        // A withdrawal ends the opt-out by being inactive; its category code still says which opt-out.
        ...(c.entry === 'withdrawal' ? {} : { provision: provision(optIn ? 'permit' : 'deny') }),
      }
    },
  }
}
