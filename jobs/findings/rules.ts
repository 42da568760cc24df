import { RULE_QUERIES, type FindingSeverity, type RuleId, type RuleQuery } from '../../db/queries/findings-rules.js'

/**
 * The compliance rules: what each checks, how serious a breach is, and why it matters, in words
 * a Caldicott guardian can show a patient. The promises quoted are the practice privacy notices'
 * (shared/seeds/); the principles are the Caldicott principles (2020). The SQL of each rule is
 * in db/queries/findings-rules.ts; the choices behind them are in
 * docs/decisions/008-compliance-rules.md.
 */

export type { RuleId } from '../../db/queries/findings-rules.js'

/** What a finding is about: its subject_key starts with this. */
export type RuleSubject = 'disclosure' | 'override' | 'source' | 'practice'

export interface FindingRule {
  id: RuleId
  severity: FindingSeverity
  title: string
  /** What was found and why it matters, naming the Caldicott principle or the notice's promise. */
  explanation: string
  subject: RuleSubject
  /**
   * Bumped when the rule's meaning changes: the next refresh then re-evaluates it in full
   * instead of trusting findings computed by the old version.
   */
  version: number
  /**
   * What besides newly collected records can change the rule's answer for a record. Rules that
   * read only small tables (sources, quarantine, opt-out counts) are evaluated in full each time.
   */
  incremental: boolean
  query: RuleQuery
}

const rule = (r: Omit<FindingRule, 'query'>): FindingRule => ({ ...r, query: RULE_QUERIES[r.id] })

export const RULES: readonly FindingRule[] = [
  rule({
    id: 'optout_disclosure',
    severity: 'high',
    title: 'Opted-out patient’s data disclosed',
    explanation:
      'Identifiable data was disclosed for a purpose beyond the patient’s care (research or planning) while the patient’s national data opt-out or Type 1 opt-out was in force, and no legal basis that sets an opt-out aside (explicit consent, a court order or legal duty, overriding public interest, a COPI notice) was recorded. The practice’s notice promises patients they can opt out of this use of their information and that the choice will be respected; disclosing anyway breaks Caldicott principle 6 (comply with the law, here the national data opt-out policy) and principle 8 (patients know what choices they have, and can rely on them).',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'prohibited_purpose',
    severity: 'high',
    title: 'Disclosure for a prohibited purpose',
    explanation:
      'Data was disclosed for marketing or insurance. The practice’s notice promises: “We’ll always keep your information safe and never sell it or pass it on for commercial or marketing purposes.” No agreement or legal basis makes this a justified purpose (Caldicott principle 1: justify the purpose).',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'no_agreement',
    severity: 'medium',
    title: 'No data sharing agreement in force',
    explanation:
      'Data was disclosed to an organisation that had no data sharing agreement in force on that day covering that purpose and this practice. The notice promises that information is shared with other organisations “subject to strict agreements on how it will be used”. Every purpose needs one except disclosures to the patient or their representative; a one-off disclosure under a legal duty (a court order, a police request) should be accepted with the guardian’s written reasons, which is the record the Caldicott principles ask for.',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'excess_identifiable',
    severity: 'medium',
    title: 'More identifiable data than the agreement allows',
    explanation:
      'The data disclosed was more identifiable than the agreement relied on allows (identifiable data where only pseudonymised or anonymised data was agreed). Caldicott principle 3: use the minimum necessary confidential information. The notice promises that information which does not reveal the patient’s identity is what researchers and planners receive.',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'dissent_direct_care',
    severity: 'high',
    title: 'Record shared out despite the patient’s dissent',
    explanation:
      'The patient’s record was shared with another organisation for direct care while the patient had dissented from record sharing, and no override event (an emergency or professional-judgement override) was recorded for them at the practice in the hours before, or on the disclosure itself. The notice promises patients “you can opt out of this record sharing whenever you wish” and “you can decide what information is not to be shared”; Caldicott principle 7 makes sharing for care a duty, but against a recorded dissent it must be a justified and recorded override (principle 1: justify the purpose).',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'unreviewed_override',
    severity: 'medium',
    title: 'Override not reviewed in time',
    explanation:
      'An override of a patient’s choice (emergency “break-glass” access, or sharing without consent under a legal basis) has not been reviewed by a Caldicott guardian within the days allowed. The guardian’s written review with reasons is what shows the override was justified (Caldicott principle 1: justify the purpose; principle 5: everyone understands their responsibilities). The finding is resolved when the review is signed; a review that names a second signer counts only once that person has countersigned it.',
    subject: 'override',
    version: 2,
    incremental: true,
  }),
  rule({
    id: 'silent_source',
    severity: 'medium',
    title: 'Practice system not delivering',
    explanation:
      'A practice system has not delivered its audit records for longer than its expected interval. While it is silent the ledger cannot show who the practice shared with, so none of the other rules can be checked for that time: the accountability the Caldicott principles ask for (everyone understands their responsibilities) depends on a complete record.',
    subject: 'source',
    version: 1,
    incremental: false,
  }),
  rule({
    id: 'quarantine_growing',
    severity: 'low',
    title: 'Quarantine growing',
    explanation:
      'Records keep arriving from this practice system that the ledger cannot read (unknown purpose codes, missing or invalid patient identifiers, the wrong FHIR version), or too many are waiting. Each one is a disclosure or a patient’s choice missing from the record until an administrator maps or retries it, so the other rules cannot check it; the notice’s promise that staff handle information correctly, and Caldicott principle 5 (everyone understands their responsibilities), rest on a complete record.',
    subject: 'source',
    version: 1,
    incremental: false,
  }),
  rule({
    id: 'ndop_count_mismatch',
    severity: 'medium',
    title: 'Opt-out count differs from the NDOP publication',
    explanation:
      'The number of national data opt-outs the practice system records differs from NHS England’s published count for the practice by more than the margin allowed. That usually means opt-outs are coded wrongly in the practice system, so the practice cannot be sure it respects every patient’s choice as its notice promises (Caldicott principle 6: comply with the law).',
    subject: 'practice',
    version: 1,
    incremental: false,
  }),
  rule({
    id: 'secondary_without_consent',
    severity: 'high',
    title: 'Identifiable data used beyond care without permission',
    explanation:
      'Identifiable data was disclosed for a purpose beyond the patient’s care (research, planning, audit, commissioning and the like) with neither the patient’s explicit consent nor a basis that sets consent aside (s251 support from the Confidentiality Advisory Group, a COPI notice, a legal duty). Only practices whose notice promises to ask first are checked, and each finding quotes the promise in the notice’s own words, such as: “Whenever there is such a purpose and your data is not anonymised ... we or the participating organisation will always first contact you to ask for your permission to share your data.” Anonymised and pseudonymised data do not count. Caldicott principles 2 and 3: use confidential information only when necessary, and the minimum necessary.',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'recipient_unassured',
    severity: 'medium',
    title: 'Recipient without assured safe systems',
    explanation:
      'Data was disclosed to an organisation whose Data Security and Protection Toolkit status, as the organisation register records it for that day, was not “standards met” (or exceeded), or was not recorded at all. Only practices whose notice promises safe systems are checked, and each finding quotes the promise in the notice’s own words, such as: “Information is only shared with organisations that have the necessary safe an secure systems and processes that ensure confidential information is protected.” Disclosures to the patient or their representative are not checked. Caldicott principle 5: everyone understands their responsibilities.',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
  rule({
    id: 'outside_notice',
    severity: 'medium',
    title: 'Sharing the notice does not tell patients about',
    explanation:
      'Data was disclosed for a purpose, or to a kind of organisation, that the practice’s privacy notice in force that day does not list, or to a data processor it does not name. Patients are told what their information is used for and who receives it only through the notice, so sharing outside it is sharing they were never told about (Caldicott principle 8: inform patients and service users about how their confidential information is used). Sharing the law requires or the patient asks for (a court order, safeguarding, notifiable disease, a subject access request) is not checked, and a notice that lists direct care covers urgent care too. Each finding quotes the notice’s own words that introduce its list.',
    subject: 'disclosure',
    version: 1,
    incremental: true,
  }),
]

export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id)

export function getRule(id: string): FindingRule | undefined {
  return RULES.find((r) => r.id === id)
}
