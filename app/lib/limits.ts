/** Text limits shared by a form's character count (browser) and its server check, so they agree. */
export const REVIEW_REASONS_LIMIT = 10_000
export const FINDING_REASON_LIMIT = 4_000
export { AGREEMENT_DESCRIPTION_LIMIT } from '../../core/limits.js'

/** The session-timeout warning comes this long before the session ends (NHS pattern: 2 minutes). */
export const SESSION_WARNING_SECONDS = 120
