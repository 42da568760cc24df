import type { Sql } from '../../db/sql.js'

// ---- What a rule checks this time ---------------------------------------------------------------

export type FindingSeverity = 'high' | 'medium' | 'low'

/**
 * Full: every record (of some practices). Incremental: what was collected since `since`, the
 * records that changed choices, overrides or agreements affect, what became due since
 * `previousNow`, and, for rules over overrides, the rule's open findings (a review resolves
 * them); rules over disclosures check only the `checked` candidates (fragments.ts).
 */
export type RuleScope =
  { kind: 'full'; practiceIds: number[] | null } | { kind: 'incremental'; since: string; previousNow: string; recipients: number[] }

export interface FindingSettings {
  /** Days a Caldicott guardian has to review an override (config.overrideReviewDays). */
  overrideReviewDays: number
  /** How long before a direct-care disclosure an override still covers it. */
  dissentOverrideWindowHours: number
  /** Allowed relative difference between the NDOP publication and the practice system's count. */
  ndopMargin: number
  /** Pending quarantine records a source may have before that alone is a finding. */
  quarantineMaxPending: number
}

export interface RuleParams {
  ruleId: string
  severity: FindingSeverity
  /** ISO instant: the evaluation's "now" (overdue reviews, silent sources). */
  now: string
  scope: RuleScope
  settings: FindingSettings
}

export interface RuleQuery {
  /**
   * SELECT subject_key, practice_id, case_key, subject_at, summary, evidence: the violations among the records in scope.
   * case_key is the cause it shares with others (decision 036), subject_at when its subject happened (or null).
   */
  violations(p: RuleParams): Sql
  /** SELECT reason, for an open finding `f` (subject_key, evidence) that is no longer a violation. */
  resolution(p: RuleParams): Sql
}
// ---- A rule ---------------------------------------------------------------------------------------

/** What a finding is about: its subject_key starts with this. */
export type RuleSubject = 'disclosure' | 'override' | 'source' | 'practice'

export interface FindingRule<Id extends string = string> {
  id: Id
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
  /**
   * What the rule reads besides the records it checks. A change to its settings, the notices or
   * the DSPT register means a full re-evaluation; a changed agreement means re-checking that
   * recipient's disclosures.
   */
  dependsOn?: {
    settings?: ReadonlyArray<keyof FindingSettings>
    agreements?: boolean
    notices?: boolean
    dspt?: boolean
    /** Patient choices of these kinds: a choice collected since means re-checking that patient's disclosures. */
    choiceKinds?: readonly string[]
    /** Override events: one collected since means re-checking that patient's disclosures. */
    overrides?: boolean
  }
  query: RuleQuery
}

/** Keeps the rule's id as a literal type, so the rule list in index.ts gives RuleId. */
export function defineRule<const Id extends string>(rule: FindingRule<Id>): FindingRule<Id> {
  return rule
}
