// The FHIR code systems and identifier systems the collectors read and the BALP export writes,
// named once. HL7 and DICOM URIs are the R4 ones; the urn:sharing-ledger:* systems are ours, for
// what FHIR and the NHS have no standard code for (docs/decisions/006 and 037).

export const DCM = 'http://dicom.nema.org/resources/ontology/DCM'
export const ISO_21089_LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle'
export const DICOM_AUDIT_LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle'
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type'
export const AUDIT_ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type'
export const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role'
export const SECURITY_SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type'
export const V3_ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'
export const V3_OBSERVATION_VALUE = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue'
export const CONSENT_PROVISION_TYPE = 'http://hl7.org/fhir/consent-provision-type'
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number'
export const ODS_ORGANISATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'
export const RECIPIENT_TYPE_SYSTEM = 'urn:sharing-ledger:recipient-type'
export const LEGAL_BASIS_SYSTEM = 'urn:sharing-ledger:legal-basis'
/** Our purposes (db/queries/codes.ts LOCAL_PURPOSE_SYSTEM holds the same value for the code tables). */
export const PURPOSE_SYSTEM = 'urn:sharing-ledger:purpose'
/** A patient's keyed pseudonym (P-XXXX-XXXX-XXXX): never an NHS number. */
export const PSEUDONYM_SYSTEM = 'urn:sharing-ledger:patient-pseudonym'
export const DATA_LEVEL_SYSTEM = 'urn:sharing-ledger:data-level'
/** A record's id in the system it was collected from: `${SOURCE_RECORD_SYSTEM}:${source id}`. */
export const SOURCE_RECORD_SYSTEM = 'urn:sharing-ledger:source'
