import type { Role } from '../db/queries/users.js'

/** Every kind of report Sharing Ledger produces (reports/ renders them; the kinds live here so core/ can name them). */
export const REPORT_KINDS = ['audit', 'commissioner', 'incident', 'statement', 'annual'] as const
export type ReportKind = (typeof REPORT_KINDS)[number]

/** Who may produce, download or be sent which report, by the job each role does: auditors check (the evidence pack), managers report to the ICB, guardians review incidents; statements per decision 026, the annual report per decision 035. */
export const REPORT_ROLES: Record<ReportKind, readonly Role[]> = {
  audit: ['auditor', 'caldicott_guardian', 'practice_manager', 'admin'],
  commissioner: ['practice_manager', 'caldicott_guardian', 'admin'],
  incident: ['caldicott_guardian'],
  statement: ['caldicott_guardian', 'practice_manager'],
  // The guardian reports to the practice board; the manager prepares board papers (decision 035).
  annual: ['caldicott_guardian', 'practice_manager'],
}

/** How long the bytes of a delivered report are kept for downloading again (its record stays for good). */
export const REPORT_FILE_KEEP_DAYS = 90
