import { quoteSafely } from '../../core/identifiers.js'
import type { Db } from '../../db/client.js'
import { LOCAL_PURPOSE_SYSTEM, listChoiceCodeMap, listLegalBases, listPurposeCodeMap, listRecipientTypes } from '../../db/queries/codes.js'
import type { PatientChoiceRecord } from '../../db/queries/records.js'

// Code systems the collector reads, named once in core/fhir-codes.ts (the BALP export writes them too).
export {
  AUDIT_ENTITY_TYPE,
  AUDIT_EVENT_TYPE,
  CONSENT_PROVISION_TYPE,
  DCM,
  DICOM_AUDIT_LIFECYCLE,
  ISO_21089_LIFECYCLE,
  LEGAL_BASIS_SYSTEM,
  NHS_NUMBER_SYSTEM,
  OBJECT_ROLE,
  ODS_ORGANISATION_SYSTEM,
  RECIPIENT_TYPE_SYSTEM,
  V3_ACT_CODE,
  V3_ACT_REASON,
  V3_OBSERVATION_VALUE,
} from '../../core/fhir-codes.js'
export { LOCAL_PURPOSE_SYSTEM }

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
