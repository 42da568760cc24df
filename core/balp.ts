import {
  AUDIT_ENTITY_TYPE,
  DATA_LEVEL_SYSTEM,
  DCM,
  ISO_21089_LIFECYCLE,
  LEGAL_BASIS_SYSTEM,
  OBJECT_ROLE,
  ODS_ORGANISATION_SYSTEM,
  PSEUDONYM_SYSTEM,
  PURPOSE_SYSTEM,
  RECIPIENT_TYPE_SYSTEM,
  SECURITY_SOURCE_TYPE,
  SOURCE_RECORD_SYSTEM,
  V3_ACT_REASON,
  V3_OBSERVATION_VALUE,
} from './fhir-codes.js'
import { DATA_LEVEL_LABELS } from './labels.js'

// A disclosure as an IHE BALP PrivacyDisclosure (Source) AuditEvent, FHIR R4
// (docs/decisions/037-balp-export-and-bulk-ingest.md). Pure: the rows come from
// reports/balp/, the profile's checks are in test/integration/reports/balp.test.ts.

export const BALP_SOURCE_PROFILE = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source'
/** Where the NHS publishes an organisation by its ODS code (the ODS ORD API): the recipient's network address. */
export const ODS_ORGANISATION_URL = 'https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/'

/**
 * Our purposes as HL7 v3 PurposeOfUse (the v3-ActReason code system). One code per purpose, where
 * one means the same thing; each maps back to the same purpose in the seeded purpose_code_map, so
 * an export collected by another ledger lands on the same purpose (the test holds them to it).
 * Purposes without one (commissioning, capacity planning, surveys ...) are sent as our own code only.
 */
export const PURPOSE_OF_USE: Readonly<Record<string, { code: string; display: string }>> = {
  direct_care: { code: 'TREAT', display: 'treatment' },
  emergency_care: { code: 'ETREAT', display: 'Emergency Treatment' },
  research: { code: 'HRESCH', display: 'healthcare research' },
  clinical_audit: { code: 'HQUALIMP', display: 'health quality improvement' },
  benchmarking: { code: 'PERFMSR', display: 'performance measure' },
  service_management: { code: 'HOPERAT', display: 'healthcare operations' },
  contract_monitoring: { code: 'HCOMPL', display: 'health compliance' },
  teaching_training: { code: 'TRAIN', display: 'training' },
  incident_review: { code: 'PATSFTY', display: 'patient safety' },
  subject_access: { code: 'PATRQT', display: 'patient requested' },
  legal: { code: 'HLEGAL', display: 'legal' },
  public_health: { code: 'PUBHLTH', display: 'public health' },
  safeguarding: { code: 'THREAT', display: 'threat' },
  marketing: { code: 'HMARKT', display: 'marketing' },
  insurance: { code: 'COVERAGE', display: 'coverage under policy or program' },
}

/** v3 ObservationValue de-identification labels for the two levels that have one. */
const DEIDENTIFICATION: Partial<Record<string, { code: string; display: string }>> = {
  pseudonymised: { code: 'PSEUDED', display: 'pseudonymized' },
  anonymised: { code: 'ANONYED', display: 'anonymized' },
}

/** One disclosure with what the export names: labels, the practice, the source it came from. */
export interface BalpDisclosureRow {
  id: number
  occurred_at: Date
  collected_at: Date
  practice_ods: string
  practice_name: string
  source_id: number
  source_kind: string
  source_base_url: string | null
  source_record_id: string
  patient_pseudonym: string
  recipient_id: number
  recipient_name: string
  recipient_ods: string | null
  recipient_type: string
  recipient_type_label: string
  purpose: string
  purpose_label: string
  legal_basis: string | null
  legal_basis_label: string | null
  data_level: keyof typeof DATA_LEVEL_LABELS
  data_description: string | null
}

const coding = (system: string, code: string, display?: string | null) => (display ? { system, code, display } : { system, code })
const concept = (system: string, code: string, display?: string) => ({ coding: [coding(system, code, display)] })

/** The original record in its own system: its FHIR address when the source is a FHIR server. */
export function sourceRecordUrl(row: Pick<BalpDisclosureRow, 'source_kind' | 'source_base_url' | 'source_record_id'>): string | null {
  if (row.source_kind !== 'fhir' || !row.source_base_url) return null
  return `${row.source_base_url.replace(/\/+$/, '')}/AuditEvent/${encodeURIComponent(row.source_record_id)}`
}

export function toBalpAuditEvent(row: BalpDisclosureRow) {
  const at = row.occurred_at.toISOString()
  const sourceSystem = `${SOURCE_RECORD_SYSTEM}:${row.source_id}`
  const practice = {
    type: 'Organization',
    identifier: { system: ODS_ORGANISATION_SYSTEM, value: row.practice_ods },
    display: row.practice_name,
  }
  const purposeOfUse = PURPOSE_OF_USE[row.purpose]
  const deidentified = DEIDENTIFICATION[row.data_level]
  const dataLevel = [
    coding(DATA_LEVEL_SYSTEM, row.data_level, DATA_LEVEL_LABELS[row.data_level]),
    ...(deidentified ? [coding(V3_OBSERVATION_VALUE, deidentified.code, deidentified.display)] : []),
  ]
  const recordUrl = sourceRecordUrl(row)
  return {
    resourceType: 'AuditEvent',
    id: `disclosure-${row.id}`,
    meta: {
      profile: [BALP_SOURCE_PROFILE],
      lastUpdated: row.collected_at.toISOString(),
      // The system the disclosure was collected from; the entity below names the record itself.
      source: row.source_base_url ?? sourceSystem,
      // Decision 006 reads the de-identification label here; the data entity carries it too.
      ...(deidentified ? { security: [coding(V3_OBSERVATION_VALUE, deidentified.code, deidentified.display)] } : {}),
    },
    type: coding(DCM, '110106', 'Export'),
    subtype: [coding(ISO_21089_LIFECYCLE, 'disclose', 'Disclose Record Lifecycle Event')],
    action: 'R',
    period: { start: at, end: at },
    recorded: at,
    outcome: '0',
    purposeOfEvent: [
      {
        coding: [
          ...(purposeOfUse ? [coding(V3_ACT_REASON, purposeOfUse.code, purposeOfUse.display)] : []),
          coding(PURPOSE_SYSTEM, row.purpose, row.purpose_label),
        ],
        text: row.purpose_label,
      },
      ...(row.legal_basis ? [{ ...concept(LEGAL_BASIS_SYSTEM, row.legal_basis, row.legal_basis_label ?? undefined) }] : []),
    ],
    agent: [
      {
        type: concept(DCM, '110153', 'Source Role ID'),
        who: practice,
        requestor: false,
        network: row.source_base_url ? { address: row.source_base_url, type: '5' } : { address: sourceSystem, type: '5' },
      },
      {
        type: concept(DCM, '110152', 'Destination Role ID'),
        role: [concept(RECIPIENT_TYPE_SYSTEM, row.recipient_type, row.recipient_type_label)],
        who: {
          type: 'Organization',
          ...(row.recipient_ods ? { identifier: { system: ODS_ORGANISATION_SYSTEM, value: row.recipient_ods } } : {}),
          display: row.recipient_name,
        },
        requestor: false,
        network: {
          address: row.recipient_ods
            ? `${ODS_ORGANISATION_URL}${encodeURIComponent(row.recipient_ods)}`
            : `urn:sharing-ledger:organisation:${row.recipient_id}`,
          type: '5',
        },
      },
    ],
    // BALP's val-audit-source: the source agent is the observer that recorded the event.
    source: { site: row.practice_name, observer: practice, type: [coding(SECURITY_SOURCE_TYPE, '4', 'Application Server')] },
    entity: [
      {
        what: { type: 'Patient', identifier: { system: PSEUDONYM_SYSTEM, value: row.patient_pseudonym } },
        type: coding(AUDIT_ENTITY_TYPE, '1', 'Person'),
        role: coding(OBJECT_ROLE, '1', 'Patient'),
      },
      {
        // What was disclosed: its description and data level.
        type: coding(AUDIT_ENTITY_TYPE, '2', 'System Object'),
        role: coding(OBJECT_ROLE, '4', 'Domain Resource'),
        ...(row.data_description ? { description: row.data_description } : {}),
        securityLabel: dataLevel,
      },
      {
        // The original record this disclosure was collected from. No name or description: the
        // collector takes the first entity's description as what was disclosed.
        what: { ...(recordUrl ? { reference: recordUrl } : {}), identifier: { system: sourceSystem, value: row.source_record_id } },
        type: coding(AUDIT_ENTITY_TYPE, '2', 'System Object'),
        role: coding(OBJECT_ROLE, '17', 'Data Repository'),
      },
    ],
  }
}

export type BalpAuditEvent = ReturnType<typeof toBalpAuditEvent>
