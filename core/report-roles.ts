import type { Role } from '../db/queries/users.js'

/** Who may produce, download or be sent which report, by the job each role does: auditors check (the evidence pack), managers report to the ICB, guardians review incidents; statements per decision 026. */
export const REPORT_ROLES: Record<'audit' | 'commissioner' | 'incident' | 'statement', readonly Role[]> = {
  audit: ['auditor', 'caldicott_guardian', 'practice_manager', 'admin'],
  commissioner: ['practice_manager', 'caldicott_guardian', 'admin'],
  incident: ['caldicott_guardian'],
  statement: ['caldicott_guardian', 'practice_manager'],
}

/** How long the bytes of a delivered report are kept for downloading again (its record stays for good). */
export const REPORT_FILE_KEEP_DAYS = 90
