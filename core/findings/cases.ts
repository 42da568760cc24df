import type { CaseRow } from '../../db/queries/finding-cases.js'

/**
 * Findings grouped by cause (docs/decisions/036-finding-cases.md). A case is a rule, a practice
 * and the thing to fix, which the rule names in each finding's case_key:
 *
 * | rule | the case is | key |
 * |---|---|---|
 * | no_agreement, prohibited_purpose, secondary_without_consent, outside_notice | the recipient and purpose | recipient:<id>:<purpose> |
 * | recipient_unassured | the recipient | recipient:<id> |
 * | excess_identifiable | the agreement relied on | agreement:<id> |
 * | optout_disclosure, dissent_direct_care | the patient (pseudonym) | patient:<pseudonym> |
 * | unreviewed_override | the override event | override:<id> |
 * | silent_source, quarantine_growing | the source | source:<id> |
 * | ndop_count_mismatch | the practice's NDOP count | practice:<id>:ndop |
 *
 * This file says, in words, what a case is about and what resolves it. It names a patient only
 * by pseudonym.
 */

export interface CaseAction {
  /** What resolves the case, as a sentence. */
  text: string
  /** Where to do it, or null when it is a decision on the case itself. */
  href: string | null
  /** The link's words. */
  linkText: string | null
  /** Who can follow the link (the page shows it to them only); null: anyone who can see the case. */
  role: 'admin' | null
}

export interface CaseDescription {
  /** What the case is about: "Lane University (LU1), research". */
  subject: string
  action: CaseAction
}

const recipientWords = (c: CaseRow) =>
  c.recipientName ? `${c.recipientName}${c.recipientOds ? ` (${c.recipientOds})` : ''}` : `recipient ${c.recipientId ?? '?'}`
const purposeWords = (c: CaseRow) => c.purposeLabel ?? c.purpose ?? ''

/** The link to /admin/agreements with the form filled in for this case where the case says enough. */
export function agreementFormHref(c: CaseRow): string {
  const q = new URLSearchParams()
  if (c.recipientId) q.set('recipient', String(c.recipientId))
  if (c.purpose) q.set('purposes', c.purpose)
  q.set('practices', String(c.practiceId))
  if (c.firstAt) q.set('validFrom', new Date(c.firstAt).toISOString().slice(0, 10))
  return `/admin/agreements?${q.toString()}#add-agreement-heading`
}

export function describeCase(c: CaseRow): CaseDescription {
  const none: CaseAction = { text: '', href: null, linkText: null, role: null }
  // A finding recorded without a case (by hand, before decision 036) is a case of its own.
  if (/^disclosure:\d+$/.test(c.caseKey))
    return { subject: `disclosure ${c.caseKey.split(':')[1]}`, action: { ...none, text: 'Review the finding.' } }
  switch (c.ruleId) {
    case 'no_agreement':
      return {
        subject: `${recipientWords(c)}, ${purposeWords(c)}`,
        action: {
          text: `Register the data sharing agreement with ${recipientWords(c)} for ${purposeWords(c)}, or accept the case with the reasons (a one-off legal duty).`,
          href: agreementFormHref(c),
          linkText: 'Register the agreement',
          role: 'admin',
        },
      }
    case 'prohibited_purpose':
      return {
        subject: `${recipientWords(c)}, ${purposeWords(c)}`,
        action: { ...none, text: 'Stop this sharing and handle it as an incident; record what was done when you resolve the case.' },
      }
    case 'secondary_without_consent':
      return {
        subject: `${recipientWords(c)}, ${purposeWords(c)}`,
        action: {
          ...none,
          text: 'Ask the patients’ consent, rely on a basis that sets it aside (s251, COPI), or send de-identified data; then resolve the case.',
        },
      }
    case 'outside_notice':
      return {
        subject: `${recipientWords(c)}, ${purposeWords(c)}`,
        action: {
          text: 'Publish a version of the privacy notice that lists this sharing, or stop it.',
          href: '/admin/notices',
          linkText: 'Record a new notice version',
          role: 'admin',
        },
      }
    case 'recipient_unassured':
      return {
        subject: recipientWords(c),
        action: { ...none, text: `Check ${recipientWords(c)}’s DSPT status and record it, or stop sharing until it meets the standards.` },
      }
    case 'excess_identifiable':
      return {
        subject: `agreement ${c.agreementReference ?? c.caseKey.split(':')[1]}`,
        action: {
          text: `Send pseudonymised or anonymised data as agreement ${c.agreementReference ?? ''} allows, or vary the agreement.`,
          href: '/admin/agreements',
          linkText: 'See the agreements',
          role: 'admin',
        },
      }
    case 'optout_disclosure':
    case 'dissent_direct_care':
      return {
        subject: `patient ${c.pseudonym ?? '?'}`,
        action: {
          ...none,
          text: 'Review the patient’s choice and these disclosures, report the breach if it is one, and record what was done when you resolve the case.',
        },
      }
    case 'unreviewed_override':
      return {
        subject: `override event ${c.overrideId ?? '?'}`,
        action: { text: 'Review the override.', href: `/overrides/${c.overrideId}`, linkText: 'Review the override', role: null },
      }
    case 'silent_source':
    case 'quarantine_growing':
      return {
        subject: `source “${c.sourceName ?? c.caseKey}”`,
        action: {
          text: c.ruleId === 'silent_source' ? 'Restore the source’s feed.' : 'Clear the source’s quarantine.',
          href: c.sourceId ? `/jobs?source=${c.sourceId}` : '/jobs',
          linkText: 'Open the jobs page',
          role: null,
        },
      }
    case 'ndop_count_mismatch':
      return {
        subject: `NDOP opt-out count of ${c.practiceOds}`,
        action: {
          text: 'Reconcile the practice system’s opt-outs with NHS England’s.',
          href: '/opt-outs',
          linkText: 'Open opt-outs',
          role: null,
        },
      }
    default:
      return { subject: c.caseKey, action: { ...none, text: 'Review the findings.' } }
  }
}

/** The case's address: the page keeps the practice picker, which is also the case's practice. */
export function caseHref(c: { practiceOds: string; ruleId: string; caseKey: string; status: string }): string {
  const q = new URLSearchParams({ practice: c.practiceOds, rule: c.ruleId, key: c.caseKey, status: c.status })
  return `/findings/case?${q.toString()}`
}
