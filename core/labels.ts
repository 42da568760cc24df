// Words for the codes that are not in the database's code tables (purposes, recipient types and
// legal bases are: db/queries/codes.ts). One source for the dashboard and the reports.

export const DATA_LEVEL_LABELS = {
  identifiable: 'Identifiable',
  pseudonymised: 'Pseudonymised',
  anonymised: 'Anonymised',
} as const satisfies Record<string, string>

export const DATA_LEVEL_MEANINGS: Record<keyof typeof DATA_LEVEL_LABELS, string> = {
  identifiable: 'The data names or directly identifies the patient (e.g. NHS number, name, address).',
  pseudonymised: 'Direct identifiers replaced by a key; whoever holds the key could re-identify the patient.',
  anonymised: 'No one receiving the data can identify the patient, even with other information they hold.',
}

export const OVERRIDE_KIND_LABELS: Record<string, string> = {
  break_glass: 'Emergency access without consent ("break glass")',
  consent_override: 'Sharing against the patient’s recorded choice (consent override)',
  override_stopped: 'Emergency access ended',
}

/** HL7 v3 ActReason consent override reasons: an OVR* reason marks a consent override (decision 006). */
export const OVERRIDE_REASON_LABELS: Record<string, string> = {
  OVRER: 'Emergency treatment',
  OVRPJ: 'Professional judgement',
  OVRPS: 'Public safety',
  OVRTPS: 'Third-party safety',
}

export const VERDICT_LABELS = {
  justified: 'Justified',
  not_justified: 'Not justified',
  inconclusive: 'Inconclusive',
} as const satisfies Record<string, string>

export const FINDING_STATUS_LABELS = { open: 'Open', accepted: 'Accepted', resolved: 'Resolved' } as const satisfies Record<string, string>

export const FINDING_STATUS_MEANINGS: Record<keyof typeof FINDING_STATUS_LABELS, string> = {
  open: 'Nobody has yet decided what to do about it.',
  accepted: 'A person reviewed it and accepted it as justified, giving a reason.',
  resolved: 'Corrected, or no longer a breach (by a person with a reason, or by the system when the records changed).',
}

/** Patient choices (patient_choices.kind and decision). */
export const CHOICE_KIND_LABELS: Record<string, string> = {
  ndop: 'National data opt-out',
  type1: 'Type 1 opt-out',
  record_sharing: 'Record sharing',
  scr: 'Summary Care Record',
}
export const CHOICE_DECISION_LABELS: Record<string, string> = { deny: 'dissent (opted out)', permit: 'consent (opted in)' }

/** Users' roles (users.role). */
export const USER_ROLE_LABELS = {
  caldicott_guardian: 'Caldicott guardian',
  practice_manager: 'Practice manager',
  auditor: 'Auditor',
  admin: 'Administrator',
} as const satisfies Record<string, string>

/** Collection runs (job_runs.status, job_runs.trigger) and sources (sources.kind). */
export const RUN_STATUS_LABELS: Record<string, string> = {
  active: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Stopped',
}
export const RUN_TRIGGER_LABELS: Record<string, string> = { schedule: 'Schedule', manual: 'Manual', backfill: 'Backfill' }
export const SOURCE_KIND_LABELS: Record<string, string> = {
  fhir: 'Practice system (FHIR)',
  ndop_csv: 'NDOP publication (CSV)',
  register_csv: 'Disclosure register (CSV)',
}
