import { quoteSafely } from '../../core/identifiers.js'
import type { Db } from '../../db/client.js'
import { LOCAL_PURPOSE_SYSTEM, listChoiceCodeMap, listLegalBases, listPurposeCodeMap, listRecipientTypes } from '../../db/queries/codes.js'
import type { PatientChoiceRecord } from '../../db/queries/records.js'

// Code systems the collector reads. HL7 and DICOM URIs are the R4 ones; the urn:sharing-ledger:*
// systems are ours, for what FHIR has no standard code for (recipient type, English legal basis).
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM'
export const ISO_21089_LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle'
export const DICOM_AUDIT_LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle'
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type'
export const AUDIT_ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type'
export const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role'
export const V3_ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'
export const V3_OBSERVATION_VALUE = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue'
export const CONSENT_PROVISION_TYPE = 'http://hl7.org/fhir/consent-provision-type'
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number'
export const ODS_ORGANISATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'
export { LOCAL_PURPOSE_SYSTEM }
export const RECIPIENT_TYPE_SYSTEM = 'urn:sharing-ledger:recipient-type'
export const LEGAL_BASIS_SYSTEM = 'urn:sharing-ledger:legal-basis'

/** v3-ActReason codes that say consent was overridden (not purposes of use in their own right). */
export const OVERRIDE_REASONS = new Set(['OVRER', 'OVRPJ', 'OVRPS', 'OVRTPS'])

export type ChoiceKind = PatientChoiceRecord['kind']
export type ChoiceDecision = PatientChoiceRecord['decision']

/** The administrator-extensible code tables, as plain rows (what the database holds). */
export interface CodeTableRows {
  purposeCodes: Array<{ system: string; code: string; purpose: string }>
  choiceCodes: Array<{ system: string; code: string; kind: ChoiceKind; decision: ChoiceDecision }>
  legalBases: string[]
  recipientTypes: string[]
}

/** The same tables indexed for look-up by (system, code). */
export interface CodeTables {
  purposeOf(system: string | undefined, code: string | undefined): string | undefined
  choiceOf(system: string | undefined, code: string | undefined): { kind: ChoiceKind; decision: ChoiceDecision } | undefined
  legalBases: ReadonlySet<string>
  recipientTypes: ReadonlySet<string>
}

const key = (system: string | undefined, code: string | undefined) => `${system ?? ''}|${code ?? ''}`

export function indexCodeTables(rows: CodeTableRows): CodeTables {
  const purposes = new Map(rows.purposeCodes.map((r) => [key(r.system, r.code), r.purpose]))
  const choices = new Map(rows.choiceCodes.map((r) => [key(r.system, r.code), { kind: r.kind, decision: r.decision }]))
  return {
    purposeOf: (system, code) => purposes.get(key(system, code)),
    choiceOf: (system, code) => choices.get(key(system, code)),
    legalBases: new Set(rows.legalBases),
    recipientTypes: new Set(rows.recipientTypes),
  }
}

/** Read once per run: an administrator's new mapping applies from the next run on. */
export async function loadCodeTables(db: Db): Promise<CodeTables> {
  const [purposeCodes, choiceCodes, legalBases, recipientTypes] = await Promise.all([
    listPurposeCodeMap(db),
    listChoiceCodeMap(db),
    listLegalBases(db),
    listRecipientTypes(db),
  ])
  return indexCodeTables({
    purposeCodes,
    choiceCodes,
    legalBases: legalBases.map((b) => b.code),
    recipientTypes: recipientTypes.map((t) => t.code),
  })
}

/** "v3-ActReason#HMARKT": short enough for a quarantine reason, exact enough to add a mapping. */
export function describeCoding(c: { system?: string; code?: string }): string {
  const system = c.system?.startsWith('http') ? c.system.split('/').pop() : c.system
  const code = c.code === undefined ? '(no code)' : quoteSafely(c.code, 40)
  return system ? `${quoteSafely(system, 80)}#${code}` : code
}

/** Every Coding of some CodeableConcepts, in order. */
export function codingsOf(
  concepts: ReadonlyArray<{ coding?: Array<{ system?: string; code?: string; display?: string }> } | undefined> | undefined,
) {
  return (concepts ?? []).flatMap((c) => c?.coding ?? [])
}

/** What a mapper needs besides the resource: where it came from, the key, the code tables. */
export interface MapContext {
  sourceId: number
  practiceId: number
  pseudonymKey: string
  codes: CodeTables
  /** Longest free text stored from a record (descriptions, names); longer is cut with a marker. */
  maxTextChars: number
  /** Deepest nesting of objects and arrays a record may have; deeper is quarantined, unread. */
  maxDepth: number
}
