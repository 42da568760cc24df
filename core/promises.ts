/**
 * The catalogue of promises a practice privacy notice can make, and what checks each one
 * (docs/decisions/018-privacy-notices-as-data.md). A notice names promises from this list and
 * quotes its own words for each; the rules named in `checkedBy` turn the promise into findings.
 * Plain data and pure functions only: the import, the rules' tests, the simulator and the pages
 * all read it.
 */

export type PromiseCode =
  | 'never_marketing_insurance'
  | 'opt_outs_respected'
  | 'ask_before_identifiable_secondary'
  | 'safe_systems'
  | 'under_agreements'
  | 'only_as_listed'
  | 'record_sharing_choice'
  | 'ask_before_viewing_shared_record'
  | 'emergency_access_reviewed'
  | 'reports_never_identify'

/** What the count of "records it applied to" counts for a promise in a period. */
export type AppliesTo =
  | 'all_disclosures'
  | 'identifiable_opt_out_purposes'
  | 'identifiable_secondary'
  | 'to_organisations'
  | 'direct_care_out'
  | 'override_events'
  | 'commissioner_reports'

export interface PromiseEntry {
  code: PromiseCode
  title: string
  /** Rule ids whose findings are this promise's exceptions; empty when it is kept by construction. */
  checkedBy: readonly string[]
  /** How it is checked, in a sentence for the page and the evidence pack. */
  how: string
  appliesTo: AppliesTo
}

export const PROMISE_CATALOGUE: readonly PromiseEntry[] = [
  {
    code: 'never_marketing_insurance',
    title: 'Never shared for marketing or insurance',
    checkedBy: ['prohibited_purpose'],
    how: 'Every disclosure’s purpose is checked: marketing and insurance are findings.',
    appliesTo: 'all_disclosures',
  },
  {
    code: 'opt_outs_respected',
    title: 'Opt-outs respected',
    checkedBy: ['optout_disclosure', 'ndop_count_mismatch'],
    how: 'Identifiable disclosures for purposes the national data opt-out and Type 1 opt-out cover are checked against the patient’s choice in force that day; the practice’s opt-out count against NHS England’s publication.',
    appliesTo: 'identifiable_opt_out_purposes',
  },
  {
    code: 'ask_before_identifiable_secondary',
    title: 'Asks permission before identifiable data is used beyond care',
    checkedBy: ['secondary_without_consent'],
    how: 'Identifiable disclosures for research, planning and other purposes beyond care need explicit consent or a basis that sets consent aside (s251 support, a COPI notice, a legal duty).',
    appliesTo: 'identifiable_secondary',
  },
  {
    code: 'safe_systems',
    title: 'Shared only with organisations with safe systems',
    checkedBy: ['recipient_unassured'],
    how: 'Each recipient’s Data Security and Protection Toolkit status on the day it received data must be “standards met” (or exceeded).',
    appliesTo: 'to_organisations',
  },
  {
    code: 'under_agreements',
    title: 'Shared only under data sharing agreements',
    checkedBy: ['no_agreement', 'excess_identifiable'],
    how: 'Each disclosure to an organisation needs an agreement in force that day covering its purpose and practice, at a data level it allows.',
    appliesTo: 'to_organisations',
  },
  {
    code: 'only_as_listed',
    title: 'Shared only for the purposes, with the organisations and processors the notice lists',
    checkedBy: ['outside_notice'],
    how: 'Each disclosure’s purpose, recipient type and (for data processors) recipient is checked against the lists of the notice in force that day. Sharing the law requires or the patient asks for (court orders, safeguarding, public health, subject access) is not a choice a notice can rule out.',
    appliesTo: 'all_disclosures',
  },
  {
    code: 'record_sharing_choice',
    title: 'Patients can stop their record being shared',
    checkedBy: ['dissent_direct_care'],
    how: 'Sharing out for direct care is checked against the patient’s record-sharing dissent in force that day, unless an override was recorded.',
    appliesTo: 'direct_care_out',
  },
  {
    code: 'ask_before_viewing_shared_record',
    title: 'Asks consent before viewing a shared record, except in an emergency',
    checkedBy: ['unreviewed_override'],
    how: 'Every access without consent is an override event the practice systems record; each must be reviewed by a Caldicott guardian in time.',
    appliesTo: 'override_events',
  },
  {
    code: 'emergency_access_reviewed',
    title: 'Every emergency access is reviewed',
    checkedBy: ['unreviewed_override'],
    how: 'Every override event must have a Caldicott guardian’s written review within the days allowed.',
    appliesTo: 'override_events',
  },
  {
    code: 'reports_never_identify',
    title: 'Published reports never identify a person',
    checkedBy: [],
    how: 'Kept by construction: the commissioner report applies NHS disclosure control to every figure (1 to 7 shown as *, others rounded to 5, secondary suppression); it holds no patient-level row.',
    appliesTo: 'commissioner_reports',
  },
]

export const PROMISE_CODES: readonly PromiseCode[] = PROMISE_CATALOGUE.map((p) => p.code)

export function promiseEntry(code: string): PromiseEntry | undefined {
  return PROMISE_CATALOGUE.find((p) => p.code === code)
}

/** The promises each rule checks (the inverse of checkedBy). */
export function promisesCheckedBy(ruleId: string): PromiseCode[] {
  return PROMISE_CATALOGUE.filter((p) => p.checkedBy.includes(ruleId)).map((p) => p.code)
}

/**
 * Purposes where the law requires the sharing or the patient asks for it: a notice cannot rule
 * them out (seed 001: "there may be other circumstances when we must share information ... we
 * are not required to have your consent"), so `outside_notice` never flags them.
 */
export const REQUIRED_PURPOSES: readonly string[] = ['legal', 'safeguarding', 'public_health', 'subject_access']

/**
 * Legal bases that answer "ask before identifiable secondary use": the patient's explicit
 * consent, or a basis that sets consent aside. Implied consent (or none recorded) does not.
 */
export const CONSENT_ANSWERED_BASES: readonly string[] = [
  'explicit_consent',
  's251',
  'copi',
  'legal_obligation',
  'public_interest',
  'vital_interests',
  'mental_health_act',
  'safeguarding_duty',
]

/**
 * Purposes beyond the patient's care ("research and strategic planning" and the like): the
 * purposes the opt-outs cover (`purposes.opt_out_applies` in the reference codes migration).
 */
export const SECONDARY_PURPOSES: readonly string[] = [
  'research',
  'clinical_audit',
  'benchmarking',
  'service_management',
  'commissioning',
  'contract_monitoring',
  'capacity_planning',
  'teaching_training',
  'surveys',
  'personal_development',
  'risk_stratification',
  'secondary_processing',
]

/** DSPT statuses that mean "safe and secure systems". */
export const DSPT_ASSURED: readonly string[] = ['standards_met', 'standards_exceeded']
export const DSPT_STATUSES = ['standards_exceeded', 'standards_met', 'approaching_standards', 'standards_not_met', 'not_published'] as const
export type DsptStatus = (typeof DSPT_STATUSES)[number]

export interface NoticeLists {
  /** Null when the notice lists no purposes (then no purpose is outside it). */
  purposes: readonly string[] | null
  recipientTypes: readonly string[] | null
  /** Named data processors (name, and ODS code when known); null when it names none. */
  processors: ReadonlyArray<{ name: string; ods?: string | null }> | null
}

/**
 * Why a disclosure falls outside the notice's lists, or null when it does not: the same test
 * the `outside_notice` SQL makes (core/findings/rules/outside-notice.ts), for the simulator's labels.
 * A notice that lists direct care covers urgent care too.
 */
export function outsideNotice(
  notice: NoticeLists,
  d: { purpose: string; recipientType: string; recipientName: string; recipientOds: string | null },
): 'purpose' | 'recipient_type' | 'processor' | null {
  if (REQUIRED_PURPOSES.includes(d.purpose)) return null
  if (
    notice.purposes &&
    !notice.purposes.includes(d.purpose) &&
    !(d.purpose === 'emergency_care' && notice.purposes.includes('direct_care'))
  ) {
    return 'purpose'
  }
  if (d.recipientType === 'patient_representative') return null
  if (notice.recipientTypes && !notice.recipientTypes.includes(d.recipientType)) return 'recipient_type'
  if (d.recipientType === 'data_processor' && notice.processors) {
    const named = notice.processors.some(
      (p) =>
        (p.ods && d.recipientOds && p.ods.toUpperCase() === d.recipientOds.toUpperCase()) ||
        p.name.toLowerCase() === d.recipientName.toLowerCase(),
    )
    if (!named) return 'processor'
  }
  return null
}

/** The plain verdict on a promise for a period: open findings break it, reviewed ones are exceptions. */
export function promiseVerdict(open: number, reviewed: number): { kind: 'kept' | 'kept_with_exceptions' | 'broken'; text: string } {
  if (open > 0) return { kind: 'broken', text: `broken ${open} ${open === 1 ? 'time' : 'times'}` }
  if (reviewed > 0)
    return { kind: 'kept_with_exceptions', text: `kept with ${reviewed} ${reviewed === 1 ? 'exception' : 'exceptions'}, all reviewed` }
  return { kind: 'kept', text: 'kept' }
}
