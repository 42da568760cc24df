import type { FindingRule } from './types.js'
import { optoutDisclosure } from './rules/optout-disclosure.js'
import { prohibitedPurpose } from './rules/prohibited-purpose.js'
import { noAgreement } from './rules/no-agreement.js'
import { excessIdentifiable } from './rules/excess-identifiable.js'
import { dissentDirectCare } from './rules/dissent-direct-care.js'
import { unreviewedOverride } from './rules/unreviewed-override.js'
import { silentSource } from './rules/silent-source.js'
import { quarantineGrowing } from './rules/quarantine-growing.js'
import { ndopCountMismatch } from './rules/ndop-count-mismatch.js'
import { secondaryWithoutConsent } from './rules/secondary-without-consent.js'
import { recipientUnassured } from './rules/recipient-unassured.js'
import { outsideNotice } from './rules/outside-notice.js'

/**
 * The compliance rules, in the order they are evaluated and listed: what each checks, how
 * serious a breach is, and why it matters, in words a Caldicott guardian can show a patient.
 * The promises quoted are the practice privacy notices' (seeds/notices/, decision 018); the
 * principles are the Caldicott principles (2020). Each rule's definition and SQL are in its file
 * under rules/; the choices behind them are in docs/decisions/008-compliance-rules.md.
 *
 * Adding a rule: a new file in rules/ and a line here.
 */
export const RULES = [
  optoutDisclosure,
  prohibitedPurpose,
  noAgreement,
  excessIdentifiable,
  dissentDirectCare,
  unreviewedOverride,
  silentSource,
  quarantineGrowing,
  ndopCountMismatch,
  secondaryWithoutConsent,
  recipientUnassured,
  outsideNotice,
] as const

export type RuleId = (typeof RULES)[number]['id']

export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id)

export function getRule(id: string): FindingRule<RuleId> | undefined {
  return RULES.find((r) => r.id === id)
}
