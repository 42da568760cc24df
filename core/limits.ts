/** Text limits a browser's character count and the server's check share (app/lib/limits.ts re-exports them). */
export const AGREEMENT_DESCRIPTION_LIMIT = 2_000
