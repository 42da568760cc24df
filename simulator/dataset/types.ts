/** What a simulated dataset holds: the practices' records and the labels tests check against. */
import type { AuditEvent, Consent } from 'fhir/r4'
import type { ResolvedDatasetOptions } from './options.js'

export type RuleId =
  | 'optout_disclosure'
  | 'prohibited_purpose'
  | 'no_agreement'
  | 'excess_identifiable'
  | 'dissent_direct_care'
  | 'unreviewed_override'
  | 'ndop_count_mismatch'
  | 'secondary_without_consent'
  | 'recipient_unassured'
  | 'outside_notice'

/** A record the compliance rule `rule` should flag. */
export interface PlantedViolation {
  rule: RuleId
  practice: string
  /** Null for ndop_count_mismatch, which is about a practice's figures, not a record. */
  resourceType: 'AuditEvent' | null
  resourceId: string | null
  /** period.start of the event (the rule for overrides counts days from it). */
  occurredAt: string | null
  description: string
}

/** A record that looks like a violation of `rule` but is not one: the rule must stay quiet. */
export type NearMiss = PlantedViolation

export type MalformedProblem = 'unknown_purpose' | 'no_patient' | 'invalid_nhs_number' | 'r5_shape' | 'consent_not_in_force'

/** A record a collector must quarantine, and why. */
export interface MalformedRecord {
  practice: string
  resourceType: 'AuditEvent' | 'Consent'
  resourceId: string
  problem: MalformedProblem
  reason: string
}

export interface PracticeProfile {
  odsCode: string
  name: string
  town: string
  postcode: string
  listSize: number
  icbCode: string
  icbName: string
  icbOnsCode: string
  subIcbCode: string
  subIcbOnsCode: string
  subIcbName: string
  regionCode: string
  regionOnsCode: string
  regionName: string
}

export interface PracticeData {
  practice: PracticeProfile
  /** Sorted by meta.lastUpdated, which is unique within a practice. */
  auditEvents: AuditEvent[]
  /** Sorted by meta.lastUpdated, which is unique within a practice. */
  consents: Consent[]
  planted: PlantedViolation[]
  nearMisses: NearMiss[]
  malformed: MalformedRecord[]
  /** Patients whose opt-out of that kind is in force at the end of endDate. */
  optOuts: { ndop: number; type1: number }
}

export interface Dataset {
  options: ResolvedDatasetOptions
  practices: PracticeData[]
  planted: PlantedViolation[]
  nearMisses: NearMiss[]
  malformed: MalformedRecord[]
}
