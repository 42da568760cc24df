/**
 * The codes the simulated records are written in: local purposes, recipient types, legal
 * bases, data levels, the v3 PurposeOfUse codes a collector maps to purposes, and staff roles.
 * Codes are plausible, not authoritative: this is test data.
 */

export type Purpose =
  | 'direct_care'
  | 'emergency_care'
  | 'research'
  | 'clinical_audit'
  | 'benchmarking'
  | 'service_management'
  | 'commissioning'
  | 'contract_monitoring'
  | 'teaching_training'
  | 'incident_review'
  | 'surveys'
  | 'subject_access'
  | 'risk_stratification'
  | 'legal'
  | 'public_health'
  | 'safeguarding'
  | 'marketing'
  | 'insurance'

export type RecipientType =
  | 'nhs_trust'
  | 'gp_practice'
  | 'independent_contractor'
  | 'ambulance_trust'
  | 'icb'
  | 'social_care'
  | 'nhs_england'
  | 'local_authority'
  | 'education'
  | 'police_judicial'
  | 'research_org'
  | 'survey_contractor'
  | 'data_processor'
  | 'patient_representative'
  | 'insurer'
  | 'solicitor'
  | 'other'

export type LegalBasis =
  | 'explicit_consent'
  | 'implied_consent'
  | 'legal_obligation'
  | 'public_interest'
  | 'vital_interests'
  | 's251'
  | 'copi'
  | 'mental_health_act'
  | 'safeguarding_duty'

export type DataLevel = 'identifiable' | 'pseudonymised' | 'anonymised'

export interface Recipient {
  ods: string | null
  name: string
  type: RecipientType
}

/**
 * How a collector maps each HL7 v3 PurposeOfUse code to a local purpose (the starting rows of
 * purpose_code_map in db/migrations/20261123090000_reference_codes.ts, for the codes used here).
 */
export const PURPOSE_OF_USE: Readonly<Record<string, Purpose>> = {
  TREAT: 'direct_care',
  CAREMGT: 'direct_care',
  COC: 'direct_care',
  ETREAT: 'emergency_care',
  BTG: 'emergency_care',
  HRESCH: 'research',
  CLINTRCH: 'research',
  HQUALIMP: 'clinical_audit',
  PERFMSR: 'benchmarking',
  HOUTCOMS: 'benchmarking',
  HOPERAT: 'service_management',
  HPRGRP: 'contract_monitoring',
  HCOMPL: 'contract_monitoring',
  TRAIN: 'teaching_training',
  PATSFTY: 'incident_review',
  PATRQT: 'subject_access',
  FAMRQT: 'subject_access',
  PWATRNY: 'subject_access',
  HLEGAL: 'legal',
  PUBHLTH: 'public_health',
  THREAT: 'safeguarding',
  HMARKT: 'marketing',
  COVERAGE: 'insurance',
}

// ---- Staff ----------------------------------------------------------------------------

export interface StaffRole {
  code: string
  display: string
}
const role = (code: string, display: string): StaffRole => ({ code, display })
export const ROLES = {
  gp: role('gp', 'GP'),
  nurse: role('practice_nurse', 'Practice nurse'),
  administrator: role('practice_administrator', 'Practice administrator'),
  secretary: role('medical_secretary', 'Medical secretary'),
  manager: role('practice_manager', 'Practice manager'),
  pharmacist: role('clinical_pharmacist', 'Clinical pharmacist'),
  dataLead: role('data_quality_lead', 'Data quality lead'),
} as const

/** A practice's staff by role: how many of each. */
export const STAFFING: ReadonlyArray<[StaffRole, number]> = [
  [ROLES.gp, 6],
  [ROLES.nurse, 4],
  [ROLES.administrator, 5],
  [ROLES.secretary, 2],
  [ROLES.manager, 1],
  [ROLES.pharmacist, 1],
  [ROLES.dataLead, 1],
]
