// Words for the codes that are not in the database's code tables (purposes, recipient types and
// legal bases are: db/queries/codes.ts). The one home of every code's label, for the web pages and
// the reports alike: a label typed again in a route drifts from this one. Typed by the code's union
// where one exists, so a new code without words fails the typecheck.

import type { AppliesTo } from './promises.js'
import type { DECISION_KINDS } from '../db/queries/decision-register.js'
import type { NotificationKind } from '../db/queries/notifications.js'
import type { ReviewStatus } from '../db/queries/overrides.js'
import type { ReportKind } from './report-roles.js'

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

export const SEVERITY_LABELS = { high: 'High', medium: 'Medium', low: 'Low' } as const satisfies Record<string, string>

export const SEVERITY_MEANINGS: Record<keyof typeof SEVERITY_LABELS, string> = {
  high: 'A likely breach of the law or of a promise to patients: look at it first.',
  medium: 'A gap in governance that needs putting right.',
  low: 'Worth checking; may be explained by how the data was recorded.',
}

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
/** How a user signs in (decision 038). */
export const SIGN_IN_METHOD_LABELS = {
  nhs_care_identity: 'Signs in with NHS Care Identity',
  password: 'Signs in with a password',
} as const satisfies Record<string, string>

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
/** The counts of a run, as column headers (job_runs.*_count): the overview and /jobs show the same. */
export const RUN_COUNT_LABELS = {
  read: 'Read',
  inserted: 'New',
  updated: 'Updated',
  duplicates: 'Duplicates',
  quarantined: 'Quarantined',
} as const satisfies Record<string, string>
export const RUN_TRIGGER_LABELS: Record<string, string> = { schedule: 'Schedule', manual: 'Manual', backfill: 'Backfill' }
export const SOURCE_KIND_LABELS: Record<string, string> = {
  fhir: 'Practice system (FHIR)',
  ndop_csv: 'NDOP publication (CSV)',
  register_csv: 'Disclosure register (CSV)',
}

/** Override events' review status (db/queries/overrides.ts). */
export const OVERRIDE_STATUS_LABELS: Record<ReviewStatus, string> = {
  pending: 'Awaiting review',
  awaiting_countersignature: 'Awaiting countersignature',
  reviewed: 'Reviewed',
  not_required: 'No review needed (end of emergency access)',
}

/** The decision register's kinds of decision. */
export const DECISION_KIND_LABELS: Record<(typeof DECISION_KINDS)[number], string> = {
  review: 'Override review',
  countersignature: 'Countersignature',
  accepted_risk: 'Accepted risk',
  finding: 'Finding decision',
}

/** Outcome of a logged access (access_log.outcome). */
export const ACCESS_OUTCOME_LABELS = { ok: 'OK', denied: 'Denied', failed: 'Failed' } as const satisfies Record<string, string>

/** The name of each kind of report: its documents' titles, the schedules' and the mails' words. */
export const REPORT_TITLES: Record<ReportKind, string> = {
  audit: 'Audit evidence pack',
  commissioner: 'Commissioner report',
  incident: 'Incident review',
  statement: 'Disclosure statement for a patient',
  annual: 'Annual Caldicott report',
}

/** Report kinds as offered and listed on /reports (reports/context.ts titles the documents themselves). */
export const REPORT_KIND_LABELS = {
  audit: 'Audit evidence pack',
  commissioner: 'Commissioner report (aggregates, disclosure control)',
  incident: 'Incident review',
  statement: 'Disclosure statement for a patient',
  annual: 'Annual Caldicott report (for the practice board)',
} as const satisfies Record<string, string>

/** Notifications: what each kind is, and what its date means. */
export const NOTIFICATION_KIND_LABELS: Record<NotificationKind, string> = {
  high_finding: 'High-severity finding',
  override_due: 'Override review due',
  countersignature: 'Countersignature awaited',
  silent_source: 'Silent source',
  failed_run: 'Failed collection',
}
export const NOTIFICATION_WHEN_LABELS: Record<NotificationKind, string> = {
  high_finding: 'Opened',
  override_due: 'Review due',
  countersignature: 'Review due',
  silent_source: 'Expected by',
  failed_run: 'Failed',
}

/** What a privacy-notice promise's "records it applied to" count counts, after the number. */
export const PROMISE_APPLIES_TO_LABELS: Record<AppliesTo, string> = {
  all_disclosures: 'disclosures',
  identifiable_opt_out_purposes: 'identifiable disclosures beyond care',
  identifiable_secondary: 'identifiable disclosures beyond care',
  to_organisations: 'disclosures to organisations',
  direct_care_out: 'direct-care disclosures to organisations',
  override_events: 'override events',
  commissioner_reports: 'commissioner reports',
}

/** The opt-out measures of /opt-outs, in full and short (chart series, table headers). */
export const OPT_OUT_MEASURE_LABELS = {
  ndop_published: 'National data opt-out, NHS England publication',
  ndop_recorded: 'National data opt-out recorded in the practice system',
  type1: 'Type 1 opt-out recorded in the practice system',
} as const
export type OptOutMeasure = keyof typeof OPT_OUT_MEASURE_LABELS
export const OPT_OUT_MEASURE_SHORT_LABELS: Record<OptOutMeasure, string> = {
  ndop_published: 'NDOP published',
  ndop_recorded: 'NDOP in practice system',
  type1: 'Type 1',
}
